"""doit's dependency database, made safe for daily use.

doit keeps what it knows about each task (file signatures, values) in
memory and writes it when the run ends, so a killed run loses the record of
everything it finished, and the next run redoes it. ukbuild's tasks use
doit's sqlite3 backend in WAL mode and commit each task's record the moment
doit stores it, so a run killed at any point keeps its progress.

One doit at a time works in a project: a second run waits for the first,
saying so. Commands that only read (``list``, ``info``, ``help``) do not
wait, and an interactive boot (``run:S``) lets go of the project before it
starts QEMU, so that one can rebuild while a service runs.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

READ_ONLY_COMMANDS = {"list", "info", "help", "dumpdb", "tabcompletion"}
_LOADER_OPTIONS_WITH_VALUE = {"-f", "--file", "-d", "--dir"}
LAST_KEY = "deps:"  # the last value doit saves for a task that succeeded

_lock_fd: int | None = None


def doit_command(argv) -> str:
    """The doit command a command line runs (doit's default is ``run``)."""
    from doit.doit_cmd import DoitMain

    commands = {cls.get_name() for cls in DoitMain.DOIT_CMDS}
    skip = False
    for word in argv:
        if skip:
            skip = False
            continue
        if word in _LOADER_OPTIONS_WITH_VALUE:
            skip = True
            continue
        if word.startswith("-"):
            continue
        return word if word in commands else "run"
    return "run"


def acquire(lock_path: Path, what: str) -> None:
    """Hold the project's lock; wait, saying so, while another run holds it."""
    global _lock_fd
    if _lock_fd is not None:
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
        print(f"ukbuild: another doit is working in this project ({holder}); waiting for it",
              file=sys.stderr, flush=True)
        fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()}: {what}".encode(), 0)
    _lock_fd = fd


def release() -> None:
    """Let go of the project (an interactive boot does, before QEMU starts)."""
    global _lock_fd
    if _lock_fd is not None:
        os.ftruncate(_lock_fd, 0)
        fcntl.flock(_lock_fd, fcntl.LOCK_UN)
        os.close(_lock_fd)
        _lock_fd = None


def _commit_each_task(dep_manager) -> None:
    from doit.dependency import SqliteDB

    backend = dep_manager.backend
    if not isinstance(backend, SqliteDB) or getattr(backend, "_ukbuild_durable", False):
        return
    backend._conn.execute("PRAGMA journal_mode=WAL")
    backend._conn.execute("PRAGMA synchronous=NORMAL")
    store = dep_manager._set

    def store_and_commit(task_id, dependency, value):
        store(task_id, dependency, value)
        if dependency == LAST_KEY:
            backend._conn.execute("insert or replace into doit values (?,?)",
                                  (task_id, backend.codec.encode(backend._cache[task_id])))
            backend._conn.commit()
            backend._dirty.discard(task_id)

    dep_manager._set = store_and_commit
    backend._ukbuild_durable = True


def attach(root: Path, argv=None) -> None:
    """Called while doit loads ukbuild's tasks: lock the project (unless the
    command only reads) and make the database keep each finished task."""
    from doit import Globals

    argv = sys.argv[1:] if argv is None else argv
    if doit_command(argv) not in READ_ONLY_COMMANDS:
        acquire(Path(root) / ".ukbuild" / "doit.lock", "doit " + " ".join(argv))
    if Globals.dep_manager is not None:
        _commit_each_task(Globals.dep_manager)
