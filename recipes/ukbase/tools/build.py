#!/usr/bin/env python3
"""Build the ukbase platform: hosted C/C++ runtime + kernel archives.

Called by conanfile.py (build step) and usable by hand while hacking on the
kernel:

    python3 tools/build.py --zig $(python -c 'import ziglang,os;print(os.path.dirname(ziglang.__file__)+"/zig")') \
        --build /tmp/ukb-build --stage /tmp/ukb-stage

Result: a staged package tree (the layout of an IncludeOS install) at --stage:

    platform.toml config.schema.json linker.ld src/service_name.cpp
    include/os include/compat include/c++/v1 include/clang include/libc/<dirs> include/unwind
    lib/libos.a lib/libarch.a lib/libc++.a lib/libc++abi.a lib/libunwind.a
    lib/libc.a lib/libzigc.a lib/libcompiler_rt.a
    drivers/stdout/libdefault_stdout.a
    drivers/libvirtioblk.a drivers/libvirtionet.a drivers/libide.a
    boot/mbr.bin

Reproducibility: no absolute build paths or timestamps end up in the outputs.
The runtime archives zig builds carry absolute member names and DWARF with
cache paths; they are re-packed with plain member names and without debug
sections. Our own objects are built with -ffile-prefix-map, archived with a
deterministic archiver, and everything is produced in a sorted order.
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

TARGET = "x86_64-unknown-linux-musl"

# Runtime archives zig builds for x86_64-linux-musl, in link order.
RUNTIME_ARCHIVES = ["libc++.a", "libc++abi.a", "libunwind.a", "libc.a",
                    "libzigc.a", "libcompiler_rt.a"]

# musl/Linux header directories of zig, in the search order zig uses.
LIBC_INCLUDE_DIRS = ["x86_64-linux-musl", "generic-musl", "x86-linux-any",
                     "any-linux-any"]

# -isystem directories of the package, in search order (also in platform.toml).
PACKAGE_INCLUDE_DIRS = (["include/os", "include/compat", "include/c++/v1", "include/clang"]
                        + ["include/libc/" + d for d in LIBC_INCLUDE_DIRS]
                        + ["include/unwind"])

RECIPE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sorted_glob(pattern):
    """Recipe-relative paths matching `pattern`, in a stable order."""
    import glob
    return sorted(os.path.relpath(p, RECIPE) for p in glob.glob(os.path.join(RECIPE, pattern)))


# Kernel sources, by archive. Paths relative to the recipe folder.
ARCHIVES = {
    "lib/libarch.a": [
        "arch/x86_64/boot.S",
        "arch/x86_64/interrupts.S",
        "arch/x86_64/syscall_entry.S",
        "arch/x86_64/thread_switch.S",
        "arch/x86_64/multiboot.c",
        "arch/x86_64/init.c",
        "arch/x86_64/cpu.c",
        "arch/x86_64/gdt.c",
        "arch/x86_64/idt.c",
        "arch/x86_64/exceptions.c",
        "arch/x86_64/irq.c",
        "arch/x86_64/pic.c",
        "arch/x86_64/apic.c",
        "arch/x86_64/pit.c",
        "arch/x86_64/clock.c",
        "arch/x86_64/rtc.c",
        "arch/x86_64/serial.c",
        "arch/x86_64/acpi.c",
        "arch/x86_64/power.c",
        "arch/x86_64/random.c",
        "arch/x86_64/pci.c",
        "arch/x86_64/thread.c",
    ],
    "lib/libos.a": [
        "kernel/kernel.c",
        "kernel/kprint.c",
        "kernel/panic.c",
        "kernel/symbols.c",
        "kernel/memory.c",
        "kernel/libc_entry.c",
        "kernel/syscall.c",
        "kernel/sys_memory.c",
        "kernel/sys_time.c",
        "kernel/sys_process.c",
        "kernel/thread.c",
        "kernel/service.cpp",
        "kernel/os.cpp",
        "kernel/events.cpp",
        "kernel/timers.cpp",
        "kernel/thread_loop.cpp",
        "kernel/serial.cpp",
        "kernel/devices.cpp",
        "kernel/fd/table.cpp",
        "kernel/fd/console.cpp",
        "kernel/fd/poll.cpp",
        "kernel/fd/epoll.cpp",
        "kernel/fd/eventfd.cpp",
        "kernel/fd/pipe.cpp",
        "kernel/virtio.cpp",
        "kernel/config.cpp",
        "kernel/json.cpp",
        "kernel/fs/block.cpp",
        "kernel/fs/fat.cpp",
        "kernel/fs/fat_api.cpp",
        "kernel/fs/disk.cpp",
        "kernel/fs/vfs.cpp",
        "kernel/fs/machine.cpp",
        "kernel/fs/file_syscalls.cpp",
        "kernel/fs/fs_api.cpp",
        "kernel/net/interface.cpp",
        "kernel/net/arp.cpp",
        "kernel/net/fragments.cpp",
        "kernel/net/udp.cpp",
        "kernel/net/tcp_glue.cpp",
        "kernel/net/dhcp.cpp",
        "kernel/net/vlan.cpp",
        "kernel/net/ipv6.cpp",
        "kernel/net/socket.cpp",
        "kernel/net/socket_tcp.cpp",
        "kernel/net/socket_udp.cpp",
        "kernel/net/includeos/addr.cpp",
        "kernel/net/includeos/interfaces.cpp",
        "kernel/net/includeos/inet.cpp",
        "kernel/net/includeos/udp.cpp",
        "kernel/net/includeos/dns.cpp",
        "kernel/net/includeos/tcp.cpp",
        "kernel/net/includeos/connection.cpp",
        "kernel/net/includeos/dhcpd.cpp",
        "kernel/net/includeos/ip4.cpp",
        "kernel/net/includeos/conntrack.cpp",
        "kernel/net/includeos/napt.cpp",
        "kernel/terminal.cpp",
        "kernel/memmap.cpp",
    ] + sorted_glob("kernel/net/tcp/*.cpp") + sorted_glob("kernel/net/http/*.cpp"),
    "drivers/stdout/libdefault_stdout.a": [
        "drivers/stdout/default_stdout.cpp",
    ],
    # Device drivers, linked whole when a service names them in
    # [platform] drivers (they register from global constructors).
    "drivers/libvirtioblk.a": ["drivers/virtioblk.cpp"],
    "drivers/libvirtionet.a": ["drivers/virtionet.cpp"],
    "drivers/libide.a": ["drivers/ide.cpp"],
    "drivers/libide_readonly.a": ["drivers/ide.cpp"],     # IncludeOS's names for it
    "drivers/libide_writeonly.a": ["drivers/ide.cpp"],
    # Names IncludeOS services ask for whose work ukbase's kernel always
    # does: empty archives (their sources say why).
    "drivers/libboot_logger.a": ["drivers/boot_logger.cpp"],
    "drivers/libip4_reassembly.a": ["drivers/ip4_reassembly.cpp"],
    "plugins/libautoconf.a": ["kernel/plugins/autoconf.cpp"],
    # Plugins of ukbase's own with IncludeOS's names.
    "plugins/libexample.a": ["kernel/plugins/example.cpp"],
    "plugins/libfield_medic.a": ["kernel/plugins/field_medic.cpp"],
    # Plugins, linked whole when a service names them in [platform] plugins.
    "plugins/libvfs.a": ["kernel/fs/vfs_plugin.cpp"],
}

# Flags for kernel C: freestanding; no SIMD/x87 state touched (interrupt and
# system-call paths need not save it for kernel code, and the boot path runs
# before SSE is set up); no red zone (kernel convention: nothing may live
# below the stack pointer); no stack protector (arch_prctl changes the FS
# base, and with it the canary, under running code).
KERNEL_C_FLAGS = [
    "-std=gnu11", "-D_GNU_SOURCE", "-ffreestanding", "-fno-builtin-printf",
    "-mno-sse", "-mno-sse2", "-mno-mmx", "-mno-80387", "-mno-red-zone",
    "-fno-stack-protector", "-fno-pic", "-fno-common",
    "-fno-omit-frame-pointer", "-fno-sanitize=all",
    "-ffunction-sections", "-fdata-sections",
    "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror=implicit-function-declaration",
]

# Kernel parts written in hosted C++ (service start, os:: API, timers,
# stdout drivers) are built exactly like service code, plus these.
KERNEL_CXX_EXTRA = ["-fno-omit-frame-pointer", "-ffunction-sections",
                    "-fdata-sections", "-Wall", "-Wextra",
                    "-Wno-unused-parameter"]

ASM_FLAGS = ["-D__ASSEMBLY__"]

# Flags every piece of hosted code (services, our C++ parts) is built with.
# Mirrored in platform.toml [compile].
SERVICE_FLAGS = ["-fno-pic", "-fno-sanitize=all"]
SERVICE_CXX_FLAGS = ["-nostdinc++"]


def log(msg):
    print("[ukbase] " + msg, flush=True)


def run(cmd, **kw):
    try:
        return subprocess.run(cmd, check=True, **kw)
    except subprocess.CalledProcessError as e:
        out = ""
        if e.stdout:
            out += e.stdout if isinstance(e.stdout, str) else e.stdout.decode(errors="replace")
        if e.stderr:
            out += e.stderr if isinstance(e.stderr, str) else e.stderr.decode(errors="replace")
        raise SystemExit("command failed (%d): %s\n%s" % (e.returncode, " ".join(cmd), out))


# ---------------------------------------------------------------------------
# Hosted runtime (libc++, libc++abi, libunwind, musl, zig's libc parts)
# ---------------------------------------------------------------------------

PROBE_SOURCE = r"""
#include <iostream>
#include <stdexcept>
#include <string>
int main() {
  try { throw std::runtime_error("probe"); }
  catch (const std::exception& e) { std::cout << e.what() << std::endl; }
  return 0;
}
"""


def locate_runtime(zig, workdir):
    """Let zig build its runtime once; return {archive name: cache path}."""
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "probe.cpp")
    with open(src, "w") as f:
        f.write(PROBE_SOURCE)
    cmd = [zig, "c++", "-target", "x86_64-linux-musl", "-static", "-O2",
           "-fno-sanitize=all", src, "-o", os.path.join(workdir, "probe"), "-v"]
    log("building the hosted runtime with zig (first time: about 1-2 minutes)")
    res = run(cmd, capture_output=True, text=True)
    found = {}
    for line in (res.stderr + res.stdout).splitlines():
        words = line.split()
        if not words or "ld.lld" not in os.path.basename(words[0]) or " -r " in line:
            continue
        for w in words:
            base = os.path.basename(w)
            if base in RUNTIME_ARCHIVES and os.path.isfile(w):
                found[base] = w
    missing = [a for a in RUNTIME_ARCHIVES if a not in found]
    if missing:
        raise SystemExit("could not find %s in zig's link line:\n%s"
                         % (", ".join(missing), res.stderr[-4000:]))
    return found


def read_ar(path):
    """Members of a System V / GNU ar archive as (name, bytes), in order."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"!<arch>\n"):
        raise SystemExit("%s: not an ar archive" % path)
    pos, longnames, members = 8, b"", []
    while pos + 60 <= len(data):
        hdr = data[pos:pos + 60]
        name = hdr[0:16].decode().rstrip()
        size = int(hdr[48:58].decode().strip())
        body = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
        if name in ("/", "/SYM64/"):        # symbol tables: rebuilt later
            continue
        if name == "//":                     # GNU long-name table
            longnames = body
            continue
        if name.startswith("/") and name[1:].isdigit():
            off = int(name[1:])
            end = longnames.index(b"\n", off)
            name = longnames[off:end].decode()
        name = name.rstrip("/")
        members.append((name, body))
    return members


