"""Checks made before QEMU starts, so that a mistake gets its own clear line
instead of a QEMU error: host ports of forwards must be free (taps and
bridges are checked by run.sh itself)."""

from __future__ import annotations

import socket

from .errors import UkbuildError, display_path
from .model import Service


def port_in_use(proto: str, addr: str, port: int) -> bool:
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        # As QEMU binds it: connections of an earlier run waiting out
        # TIME-WAIT do not make the port busy, a listener does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((addr, port))
        except OSError:
            return True
    return False


def check_forwards(service: Service) -> None:
    for i, net in enumerate(service.vm.nets):
        for j, fwd in enumerate(net.forward):
            if port_in_use(fwd.proto, fwd.host_addr, fwd.host_port):
                raise UkbuildError(
                    f"{display_path(service.descriptor)}: vm.net[{i}].forward[{j}]: "
                    f"{fwd.proto} port {fwd.host_addr}:{fwd.host_port} is already in use "
                    "on this host (another run of the service?)")
