#!/usr/bin/env python3
"""Make ukbase's bootable kernel from the linked ELF: platform.toml's
[kernel] command.

    python3 mkkernel.py <linked ELF64> <kernel to write> <objcopy command...>

1. objcopy -O elf32-i386 --strip-all -R .rela.dyn: the ELF32 file that
   multiboot loaders (QEMU -kernel, GRUB, boot/mbr.S) boot.
2. The linked ELF's function symbols become a compact table, one more
   loaded segment of that file, so that backtraces name functions at run
   time (kernel/symbols.c reads it; the layout is described there). The
   segment goes right below the image (1-2 MiB is free on every loader
   ukbase boots with) when it fits there, else after the image.
3. The table's address and size are written into the kernel's
   __ukbase_symbols variable (found through the ELF's symbol table, and
   checked by its magic).

The output depends on the input bytes only (reproducible images). Only
the standard library is used: the command runs with any Python 3.
"""
import os
import struct
import subprocess
import sys

SHT_SYMTAB = 2
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
STT_NOTYPE, STT_FUNC = 0, 2
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
SHN_LORESERVE = 0xFF00
PT_LOAD = 1
PF_R = 4

TABLE_MAGIC = b"UKSYMS01"
REF_MAGIC = b"UKSYMBOL"
REF_SYMBOL = "__ukbase_symbols"
PAGE = 4096
LOW_LIMIT = 0x100000          # the table may go as low as 1 MiB


class Error(Exception):
    pass


def elf64_symbols(data):
    """(function symbols as (address, name, is_func, binding), all symbols by name)."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise Error("not an ELF64 file")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, _ = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    symtab = next((s for s in sections if s[1] == SHT_SYMTAB), None)
    if symtab is None:
        raise Error("no symbol table (was it linked with --strip-all?)")
    _, _, _, _, off, size, link, _, _, entsize = symtab
    stroff = sections[link][4]
    funcs, by_name = [], {}
    for pos in range(off + entsize, off + size, entsize):     # entry 0 is null
        st_name, st_info, _, st_shndx, st_value, _ = struct.unpack_from("<IBBHQQ", data, pos)
        end = data.index(b"\0", stroff + st_name)
        name = data[stroff + st_name:end].decode("utf-8", "replace")
        if not name:
            continue
        by_name.setdefault(name, st_value)
        kind, binding = st_info & 0xF, st_info >> 4
        if kind not in (STT_FUNC, STT_NOTYPE) or not 0 < st_shndx < SHN_LORESERVE:
            continue
        flags = sections[st_shndx][2]
        if not (flags & SHF_ALLOC and flags & SHF_EXECINSTR):
            continue
        if name.startswith(".L") or name.startswith("$"):
            continue
        funcs.append((st_value, name, kind == STT_FUNC, binding))
    return funcs, by_name


def symbol_table(funcs):
    """The table kernel/symbols.c reads: one name per address, the best
    one (a function over a label, global over weak over local)."""
    rank = {STB_GLOBAL: 0, STB_WEAK: 1, STB_LOCAL: 2}
    best = {}
    for addr, name, is_func, binding in funcs:
        key = (not is_func, rank.get(binding, 3), name)
        if addr not in best or key < best[addr][0]:
            best[addr] = (key, name)
    entries, names = [], bytearray()
    for addr in sorted(best):
        if addr >= 1 << 32:
            raise Error("symbol at 0x%x: above 4 GiB" % addr)
        entries.append(struct.pack("<II", addr, len(names)))
        names += best[addr][1].encode() + b"\0"
    head = 16 + 8 * len(entries)
    return TABLE_MAGIC + struct.pack("<II", len(entries), head) + b"".join(entries) + bytes(names)


def add_segment(image, table, ref_vaddr):
    """The ELF32 file with `table` as one more PT_LOAD segment and its
    place written into the variable at ref_vaddr."""
    img = bytearray(image)
    if img[:4] != b"\x7fELF" or img[4] != 1:
        raise Error("objcopy did not write an ELF32 file")
    phoff, shoff = struct.unpack_from("<II", img, 0x1C)
    phentsize, phnum = struct.unpack_from("<HH", img, 0x2A)
    shentsize, shnum = struct.unpack_from("<HH", img, 0x2E)
    phdrs = [list(struct.unpack_from("<8I", img, phoff + i * phentsize)) for i in range(phnum)]
    loads = [p for p in phdrs if p[0] == PT_LOAD]
    if not loads:
        raise Error("the kernel has no loadable segment")
    low = min(p[3] for p in loads)
    high = max(p[3] + p[5] for p in loads)

    below = (low - len(table)) & ~(PAGE - 1)
    addr = below if below >= LOW_LIMIT else (high + PAGE - 1) & ~(PAGE - 1)

    # The variable: in the file image of a loaded segment.
    for p in loads:
        if p[2] <= ref_vaddr and ref_vaddr + 16 <= p[2] + p[4]:
            ref = p[1] + ref_vaddr - p[2]
            break
    else:
        raise Error("%s is not in a loaded segment" % REF_SYMBOL)
    if img[ref:ref + 8] != REF_MAGIC:
        raise Error("%s does not hold its magic" % REF_SYMBOL)
    struct.pack_into("<II", img, ref + 8, addr, len(table))

    img += bytes(-len(img) % PAGE)
    offset = len(img)
    img += table
    segment = [PT_LOAD, offset, addr, addr, len(table), len(table), PF_R, PAGE]
    at = next((i for i, p in enumerate(phdrs) if p[0] == PT_LOAD and p[2] > addr), None)
    if at is None:
        at = max(i for i, p in enumerate(phdrs) if p[0] == PT_LOAD) + 1
    phdrs.insert(at, segment)

    # The program headers grow by one: in place when the gap before the
    # first contents allows (it does: objcopy starts them at a page), else
    # at the end of the file.
    contents = [p[1] for p in phdrs if p[4] and p[1]]
    if shnum:
        contents += [s for s in (struct.unpack_from("<I", img, shoff + i * shentsize + 16)[0]
                                 for i in range(1, shnum)) if s]
        contents.append(shoff)
    if phoff + len(phdrs) * phentsize > min(contents):
        img += bytes(-len(img) % 4)
        phoff = len(img)
        img += bytes(len(phdrs) * phentsize)
        struct.pack_into("<I", img, 0x1C, phoff)
    for i, p in enumerate(phdrs):
        struct.pack_into("<8I", img, phoff + i * phentsize, *p)
    struct.pack_into("<H", img, 0x2C, len(phdrs))
    return bytes(img)


def main(argv):
    if len(argv) < 4:
        sys.exit("usage: mkkernel.py <elf> <kernel> <objcopy command...>")
    elf, kernel, objcopy = argv[1], argv[2], argv[3:]
    try:
        with open(elf, "rb") as f:
            data = f.read()
        funcs, by_name = elf64_symbols(data)
        if REF_SYMBOL not in by_name:
            raise Error("no %s: not a ukbase kernel" % REF_SYMBOL)
        table = symbol_table(funcs)
        res = subprocess.run(objcopy + ["-O", "elf32-i386", "--strip-all", "-R", ".rela.dyn",
                                        elf, kernel], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        if res.returncode:
            raise Error("objcopy failed:\n" + res.stdout.decode(errors="replace"))
        with open(kernel, "rb") as f:
            image = f.read()
        out = add_segment(image, table, by_name[REF_SYMBOL])
        with open(kernel, "wb") as f:
            f.write(out)
    except (Error, OSError, struct.error, ValueError) as e:
        sys.exit("mkkernel: %s: %s" % (elf, e))


if __name__ == "__main__":
    main(sys.argv)