def repack_archive(zig, objcopy, src, dst, tmpdir):
    """Copy an archive with plain member names and no debug sections."""
    members = read_ar(src)
    d = tempfile.mkdtemp(dir=tmpdir)
    names, seen = [], {}
    for name, body in members:
        base = os.path.basename(name)
        stem, ext = os.path.splitext(base)
        n = seen.get(base, 0)
        seen[base] = n + 1
        if n:
            base = "%s_%d%s" % (stem, n, ext)
        p = os.path.join(d, base)
        with open(p, "wb") as f:
            f.write(body)
        names.append(base)
    if os.path.exists(dst):
        os.remove(dst)
    tmp = dst + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    for i in range(0, len(names), 500):
        run([zig, "ar", "qcD", tmp] + names[i:i + 500], cwd=d)
    # Strip DWARF (it holds zig cache paths) and rebuild the symbol index,
    # GNU objcopy in deterministic-archive mode.
    run([objcopy, "-D", "--strip-debug", "--remove-section=.comment", tmp, dst])
    os.remove(tmp)
    run([zig, "ar", "sD", dst])
    shutil.rmtree(d)


def libcxx_config_site(zig, workdir):
    """The _LIBCPP_* defines zig passes to clang, as a __config_site."""
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "x.cpp")
    with open(src, "w") as f:
        f.write("int x;\n")
    res = run([zig, "c++", "-target", "x86_64-linux-musl", "-O2", "-###",
               "-c", src, "-o", os.path.join(workdir, "x.o")],
              capture_output=True, text=True)
    line = [l for l in res.stderr.splitlines() if '"-cc1"' in l][-1]
    args = re.findall(r'"((?:[^"\\]|\\.)*)"', line)
    defines = []
    for i, a in enumerate(args):
        if a == "-D" and i + 1 < len(args):
            d = args[i + 1]
        elif a.startswith("-D") and len(a) > 2:
            d = a[2:]
        else:
            continue
        if d.startswith("_LIBCPP_") or d.startswith("_LIBCXXABI_"):
            defines.append(d)
    if not any(d.startswith("_LIBCPP_ABI_VERSION") for d in defines):
        raise SystemExit("no _LIBCPP_ defines found in: " + line[:2000])
    out = ["// Generated by ukbase tools/build.py from the defines zig passes",
           "// when it compiles libc++ for x86_64-linux-musl.",
           "#ifndef _LIBCPP___CONFIG_SITE", "#define _LIBCPP___CONFIG_SITE", ""]
    for d in defines:
        k, _, v = d.partition("=")
        out.append("#define %s %s" % (k, v if v else "1"))
    out += ["", "#endif // _LIBCPP___CONFIG_SITE", ""]
    return "\n".join(out)


