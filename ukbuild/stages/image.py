"""Image stage: bootable disk images (``[image] formats``) by the platform's
boot-loader protocol, and the FAT filesystems of data disks and memdisks.

The bootable image follows "ukboot-1" (docs/platform.md): the platform's
one-sector loader at LBA 0, a header at LBA 1, then the kernel's loadable
segments laid out flat. Everything here works on bytes and file lists; the
actions write the files and run qemu-img, mkfs.fat and mtools.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

SECTOR = 512
MIB = 1 << 20
HEADER_MAGIC = b"UKBOOT01"
PAYLOAD_LBA = 2
CMDLINE_BYTES = SECTOR - 32

# qemu-img input formats by image file suffix
INPUT_FORMATS = {".img": "raw", ".raw": "raw", ".qcow2": "qcow2", ".vmdk": "vmdk"}

# A fixed date for everything written into FAT filesystems (mtools honours
# SOURCE_DATE_EPOCH): 2000-01-01, after FAT's 1980 epoch.
FAT_EPOCH = 946684800


class ImageError(ValueError):
    """The kernel cannot be made into a bootable image."""


@dataclass(frozen=True)
class Payload:
    load_address: int
    entry: int
    data: bytes


def multiboot_payload(elf: bytes) -> Payload:
    """The loadable segments of an ELF32 kernel, flat from the lowest
    physical address (zero-filled gaps; .bss is the kernel's to clear)."""
    if elf[:4] != b"\x7fELF" or elf[4] != 1:
        raise ImageError("the kernel is not an ELF32 file")
    (e_entry, e_phoff, _, _, _, e_phentsize, e_phnum) = struct.unpack_from("<IIIIHHH", elf, 24)
    segments = []
    for i in range(e_phnum):
        p_type, p_offset, _, p_paddr, p_filesz, _, _, _ = struct.unpack_from(
            "<IIIIIIII", elf, e_phoff + i * e_phentsize)
        if p_type == 1 and p_filesz:  # PT_LOAD with contents
            segments.append((p_paddr, elf[p_offset:p_offset + p_filesz]))
    if not segments:
        raise ImageError("the kernel has no loadable segment")
    base = min(addr for addr, _ in segments)
    end = max(addr + len(data) for addr, data in segments)
    flat = bytearray(end - base)
    for addr, data in segments:
        flat[addr - base:addr - base + len(data)] = data
    return Payload(base, e_entry, bytes(flat))


def boot_header(payload: Payload, cmdline: str) -> bytes:
    """Sector 1 of a ukboot-1 image."""
    text = cmdline.encode()
    if len(text) >= CMDLINE_BYTES:
        raise ImageError(f"the command line is {len(text)} bytes; a disk image holds {CMDLINE_BYTES - 1}")
    sectors = -(-len(payload.data) // SECTOR)
    head = struct.pack("<8sIIIIII", HEADER_MAGIC, PAYLOAD_LBA, sectors, payload.load_address,
                       payload.entry, len(payload.data), 0)
    return head + text.ljust(CMDLINE_BYTES, b"\0")


def bootable_image(loader: bytes, payload: Payload, cmdline: str, max_payload: int) -> bytes:
    """The raw bootable disk: loader, header, payload, padded to whole MiB."""
    if len(loader) != SECTOR or loader[510:512] != b"\x55\xaa":
        raise ImageError("the platform's loader is not a 512-byte boot sector")
    if len(payload.data) > max_payload:
        raise ImageError(f"the kernel's loadable image is {len(payload.data)} bytes; the platform's "
                         f"boot loader handles at most {max_payload} bytes")
    body = loader + boot_header(payload, cmdline) + payload.data
    return body + bytes(-len(body) % MIB)


def convert_command(qemu_img: str, source: Path, source_format: str, fmt: str,
                    output: Path) -> list[str]:
    """qemu-img's conversion, which is byte-for-byte repeatable."""
    return [qemu_img, "convert", "-q", "-f", source_format, "-O", fmt, str(source), str(output)]


# -- FAT ---------------------------------------------------------------------

def volume_id(*names: str) -> str:
    """A stable FAT volume id from the names of what the disk belongs to."""
    return hashlib.sha256("/".join(names).encode()).hexdigest()[:8]


def fat_label(name: str) -> str:
    label = "".join(c for c in name.upper() if c.isalnum() or c in "_-")[:11]
    return label or "NO NAME"


def tree_size(files: list[tuple[str, int]], folders: list[str], cluster: int = 4096) -> int:
    """Bytes a FAT filesystem needs for these files and folders, roughly
    (clusters of data, a cluster per folder, tables and slack)."""
    data = sum(-(-size // cluster) * cluster for _, size in files)
    data += cluster * (len(folders) + 1)
    return data + data // 8 + 128 * 1024


def parent_folders(paths) -> set[str]:
    """Every folder above each of these paths on a disk ("a/b/c" -> a, a/b)."""
    return {p.rsplit("/", n)[0] for p in paths for n in range(1, p.count("/") + 1)}


def fat_commands(image: Path, size_bytes: int, label: str, vol_id: str,
                 files: list[tuple[str, Path]], folders: list[str],
                 fat: int | None = None) -> list[list[str]]:
    """mkfs.fat (FAT ``fat``, or its choice by size), then, folder by folder
    (by depth, then name), its files (path on the disk, file to copy), then
    its subfolders: so that two builds write the same directory entries in
    the same places, and a folder lists its files first, as a disk script
    that copies files and then makes folders leaves it."""
    kib = size_bytes // 1024
    bits = ["-F", str(fat)] if fat else []
    commands = [["mkfs.fat", "-C", "--invariant", *bits, "-i", vol_id, "-n", label, str(image), str(kib)]]
    every = set(folders) | parent_folders(rel for rel, _ in files)
    every |= parent_folders(every)
    files_in: dict[str, list[tuple[str, Path]]] = {}
    for rel, host in sorted(files):
        files_in.setdefault(rel.rpartition("/")[0], []).append((rel, host))
    for folder in sorted(every | {""}, key=lambda f: (f.count("/") + bool(f), f)):
        same_name = [host for rel, host in files_in.get(folder, ()) if rel.rpartition("/")[2] == host.name]
        if same_name:
            commands.append(["mcopy", "-i", str(image), "-o", *map(str, same_name),
                             f"::/{folder}/" if folder else "::/"])
        for rel, host in files_in.get(folder, ()):
            if rel.rpartition("/")[2] != host.name:
                commands.append(["mcopy", "-i", str(image), "-o", str(host), f"::/{rel}"])
        for sub in sorted(f for f in every if f.rpartition("/")[0] == folder):
            commands.append(["mmd", "-i", str(image), f"::/{sub}"])
    return commands


def fat_environment() -> dict:
    return {"MTOOLS_SKIP_CHECK": "1", "SOURCE_DATE_EPOCH": str(FAT_EPOCH), "TZ": "UTC"}


def embed_command(objcopy: tuple[str, ...], arch: str, name: str, section: str,
                  output: Path) -> list[str]:
    """An object whose section ``section`` holds the file ``name`` (run in the
    file's folder, so that symbol names carry no path)."""
    bfd = {"x86_64": ("elf64-x86-64", "i386:x86-64")}[arch]
    return [*objcopy, "-I", "binary", "-O", bfd[0], "-B", bfd[1],
            "--rename-section", f".data={section},alloc,load,readonly,data,contents",
            name, str(output)]


VMDK_MAGIC = b"KDMV"
SECTOR = 512


def vmdk_descriptor_fix(head: bytes, cid: str) -> bytes:
    """A monolithic sparse VMDK made by qemu-img carries a random content id
    (CID) in its text descriptor, printed without leading zeros; give it the
    fixed 8-digit ``cid``, so that two conversions are identical. ``head``
    is the file's beginning, holding the descriptor: the sectors the sparse
    header names, text padded with zeros, rewritten in place."""
    import struct

    if head[:4] != VMDK_MAGIC or len(head) < 44:
        raise ImageError("not a sparse VMDK (no KDMV header)")
    offset, size = (n * SECTOR for n in struct.unpack_from("<QQ", head, 28))
    if not offset or offset + size > len(head):
        raise ImageError("the VMDK has no embedded descriptor")
    text = head[offset:offset + size].split(b"\0", 1)[0]
    lines = text.split(b"\n")
    found = [i for i, line in enumerate(lines) if line.startswith(b"CID=")]
    if len(found) != 1:
        raise ImageError("no CID in the VMDK descriptor")
    lines[found[0]] = b"CID=" + cid.encode()
    fixed = b"\n".join(lines)
    if len(fixed) > size:
        raise ImageError("the VMDK descriptor does not fit its sectors")
    return head[:offset] + fixed.ljust(size, b"\0") + head[offset + size:]
