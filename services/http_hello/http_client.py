"""The host side of http_hello's [test]: HTTP/1.1 through the port forward.

Checks, in order: the small pages, keep-alive (many requests on one
connection), pipelining (many requests in one write, answered in order),
a request split across writes, 404 / 405 / 400, HTTP/1.0 and
Connection: close, twenty connections open at once, /big byte for byte
against memdisk/big.txt (and its X-Content-CRC32), an upload, /stats, and
finally /shutdown. Exits non-zero with one line at the first failure.

    UKBUILD_FORWARD_TCP_80=127.0.0.1:8080 python http_client.py
    python http_client.py 127.0.0.1:8080     # the same, e.g. against the host build
"""

from __future__ import annotations

import os
import socket
import sys
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT = 20.0          # seconds for any one read; TCG is slow, not that slow


class Failure(Exception):
    pass


def fail(message: str) -> None:
    raise Failure(message)


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def __repr__(self) -> str:
        return f"<{self.status} {len(self.body)} bytes>"


class Conn:
    """One TCP connection, with a reader that splits responses by
    Content-Length (every response of http_hello has one)."""

    def __init__(self, addr: tuple[str, int]):
        self.sock = socket.create_connection(addr, timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(256 * 1024)
        self.buf += data
        return bool(data)

    def read_response(self, head: bool = False) -> Response:
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                fail(f"the connection closed before a whole response header ({len(self.buf)} bytes)")
        header, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = header.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            fail(f"not an HTTP status line: {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" not in headers:
            fail(f"a response without Content-Length: {lines[0]!r}")
        length = 0 if head else int(headers["content-length"])
        while len(self.buf) < length:
            if not self._fill():
                fail(f"the connection closed {length - len(self.buf)} bytes short of the body")
        body, self.buf = self.buf[:length], self.buf[length:]
        return Response(int(parts[1]), headers, body)

    def closed_by_peer(self) -> bool:
        """True when the server closes the connection (nothing more comes)."""
        if self.buf:
            return False
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


def request(method: str, path: str, version: str = "HTTP/1.1", headers: str = "",
            body: bytes = b"") -> bytes:
    text = f"{method} {path} {version}\r\nHost: http_hello\r\n{headers}"
    if body:
        text += f"Content-Length: {len(body)}\r\n"
    return (text + "\r\n").encode() + body


def get(addr, path: str) -> Response:
    conn = Conn(addr)
    try:
        conn.send(request("GET", path))
        return conn.read_response()
    finally:
        conn.close()


def expect(resp: Response, status: int, body: bytes | None = None, what: str = "") -> None:
    if resp.status != status:
        fail(f"{what}: status {resp.status}, expected {status}")
    if body is not None and resp.body != body:
        fail(f"{what}: body {resp.body[:60]!r}, expected {body[:60]!r}")


def stats(addr) -> dict[str, int]:
    resp = get(addr, "/stats")
    expect(resp, 200, what="GET /stats")
    return {k: int(v) for k, v in (line.split() for line in resp.body.decode().splitlines())}


def wait_until_serving(addr, seconds: float) -> None:
    """The forward accepts before the guest does: up once /hello answers."""
    deadline = time.monotonic() + seconds
    last = "no attempt"
    while time.monotonic() < deadline:
        try:
            conn = Conn(addr)
            conn.sock.settimeout(2.0)
            conn.send(request("GET", "/hello"))
            if conn.read_response().status == 200:
                conn.close()
                return
        except (OSError, Failure) as e:
            last = str(e) or type(e).__name__
        time.sleep(0.2)
    fail(f"nothing serves /hello at {addr[0]}:{addr[1]} within {seconds:.0f} s ({last})")


HELLO = b"Hello, world!\n"


def check_pages(addr) -> None:
    resp = get(addr, "/")
    expect(resp, 200, what="GET /")
    if b"<h1>http_hello</h1>" not in resp.body or not resp.headers.get("content-type", "").startswith("text/html"):
        fail("GET /: not the index page")
    expect(get(addr, "/hello"), 200, HELLO, "GET /hello")
    expect(get(addr, "/hello?x=1"), 200, HELLO, "GET /hello?x=1")
    page = (HERE / "memdisk" / "index.html").read_bytes()
    expect(get(addr, "/index.html"), 200, page, "GET /index.html (a memdisk file)")


def check_keep_alive(addr) -> None:
    conn = Conn(addr)
    for i in range(25):
        path = "/hello" if i % 2 == 0 else "/"
        conn.send(request("GET", path))
        resp = conn.read_response()
        expect(resp, 200, HELLO if path == "/hello" else None, f"keep-alive request {i + 1}")
        if resp.headers.get("connection") != "keep-alive":
            fail(f"keep-alive request {i + 1}: Connection: {resp.headers.get('connection')}")
    conn.send(request("HEAD", "/hello"))
    resp = conn.read_response(head=True)
    expect(resp, 200, b"", "HEAD /hello")
    if resp.headers["content-length"] != str(len(HELLO)):
        fail(f"HEAD /hello: Content-Length {resp.headers['content-length']}")
    conn.send(request("GET", "/hello"))
    expect(conn.read_response(), 200, HELLO, "GET after HEAD on the same connection")
    conn.close()


def check_pipelining(addr) -> None:
    plan = [("GET", "/hello", 200), ("GET", "/nothing-here", 404), ("HEAD", "/", 200),
            ("GET", "/", 200), ("DELETE", "/hello", 405)] * 10
    plan.append(("GET", "/hello", 200))
    conn = Conn(addr)
    conn.send(b"".join(request(m, p) for m, p, _ in plan))   # one write, many requests
    for i, (method, path, status) in enumerate(plan):
        resp = conn.read_response(head=method == "HEAD")
        expect(resp, status, HELLO if (method, path) == ("GET", "/hello") else None,
               f"pipelined request {i + 1} ({method} {path})")
    # Pipelined responses larger than the server's output budget: it stops
    # reading until the client reads, and loses nothing.
    conn.send(request("GET", "/big") * 4 + request("GET", "/hello"))
    for i in range(4):
        resp = conn.read_response()
        expect(resp, 200, what=f"pipelined /big {i + 1}")
        if len(resp.body) != int(resp.headers["content-length"]):
            fail(f"pipelined /big {i + 1}: short")
    expect(conn.read_response(), 200, HELLO, "GET /hello after four pipelined /big")
    conn.close()


def check_split_request(addr) -> None:
    conn = Conn(addr)
    for piece in (b"GE", b"T /hel", b"lo HTTP/1.1\r", b"\nHost: x\r\n", b"\r", b"\n"):
        conn.send(piece)
        time.sleep(0.05)
    expect(conn.read_response(), 200, HELLO, "a request sent in six pieces")
    # A bare LF ends lines too; the next request follows on the same connection.
    conn.send(b"GET /hello HTTP/1.1\nHost: x\n\n")
    expect(conn.read_response(), 200, HELLO, "a request with bare LF line ends")
    conn.close()


def check_errors(addr) -> None:
    expect(get(addr, "/nothing-here"), 404, what="GET /nothing-here")
    expect(get(addr, "/../etc/passwd"), 404, what="GET /../etc/passwd")
    conn = Conn(addr)
    conn.send(request("PUT", "/hello", body=b"data"))
    resp = conn.read_response()
    expect(resp, 405, what="PUT /hello")
    if resp.headers.get("allow") != "GET, HEAD":
        fail(f"PUT /hello: Allow: {resp.headers.get('allow')}")
    conn.send(request("GET", "/hello"))      # the PUT's body was skipped
    expect(conn.read_response(), 200, HELLO, "GET after a 405 with a body")
    conn.close()
    for bad, what in ((b"HELLO\r\n\r\n", "a request line without target and version"),
                      (b"GET /hello HTTP/1.1\r\nHost x\r\n\r\n", "a header without a colon"),
                      (b"GET /hello HTTP/1.1\r\n\r\n", "HTTP/1.1 without Host"),
                      (b"GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "a negative length"),
                      (b"GET hello HTTP/1.1 extra\r\nHost: x\r\n\r\n", "four words in the request line")):
        conn = Conn(addr)
        conn.send(bad)
        expect(conn.read_response(), 400, what=what)
        if not conn.closed_by_peer():
            fail(f"{what}: the connection stays open after 400")
        conn.close()


def check_close(addr) -> None:
    for raw, what in ((request("GET", "/hello", "HTTP/1.0"), "HTTP/1.0"),
                      (request("GET", "/hello", headers="Connection: close\r\n"), "Connection: close")):
        conn = Conn(addr)
        conn.send(raw)
        resp = conn.read_response()
        expect(resp, 200, HELLO, what)
        if resp.headers.get("connection") != "close" or not conn.closed_by_peer():
            fail(f"{what}: the server does not close the connection")
        conn.close()
    conn = Conn(addr)
    conn.send(request("GET", "/hello", "HTTP/1.0", "Connection: keep-alive\r\n") * 2)
    for i in range(2):
        expect(conn.read_response(), 200, HELLO, f"HTTP/1.0 with keep-alive, request {i + 1}")
    conn.close()


def check_concurrent(addr, count: int = 20) -> None:
    before = stats(addr)["connections"]
    conns = [Conn(addr) for _ in range(count)]
    for round_ in range(3):
        for conn in conns:                       # every connection has a request in flight
            conn.send(request("GET", "/hello"))
        for i, conn in enumerate(conns):
            expect(conn.read_response(), 200, HELLO, f"concurrent connection {i + 1}, round {round_ + 1}")
    after = stats(addr)
    for conn in conns:
        conn.close()
    if after["connections"] - before < count or after["open"] < count:
        fail(f"{count} connections at once: the server saw {after['connections'] - before} new, "
             f"{after['open']} open")


def check_big(addr) -> None:
    expected = (HERE / "memdisk" / "big.txt").read_bytes()
    conn = Conn(addr)
    conn.send(request("HEAD", "/big"))
    resp = conn.read_response(head=True)
    expect(resp, 200, b"", "HEAD /big")
    if resp.headers["content-length"] != str(len(expected)):
        fail(f"HEAD /big: Content-Length {resp.headers['content-length']}, file has {len(expected)}")
    started = time.monotonic()
    conn.send(request("GET", "/big"))
    resp = conn.read_response()
    seconds = time.monotonic() - started
    expect(resp, 200, what="GET /big")
    crc = f"{zlib.crc32(expected):08x}"
    if resp.headers.get("x-content-crc32") != crc:
        fail(f"GET /big: X-Content-CRC32 {resp.headers.get('x-content-crc32')}, the file's is {crc}")
    if resp.body != expected:
        at = next((i for i, (a, b) in enumerate(zip(resp.body, expected)) if a != b),
                  min(len(resp.body), len(expected)))
        fail(f"GET /big: {len(resp.body)} bytes, differing from memdisk/big.txt at byte {at}")
    if zlib.crc32(resp.body) != zlib.crc32(expected):
        fail("GET /big: wrong checksum")
    conn.send(request("GET", "/big.txt"))
    if conn.read_response().body != expected:
        fail("GET /big.txt differs from memdisk/big.txt")
    conn.close()
    print(f"http_client: /big: {len(expected)} bytes intact, crc32 {crc}, "
          f"{len(expected) / seconds / 1e6:.1f} MB/s", flush=True)


def check_upload(addr) -> None:
    before = stats(addr)["uploaded"]
    body = os.urandom(512 * 1024)
    conn = Conn(addr)
    conn.send(request("POST", "/upload", body=body) + request("POST", "/upload", body=b"x"))
    expect(conn.read_response(), 200, f"received {len(body)} bytes\n".encode(), "POST /upload")
    expect(conn.read_response(), 200, b"received 1 bytes\n", "a second POST /upload")
    conn.send(request("GET", "/upload"))
    expect(conn.read_response(), 405, what="GET /upload")
    conn.close()
    uploaded = stats(addr)["uploaded"] - before
    if uploaded != len(body) + 1:
        fail(f"/stats counts {uploaded} bytes uploaded, {len(body) + 1} were sent")


def main() -> int:
    where = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("UKBUILD_FORWARD_TCP_80")
    if not where:
        print("http_client: no address (UKBUILD_FORWARD_TCP_80 or an argument host:port)")
        return 2
    host, port = where.rsplit(":", 1)
    addr = (host, int(port))
    checks = [("pages", check_pages), ("keep-alive", check_keep_alive),
              ("pipelining", check_pipelining), ("split request", check_split_request),
              ("errors", check_errors), ("close", check_close),
              ("concurrent connections", check_concurrent), ("big file", check_big),
              ("upload", check_upload)]
    name = "start"
    try:
        wait_until_serving(addr, 60)
        for name, check in checks:
            check(addr)
        name = "shutdown"
        counters = stats(addr)
        print(f"http_client: all checks passed ({counters['requests']} requests, "
              f"{counters['connections']} connections so far)", flush=True)
        resp = get(addr, "/shutdown")
        expect(resp, 200, b"shutting down\n", "GET /shutdown")
    except Failure as e:
        print(f"http_client: {name}: {e}", flush=True)
        return 1
    except OSError as e:
        print(f"http_client: {name}: {type(e).__name__}: {e}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