def copy_tree(src, dst):
    shutil.copytree(src, dst, dirs_exist_ok=True)


def stage_headers(zig, zig_lib, stage, workdir):
    inc = os.path.join(stage, "include")
    cxx = os.path.join(inc, "c++", "v1")
    copy_tree(os.path.join(zig_lib, "libcxx", "include"), cxx)
    # libc++abi's public headers sit beside libc++'s in an install.
    copy_tree(os.path.join(zig_lib, "libcxxabi", "include"), cxx)
    # zig patches __config not to include __config_site (it passes -D flags
    # instead); restore the upstream include and ship the generated file.
    cfg = os.path.join(cxx, "__config")
    with open(cfg) as f:
        text = f.read()
    marker = re.search(r"/\* zig patch: instead of including __config_site.*?\*/", text)
    if marker:
        text = text[:marker.start()] + "#include <__config_site>" + text[marker.end():]
    elif "#include <__config_site>" not in text:
        raise SystemExit("unexpected libc++ __config: cannot hook __config_site")
    with open(cfg, "w") as f:
        f.write(text)
    with open(os.path.join(cxx, "__config_site"), "w") as f:
        f.write(libcxx_config_site(zig, workdir))
    copy_tree(os.path.join(zig_lib, "include"), os.path.join(inc, "clang"))
    for d in LIBC_INCLUDE_DIRS:
        copy_tree(os.path.join(zig_lib, "libc", "include", d), os.path.join(inc, "libc", d))
    copy_tree(os.path.join(zig_lib, "libunwind", "include"), os.path.join(inc, "unwind"))


