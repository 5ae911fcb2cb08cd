"""Booting a built service and reading its serial output.

``test`` is the headless check behind ``doit test:S`` and ``python -m
ukbuild test S``; its exit statuses are IncludeOS vmrunner's. ``interactive``
is ``doit run:S``: the serial port on the terminal, and the service's own
status as the exit status. Both start QEMU through the service's
``run.sh`` and leave no QEMU process behind.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import trace

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
PANIC_GRACE = 5.0  # seconds a panicking guest gets to print and power off


@dataclass
class SerialWatch:
    """What the serial lines of one boot said, line by line."""

    rules: dict
    expect: tuple[str, ...] = ()
    forwards: dict = field(default_factory=dict)   # guest TCP port -> what forwards to it
    matched: int = 0
    running: bool = False
    status: int | None = None
    poweroff: bool = False
    panic: str | None = None
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self):
        merged = {**DEFAULT_SERIAL, **self.rules}
        self.patterns = {k: re.compile(v) for k, v in merged.items()}
        self.expect_re = [re.compile(e) for e in self.expect]

    def feed(self, line: str) -> None:
        self.lines.append(line)
        pos = 0
        while self.matched < len(self.expect_re):
            m = self.expect_re[self.matched].search(line, pos)
            if not m:
                break
            self.matched += 1
            pos = max(m.end(), pos + 1) if m.end() == m.start() else m.end()
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

    @property
    def all_matched(self) -> bool:
        return self.matched == len(self.expect_re)

    def pending(self) -> str:
        return self.expect[self.matched] if not self.all_matched else ""


@dataclass
class Client:
    """[test] client: a host program started once the service is running,
    to talk to it (through its port forwards, say). Its output is shown
    with the serial output; a non-zero exit status fails the test."""

    argv: list[str]
    env: dict
    cwd: Path
    name: str
    started: bool = False
    error: str | None = None  # why it failed the test, once it has
    proc: subprocess.Popen | None = None
    reader: threading.Thread | None = None
    GRACE = 10.0  # seconds it gets to finish once QEMU has exited

    def start(self, sink: "queue.Queue") -> None:
        """Start it, its output lines going to ``sink``."""
        self.started = True
        trace.record("client", self.name)
        try:
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd,
                                         stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         start_new_session=True, preexec_fn=_die_with_parent)
        except OSError as err:
            self.error = f"could not start the test client {self.name}: {err.strerror}"
            return
        self.reader = threading.Thread(target=_pump, args=(self.proc.stdout, sink, b"client"),
                                       daemon=True)
        self.reader.start()

    def failed(self) -> bool:
        return self.proc is not None and self.proc.poll() not in (None, 0)

    def finish(self, wait: float) -> None:
        """Wait up to ``wait`` seconds, then stop it; ``error`` says if it failed."""
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            _kill(self.proc)
            self.error = self.error or f"the test client {self.name} did not finish"
            return
        finally:
            self.reader.join(timeout=5)
        if self.proc.returncode:
            self.error = self.error or (f"the test client {self.name} exited with status "
                                        f"{self.proc.returncode}")


@dataclass
class Outcome:
    status: int
    message: str
    serial: list[str]


def _die_with_parent() -> None:
    """In the child: be killed when the harness dies, however it dies (the
    signal survives run.sh's exec of QEMU)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _spawn(run_sh: Path, extra_args, stdin) -> subprocess.Popen:
    trace.record("qemu", str(run_sh))
    return subprocess.Popen([str(run_sh), *extra_args], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=_die_with_parent)


def _kill(proc: subprocess.Popen) -> None:
    """Stop QEMU and anything run.sh started, and reap them."""
    if proc.poll() is None:  # not yet reaped: its pid is still its group's id
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def _pump(stream, sink: "queue.Queue", tag: bytes = b"") -> None:
    """Lines of ``stream`` into ``sink`` as (tag, line); (tag, None) at its end."""
    for line in iter(stream.readline, b""):
        sink.put((tag, line))
    sink.put((tag, None))


def _show_tagged(echo, tag: bytes, raw: bytes | None) -> None:
    if echo and raw is not None:
        echo(f"[{tag.decode()}] " + raw.decode("utf-8", errors="replace").rstrip())


def verdict(watch: SerialWatch, qemu_status: int | None, stderr: str,
            expected_status: int) -> tuple[int, str]:
    """The vmrunner status and a one-line reason, once QEMU has exited."""
    if watch.panic is not None:
        return PANIC, f"the service panicked: {watch.panic}"
    if not watch.running and not watch.lines:
        reason = stderr.strip().splitlines()[-1] if stderr.strip() else "no serial output"
        return BOOT_FAILED, f"QEMU exited with status {qemu_status} before the service started: {reason}"
    if not watch.running:
        return BOOT_FAILED, "the kernel never reported ' +--> Running [ ... ]'"
    if not watch.all_matched:
        return EXPECT_FAILED, (f"expected {watch.pending()!r} on serial, not seen "
                               f"(after {watch.matched} of {len(watch.expect)} expectations)")
    if watch.status is None and not watch.poweroff:
        return PANIC, "the guest stopped without powering off (a CPU reset, such as a triple fault)"
    status = watch.status if watch.status is not None else 0
    if status != expected_status:
        return EXPECT_FAILED, f"the service reported status {status}, expected {expected_status}"
    return PASS, f"the service reported status {status}"


def test(run_sh: Path, rules: dict, expect, exit_status: int, timeout: float,
         echo=None, client: Client | None = None, forwards: dict | None = None) -> Outcome:
    """Boot headless, check the serial output (and the client's status,
    if there is one); vmrunner's status. ``forwards`` names the port
    forward behind each guest TCP port, so that a connection the guest
    refuses on one is reported against the descriptor."""
    watch = SerialWatch(rules, tuple(expect), dict(forwards or {}))
    try:
        proc = _spawn(run_sh, [], subprocess.DEVNULL)
    except OSError as err:
        return Outcome(BOOT_FAILED, f"could not start {run_sh}: {err.strerror}", [])
    lines: "queue.Queue" = queue.Queue()
    errors: list[bytes] = []
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    err_reader = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)
    err_reader.start()
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while True:
            now = time.monotonic()
            if watch.panic is not None:
                deadline = min(deadline, now + PANIC_GRACE)
            if now >= deadline:
                timed_out = watch.panic is None
                break
            if client and client.failed():
                break  # no need to wait for the service: the test has failed
            try:
                tag, raw = lines.get(timeout=min(0.5, deadline - now))
            except queue.Empty:
                continue
            if tag:  # the client's output: shown, not matched
                _show_tagged(echo, tag, raw)
                continue
            if raw is None:
                break
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if echo:
                echo(line)
            warned = len(watch.warnings)
            watch.feed(line)
            if echo and len(watch.warnings) > warned:
                echo(f"[ukbuild] {watch.warnings[-1]}")
            if client and watch.running and not client.started:
                client.start(lines)
        if not timed_out and watch.panic is None and not (client and client.failed()):
            try:
                proc.wait(timeout=10)  # the serial port closed: QEMU is exiting
            except subprocess.TimeoutExpired:
                pass
    finally:
        _kill(proc)
        if client:
            ended = watch.panic is None and not timed_out
            client.finish(Client.GRACE if ended else 0)
            while not lines.empty():  # the client's last words
                tag, raw = lines.get()
                if tag:
                    _show_tagged(echo, tag, raw)
    err_reader.join(timeout=5)
    stderr = b"".join(errors).decode("utf-8", errors="replace")
    if timed_out:
        what = (f"waiting for {watch.pending()!r}" if not watch.all_matched
                else "the service did not power off")
        return Outcome(TIMEOUT, _with_warnings(f"timed out after {timeout:g} s, {what}", watch),
                       watch.lines)
    if client and client.error and watch.panic is None:
        return Outcome(EXPECT_FAILED, _with_warnings(client.error, watch), watch.lines)
    status, message = verdict(watch, proc.returncode, stderr, exit_status)
    return Outcome(status, message if status == PASS else _with_warnings(message, watch), watch.lines)


