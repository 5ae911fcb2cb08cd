#!/usr/bin/env python3
"""ukbase's own smoke test.

1. `conan create` of this recipe with a private CONAN_HOME (remotes off) and
   the host profile ukbuild uses.
2. Compiles and links test services against the package folder exactly as
   its platform.toml says (what ukbuild does), makes the kernels.
3. Boots them in QEMU (TCG) on microvm and on pc + qboot (--machines for
   more) and checks the serial lines and that QEMU exits by itself;
   IncludeOS's kernel API (test/kernel_api.py), threads
   (test/threads.py) and page protection with the stack protector
   (test/hardening.py) on the first machine.
4. Devices (skip with --no-devices): FAT file systems (FAT12 memdisk,
   FAT16 on virtio-blk, FAT32 on IDE, long names, subfolders) through the
   C, C++ and native file APIs, the [build] config section, on pc with
   qboot, pc with SeaBIOS and q35; the network stack (UDP echo through
   QEMU user networking from a host socket, with its round-trip time;
   ARP, ICMP echo and next-hop resolution with raw Ethernet frames through
   `-netdev socket`); bootable disk images through boot/mbr.bin (ukboot-1)
   from virtio-blk and IDE under SeaBIOS, and the loader's errors;
   IncludeOS's file system and device API (test/includeos_fs.py);
   IncludeOS's router, conntrack, NAT and filter chains (test/router.py);
   IncludeOS's HTTP and WebSocket APIs (test/http_api.py,
   test/websocket_api.py).
5. Optionally (--timings) the median boot-to-exit time per machine and
   of disk boots, and (--repro) that two builds in different folders are
   byte-identical.

Run with the Python that has conan and ziglang installed, e.g.
    .venv/bin/python recipes/ukbase/selftest.py --timings --repro
Exit status 0 when every check passed; the last line reads
"N passed, N failed".
"""
import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

try:
    import tomllib
except ImportError:                      # Python < 3.11
    import tomli as tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "test")
sys.path.insert(0, TESTS)              # the test modules (test/*.py)
sys.dont_write_bytecode = True         # no __pycache__ in the recipe
from expect import check_lines  # noqa: E402  (test/expect.py)

HOST_PROFILE = """[settings]
os=baremetal
arch=x86_64
compiler=clang
compiler.version=22
compiler.libcxx=libc++
compiler.cppstd=17
build_type=Release
"""

MACHINES = {
    "microvm": ["-machine", "microvm"],
    "pc-qboot": ["-machine", "pc", "-bios", "/usr/share/qemu/qboot.rom"],
    "pc": ["-machine", "pc"],
    "q35": ["-machine", "q35"],
    "q35-qboot": ["-machine", "q35", "-bios", "/usr/share/qemu/qboot.rom"],
}

# IncludeOS's panic signature (what vmrunner looks for): NAK, BEL, TAB.
PANIC_SIGNATURE = r"^\x15\x07\t\*\*\*\* PANIC \*\*\*\*$"

HELLO = """#include <iostream>
#include <os>

int main(){
  std::cout << "Hello world\\n";
  os::shutdown();
}
"""


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("  ok    " + what)
        else:
            self.failed += 1
            print("  FAIL  " + what + (("\n" + detail) if detail else ""))
        return ok


def find_conan(arg):
    if arg:
        return arg
    cand = os.path.join(os.path.dirname(sys.executable), "conan")
    if os.path.exists(cand):
        return cand
    found = shutil.which("conan")
    if not found:
        sys.exit("conan not found: pass --conan")
    return found


def find_zig(arg):
    if arg:
        return arg
    try:
        import ziglang
        return os.path.join(os.path.dirname(ziglang.__file__), "zig")
    except ImportError:
        sys.exit("ziglang not importable: run with the venv's python or pass --zig")


def run(cmd, verbose=False, **kw):
    if verbose:
        print("  $ " + " ".join(shlex.quote(c) for c in cmd))
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        sys.stdout.write(res.stdout + res.stderr)
        raise SystemExit("command failed: " + " ".join(cmd))
    if res.stderr.strip():
        sys.stdout.write(res.stderr)
    return res


# ---------------------------------------------------------------------------
# conan
# ---------------------------------------------------------------------------

