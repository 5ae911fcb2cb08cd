"""The built-in platform, ukbase, through ukbuild: hosted C++ (iostream,
strings, containers, exceptions, RTTI, thread_local, clocks), C, timers in
the event loop, the ways a service ends, and unknown system calls. The
programs are ukbase's own test programs (recipes/ukbase/test)."""

import json
import re
import shutil

import pytest

from support import REPO, Project

pytestmark = pytest.mark.e2e

TESTS = REPO / "recipes" / "ukbase" / "test"
CHECKS = ["global constructor before main", "iostream", "stderr", "string", "vector/map",
          "exception caught", "dynamic_cast/RTTI", "thread_local", "printf",
          r"ostringstream/float", r"steady_clock \+ sleep_for", "os::nanos_since_boot",
          r"realtime clock \(RTC\)", "large allocations", "calloc zeroed", "signal dispositions and raise"]


def exit_lines(n):
    return [rf"\[ main \] returned with status {n}", rf"^Service exited with status {n}$",
            r"\[ Kernel \] Stopping service", r"\[ Kernel \] Powering off"]


SERVICES = {
    "features": ("features.cpp", "Release", "one two  three", 0,
                 [r"\[test\] global constructor ran", r" \+--> Running \[ ukbase features \]"]
                 + [rf"\[test\] {c} ok" for c in CHECKS]
                 + [r"\[test\] argc=4 argv0=features cmdline='one two  three'",
                    r"\[test\] all checks passed", r"\[ main \] returned with status 0",
                    r"\[test\] global destructor ran", r"Service exited with status 0",
                    r"\[ Kernel \] Stopping service", r"\[ Kernel \] Powering off"]),
    "features-debug": ("features.cpp", "Debug", "", 0,
                       [rf"\[test\] {c} ok" for c in CHECKS] + [r"\[test\] all checks passed"]
                       + exit_lines(0)),
    "status3": ("features.cpp", "Release", "status 3", 3,
                [r"\[ main \] returned with status 3", r"\[test\] unflushed at return",
                 r"\[test\] global destructor ran", r"\[test\] last words, flushed by exit\(\)$",
                 r"^Service exited with status 3$"]),
    "exit7": ("features.cpp", "Release", "exit 7", 7,
              [r"\[test\] global destructor ran", r"^Service exited with status 7$",
               r"\[ Kernel \] Powering off"]),
    "syscall": ("features.cpp", "Release", "syscall", 0,
                [r"^\[ syscall \] unimplemented system call 68 \(msgget\)$",
                 r"\[test\] msgget: -1 -1, ENOSYS: yes"] + exit_lines(0)),
    "uncaught": ("features.cpp", "Release", "uncaught", 0,
                 [r"libc\+\+abi: terminating due to uncaught exception of type "
                  r"std::runtime_error: nobody catches this", r"\*\*\*\* PANIC \*\*\*\*",
                  r"^CPU: 0, Reason: abort\(\)$"]),
    "nullptr": ("features.cpp", "Release", "nullptr", 0,
                [r"^Page Fault \(14\)   EIP  0x[0-9a-f]+   CODE 0$",
                 r"^  Page not present, trying to access 0x0$", r"\*\*\*\* PANIC \*\*\*\*",
                 r"^CPU: 0, Reason: Page Fault \(14\)$"]),
    "timers": ("timers.cpp", "Release", "", 0,
               [r"\[test\] oneshot fired after 2\d ms", r"\[test\] periodic stopped after 6 ticks",
                r"\[test\] shutting down, 0 timers active", r"\[ Kernel \] Stopping service",
                r"\[test\] Service::stop ran", r"\[ Kernel \] Powering off"]),
    "cprog": ("cprog.c", "Release", "c-args", 5,
              [r"\[test\] C: 2 args, sqrt\(2\)=1\.414214, qsort ok", "c-args"] + exit_lines(5)),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("platform"), services=())
    for name, (source, build_type, cmdline, status, expect) in SERVICES.items():
        folder = project.path(f"services/{name}")
        folder.mkdir(parents=True)
        shutil.copy(TESTS / source, folder / source)
        description = "ukbase features" if source == "features.cpp" else f"ukbase {name}"
        (folder / "service.toml").write_text(
            f'[service]\ndescription = "{description}"\n'
            f'[build]\nsources = ["{source}"]\nbuild_type = "{build_type}"\n'
            f"[vm]\ncmdline = {json.dumps(cmdline)}\n"
            f"[test]\nexpect = {json.dumps(expect)}\nexit_status = {status}\ntimeout = 30\n")
    build = project.doit("-n", "2")
    assert build.status == 0, build
    return project


@pytest.mark.parametrize("name, wanted", [
    ("features", 0), ("features-debug", 0), ("status3", 0), ("exit7", 0), ("syscall", 0),
    ("timers", 0), ("cprog", 0), ("uncaught", 67), ("nullptr", 67)])
def test_ukbase_programs(project, name, wanted):
    result = project.ukbuild("test", name)
    assert result.status == wanted, result
    assert "unimplemented system call" not in result.out or name == "syscall", result.out
    assert result.out.count("unimplemented system call") <= 1, "reported once"
    # the expectations, in order (a panic ends the check before they are looked at)
    lines = result.out.splitlines()
    at = 0
    for pattern in SERVICES[name][4]:
        found = next((i for i in range(at, len(lines)) if re.search(pattern, lines[i])), None)
        assert found is not None, f"{pattern!r} not on serial after line {at}:\n{result.out}"
        at = found
    if name == "timers":
        assert "returned with status" not in result.out, "timers has no main()"
