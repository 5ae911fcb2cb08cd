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
from devices import QBOOT, Guest, embed

HERE = os.path.dirname(os.path.abspath(__file__))


def build(plat, work, objcopy, verbose):
    d = os.path.join(work, "sockets")
    os.makedirs(d, exist_ok=True)
    config = os.path.join(d, "faults-config.json")
    with open(config, "w") as f:
        f.write(faults.CONFIG)
    config_o = embed(objcopy, config, ".config", os.path.join(d, "faults-config.o"))
    print("socket tests: building the POSIX and faulty-link test services")
    return {
        "posix": plat.build_service("posix", "ukbase posix test", [os.path.join(HERE, "posix.cpp")],
                                    os.path.join(d, "posix"), verbose, drivers=["virtionet"]),
        "faults": plat.build_service("faults", "ukbase tcp faults test",
                                     [os.path.join(HERE, "tcp_faults.cpp")], os.path.join(d, "faults"),
                                     verbose, data_objects=[config_o], drivers=["virtionet"]),
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


def run(r, built):
    run_posix_tests(r, built["posix"])
    faults.run(r, built["faults"])