def conan_create(conan, work, verbose):
    env = dict(os.environ)
    env.setdefault("CONAN_HOME", os.path.join(work, "conan-home"))
    home = env["CONAN_HOME"]
    os.makedirs(home, exist_ok=True)
    if not os.path.exists(os.path.join(home, "profiles", "default")):
        subprocess.run([conan, "profile", "detect"], env=env, capture_output=True, check=True)
    # Offline: local recipes only.
    subprocess.run([conan, "remote", "disable", "*"], env=env, capture_output=True)
    host = os.path.join(work, "ukbase-host.profile")
    with open(host, "w") as f:
        f.write(HOST_PROFILE)
    cmd = [conan, "create", HERE, "-pr:h", host, "-pr:b", "default",
           "--build=missing", "--format=json"]
    print("conan create (CONAN_HOME=%s)" % home)
    t0 = time.monotonic()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    took = time.monotonic() - t0
    if res.returncode != 0:
        sys.stdout.write(res.stderr[-6000:])
        raise SystemExit("conan create failed")
    if verbose:
        sys.stdout.write(res.stderr)
    graph = json.loads(res.stdout)
    for node in graph["graph"]["nodes"].values():
        if node.get("name") == "ukbase" and node.get("package_folder"):
            print("  package folder %s (%.1f s)" % (node["package_folder"], took))
            return node["package_folder"], took
    raise SystemExit("no package folder in conan's output")


# ---------------------------------------------------------------------------
# Building a service the way platform.toml says
# ---------------------------------------------------------------------------

class Platform:
    def __init__(self, prefix, zig):
        self.prefix = prefix
        self.zig = zig
        with open(os.path.join(prefix, "platform.toml"), "rb") as f:
            self.toml = tomllib.load(f)
        assert self.toml["format"] == 1

    def expand(self, words, **extra):
        objcopy = " ".join(self.toml["toolchain"]["objcopy"])
        out = []
        for w in words:
            w = (w.replace("{zig}", self.zig).replace("{prefix}", self.prefix)
                  .replace("{objcopy}", objcopy))
            for k, v in extra.items():
                w = w.replace("{%s}" % k, v)
            out.append(w)
        return out

    def tool(self, name):
        return self.expand(self.toml["toolchain"][name])

    def compile_cmd(self, src, obj, build_type="Release", defines=(), std="c++17"):
        c = self.toml["compile"]
        ext = os.path.splitext(src)[1]
        if ext == ".c":
            cmd, lang = self.tool("cc"), c["c"]
        elif ext in (".S", ".asm"):
            cmd, lang = self.tool("cc"), c["asm"]
        else:
            cmd, lang = self.tool("cxx"), c["cxx"] + ["-std=" + std]
        cmd = cmd + self.expand(c["flags"]) + self.expand(lang)
        for d in c["include_dirs"]:
            cmd += ["-isystem", os.path.join(self.prefix, d)]
        cmd += self.expand(c["release"] if build_type == "Release" else c["debug"])
        cmd += ["-D%s" % d for d in defines]
        return cmd + ["-c", src, "-o", obj]

    def link_cmd(self, elf, objects, stdout=("default_stdout",), drivers=(), plugins=()):
        l = self.toml["link"]
        p = self.prefix
        whole = ([os.path.join(p, l["stdout_dir"], "lib%s.a" % n) for n in stdout]
                 + [os.path.join(p, l["drivers_dir"], "lib%s.a" % n) for n in drivers]
                 + [os.path.join(p, l["plugins_dir"], "lib%s.a" % n) for n in plugins])
        cmd = self.tool("ld") + self.expand(l["flags"])
        cmd += ["-T", os.path.join(p, l["script"]), "-o", elf] + list(objects)
        if whole:
            cmd += ["--whole-archive"] + whole + ["--no-whole-archive"]
        cmd += ["--start-group"] + [os.path.join(p, x) for x in l["libs"]] + ["--end-group"]
        return cmd

    def kernel_cmd(self, elf, kernel):
        return self.expand(self.toml["kernel"]["command"], elf=elf, kernel=kernel)

    def build_service(self, name, description, sources, outdir, verbose=False,
                      build_type="Release", data_objects=(), drivers=(), plugins=()):
        os.makedirs(outdir, exist_ok=True)
        objs = []
        info = os.path.join(self.prefix, self.toml["link"]["service_info"])
        sn = os.path.join(outdir, "service_name.o")
        run(self.compile_cmd(info, sn, build_type, defines=['SERVICE="%s"' % name,
                                                            'SERVICE_NAME="%s"' % description]),
            verbose)
        for s in sources:
            o = os.path.join(outdir, os.path.basename(s) + ".o")
            run(self.compile_cmd(s, o, build_type), verbose)
            objs.append(o)
        elf = os.path.join(outdir, name + ".elf.bin")
        kernel = os.path.join(outdir, name + ".kernel")
        # Like ukbuild: memdisk.o and config.o after the service's objects.
        run(self.link_cmd(elf, [sn] + objs + list(data_objects), drivers=drivers, plugins=plugins),
            verbose)
        run(self.kernel_cmd(elf, kernel), verbose)
        return kernel


