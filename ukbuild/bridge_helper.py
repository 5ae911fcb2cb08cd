"""A QEMU bridge helper: a tap device on a bridge, handed to QEMU.

QEMU's ``-netdev bridge,br=B,helper=H`` runs ``H --use-vnet --fd=N
--br=B``; the helper makes a tap device, puts it on bridge ``B`` and
sends its descriptor over the Unix socket ``N``. QEMU's own helper reads
its permissions from /etc/qemu/bridge.conf; this one is for a test's
private network namespace (ukbuild.netns), where the test is root and
the bridges are its own.
"""

import fcntl
import os
import socket
import struct
import subprocess
import sys

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000


def main(argv: list[str]) -> int:
    opts = dict(a[2:].split("=", 1) if "=" in a else (a[2:], "") for a in argv)
    if "br" not in opts or "fd" not in opts:
        print("usage: bridge_helper.py [--use-vnet] --br=BRIDGE --fd=UNIXFD", file=sys.stderr)
        return 2
    flags = IFF_TAP | IFF_NO_PI | (IFF_VNET_HDR if "use-vnet" in opts else 0)
    tun = os.open("/dev/net/tun", os.O_RDWR)
    ifr = fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH22x", b"uktap%d", flags))
    name = ifr[:16].split(b"\0", 1)[0].decode()
    for args in (["link", "set", name, "master", opts["br"]], ["link", "set", name, "up"]):
        proc = subprocess.run(["ip", *args], capture_output=True, text=True)
        if proc.returncode:
            print(f"ip {' '.join(args)}: {proc.stderr.strip()}", file=sys.stderr)
            return 1
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=int(opts["fd"])) as sock:
        socket.send_fds(sock, [b"\0"], [tun])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
