"""[test] network: a test in a private network namespace of its own.

IncludeOS tests talk to their guest over vmrunner's host bridge
(``bridge43``, the host at 10.0.0.1/24), and a test of any service may
want a guest on a bridge with a host address of its own. ``wrap`` runs a
command in a new network namespace (``unshare --net --mount``; as a user, with a
user namespace that maps them to root) in which ``python -m
ukbuild.netns`` makes each bridge with the host's address on it and
runs the command.
Nothing on the host's own network changes, and everything goes away with
the last process. Inside, QEMU joins a bridge through ukbuild's bridge
helper (``UKBUILD_BRIDGE_HELPER``, which run.sh passes to ``-netdev
bridge``), and ``sudo`` runs its command: the test is root there. Each
bridge has a DHCP server (dnsmasq) leasing the upper half of its subnet,
so a guest that asks for an address gets one the test can reach, unless
the entry says ``dhcp = false`` (a guest serves DHCP there itself).
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

COMPAT_BIN = Path(__file__).resolve().parent / "compat" / "bin"
HELPER = Path(__file__).resolve().parent / "bridge_helper.py"
INSIDE = "UKBUILD_TEST_NETWORK"   # set in the namespace's environment


def wrap(argv: list[str], network: tuple[tuple[str, str, bool, tuple[str, ...]], ...]) -> list[str]:
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


def _no_dad(bridge: str) -> None:
    """The bridge's IPv6 link-local address usable at once: no duplicate
    address detection on a network that only the test and its guest are
    on (otherwise a test talking IPv6 to the guest in its first second
    finds the host's address still tentative). Without IPv6, nothing."""
    try:
        with open(f"/proc/sys/net/ipv6/conf/{bridge}/accept_dad", "w") as f:
            f.write("0")
    except OSError:
        pass


def dhcp_range(address: str) -> tuple[str, str, str]:
    """(first, last, netmask): the addresses a bridge's DHCP server leases,
    the upper half of the subnet without the host's (10.0.0.1/24: .128-.254)."""
    iface = ipaddress.IPv4Interface(address)
    hosts = [h for h in iface.network.hosts() if h != iface.ip]
    upper = hosts[len(hosts) // 2:] or hosts
    return str(upper[0]), str(upper[-1]), str(iface.network.netmask)


def serve_dhcp(bridge: str, address: str) -> subprocess.Popen | None:
    """A DHCP server on ``bridge`` (dnsmasq, no DNS), until it is stopped."""
    dnsmasq = shutil.which("dnsmasq")
    if dnsmasq is None:
        print(f"[ukbuild] no DHCP on the test's bridge {bridge}: dnsmasq is not installed "
              "(Debian: dnsmasq-base)", file=sys.stderr)
        return None
    first, last, mask = dhcp_range(address)
    return subprocess.Popen([dnsmasq, "--keep-in-foreground", "--conf-file=/dev/null", "--port=0",
                      "--user=root", "--pid-file=", "--leasefile-ro", "--bind-interfaces",
                      f"--interface={bridge}", "--except-interface=lo",
                      f"--dhcp-range={first},{last},{mask},1h",
                      f"--dhcp-option=option:router,{address.split('/')[0]}", "--log-facility=-",
                      "--quiet-dhcp"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def main(argv: list[str]) -> int:
    """In the new namespace: make the bridges and their DHCP servers, run
    the command, stop the servers; the command's status."""
    network, rest = json.loads(argv[0]), argv[argv.index("--") + 1:]
    # /sys/class/net shows the namespace that mounted /sys: mount it again
    # (in this namespace's own mounts) so that it shows this one
    proc = subprocess.run(["mount", "-t", "sysfs", "sysfs", "/sys"], capture_output=True,
                          text=True)
    if proc.returncode:
        raise SystemExit(f"mount -t sysfs sysfs /sys: {proc.stderr.strip()}")
    _ip("link", "set", "lo", "up")
    servers = []
    for bridge, address, dhcp, *more in network:
        _ip("link", "add", bridge, "type", "bridge")
        _ip("address", "add", address, "dev", bridge)
        _no_dad(bridge)
        for address6 in (more[0] if more else ()):
            _ip("-6", "address", "add", address6, "dev", bridge, "nodad")
        _ip("link", "set", bridge, "up")
        if dhcp:
            servers.append(serve_dhcp(bridge, address))
    env = dict(os.environ, PATH=f"{COMPAT_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env[INSIDE] = "1"
    env["UKBUILD_BRIDGE_HELPER"] = f"{sys.executable} {HELPER}"
    try:
        status = subprocess.call(rest, env=env)
    except OSError as err:
        print(f"{rest[0]}: {err.strerror}", file=sys.stderr)
        status = 127
    finally:
        for server in filter(None, servers):
            server.kill()
            server.wait()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
