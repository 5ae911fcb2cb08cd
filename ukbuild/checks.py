"""Judging one boot's serial output against ``[test]``: vmrunner's rules.

A ``SerialWatch`` is fed the serial lines as they arrive. It knows, line
by line, whether the test is already decided (a ``fail`` line, a count
exceeded, the ``success`` line) and, once QEMU has exited or been
stopped, ``verdict`` gives IncludeOS vmrunner's status and a one-line
reason. The serial lines that mean something to the harness (running,
the service's status, power-off, panic) are the platform's ``[serial]``
rules; nothing here knows a platform. No processes, no I/O: the harness
(``ukbuild.harness``) runs QEMU and feeds the lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import TestSpec

PASS, TIMEOUT, PANIC, EXPECT_FAILED, BOOT_FAILED, PARSE_ERROR = 0, 66, 67, 68, 72, 73
MEANING = {
    PASS: "passed",
    TIMEOUT: "timed out",
    PANIC: "the service panicked",
    EXPECT_FAILED: "an expectation failed",
    BOOT_FAILED: "the boot failed",
    PARSE_ERROR: "the descriptor is invalid",
}

DEFAULT_SERIAL = {
    "running": r" \+--> Running \[ (?P<name>.*) \]",
    "returned": r"\[ main \] returned with status (?P<status>-?\d+)",
    "exited": r"Service exited with status (?P<status>-?\d+)",
    "stopping": r"\[ Kernel \] Stopping service",
    "poweroff": r"\[ Kernel \] Powering off",
    "panic": r"PANIC",
    "refused": r"connection to port (?P<port>\d+) refused",
}


@dataclass
class SerialWatch:
    """What the serial lines of one boot said, line by line.

    ``done`` becomes true when the test may end before the guest does: the
    ``success`` line came after every ``expect`` line, or (with no
    ``success`` given) every ``count`` reached its number. ``failure``
    is set the moment a line decides that the test failed."""

    rules: dict
    test: TestSpec = field(default_factory=TestSpec)
    forwards: dict = field(default_factory=dict)   # guest TCP port -> what forwards to it
    matched: int = 0
    running: bool = False
    status: int | None = None
    poweroff: bool = False
    panic: str | None = None
    success: str | None = None     # the line that matched [test] success
    failure: str | None = None     # why the test failed, once a line decided it
    done: bool = False
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self):
        merged = {**DEFAULT_SERIAL, **self.rules}
        self.patterns = {k: re.compile(v) for k, v in merged.items()}
        self.expect_re = [re.compile(e) for e in self.test.expect]
        self.success_re = re.compile(self.test.success) if self.test.success else None
        self.fail_re = [re.compile(f) for f in self.test.fail]
        self.count_re = [(re.compile(p), n) for p, n in self.test.count]
        self.counts = [0] * len(self.count_re)

    @property
    def expect(self) -> tuple[str, ...]:
        return self.test.expect

    def feed(self, line: str) -> None:
        self.lines.append(line)
        self._expectations(line)
        p = self.patterns
        if p["running"].search(line):
            self.running = True
        for key in ("returned", "exited"):
            m = p[key].search(line)
            if m:
                self.status = int(m.group("status"))
        if p["poweroff"].search(line):
            self.poweroff = True
        if self.panic is None and p["panic"].search(line):
            self.panic = line.strip()
        m = p["refused"].search(line)
        if m and "port" in m.groupdict() and int(m.group("port")) in self.forwards:
            port = int(m.group("port"))
            self.warnings.append(f"{self.forwards[port]}: the guest refused a connection to its "
                                 f"port {port}: nothing listens there")
        if self.failure is None and not self.done:
            self._decide(line)

    def _expectations(self, line: str) -> None:
        """The ``expect`` lines, in order; several may match one line."""
        pos = 0
        while self.matched < len(self.expect_re):
            m = self.expect_re[self.matched].search(line, pos)
            if not m:
                break
            self.matched += 1
            pos = max(m.end(), pos + 1) if m.end() == m.start() else m.end()

    def _decide(self, line: str) -> None:
        for pattern in self.fail_re:
            if pattern.search(line):
                self.failure = (f"the line {line.strip()!r} matches [test] fail "
                                f"{pattern.pattern!r}")
                return
        for i, (pattern, wanted) in enumerate(self.count_re):
            if pattern.search(line):
                self.counts[i] += 1
                if self.counts[i] > wanted:
                    self.failure = (f"{self.counts[i]} lines match [test] count "
                                    f"{pattern.pattern!r}, expected {wanted}")
                    return
        if self.success_re is not None and self.success_re.search(line):
            if not self.all_matched:
                self.failure = (f"the success line {line.strip()!r} came before "
                                f"{self.pending()!r} (expected before it)")
                return
            self.success = line.strip()
            self.done = True
        elif (self.success_re is None and self.count_re and self.counts_met
              and any(n for _, n in self.count_re) and self.all_matched
              and (self.panic is not None or self.test.panic != "expected")):
            self.done = True

    @property
    def all_matched(self) -> bool:
        return self.matched == len(self.expect_re)

    @property
    def counts_met(self) -> bool:
        return all(seen == wanted for seen, (_, wanted) in zip(self.counts, self.count_re))

    def pending(self) -> str:
        return self.expect[self.matched] if not self.all_matched else ""

    def awaited(self) -> str:
        """What the test was still waiting for, if anything."""
        if not self.all_matched:
            return f"waiting for {self.pending()!r}"
        if self.success_re is not None and self.success is None:
            return f"waiting for the success line {self.test.success!r}"
        if self.test.panic == "expected" and self.panic is None:
            return "waiting for the expected panic"
        problem = self.count_problem()
        return f"waiting for the counts: {problem}" if problem else ""

    def count_problem(self) -> str | None:
        for seen, (pattern, wanted) in zip(self.counts, self.count_re):
            if seen != wanted:
                lines = "line matches" if seen == 1 else "lines match"
                return f"{seen} {lines} [test] count {pattern.pattern!r}, expected {wanted}"
        return None


def verdict(watch: SerialWatch, qemu_status: int | None, stderr: str) -> tuple[int, str]:
    """The vmrunner status and a one-line reason, once the boot is over
    (QEMU exited, or was stopped because the test was decided)."""
    test = watch.test
    if watch.failure is not None:
        return EXPECT_FAILED, watch.failure
    if watch.panic is not None and test.panic != "expected":
        return PANIC, f"the service panicked: {watch.panic}"
    decided = watch.success is not None or watch.done   # (a plugin's line may come before Running)
    if not watch.running and not watch.lines:
        reason = stderr.strip().splitlines()[-1] if stderr.strip() else "no serial output"
        return BOOT_FAILED, f"QEMU exited with status {qemu_status} before the service started: {reason}"
    if not watch.running and not decided:
        return BOOT_FAILED, "the kernel never reported ' +--> Running [ ... ]'"
    if not watch.all_matched:
        return EXPECT_FAILED, (f"expected {watch.pending()!r} on serial, not seen "
                               f"(after {watch.matched} of {len(watch.expect)} expectations)")
    if watch.success_re is not None and watch.success is None:
        return EXPECT_FAILED, f"expected a line matching [test] success {test.success!r}, not seen"
    problem = watch.count_problem()
    if problem:
        return EXPECT_FAILED, problem
    if test.panic == "expected":
        if watch.panic is None:
            return EXPECT_FAILED, "expected a panic ([test] panic = 'expected'), none came"
        return PASS, f"the service panicked, as expected: {watch.panic}"
    if watch.status is not None and watch.status != test.exit_status:
        return EXPECT_FAILED, (f"the service reported status {watch.status}, "
                               f"expected {test.exit_status}")
    if watch.success is not None:
        return PASS, f"the success line appeared: {watch.success!r}"
    if watch.done:
        return PASS, "every [test] count was reached"
    if watch.status is None and not watch.poweroff:
        return PANIC, "the guest stopped without powering off (a CPU reset, such as a triple fault)"
    status = watch.status if watch.status is not None else 0   # a clean power-off: 0
    if status != test.exit_status:
        return EXPECT_FAILED, f"the service reported status {status}, expected {test.exit_status}"
    return PASS, f"the service reported status {status}"
