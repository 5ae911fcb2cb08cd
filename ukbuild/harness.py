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
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import trace
from .checks import (  # noqa: F401  (the statuses are the harness's too)
    BOOT_FAILED, DEFAULT_SERIAL, EXPECT_FAILED, MEANING, PANIC, PARSE_ERROR, PASS, TIMEOUT,
    SerialWatch, verdict)
from .model import TestSpec

PANIC_GRACE = 5.0   # seconds a panicking guest gets to print and power off
STATUS_GRACE = 2.0  # seconds a guest that reported its status gets to power off


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


def test(run_sh: Path, rules: dict, spec: TestSpec, echo=None, client: Client | None = None,
         forwards: dict | None = None) -> Outcome:
    """Boot headless, check the serial output against ``spec`` ([test]) and
    the client's status, if there is one; vmrunner's status. The boot ends
    when QEMU exits, when a line decides the test (``success``, ``fail``,
    the counts) or at the timeout. ``forwards`` names the port forward
    behind each guest TCP port, so that a connection the guest refuses on
    one is reported against the descriptor."""
    watch = SerialWatch(rules, spec, dict(forwards or {}))
    timeout = spec.timeout
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
            if watch.failure is not None or watch.done:
                break  # decided: no need to wait for the guest
            if watch.panic is not None:
                deadline = min(deadline, now + PANIC_GRACE)
            elif watch.status is not None:
                deadline = min(deadline, now + STATUS_GRACE)
            if now >= deadline:
                timed_out = watch.panic is None and watch.status is None
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
        decided = watch.failure is not None or watch.done
        if not (timed_out or decided) and watch.panic is None and not (client and client.failed()):
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
        what = watch.awaited() or "the service did not power off"
        return Outcome(TIMEOUT, _with_warnings(f"timed out after {timeout:g} s, {what}", watch),
                       watch.lines)
    if client and client.error and watch.panic is None and watch.failure is None:
        return Outcome(EXPECT_FAILED, _with_warnings(client.error, watch), watch.lines)
    status, message = verdict(watch, proc.returncode, stderr)
    return Outcome(status, message if status == PASS else _with_warnings(message, watch), watch.lines)


SCRIPT_LIMIT = 4      # a script may run this many times [test] timeout (at least MIN_SCRIPT)
MIN_SCRIPT = 240.0


def relay(argv: list[str], echo=None, env: dict | None = None, cwd: Path | None = None,
          limit: float | None = None) -> tuple[int, list[str]]:
    """Run ``argv``, its output lines shown through ``echo`` as they come:
    (its status, its lines). After ``limit`` seconds it is stopped (status 66)."""
    try:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=_die_with_parent)
    except OSError as err:
        return BOOT_FAILED, [f"could not start {argv[0]}: {err.strerror}"]
    sink: "queue.Queue" = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, sink), daemon=True).start()
    lines: list[str] = []
    deadline = time.monotonic() + limit if limit else None
    while True:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            _kill(proc)
            return TIMEOUT, lines + [f"stopped after {limit:g} s"]
        try:
            _, raw = sink.get(timeout=wait)
        except queue.Empty:
            continue
        if raw is None:
            break
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        lines.append(line)
        if echo:
            echo(line)
    proc.wait()
    return proc.returncode, lines


def script(run_sh: Path, cmdline: str, env: dict, folder: Path, name: str, timeout: float,
           echo=None) -> Outcome:
    """[test] script: an IncludeOS vmrunner script boots the service (through
    ``run.sh``, whose kernel command line is ``cmdline``, with ukbuild's
    vmrunner) and decides; its status is the test's."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ukbuild-script-") as tmp:
        result = Path(tmp) / "result"
        settings = {"run_sh": str(run_sh), "cmdline": cmdline, "result": str(result)}
        env = dict(env, UKBUILD_VMRUNNER=json.dumps(settings), PYTHONUNBUFFERED="1")
        limit = max(MIN_SCRIPT, SCRIPT_LIMIT * timeout)
        status, lines = relay([sys.executable, name], echo, env=env, cwd=folder, limit=limit)
        said = result.read_text().strip() if result.is_file() else ""
    if status < 0:
        status = 70   # vmrunner's ABORT: the script was killed
    last = said or next((line for line in reversed(lines) if line.strip()), "")
    return Outcome(status, f"{name}: {last}" if last else f"{name} ended with status {status}",
                   lines)


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
