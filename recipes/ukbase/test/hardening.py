"""A contained guest, tests of ukbase's selftest (selftest.py imports
this): hardening.cpp, with no argument, checks what page protection lets
a service do (run its code, make mmap'd memory read-only, executable and
writable again, use a PROT_NONE mapping made usable, run a thread); with
one, it tries what protection refuses, and each try must end in a panic
that names it: a write to code or read-only data, a call into the heap or
the stack, recursion without bound on the main stack and on a thread's,
a write to memory made read-only, a stack buffer overrun (the stack
protector)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

PANIC = r"^\x15\x07\t\*\*\*\* PANIC \*\*\*\*$"
REFUSED = [
    ("write-code", r"Cause: write to code \(read-only\)",
     r"Reason: Page Fault \(14\): write to code \(read-only\)$"),
    ("write-rodata", r"Cause: write to read-only memory",
     r"Reason: Page Fault \(14\): write to read-only memory$"),
    ("read-only", r"Cause: write to read-only memory",
     r"Reason: Page Fault \(14\): write to read-only memory$"),
    ("exec-heap", r"Instruction fetch failed", r"Reason: Page Fault \(14\): execution of "
     r"non-executable memory$"),
    ("exec-stack", r"Instruction fetch failed", r"Reason: Page Fault \(14\): execution of "
     r"non-executable memory$"),
    ("recurse", r"Page not present", r"Reason: Page Fault \(14\): stack overflow \(the stack's "
     r"guard page\)$"),
    ("thread-recurse", r"Page not present", r"Reason: Page Fault \(14\): stack overflow "
     r"\(the stack's guard page\)$"),
    ("smash", r"copied 60 bytes into 16", r"Reason: Stack protector: canary modified$"),
]


def build(plat, work, verbose):
    print("hardening tests: building hardening.cpp")
    return plat.build_service("hardening", "ukbase hardening test",
                              [os.path.join(HERE, "hardening.cpp")],
                              os.path.join(work, "hardening"), verbose)


def run(r, plat, kernel, check_run, machine):
    s = plat.toml["serial"]
    print("page protection and the stack protector, on %s" % machine)
    check_run(r, plat, kernel, machine, "", [
        r"\[hardening\] ok the service runs its own code",
        r"\[hardening\] ok code written there runs once it is executable",
        r"\[hardening\] ok mprotect makes it writable again",
        r"\[hardening\] ok a PROT_NONE mapping's second page made usable",
        r"\[hardening\] ok mprotect refuses to make the kernel image writable",
        r"\[hardening\] ok a thread runs on its own guarded stack",
        r"\[hardening\] all checks passed",
        s["returned"].replace(r"(?P<status>-?\d+)", "0")], "hardening: what is allowed",
        forbid=[r"\[hardening\] FAIL"])
    for mode, detail, reason in REFUSED:
        check_run(r, plat, kernel, machine, mode, [
            r"\[hardening\] trying: " + mode, detail, PANIC, reason],
            "hardening: " + mode, expect_panic=True,
            forbid=[r"was not stopped", s["returned"]])
