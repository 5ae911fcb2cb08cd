"""IncludeOS's kernel-level API, tests of ukbase's selftest (selftest.py
imports this): kernel_api.cpp, linked with the example and field_medic
plugins and the boot_logger and ip4_reassembly drivers, checked for the
lines IncludeOS's own tests look for: plugins before the service's
constructors, kprintf's formats, uname and sysconf, multiboot modules
(two -initrd modules), backtraces with function names, a divide-by-zero
(the CPU exception report and its __cpu_exception frame), a failed
Expects, on_panic and the panic actions, os::reboot, and a COM1 reader
fed through QEMU's serial console."""
import os
import re
import select
import subprocess
import time

from expect import check_lines

HERE = os.path.dirname(os.path.abspath(__file__))

# IncludeOS's panic signature: NAK, BEL, TAB.
PANIC = r"^\x15\x07\t\*\*\*\* PANIC \*\*\*\*$"
FRAME = r"^\[\d+\] 0x[0-9a-f]{16} \+ 0x[0-9a-f]{3,}: "
CHECKS = ["booted before the service's constructors", "plugins ran before the service's constructors",
          "a plugin registered late runs at once", "panic action is shutdown", "uname",
          r"uname\(nullptr\) EFAULT", "sysconf", "getrandom", "os::halt and cycles_since_boot",
          "os::block and its level", "BufferStore and Packet", "total_memuse", "Expects, Ensures, LIKELY",
          "vmmap: the kernel's ranges", "vmmap: an overlapping range is refused",
          "os::mem::map: a second mapping of heap memory",
          "os::mem::map refuses a range that is mapped"]
KPRINTF = ("[test] kprintf |   42|42   |00042|ff|0xff|FF|10|+7| 7|005|c|str|str|    st|"
           "123456789012|-5|17|0x1234|%|")


def build(plat, work, verbose):
    d = os.path.join(work, "kernel_api")
    print("kernel API tests: building kernel_api.cpp with plugins and drivers")
    return plat.build_service("kernel_api", "ukbase kernel API test",
                              [os.path.join(HERE, "kernel_api.cpp")], d, verbose,
                              drivers=["boot_logger", "ip4_reassembly"],
                              plugins=["autoconf", "example", "field_medic"])


def modules(work):
    d = os.path.join(work, "kernel_api")
    first, second = os.path.join(d, "first.txt"), os.path.join(d, "second.json")
    with open(first, "w") as f:
        f.write("first module line\nsecond line\n")
    with open(second, "w") as f:
        f.write('{"module": "JSON data"}\n')
    return first, second