def _with_warnings(message: str, watch: SerialWatch) -> str:
    """A failure's reason, with what the serial lines said about the forwards."""
    return "; ".join([message, *dict.fromkeys(watch.warnings)])


def interactive(run_sh: Path, rules: dict, extra_args=()) -> int:
    """Boot with the serial port on this terminal; return the service's
    status (or 67 after a panic, 72 if QEMU failed to start)."""
    watch = SerialWatch(rules)
    try:
        proc = subprocess.Popen([str(run_sh), *extra_args], stdout=subprocess.PIPE,
                                preexec_fn=_die_with_parent)
    except OSError as err:
        print(f"could not start {run_sh}: {err.strerror}", file=sys.stderr)
        return BOOT_FAILED
    trace.record("qemu", str(run_sh))
    out = sys.stdout.buffer
    pending = b""
    try:
        while True:
            chunk = proc.stdout.read1(4096)
            if not chunk:
                break
            out.write(chunk)
            out.flush()
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                watch.feed(raw.decode("utf-8", errors="replace").rstrip("\r"))
    except KeyboardInterrupt:
        pass
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait()
    if pending:
        watch.feed(pending.decode("utf-8", errors="replace"))
    if watch.panic is not None:
        return PANIC
    if not watch.lines:
        return BOOT_FAILED if proc.returncode else 0
    if watch.status is not None:
        return watch.status & 0xFF if watch.status >= 0 else 1
    return 0 if watch.poweroff else (proc.returncode or 0)