# ---------------------------------------------------------------------------
# Booting
# ---------------------------------------------------------------------------

def boot(kernel, machine, append="", timeout=30, memory=128, extra=()):
    """Boot `kernel` (None: boot from the disks in `extra`), wait for QEMU
    to exit; (status or None on timeout, serial output, seconds)."""
    cmd = (["qemu-system-x86_64", "-accel", "tcg"] + MACHINES[machine]
           + ["-m", str(memory), "-nographic", "-no-reboot"])
    if kernel:
        cmd += ["-kernel", kernel]
    if append:
        cmd += ["-append", append]
    cmd += list(extra)
    t0 = time.monotonic()
    try:
        res = subprocess.run(cmd, capture_output=True, timeout=timeout)
        status = res.returncode
        out = res.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        status = None
        out = (e.stdout or b"").decode(errors="replace")
    took = time.monotonic() - t0
    # SeaBIOS paints the screen first; keep the lines.
    out = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1bc", "", out)
    return status, out, took


def check_run(r, platform, kernel, machine, append, patterns, label,
              expect_panic=False, forbid=(), extra=(), memory=128):
    status, out, took = boot(kernel, machine, append, extra=extra, memory=memory)
    detail = "---- serial (%s) ----\n%s\n----" % (label, out)
    ok = r.check(status == 0, "%s on %s: QEMU exited by itself with 0 (%.0f ms)"
                 % (label, machine, took * 1000), detail)
    ok &= check_lines(r, out, patterns, "%s on %s: serial lines" % (label, machine), detail)
    panic = re.search(platform.toml["serial"]["panic"], out) is not None
    ok &= r.check(panic == expect_panic, "%s on %s: %s" % (
        label, machine, "PANIC reported" if expect_panic else "no PANIC"), detail)
    for f in forbid:
        ok &= r.check(not re.search(f, out), "%s on %s: no %r" % (label, machine, f), detail)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--conan")
    ap.add_argument("--zig")
    ap.add_argument("--work", help="scratch folder (default: a new temporary one)")
    ap.add_argument("--package", help="skip conan create, use this package folder")
    ap.add_argument("--machines", default="microvm,pc-qboot",
                    help="comma list of %s" % ",".join(MACHINES))
    ap.add_argument("--timings", action="store_true",
                    help="median of 5 boot-to-exit times of hello on every machine")
    ap.add_argument("--repro", action="store_true",
                    help="build the package twice in different folders and compare")
    ap.add_argument("--no-devices", action="store_true",
                    help="skip the disk, file system, network and disk-boot tests")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    work = a.work or tempfile.mkdtemp(prefix="ukbase-selftest.")
    os.makedirs(work, exist_ok=True)
    zig = find_zig(a.zig)
    r = Results()

    if a.package:
        pkg, create_s = a.package, None
    else:
        pkg, create_s = conan_create(find_conan(a.conan), work, a.verbose)
    plat = Platform(pkg, zig)
    s = plat.toml["serial"]

    print("building test services against %s" % pkg)
    hello_src = os.path.join(work, "hello", "main.cpp")
    os.makedirs(os.path.dirname(hello_src), exist_ok=True)
    with open(hello_src, "w") as f:
        f.write(HELLO)
    hello = plat.build_service("hello", "Hello world - OS included", [hello_src],
                               os.path.join(work, "hello", "build"), verbose=True)
    features = plat.build_service("features", "ukbase features test",
                                  [os.path.join(TESTS, "features.cpp")],
                                  os.path.join(work, "features"), a.verbose)
    timers = plat.build_service("timers", "ukbase timers test",
                                [os.path.join(TESTS, "timers.cpp")],
                                os.path.join(work, "timers"), a.verbose)
    features_debug = plat.build_service("features", "ukbase features test",
                                        [os.path.join(TESTS, "features.cpp")],
                                        os.path.join(work, "features-debug"), a.verbose,
                                        build_type="Debug")
    cprog = plat.build_service("cprog", "ukbase C test",
                               [os.path.join(TESTS, "cprog.c")],
                               os.path.join(work, "cprog"), a.verbose)
    print("  hello kernel: %d bytes" % os.path.getsize(hello))

    exit_lines = lambda n: [s["returned"].replace(r"(?P<status>-?\d+)", str(n)),
                            s["exited"].replace(r"(?P<status>-?\d+)", str(n)),
                            s["stopping"], s["poweroff"]]
    feature_checks = ["global constructor before main", "iostream", "stderr", "string",
                      "vector/map", "exception caught", "dynamic_cast/RTTI",
                      "thread_local", "printf", r"ostringstream/float",
                      r"steady_clock \+ sleep_for", "os::nanos_since_boot",
                      r"realtime clock \(RTC\)", "large allocations", "calloc zeroed",
                      "signal dispositions and raise"]

    for m in a.machines.split(","):
        print("booting on %s" % m)
        check_run(r, plat, hello, m, "", [
            s["running"].replace("(?P<name>.*)", re.escape("Hello world - OS included")),
            "^Hello world$"] + exit_lines(0), "hello")
        check_run(r, plat, features, m, "one two  three", [
            r"\[test\] global constructor ran", s["running"]]
            + [r"\[test\] %s ok" % c for c in feature_checks]
            + [r"\[test\] argc=4 argv0=features cmdline='one two  three'",
               r"\[test\] all checks passed", s["returned"].replace(r"(?P<status>-?\d+)", "0"),
               r"\[test\] global destructor ran", s["exited"].replace(r"(?P<status>-?\d+)", "0"),
               s["stopping"], s["poweroff"]], "features",
            forbid=[r"unimplemented system call"])
        check_run(r, plat, timers, m, "", [
            s["running"], r"\[test\] oneshot fired after 2\d ms",
            r"\[test\] periodic stopped after 6 ticks",
            r"\[test\] shutting down, 0 timers active", s["stopping"],
            r"\[test\] Service::stop ran", s["poweroff"]], "timers",
            forbid=[s["returned"], s["exited"]])
        check_run(r, plat, cprog, m, "c-args", [
            r"\[test\] C: 2 args, sqrt\(2\)=1\.414214, qsort ok", "c-args"] + exit_lines(5),
            "C program")

    m = a.machines.split(",")[0]
    print("Debug build (-O0 -g, same package), on %s" % m)
    check_run(r, plat, features_debug, m, "", [r"\[test\] %s ok" % c for c in feature_checks]
              + [r"\[test\] all checks passed"] + exit_lines(0), "features (Debug)",
              forbid=[r"unimplemented system call"])
    print("ways out, on %s" % m)
    check_run(r, plat, features, m, "status 3", [
        s["returned"].replace(r"(?P<status>-?\d+)", "3"), r"\[test\] unflushed at return",
        r"\[test\] global destructor ran", r"\[test\] last words, flushed by exit\(\)$",
        "^" + s["exited"].replace(r"(?P<status>-?\d+)", "3"),
        s["stopping"], s["poweroff"]], "main returns 3")
    check_run(r, plat, features, m, "exit 7", [
        r"\[test\] global destructor ran", s["exited"].replace(r"(?P<status>-?\d+)", "7"),
        s["stopping"], s["poweroff"]], "exit(7)", forbid=[s["returned"]])
    check_run(r, plat, features, m, "syscall", [
        r"^\[ syscall \] unimplemented system call 68 \(msgget\)$",
        r"\[test\] msgget: -1 -1, ENOSYS: yes"] + exit_lines(0), "unknown system call",
        forbid=[r"(?s)system call 68.*system call 68"])
    check_run(r, plat, features, m, "uncaught", [
        re.escape("libc++abi: terminating due to uncaught exception of type "
                  "std::runtime_error: nobody catches this"),
        PANIC_SIGNATURE, r"^CPU: 0, Reason: abort\(\)$", "\x04"], "uncaught exception",
        expect_panic=True, forbid=[s["poweroff"]])
    check_run(r, plat, features, m, "nullptr", [
        r"^Page Fault \(14\)   EIP  0x[0-9a-f]+   CODE 0$",
        r"^  Page not present, trying to access 0x0$",
        PANIC_SIGNATURE, r"^CPU: 0, Reason: Page Fault \(14\)$"], "null dereference",
        expect_panic=True)

    import kernel_api
    kernel_api.run(r, plat, work, kernel_api.build(plat, work, a.verbose), check_run, m, MACHINES[m])
    import threads
    threads.run(r, plat, threads.build(plat, work, a.verbose), boot, m)
    import hardening
    hardening.run(r, plat, hardening.build(plat, work, a.verbose), check_run, m)

    boot_times = None
    if not a.no_devices:
        import devices
        objcopy = plat.tool("objcopy")[0]
        built = devices.run_files_tests(r, plat, work, check_run, objcopy, a.verbose)
        if built:
            devices.run_net_tests(r, plat, built["net"])
            devices.run_l2_tests(r, plat, built["net"], built["fat16"])
            import sockets
            sockets.run(r, sockets.build(plat, work, objcopy, a.verbose), check_run)
            import includeos_fs
            includeos_fs.run(r, plat, work, boot, devices.embed, objcopy, a.verbose)
            import http_api
            http_api.run(r, plat, http_api.build(plat, work, a.verbose), work)
            import websocket_api
            websocket_api.run(r, plat, websocket_api.build(plat, work, a.verbose))
            import router
            router.run(r, plat, router.build(plat, work, a.verbose))
            boot_times = devices.run_disk_boot_tests(r, plat, work, features, check_run, boot,
                                                     a.timings, built["files"], built["fat16"])

    if a.timings:
        if boot_times:
            print("boot-to-exit of the features test, median of 5 (QEMU start to exit, TCG)")
            for label, times in boot_times.items():
                if len(times) < 5:
                    r.check(False, "timing runs of %s" % label)
                    continue
                print("  %-28s %6.0f ms   (runs: %s)" % (
                    label, statistics.median(times), " ".join("%.0f" % t for t in times)))
        print("boot-to-exit of hello, median of 5 (QEMU start to exit, TCG)")
        for m in MACHINES:
            times = []
            for _ in range(5):
                status, out, took = boot(hello, m)
                if status != 0 or "Powering off" not in out:
                    r.check(False, "timing run on %s" % m, out)
                    break
                times.append(took * 1000)
            if times:
                print("  %-10s %6.0f ms   (runs: %s)" % (
                    m, statistics.median(times), " ".join("%.0f" % t for t in times)))

    if a.repro:
        print("reproducibility: two builds in different folders")
        outs = []
        for d in ("repro-a", "repro-b/deeper"):
            b = os.path.join(work, d)
            run([sys.executable, os.path.join(HERE, "tools", "build.py"), "--zig", zig,
                 "--build", os.path.join(b, "build"), "--stage", os.path.join(b, "stage")])
            outs.append(os.path.join(b, "stage"))
        res = subprocess.run(["diff", "-r", "-q", outs[0], outs[1]], capture_output=True, text=True)
        r.check(res.returncode == 0, "package trees byte-identical", res.stdout[-3000:])
        res = subprocess.run(["diff", "-r", "-q", outs[0], pkg], capture_output=True, text=True)
        extra = [l for l in res.stdout.splitlines() if "conaninfo" not in l and "conanmanifest" not in l]
        r.check(not extra, "identical to the conan package", "\n".join(extra))
        k2 = Platform(outs[1], zig).build_service(
            "hello", "Hello world - OS included", [hello_src], os.path.join(work, "hello2"))
        r.check(open(k2, "rb").read() == open(hello, "rb").read(),
                "hello kernel identical when built elsewhere")

    if create_s is not None:
        print("conan create took %.1f s" % create_s)
    print("work folder: %s" % work)
    print("%d passed, %d failed" % (r.passed, r.failed))
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
