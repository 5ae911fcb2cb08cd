"""[test] network: a test in a private network namespace of its own.

IncludeOS tests talk to their guest over vmrunner's host bridge
(``bridge43``, the host at 10.0.0.1/24), and a test of any service may
want a guest on a bridge with a host address of its own. ``wrap`` runs a
command in a new network namespace (``unshare --net --mount``; as a user, with a
user namespace that maps them to root) in which ``python -m
ukbuild.netns`` first makes each bridge with the host's address on it.
Nothing on the host's own network changes, and everything goes away with
the last process. Inside, QEMU joins a bridge through ukbuild's bridge
helper (``UKBUILD_BRIDGE_HELPER``, which run.sh passes to ``-netdev
bridge``), and ``sudo`` runs its command: the test is root there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

COMPAT_BIN = Path(__file__).resolve().parent / "compat" / "bin"
HELPER = Path(__file__).resolve().parent / "bridge_helper.py"
INSIDE = "UKBUILD_TEST_NETWORK"   # set in the namespace's environment


def wrap(argv: list[str], network: tuple[tuple[str, str], ...]) -> list[str]:
    """``argv``, to be run in a private network with ``network``'s bridges."""
    user = ["--map-root-user"] if os.geteuid() != 0 else []
    return ["unshare", "--net", "--mount", *user, "--", sys.executable, "-m", "ukbuild.netns",
            json.dumps(list(network)), "--", *argv]


def inside() -> bool:
    return bool(os.environ.get(INSIDE))


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"ip {' '.join(args)}: {proc.stderr.strip()}")


def main(argv: list[str]) -> None:
    """In the new namespace: make the bridges, then become the command."""
    network, rest = json.loads(argv[0]), argv[argv.index("--") + 1:]
    # /sys/class/net shows the namespace that mounted /sys: mount it again
    # (in this namespace's own mounts) so that it shows this one
    proc = subprocess.run(["mount", "-t", "sysfs", "sysfs", "/sys"], capture_output=True,
                          text=True)
    if proc.returncode:
        raise SystemExit(f"mount -t sysfs sysfs /sys: {proc.stderr.strip()}")
    _ip("link", "set", "lo", "up")
    for bridge, address in network:
        _ip("link", "add", bridge, "type", "bridge")
        _ip("address", "add", address, "dev", bridge)
        _ip("link", "set", bridge, "up")
    env = dict(os.environ, PATH=f"{COMPAT_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env[INSIDE] = "1"
    env["UKBUILD_BRIDGE_HELPER"] = f"{sys.executable} {HELPER}"
    try:
        os.execvpe(rest[0], rest, env)
    except OSError as err:
        raise SystemExit(f"{rest[0]}: {err.strerror}") from None


if __name__ == "__main__":
    main(sys.argv[1:])