def serial_run(kernel, machine_args, lines, timeout=30):
    """Boot `kernel` with "serial", write `lines` to QEMU's serial input once
    the guest is ready for them; (QEMU's status or None, output)."""
    cmd = (["qemu-system-x86_64", "-accel", "tcg"] + machine_args
           + ["-m", "128", "-nographic", "-no-reboot", "-kernel", kernel, "-append", "serial"])
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out, sent, deadline = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([p.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
            if not sent and b"[test] serial reader ready" in out:
                p.stdin.write(lines)
                p.stdin.flush()
                sent = True
        status = p.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        status = None
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return status, out.decode(errors="replace")


def run(r, plat, work, kernel, check_run, machine, machine_args):
    first, second = modules(work)
    s = plat.toml["serial"]
    exit_ok = [s["returned"].replace(r"(?P<status>-?\d+)", "0"),
               s["exited"].replace(r"(?P<status>-?\d+)", "0"), s["stopping"], s["poweroff"]]
    print("kernel API, on %s" % machine)
    check_run(r, plat, kernel, machine, "", [
        r"^     \[ Kernel \] Registering plugin Example plugin$",
        r"^    \[ Example \] plugin registered$",
        r"^     \[ Kernel \] Registering plugin Field medic$",
        r"^     \[ Kernel \] Initializing plugins$",
        r"^                \* Initializing Example plugin$",
        r"^\[ Example plugin \] initializing$",
        r"^                \* Initializing Field medic$",
        r"^                \[\+\] Stack check$", r"^                \[\+\] TLS check$",
        r"^                \[\+\] Exceptions test$",
        r"^\[ Field medic \] Diagnose complete\. Healthy$",
        s["running"]]
        + [r"^\[test\] %s ok$" % c for c in CHECKS[:4]]
        + ["^" + re.escape(KPRINTF) + "$", r"^\[test\] kprintf long x{600} END$",
           r"^\[test\] kprint ok$", r"^\[test\] __serial_print1 ok$"]
        + [r"^\[test\] %s ok$" % c for c in CHECKS[4:9]]
        + [r"^\[test\] Service::ready, after main started$"]
        + [r"^\[test\] %s ok$" % c for c in CHECKS[9:12]]
        + [r"^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[test\] stamped$",
           r"^\[test\] %s ok$" % CHECKS[12]]
        + [r"^\[test\] %s ok$" % c for c in CHECKS[13:17]]
        + [r"^\[test\] 2 modules$",
           r"^\[test\] module '%s with args' 30 bytes: first module line$" % re.escape(first),
           r"^\[test\] module '%s' 24 bytes: \{\"module\": \"JSON data\"\}$" % re.escape(second),
           r"^\[test\] modules\[1\] is %s$" % re.escape(second),
           r"^\[test\] backtrace:$", r"^$", FRAME + r"backtrace_here\(\)$", FRAME + r"main$",
           FRAME + r"Service::start\(\)$", FRAME + r"kernel_main$", FRAME + r"long_mode$",
           r"^\[test\] all checks done$"] + exit_ok,
        "kernel API", forbid=[r"FAILED", r"unimplemented system call"],
        extra=["-initrd", "%s with args,%s" % (first, second)])

    # kernel/exception's lines: the report, the reason, the frames.
    ok = check_run(r, plat, kernel, machine, "divide", [
        r"^\[test\] dividing by zero$", r"^>>>> !!! CPU 0 EXCEPTION !!! <<<<$",
        r"^Divide-by-zero Error \(0\)   EIP  0x[0-9a-f]+   CODE 0$",
        r"^  RAX:  [0-9a-f]{16}  R 8:  [0-9a-f]{16}$", r"^  RIP:  [0-9a-f]{16}  FLA:  [0-9a-f]{16}$",
        PANIC, r"^CPU: 0, Reason: Divide-by-zero Error \(0\)$", r"^Heap is at: 0x",
        r"^Heap area: \d+ / \d+ Kb", r"^Total memory use: ~\d+% ", r"^\*\*\* Backtrace:$",
        FRAME + r"__cpu_exception$", FRAME + r"interrupt_common$", FRAME + r"divide_by_zero\(int\)$",
        FRAME + r"main$", FRAME + r"Service::start\(\)$", FRAME + r"libc_start_main_stage2$",
        FRAME + r"kernel_main$", FRAME + r"long_mode$",
        r"^     \[ Kernel \] panic after \d+ ms of uptime, powering off$", "\x04"],
        "divide by zero", expect_panic=True, forbid=[s["poweroff"]])
    if ok:
        _, out, _ = boot_again(kernel, machine_args, "divide")
        counts = [len(re.findall(p, out)) for p in
                  (re.escape("\x15\x07\t**** PANIC ****"), "Divide-by-zero Error", "__cpu_exception",
                   re.escape("Service::start()"))]
        r.check(counts == [1, 2, 1, 1], "divide by zero: IncludeOS's kernel/exception counts "
                "(signature 1, 'Divide-by-zero Error' 2, '__cpu_exception' 1, 'Service::start()' 1)",
                "counts: %r" % counts)

    check_run(r, plat, kernel, machine, "expects", [
        r"^\[test\] expecting the impossible$",
        r"kernel_api\.cpp:\d+:main: Expects failed$", PANIC,
        r"^CPU: 0, Reason: Expects failed: argc == 42$", r"^\*\*\* Backtrace:$",
        FRAME + r"os::detail::contract_failed\(", FRAME + r"main$", "\x04"],
        "failed Expects", expect_panic=True)
    check_run(r, plat, kernel, machine, "on_panic", [
        r"^\[test\] panic action ok$", PANIC, r"^CPU: 0, Reason: panicking on purpose$",
        FRAME + r"os::panic\(char const\*\)$", FRAME + r"main$",
        r"^\[test\] on_panic: panicking on purpose$",
        r"^     \[ Kernel \] panic after \d+ ms of uptime, rebooting$", "\x04"],
        "on_panic and the reboot action", expect_panic=True)
    check_run(r, plat, kernel, machine, "reboot", [
        r"^\[test\] rebooting$", r"^     \[ Kernel \] Rebooting$"], "os::reboot",
        forbid=[s["poweroff"]])

    status, out = serial_run(kernel, machine_args, b"hello serial\r" + b"y" * 40 + b"\rquit\r")
    detail = "---- serial ----\n%s\n----" % out
    r.check(status == 0, "COM1 reader: QEMU exited by itself with 0", detail)
    # Each line comes back as typed, its '\r' included (then the service's '\n').
    lines = [r"^\[test\] serial reader ready, 0 timers active$", r"^hello serial\r$",
             r"^\[test\] serial line 'hello serial'$", r"^y{40}\r$", r"^\[test\] serial line 'y{40}'$",
             r"^quit\r$", r"^\[test\] serial line 'quit'$"] + exit_ok
    check_lines(r, out, lines, "COM1 reader: lines echoed and read (on_readline)", detail)


def boot_again(kernel, machine_args, append):
    cmd = (["qemu-system-x86_64", "-accel", "tcg"] + machine_args
           + ["-m", "128", "-nographic", "-no-reboot", "-kernel", kernel, "-append", append])
    res = subprocess.run(cmd, capture_output=True, timeout=30)
    return res.returncode, res.stdout.decode(errors="replace"), None
