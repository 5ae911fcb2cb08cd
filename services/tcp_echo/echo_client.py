"""The host side of tcp_echo's [test], through the port forward to port 7.

Checks, in order: small writes on several connections one after another;
a few MiB written in random chunk sizes while the echo is read (compared
byte for byte); connections at once, each with its own data; a half-close
(shutdown(SHUT_WR) after 1 MiB: all of it still comes back, then the
service closes); a connection left idle, which the service must close;
then "shutdown". Exits non-zero with one line at the first failure.

    UKBUILD_FORWARD_TCP_7=127.0.0.1:17007 python echo_client.py
    python echo_client.py 127.0.0.1:17007
"""

from __future__ import annotations

import os
import random
import socket
import sys
import threading
import time

TIMEOUT = 20.0           # seconds for any one read
IDLE_LIMIT = 4.0         # the service's IDLE_LIMIT (service.cpp)


class Failure(Exception):
    pass


def fail(message: str) -> None:
    raise Failure(message)


def connect(addr) -> socket.socket:
    sock = socket.create_connection(addr, timeout=TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_exactly(sock: socket.socket, n: int, what: str) -> bytes:
    chunks, got = [], 0
    while got < n:
        try:
            data = sock.recv(min(n - got, 1 << 20))
        except socket.timeout:
            fail(f"{what}: {got} of {n} bytes echoed, then nothing for {TIMEOUT:.0f} s")
        if not data:
            fail(f"{what}: the connection closed after {got} of {n} bytes")
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def read_to_eof(sock: socket.socket, what: str, limit: float = TIMEOUT) -> bytes:
    sock.settimeout(limit)
    chunks = []
    while True:
        try:
            data = sock.recv(1 << 20)
        except socket.timeout:
            fail(f"{what}: the service did not close the connection within {limit:.0f} s")
        except ConnectionResetError:
            fail(f"{what}: the connection was reset, not closed")
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def first_difference(a: bytes, b: bytes) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def echo_stream(sock: socket.socket, payload: bytes, rng: random.Random, what: str,
                half_close: bool = False) -> None:
    """Writes `payload` in random chunks from a thread while reading the
    echo here (both directions at once, so neither side's window stalls
    the other), and compares."""
    errors = []

    def writer():
        try:
            pos = 0
            while pos < len(payload):
                n = rng.choice((1, 7, 100, 1460, 4096, 20000, 65536, 200000))
                sock.sendall(payload[pos:pos + n])
                pos += n
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            errors.append(e)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    echo = read_exactly(sock, len(payload), what)
    thread.join(TIMEOUT)
    if errors:
        fail(f"{what}: writing failed: {errors[0]}")
    if echo != payload:
        fail(f"{what}: the echo differs from what was sent at byte {first_difference(echo, payload)}")


def wait_until_echoing(addr, seconds: float) -> None:
    """The forward accepts before the guest does (and before DHCP has given
    it an address): up once a line comes back."""
    deadline = time.monotonic() + seconds
    last = "no attempt"
    while time.monotonic() < deadline:
        try:
            with connect(addr) as sock:
                sock.settimeout(2.0)
                sock.sendall(b"ping\n")
                if read_exactly(sock, 5, "ping") == b"ping\n":
                    return
        except (OSError, Failure) as e:
            last = str(e) or type(e).__name__
        time.sleep(0.2)
    fail(f"nothing echoes at {addr[0]}:{addr[1]} within {seconds:.0f} s ({last})")


def check_small(addr, rng: random.Random) -> None:
    for c in range(5):
        with connect(addr) as sock:
            for size in (1, 2, 10, 100, 1000, 1460, 1461, 3000):
                data = bytes(rng.getrandbits(8) for _ in range(size))
                sock.sendall(data)
                if read_exactly(sock, size, f"connection {c + 1}, {size} bytes") != data:
                    fail(f"connection {c + 1}: the echo of {size} bytes differs")


def check_large(addr, rng: random.Random) -> float:
    payload = rng.randbytes(3 * 1024 * 1024)
    with connect(addr) as sock:
        started = time.monotonic()
        echo_stream(sock, payload, rng, "3 MiB in random chunks")
        seconds = time.monotonic() - started
    return len(payload) / seconds


def check_concurrent(addr, rng: random.Random, count: int = 8) -> None:
    socks = [connect(addr) for _ in range(count)]
    payloads = [rng.randbytes(128 * 1024 + i) for i in range(count)]
    errors = []

    def one(i):
        try:
            echo_stream(socks[i], payloads[i], random.Random(i), f"concurrent connection {i + 1}")
        except (Failure, OSError) as e:
            errors.append(str(e))

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(3 * TIMEOUT)
    for sock in socks:
        sock.close()
    if errors:
        fail(errors[0])
    if any(t.is_alive() for t in threads):
        fail("a concurrent connection never finished")


def check_half_close(addr, rng: random.Random) -> None:
    payload = rng.randbytes(1024 * 1024)
    with connect(addr) as sock:
        echo_stream(sock, payload, rng, "1 MiB then SHUT_WR", half_close=True)
        rest = read_to_eof(sock, "after SHUT_WR")
        if rest:
            fail(f"after SHUT_WR: {len(rest)} bytes more than were sent")


def check_idle(addr) -> None:
    with connect(addr) as sock:
        sock.sendall(b"idle\n")
        read_exactly(sock, 5, "before idling")
        started = time.monotonic()
        rest = read_to_eof(sock, "an idle connection", limit=IDLE_LIMIT + 10)
        waited = time.monotonic() - started
        if rest:
            fail(f"an idle connection: {len(rest)} unexpected bytes")
        if waited < IDLE_LIMIT - 0.5:
            fail(f"an idle connection was closed after {waited:.1f} s, before its {IDLE_LIMIT:.0f} s")
        print(f"echo_client: an idle connection was closed after {waited:.1f} s", flush=True)


def main() -> int:
    where = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("UKBUILD_FORWARD_TCP_7")
    if not where:
        print("echo_client: no address (UKBUILD_FORWARD_TCP_7 or an argument host:port)")
        return 2
    host, port = where.rsplit(":", 1)
    addr = (host, int(port))
    rng = random.Random(7)      # the same data every run
    name = "start"
    try:
        wait_until_echoing(addr, 60)
        name = "small writes"
        check_small(addr, rng)
        name = "large writes"
        rate = check_large(addr, rng)
        print(f"echo_client: 3 MiB echoed intact, {rate / 1e6:.1f} MB/s each way", flush=True)
        name = "concurrent connections"
        check_concurrent(addr, rng)
        name = "half-close"
        check_half_close(addr, rng)
        name = "idle timeout"
        check_idle(addr)
        name = "shutdown"
        with connect(addr) as sock:
            sock.sendall(b"shutdown\n")
            read_to_eof(sock, "shutdown")
        print("echo_client: all checks passed", flush=True)
    except Failure as e:
        print(f"echo_client: {name}: {e}", flush=True)
        return 1
    except OSError as e:
        print(f"echo_client: {name}: {type(e).__name__}: {e}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
