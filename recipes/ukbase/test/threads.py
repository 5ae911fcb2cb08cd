"""Threads, tests of ukbase's selftest (selftest.py imports this):
threads.cpp, pthreads and std::threads cooperative on one CPU as on
IncludeOS. Checked: every check's ok line in order and no FAILED; the
uncaught exception's libc++abi line and the kernel's line naming the
same thread as the test; the service going on to its last lines, the
event loop running a thread after Service::start() returned; and an
abort() in the main thread with another thread alive still panicking."""
import os
import re

from expect import check_lines

HERE = os.path.dirname(os.path.abspath(__file__))

PANIC = r"^\x15\x07\t\*\*\*\* PANIC \*\*\*\*$"
CHECKS = [
    r"sched_yield alone returns at once, the main thread is tid 1",
    r"clone refuses a new process \(ENOSYS\) and threads it cannot make \(EINVAL\)",
    r"a new thread runs at once, pthread_create returns when it yields",
    r"pthread_join returns each thread's result: 1 4 9 16",
    r"sched_yield goes round-robin: ABCABCABC",
    r"a mutex contended by 5 threads: 1000 increments, contended",
    r"a condition variable hands 10 items over in order",
    r"notify_all wakes 4 waiting threads",
    r"the main thread's timed wait times out after 30 ms",
    r"a thread's timed wait times out after 20 ms while main joins it",
    r"thread_local: each thread has its own, initialised",
    r"std::thread with arguments, join",
    r"20 levels of nested pthread_create, sched_yield at each",
    r"gettid\(\) and kernel::get_thread\(\)->tid agree, distinct per thread",
    r"a sleeping main thread and os::block\(\) let a thread run",
    r"a thread blocked in read\(\) lets main run, and reads what main writes",
    r"a descriptor closed while a thread reads it: the read still gets what is written",
    r"8 detached threads end and their stacks and records are freed",
]
UNCAUGHT = re.escape("libc++abi: terminating due to uncaught exception of type "
                     "std::runtime_error: thrown out of a thread")


def build(plat, work, verbose):
    print("threads: building threads.cpp")
    return plat.build_service("threads", "ukbase threads test",
                              [os.path.join(HERE, "threads.cpp")],
                              os.path.join(work, "threads"), verbose)


def run(r, plat, kernel, boot, machine):
    s = plat.toml["serial"]
    print("threads, on %s" % machine)
    status, out, took = boot(kernel, machine)
    detail = "---- serial (threads) ----\n%s\n----" % out
    r.check(status == 0, "threads on %s: QEMU exited by itself with 0 (%.0f ms)"
            % (machine, took * 1000), detail)
    check_lines(r, out, [s["running"]]
                + [r"^\[test\] %s ok$" % c for c in CHECKS]
                + [r"^\[test\] thread (\d+) throws$", "^" + UNCAUGHT + "$",
                   r"^     \[ Kernel \] thread \d+ ended by abort\(\), the service goes on$",
                   r"^\[test\] an exception thrown out of thread \d+ ended only that thread ok$",
                   r"^\[test\] all thread checks done, 0 failed$",
                   r"^\[test\] Service::start returns into the event loop$",
                   r"^\[test\] a thread ran while the main thread is in the event loop$",
                   s["stopping"], r"^\[test\] Service::stop ran$", s["poweroff"]],
                "threads on %s: every check, in order" % machine, detail)
    named = re.search(r"^\[test\] thread (\d+) throws$.*?^     \[ Kernel \] thread (\d+) ended by abort",
                      out, re.M | re.S)
    r.check(named is not None and named.group(1) == named.group(2)
            and re.search(r"^\[test\] an exception thrown out of thread %s ended" % named.group(1),
                          out, re.M) is not None,
            "threads on %s: the kernel's line names the thread that threw" % machine,
            detail + "\nthrower, kernel's line: %r" % (named.groups() if named else None,))
    r.check(not re.search(r"FAILED|unimplemented system call|" + s["panic"], out),
            "threads on %s: no FAILED, no unimplemented system call, no PANIC" % machine, detail)

    status, out, took = boot(kernel, machine, "abort-main")
    detail = "---- serial (threads abort-main) ----\n%s\n----" % out
    check_lines(r, out, [r"^\[test\] aborting in the main thread$", PANIC,
                         r"^CPU: 0, Reason: abort\(\)$", "\x04"],
                "threads on %s: abort() in the main thread, another thread alive, panics" % machine,
                detail)
    r.check(not re.search(r"\[ Kernel \] thread \d+ ended", out),
            "threads on %s: ... and does not end just a thread" % machine, detail)

    status, out, took = boot(kernel, machine, "panic-thread")
    detail = "---- serial (threads panic-thread) ----\n%s\n----" % out
    check_lines(r, out, [r"^\[test\] panicking in thread \d+$", PANIC,
                         r"^CPU: 0, Reason: panic requested in a thread$", r"^\*\*\* Backtrace:$",
                         r"^\[\d+\] 0x[0-9a-f]+ \+ 0x[0-9a-f]+: .*panicking_thread_body",
                         r"^\[\d+\] 0x[0-9a-f]+ \+ 0x[0-9a-f]+: .*panicking_thread\b"],
                "threads on %s: a panic in a thread: its backtrace goes through the thread's "
                "own stack" % machine, detail)
