"""Fingerprints of the tools a stage runs (``clang --version``, ...).

A tool's version is part of the inputs of every stage that runs it. Asking
a tool for its version costs a process per build, so the answer is kept in
``.ukbuild/tools.json``, keyed by the executable's path, size and mtime: a
new compiler is noticed, an unchanged one is not asked again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from .fsutil import atomic_write

_memory: dict[str, str] = {}


def _executable(word: str) -> str | None:
    if os.sep in word:
        return word if os.path.exists(word) else None
    return shutil.which(word)


def fingerprint(command: tuple[str, ...] | list[str], cache_dir: Path) -> str:
    """A short digest of what ``command`` prints (e.g. ``zig clang --version``)."""
    if not command:
        return ""
    exe = _executable(command[0])
    if exe is None:
        return f"missing:{command[0]}"
    st = os.stat(exe)
    key = json.dumps([list(command), exe, st.st_size, st.st_mtime_ns])
    if key in _memory:
        return _memory[key]
    cache_file = Path(cache_dir) / "tools.json"
    try:
        cache = json.loads(cache_file.read_text())
    except (FileNotFoundError, ValueError):
        cache = {}
    if key not in cache:
        proc = subprocess.run(list(command), capture_output=True, text=True)
        text = proc.stdout + proc.stderr
        cache[key] = hashlib.sha256(text.encode()).hexdigest()[:16]
        atomic_write(cache_file, json.dumps(cache, indent=0, sort_keys=True))
    _memory[key] = cache[key]
    return cache[key]
