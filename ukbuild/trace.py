"""A log of the work ukbuild really does, for tests and for the curious.

With ``UKBUILD_TRACE=<file>`` in the environment, every tool run (compiler,
linker, conan, qemu-img, QEMU) appends one line ``<kind> <what>`` to that
file. Tests read it to see exactly what a build ran.
"""

from __future__ import annotations

import os


def record(kind: str, what: str) -> None:
    path = os.environ.get("UKBUILD_TRACE")
    if not path:
        return
    line = f"{kind} {what}\n".encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)  # one write of one line: safe from several processes
    finally:
        os.close(fd)