# ---------------------------------------------------------------------------
# Kernel
# ---------------------------------------------------------------------------

def compile_one(job):
    cmd, out = job
    os.makedirs(os.path.dirname(out), exist_ok=True)
    res = subprocess.run(cmd, capture_output=True, text=True)
    return cmd, res


# Kernel C symbols services may use (IncludeOS has them too).
KERNEL_PUBLIC_SYMBOLS = {"_start", "kprintf", "kprint",
                         "__wrap___stack_chk_fail"}   # the link wraps services' references


def nm_symbols(nm, path, undefined):
    """Global symbol names defined in (or, undefined=True, needed by) path."""
    args = [nm, "-g", "-P"] + (["-u"] if undefined else ["--defined-only"])
    res = run(args + [path], capture_output=True, text=True)
    names = set()
    for line in res.stdout.splitlines():
        parts = line.split()
        if parts and not parts[0].endswith(":"):
            names.add(parts[0])
    return names


def prelink_kernel_c(zig, objcopy, nm, archives, build):
    """Prelink each archive's C and assembly objects into one object whose
    only global symbols are those other package objects use (plus
    KERNEL_PUBLIC_SYMBOLS): names like memory_init or serial_write then
    cannot clash with a service's own. Returns the new member lists."""
    is_c = lambda o: o.endswith(".c.o") or o.endswith(".S.o")
    undefined = {o: nm_symbols(nm, o, undefined=True)
                 for objs in archives.values() for o in objs}
    out = {}
    for archive, objs in archives.items():
        c_objs = [o for o in objs if is_c(o)]
        if not c_objs:
            out[archive] = objs
            continue
        name = os.path.splitext(os.path.basename(archive))[0][3:]   # libarch.a -> arch
        combined = os.path.join(build, "obj", "%s-kernel.o" % name)
        run([zig, "ld.lld", "-r", "-o", combined] + c_objs)
        # Symbols used by the group's own members only need not stay global.
        inside = set()
        for o in c_objs:
            inside |= nm_symbols(nm, o, undefined=False)
        used_elsewhere = set(KERNEL_PUBLIC_SYMBOLS)
        for o, names in undefined.items():
            if o not in c_objs:
                used_elsewhere |= names
        keep = sorted(inside & used_elsewhere)
        keep_file = combined + ".globals"
        with open(keep_file, "w") as f:
            f.write("\n".join(keep) + "\n")
        run([objcopy, "--keep-global-symbols=" + keep_file, combined])
        out[archive] = [combined] + [o for o in objs if not is_c(o)]
    return out


