"""Writing outputs so that none is ever half-written under its final name."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o22)
    os.umask(mask)
    return mask


# mkstemp makes files only their owner may read; an output gets the
# permissions any new file gets (libvirt's QEMU user must read the disks).
FILE_MODE = 0o666 & ~_umask()


def atomic_write(path: Path, data: bytes | str, mode: int | None = None) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, FILE_MODE if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_if_changed(path: Path, data: bytes | str, mode: int | None = None) -> bool:
    """``atomic_write`` unless the file already holds ``data``; True if
    written. Either way, temporaries of ``path`` that a killed build left
    behind are swept (its outputs have one writer)."""
    path = Path(path)
    remove_leftovers(path)
    raw = data.encode() if isinstance(data, str) else data
    try:
        if path.read_bytes() == raw and (mode is None or (path.stat().st_mode & 0o777) == mode):
            return False
    except FileNotFoundError:
        pass
    atomic_write(path, raw, mode)
    return True


def temporary_sibling(path: Path) -> Path:
    """A fresh name beside ``path`` for a tool to write to before the rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    return Path(tmp)


def scratch_name(path: Path) -> Path:
    """A name beside ``path`` for a tool to write to before the rename,
    not created here: unique to this process and thread (one writer per
    output at a time), and swept by ``remove_leftovers`` if left behind."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")


def remove_leftovers(path: Path) -> None:
    """Delete temporaries that a killed build left behind: those of the file
    ``path``, or, given a folder, all in it. Only for outputs with a single
    writer (builds in one project take turns)."""
    path = Path(path)
    folder, pattern = (path, ".*.tmp") if path.is_dir() else (path.parent, f".{path.name}.*.tmp")
    for tmp in folder.glob(pattern):
        remove(tmp)  # a file, or a tool's private folder


def remove(path: Path) -> None:
    """Delete a file, a link or a whole folder, if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
