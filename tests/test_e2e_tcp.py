"""TCP end to end: a guest (tests/data/services/tcp_lab, POSIX sockets and
poll on ukbase) driven from the host through QEMU's user networking and
its port forwards: 64 MiB each way with a CRC-32 match, 100 connections
open at once, a port nothing listens on, resets both ways and a
half-close."""

import os
import re
import socket
import struct
import subprocess
import threading
import time
import zlib

import pytest

from support import Project

pytestmark = pytest.mark.e2e

LAB = "tests/data/services/tcp_lab"
MIB = 1 << 20


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Guest:
    """tcp_lab booted through its run.sh, its serial lines collected."""

    def __init__(self, run_sh):
        self.proc = subprocess.Popen([str(run_sh)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\r\n"))

    def wait_for(self, pattern, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in list(self.lines):
                m = re.search(pattern, line)
                if m:
                    return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return None

    def output(self):
        return "\n".join(self.lines[-60:])

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
        self.proc.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("tcp"), services=(LAB,))
    ports = {}
    for guest in (7, 9, 19, 13, 81, 99):
        host = free_tcp_port()
        project.edit("services/tcp_lab/service.toml", f'"tcp:170{guest:02d}-:{guest}"', f'"tcp:{host}-:{guest}"')
        ports[guest] = host
    built = project.doit("build:tcp_lab")
    assert built.status == 0, built
    guest = Guest(project.path("build/tcp_lab/run.sh"))
    assert guest.wait_for(r"tcp_lab: listening on 7 9 19 13 99"), guest.output()
    guest.ports = ports
    yield guest
    guest.kill()


def connect(lab, port, timeout=120):
    s = socket.create_connection(("127.0.0.1", lab.ports[port]), timeout=timeout)
    s.settimeout(timeout)
    return s


def receive_all(s):
    chunks = []
    while True:
        data = s.recv(1 << 20)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def test_64_mib_to_the_guest_arrive_intact(lab):
    data = os.urandom(64 * MIB)
    s = connect(lab, 9)
    started = time.monotonic()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    line = receive_all(s).decode()
    took = time.monotonic() - started
    s.close()
    assert line == "%d %08x\n" % (len(data), zlib.crc32(data)), (line, lab.output())
    print(f"64 MiB host -> guest in {took:.1f} s ({64 / took:.1f} MiB/s)")


def test_64_mib_from_the_guest_arrive_intact(lab):
    s = connect(lab, 19)
    started = time.monotonic()
    s.sendall(struct.pack("!Q", 64 * MIB))
    data = receive_all(s)
    took = time.monotonic() - started
    s.close()
    assert len(data) == 64 * MIB + 4, (len(data), lab.output())
    assert zlib.crc32(data[:-4]) == struct.unpack("!I", data[-4:])[0], lab.output()
    print(f"64 MiB guest -> host in {took:.1f} s ({64 / took:.1f} MiB/s)")


def test_100_connections_at_once(lab):
    socks = [connect(lab, 7, timeout=60) for _ in range(100)]
    # Every connection is open before any is used.
    messages = [b"connection %03d " % i * (1 + i % 7) for i in range(100)]
    for s, m in zip(socks, messages):
        s.sendall(m)
    for i, (s, m) in enumerate(zip(socks, messages)):
        got = b""
        while len(got) < len(m):
            chunk = s.recv(65536)
            assert chunk, f"connection {i} closed early: {got!r}\n{lab.output()}"
            got += chunk
        assert got == m, f"connection {i}: {got!r}"
    for s in socks:
        s.close()


def test_a_port_nothing_listens_on_refuses(lab):
    s = connect(lab, 81, timeout=20)
    # QEMU accepted on the host side; the guest's RST ends it.
    try:
        data = s.recv(100)
    except ConnectionResetError:
        data = b""
    s.close()
    assert data == b""
    assert lab.wait_for(r"\[ TCP \] eth0: connection to port 81 refused: nothing listens there", 20), \
        lab.output()


def test_the_guest_resets_a_connection(lab):
    s = connect(lab, 13, timeout=20)
    s.sendall(b"reset me\n")
    try:
        data = s.recv(100)
        reset = False
    except ConnectionResetError:
        data, reset = b"", True
    s.close()
    # QEMU's user networking ends the host side when the guest sends a RST;
    # no data may come first.
    assert data == b"" or reset


def test_a_reset_from_the_host_ends_the_guests_connection(lab):
    s = connect(lab, 7, timeout=20)
    s.sendall(b"before the reset")
    assert s.recv(100) == b"before the reset"
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()                                         # a RST
    # The guest drops the connection and goes on serving.
    again = connect(lab, 7, timeout=20)
    again.sendall(b"after")
    assert again.recv(100) == b"after"
    again.close()


def test_a_half_closed_peer_gets_everything_back(lab):
    data = os.urandom(MIB)
    s = connect(lab, 7)
    sender = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
    sender.start()
    echoed = receive_all(s)
    sender.join(60)
    s.close()
    assert echoed == data, (len(echoed), lab.output())


def test_zz_quit_powers_off(lab):
    s = connect(lab, 99, timeout=20)
    s.close()
    m = lab.wait_for(r"tcp_lab: (\d+) connections, (\d+) bytes echoed, (\d+) sunk, (\d+) sourced, (\d+) resets")
    assert m, lab.output()
    assert int(m.group(3)) >= 64 * MIB and int(m.group(4)) >= 64 * MIB, m.group(0)
    assert lab.proc.wait(30) == 0, lab.output()
    assert any("Powering off" in line for line in lab.lines), lab.output()