def build_kernel(zig, objcopy, source, build, stage, jobs, verbose):
    inc_dirs = [os.path.join(stage, d) for d in PACKAGE_INCLUDE_DIRS]
    isys = []
    for d in inc_dirs:
        isys += ["-isystem", d]
    kinc = ["-I", os.path.join(source, "kernel", "include"),
            "-I", os.path.join(source, "arch", "x86_64", "include")]
    prefix_map = ["-ffile-prefix-map=%s=ukbase" % source,
                  "-ffile-prefix-map=%s=ukbase-pkg" % stage,
                  "-ffile-prefix-map=%s=ukbase-build" % build]
    common = ["-target", TARGET, "-nostdinc", "-O2"] + prefix_map
    # Freestanding C must not see libc++'s C wrapper headers.
    c_isys = []
    for d in inc_dirs:
        if not d.endswith(os.path.join("c++", "v1")):
            c_isys += ["-isystem", d]
    jobs_list, archives = [], {}
    for archive, sources in ARCHIVES.items():
        objs = []
        for s in sources:
            src = os.path.join(source, s)
            obj = os.path.join(build, "obj", s + ".o")
            ext = os.path.splitext(s)[1]
            if ext == ".c":
                cmd = [zig, "clang"] + common + KERNEL_C_FLAGS + c_isys + kinc
            elif ext == ".S":
                cmd = [zig, "clang"] + common + ASM_FLAGS + kinc
            else:
                cmd = ([zig, "clang", "--driver-mode=g++"] + common + SERVICE_FLAGS + SERVICE_CXX_FLAGS
                       + ["-std=c++17"] + KERNEL_CXX_EXTRA + isys + kinc)
            cmd += ["-c", src, "-o", obj]
            jobs_list.append((cmd, obj))
            objs.append(obj)
        archives[archive] = objs
    failed = False
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        for cmd, res in ex.map(compile_one, jobs_list):
            if verbose:
                print(" ".join(cmd))
            if res.returncode != 0 or res.stderr.strip():
                sys.stdout.write(res.stdout + res.stderr)
            if res.returncode != 0:
                print("FAILED: " + " ".join(cmd))
                failed = True
    if failed:
        raise SystemExit("kernel compilation failed")
    nm = os.path.join(os.path.dirname(objcopy), "nm")
    if not os.path.exists(nm):
        nm = shutil.which("nm") or "nm"
    archives = prelink_kernel_c(zig, objcopy, nm, archives, build)
    for archive, objs in archives.items():
        dst = os.path.join(stage, archive)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.exists(dst):
            os.remove(dst)
        # Members named by their source path (flattened), in source order:
        # deterministic and unique.
        d = tempfile.mkdtemp(dir=build)
        names = []
        for o in objs:
            rel = os.path.relpath(o, os.path.join(build, "obj"))
            n = rel.replace(os.sep, "_")
            shutil.copyfile(o, os.path.join(d, n))
            names.append(n)
        run([zig, "ar", "rcsD", dst] + names, cwd=d)
        shutil.rmtree(d)
        log("built " + archive)



