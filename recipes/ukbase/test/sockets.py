"""Socket tests of ukbase's selftest (selftest.py imports this): the POSIX
calls and their errno values (posix.cpp, through QEMU user networking to
servers on this host), and TCP through a faulty link to Linux's own TCP
(faults.py, tcp_faults.cpp)."""
import os
import re
import socket
import struct
import threading

import faults
from devices import QBOOT, Guest, embed, free_udp_port

HERE = os.path.dirname(os.path.abspath(__file__))


DHCP_CONFIGS = {
    "dhcp": '{"net": [{"iface": 0, "config": "dhcp"}]}\n',
    "fallback": '{"net": [{"iface": 0, "config": "dhcp-with-fallback", "timeout": 1.5, '
                '"address": "10.9.0.5/16", "gateway": "10.9.0.1"}]}\n',
}
DHCP_MAIN = """#include <cstdio>
int main() { std::printf("[dhcp] main runs once the network is configured\\n"); return 0; }
"""


def build(plat, work, objcopy, verbose):
    d = os.path.join(work, "sockets")
    os.makedirs(d, exist_ok=True)

    def config_object(name, text):
        path = os.path.join(d, name + "-config.json")
        with open(path, "w") as f:
            f.write(text)
        return embed(objcopy, path, ".config", os.path.join(d, name + "-config.o"))

    main = os.path.join(d, "dhcp.cpp")
    with open(main, "w") as f:
        f.write(DHCP_MAIN)
    config_o = config_object("faults", faults.CONFIG)
    print("socket tests: building the POSIX, DHCP and faulty-link test services")
    dhcp = {name: plat.build_service("dhcp-" + name, "ukbase dhcp test", [main],
                                     os.path.join(d, "dhcp-" + name), verbose,
                                     data_objects=[config_object(name, text)], drivers=["virtionet"])
            for name, text in DHCP_CONFIGS.items()}
    return {
        "dhcp": dhcp["dhcp"],
        "fallback": dhcp["fallback"],
        "posix": plat.build_service("posix", "ukbase posix test", [os.path.join(HERE, "posix.cpp")],
                                    os.path.join(d, "posix"), verbose, drivers=["virtionet"]),
        "faults": plat.build_service("faults", "ukbase tcp faults test",
                                     [os.path.join(HERE, "tcp_faults.cpp")], os.path.join(d, "faults"),
                                     verbose, data_objects=[config_o], drivers=["virtionet"]),
        "plat": plat,
    }


class Hello_server(threading.Thread):
    """On 127.0.0.1 (the guest's 10.0.2.2): sends "hello\\n", then reads;
    on "bye" it resets the connection (SO_LINGER 0), on "fin" it closes it."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.sendall(b"hello\n")
            data = b""
            while b"bye" not in data and b"fin" not in data:
                chunk = conn.recv(100)
                if not chunk:
                    break
                data += chunk
            if b"bye" in data:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_posix_tests(r, kernel):
    server = Hello_server()
    server.start()
    print("posix on pc-qboot: descriptors, pipes, eventfd, poll/select/epoll, socket errors, "
          "TCP to the host")
    g = Guest(QBOOT + ["-m", "128", "-kernel", kernel, "-append", "%d %d" % (server.port, closed_port()),
                       "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"])
    status = g.finish(timeout=60)
    server.sock.close()
    lines = [l for l in g.lines if l.startswith("[posix] ")]
    for line in lines:
        m = re.match(r"^\[posix\] (ok|FAIL) (.*)$", line)
        if m:
            r.check(m.group(1) == "ok", "posix: " + m.group(2))
    r.check(status == 0 and "[posix] 0 failed" in lines and len(lines) > 60,
            "posix: every check ran (%d), QEMU exited with 0" % (len(lines) - 1), g.output())


def run_dhcp_tests(r, built, check_run):
    print("dhcp on pc-qboot: from QEMU user networking's server; and with nobody answering")
    check_run(r, built["plat"], built["dhcp"], "pc-qboot", "", [
        r"^     \[ DHCP \] eth0: asking for an address \(10\.0 s timeout\)$",
        r"^     \[ DHCP \] eth0: 10\.0\.2\.15 from 10\.0\.2\.2, lease \d+ s$",
        r"^     \[ Network \] eth0 [0-9a-f:]{17} 10\.0\.2\.15/24 gw 10\.0\.2\.2$",
        r"\[dhcp\] main runs once the network is configured"], "dhcp",
        extra=["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"])
    check_run(r, built["plat"], built["fallback"], "pc-qboot", "", [
        r"^     \[ DHCP \] eth0: asking for an address \(1\.5 s timeout\)$",
        r"^     \[ DHCP \] eth0: no answer: giving up$",
        r"^     \[ Network \] eth0: no DHCP answer: falling back to the static configuration$",
        r"^     \[ Network \] eth0 [0-9a-f:]{17} 10\.9\.0\.5/16 gw 10\.9\.0\.1$",
        r"\[dhcp\] main runs once the network is configured"], "dhcp-with-fallback",
        extra=["-netdev", "socket,id=n0,udp=127.0.0.1:9,localaddr=127.0.0.1:%d" % free_udp_port(),
               "-device", "virtio-net-pci,netdev=n0"])


def run(r, built, check_run):
    run_dhcp_tests(r, built, check_run)
    run_posix_tests(r, built["posix"])
    faults.run(r, built["faults"])