# ---------------------------------------------------------------------------
# Boot loader of bootable disk images
# ---------------------------------------------------------------------------

def build_loader(zig, objcopy, source, build, stage):
    """boot/mbr.S (16-bit code, GNU syntax) -> boot/mbr.bin, one 512-byte
    sector linked at 0x7C00 (the ukboot-1 protocol, see the source)."""
    src = os.path.join(source, "boot", "mbr.S")
    obj = os.path.join(build, "obj", "boot", "mbr.o")
    elf = os.path.join(build, "obj", "boot", "mbr.elf")
    out = os.path.join(stage, "boot", "mbr.bin")
    os.makedirs(os.path.dirname(obj), exist_ok=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    run([zig, "clang", "-target", "x86_64-unknown-none", "-c", src, "-o", obj])
    run([zig, "ld.lld", "-m", "elf_x86_64", "--image-base=0", "-Ttext=0x7C00", "-e", "_start",
         "--build-id=none", "-o", elf, obj])
    run([objcopy, "-O", "binary", "-j", ".text", elf, out])
    with open(out, "rb") as f:
        sector = f.read()
    if len(sector) != 512 or sector[510:] != b"\x55\xaa":
        raise SystemExit("boot/mbr.bin is %d bytes, not a boot sector" % len(sector))
    log("built boot/mbr.bin")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zig", required=True)
    ap.add_argument("--objcopy", default="objcopy")
    ap.add_argument("--source", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--build", required=True)
    ap.add_argument("--stage", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--kernel-only", action="store_true",
                    help="rebuild only the kernel archives (runtime already staged)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    zig = os.path.abspath(a.zig) if os.sep in a.zig else a.zig
    source = os.path.abspath(a.source)
    build = os.path.abspath(a.build)
    stage = os.path.abspath(a.stage)
    zig_lib = os.path.join(os.path.dirname(os.path.realpath(shutil.which(zig) or zig)), "lib")
    os.makedirs(build, exist_ok=True)
    os.makedirs(stage, exist_ok=True)
    objcopy = shutil.which(a.objcopy) or a.objcopy

    if not a.kernel_only:
        work = os.path.join(build, "runtime")
        stage_headers(zig, zig_lib, stage, work)
        libs = locate_runtime(zig, work)
        os.makedirs(os.path.join(stage, "lib"), exist_ok=True)
        nm = os.path.join(os.path.dirname(objcopy), "nm")
        for name in RUNTIME_ARCHIVES:
            dst = os.path.join(stage, "lib", name)
            repack_archive(zig, objcopy, libs[name], dst, build)
            # zig builds its runtime with UBSan in debug modes: make sure
            # none of that came along.
            sanitizer = [s for s in nm_symbols(nm if os.path.exists(nm) else "nm", dst, True)
                         if s.startswith("__ubsan") or s.startswith("__asan")]
            if sanitizer:
                raise SystemExit("%s needs sanitizer runtime symbols: %s" % (name, sanitizer[:5]))
        log("staged the hosted runtime: " + ", ".join(RUNTIME_ARCHIVES))

    # The service API headers, link script, service-name source, description.
    # (replaced whole: a header that went, or a file that became a folder,
    # must not linger from an earlier build)
    for api in ("os", "compat"):
        staged_api = os.path.join(stage, "include", api)
        if os.path.exists(staged_api):
            shutil.rmtree(staged_api)
        copy_tree(os.path.join(source, "include", api), staged_api)
    for f in ["platform.toml", "config.schema.json", "linker.ld", "src/service_name.cpp"]:
        os.makedirs(os.path.dirname(os.path.join(stage, f)), exist_ok=True)
        shutil.copyfile(os.path.join(source, f), os.path.join(stage, f))
    # What platform.toml's [kernel] command runs: the ELF32 kernel with its symbol table.
    os.makedirs(os.path.join(stage, "tools"), exist_ok=True)
    shutil.copyfile(os.path.join(source, "tools", "mkkernel.py"), os.path.join(stage, "tools", "mkkernel.py"))

    build_kernel(zig, objcopy, source, build, stage, a.jobs, a.verbose)
    build_loader(zig, objcopy, source, build, stage)
    log("done: " + stage)


if __name__ == "__main__":
    main()
