"""IncludeOS's WebSocket API, tests of ukbase's selftest (selftest.py
imports this with the device tests): websocket_api.cpp on pc with qboot,
port 8000 forwarded from the host through QEMU user networking, and a
WebSocket client and echo server (RFC 6455) written here. Checked: the
opening handshake and its refusals (origin, version, key), text and
binary echo with 7-, 16- and 64-bit lengths, fragmented messages with a
ping between fragments, 1000 messages from the server, the close
handshake from either side and the close codes for protocol errors
(1002, 1007, 1009), a frame in the handshake's segment, the guest's
client side (WebSocket::connect) against the echo server, and, in a
second boot, the SET_CRASH note a panic prints."""
import base64
import hashlib
import os
import re
import socket
import struct
import threading
import time

from devices import QBOOT
import http_api
from http_api import Guest, free_tcp_port

HERE = os.path.dirname(os.path.abspath(__file__))
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PANIC = r"^\x15\x07\t\*\*\*\* PANIC \*\*\*\*$"


# ---------------------------------------------------------------------------
# Framing (RFC 6455)
# ---------------------------------------------------------------------------

def frame(opcode, payload=b"", fin=True, mask=True):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, m | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + xor(payload, key)


def xor(data, key):
    """`data` masked (or unmasked) with the 4-byte `key`."""
    k = int.from_bytes((key * (len(data) // 4 + 1))[:len(data)], "big")
    return (int.from_bytes(data, "big") ^ k).to_bytes(len(data), "big")


def code(n):
    return struct.pack("!H", n)


class WS:
    """One side of a WebSocket on a connected socket; a client masks what
    it sends."""

    def __init__(self, sock, rest=b"", client=True):
        self.s = sock
        self.buf = rest
        self.client = client
        self.masked_seen = []       # whether each frame received was masked

    def _need(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self):
        """(fin, opcode, payload, RSV bits)"""
        b0, b1 = self._need(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._need(8))[0]
        masked = bool(b1 & 0x80)
        key = self._need(4) if masked else None
        data = self._need(n)
        if masked:
            data = xor(data, key)
        self.masked_seen.append(masked)
        return bool(b0 & 0x80), b0 & 0x0F, data, b0 & 0x70

    def recv_message(self):
        fin, op, data, _ = self.recv_frame()
        while not fin:
            fin, _, more, _ = self.recv_frame()
            data += more
        return op, data

    def send(self, opcode, payload=b"", fin=True, mask=None):
        self.s.sendall(frame(opcode, payload, fin, self.client if mask is None else mask))

    def close(self):
        self.s.close()


def read_head(s):
    """(the head up to the empty line, decoded; the bytes after it)"""
    head, _, rest = http_api.read_head(s).partition(b"\r\n\r\n")
    return head.decode(errors="replace"), rest


def handshake(port, origin=None, version="13", key=None, path="/", timeout=20):
    """Open a connection and send an opening handshake: (socket, key,
    status, head, the bytes after the head)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    key = key if key is not None else base64.b64encode(os.urandom(16)).decode()
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Version: %s\r\n" % (path, port, version))
    if key:
        req += "Sec-WebSocket-Key: %s\r\n" % key
    if origin:
        req += "Origin: %s\r\n" % origin
    try:
        s.sendall((req + "\r\n").encode())
        head, rest = read_head(s)
    except BaseException:
        s.close()
        raise
    m = re.match(r"HTTP/1\.1 (\d+)", head)
    return s, key, int(m.group(1)) if m else None, head, rest


def field(head, name):
    m = re.search(r"^%s:\s*(.*?)\s*$" % re.escape(name), head, re.M | re.I)
    return m.group(1) if m else None


def accept_of(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def open_ws(port, origin="http://host.example"):
    s, _, status, head, rest = handshake(port, origin)
    if status != 101:
        s.close()
        raise RuntimeError("handshake: %s" % head)
    return WS(s, rest)


class Echo_server:
    """A WebSocket echo server on 127.0.0.1 (the guest's 10.0.2.2) for one
    connection: logs the handshake request and every frame, echoes text
    and binary messages, answers a close and closes."""

    def __init__(self, timeout=30):
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(4)
        self.ls.settimeout(timeout)      # the thread ends if the guest never connects
        self.timeout = timeout
        self.port = self.ls.getsockname()[1]
        self.log = []
        self.conn = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        c = None
        try:
            c, _ = self.ls.accept()
            self.conn = c
            c.settimeout(self.timeout)
            head, rest = read_head(c)
            self.log.append(("request", head))
            c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: %s\r\n\r\n" % accept_of(field(head, "Sec-WebSocket-Key") or ""))
                      .encode())
            w = WS(c, rest, client=False)
            while True:
                fin, op, data, _ = w.recv_frame()
                self.log.append(("frame", op, data, w.masked_seen[-1]))
                if op in (1, 2):
                    w.send(op, data)
                elif op == 8:
                    w.send(8, data[:2])
                    return
        except Exception as e:             # noqa: BLE001  (logged, checked by the test)
            self.log.append(("error", repr(e)))
        finally:
            if c:
                c.close()

    def stop(self):
        # shutdown() wakes a thread blocked in accept() or recv(); close() alone does not.
        for sock in (self.ls, self.conn):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except (OSError, AttributeError):
                pass
        self.thread.join(5)
        self.ls.close()


# ---------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------

def build(plat, work, verbose):
    print("WebSocket API tests: building websocket_api.cpp")
    return plat.build_service("websocket_api", "ukbase WebSocket API test",
                              [os.path.join(HERE, "websocket_api.cpp")],
                              os.path.join(work, "websocket_api"), verbose, drivers=["virtionet"])


def boot(kernel, port):
    return Guest(QBOOT + ["-m", "128", "-kernel", kernel,
                          "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:8000" % port,
                          "-device", "virtio-net-pci,netdev=n0"])


def run(r, plat, kernel):
    print("WebSocket API on pc-qboot: the server side from the host through user networking, "
          "the guest's client side against a host echo server")
    port = free_tcp_port()
    g = boot(kernel, port)
    try:
        checks(r, g, port)
    finally:
        g.stop()
    print("WebSocket API: a panic with a WebSocket open (second boot)")
    port = free_tcp_port()
    g = boot(kernel, port)
    try:
        panic_note(r, g, port)
    finally:
        g.stop()


def checks(r, g, port):
    def check(ok, what, detail=""):
        return r.check(ok, "WebSocket: " + what, "%s\n---- serial (websocket_api) ----\n%s\n----"
                       % (detail, g.output()) if not ok else "")

    up = g.wait_for(r"Listening on port 8000", 60) and g.wait_for(r"\[ws\] ready", 30)
    if not check(bool(up), "the guest is up, listening on port 8000"):
        return
    time.sleep(0.3)
    st = {}

    def step(what, fn):
        """Run one step; an exception (closed, reset, timed out) fails it."""
        try:
            fn()
        except Exception as e:             # noqa: BLE001  (any failure is the step's)
            check(False, what, repr(e))

    def opening():
        s, key, status, head, rest = handshake(port, "http://host.example")
        st["w"] = WS(s, rest)
        check(status == 101 and field(head, "Sec-WebSocket-Accept") == accept_of(key)
              and (field(head, "Upgrade") or "").lower() == "websocket"
              and "upgrade" in (field(head, "Connection") or "").lower(),
              "handshake: 101 with the Sec-WebSocket-Accept of the key, Upgrade, Connection", head)
    step("handshake", opening)

    # Text, then binary with 7-, 16- and 64-bit lengths.
    def echoes():
        w = st["w"]
        text = "hello, ukbase \u00e9\u20ac\U0001F600".encode()
        w.send(1, text)
        op, data = w.recv_message()
        check(op == 1 and data == text, "text echo (UTF-8)", repr((op, data)))
        for n in (100, 3000, 70000):
            blob = os.urandom(n)
            w.send(2, blob)
            op, data = w.recv_message()
            check(op == 2 and data == blob, "binary echo of %d bytes" % n, repr((op, len(data))))
    step("text and binary echo", echoes)

    # 100 KiB in continuation frames, a ping between two of them.
    def fragments():
        w = st["w"]
        m = g.mark()
        blob = os.urandom(100 * 1024)
        parts = [blob[i:i + 15000] for i in range(0, len(blob), 15000)]
        for i, p in enumerate(parts):
            w.send(2 if i == 0 else 0, p, fin=(i == len(parts) - 1))
            if i == 2:
                w.send(9, b"mid-message")
        _, op, data, _ = w.recv_frame()
        check(op == 10 and data == b"mid-message", "a ping inside a fragmented message answered first",
              repr((op, data[:20])))
        op, data = w.recv_message()
        check(op == 2 and data == blob, "a 100 KiB binary message in %d frames reassembled" % len(parts),
              "op %d, %d bytes" % (op, len(data)))
        check(bool(g.wait_for(r"echo Binary frame of 102400 bytes", 20, m)),
              "the guest got one message of 102400 bytes")
    step("a fragmented message with a ping", fragments)

    def ping():
        w = st["w"]
        w.send(9, b"ping-data-123")
        fin, op, data, _ = w.recv_frame()
        check(op == 10 and data == b"ping-data-123" and fin, "a ping answered with its pong", repr((op, data)))
    step("ping", ping)

    def flood():
        w = st["w"]
        w.send(1, b"flood 1000")
        got = 0
        for i in range(1000):
            op, data = w.recv_message()
            if op != 2 or len(data) != 1024 or struct.unpack("!I", data[:4])[0] != i \
                    or data[4:] != bytes((j * 7 + i) & 0xFF for j in range(4, 1024)):
                break
            got += 1
        check(got == 1000 and not any(w.masked_seen),
              "1000 binary messages from the server, in order, unmasked", "got %d in order" % got)
    step("1000 binary messages from the server", flood)

    # A close 1000 from the host reaches on_close(1000).
    def host_close():
        w = st.pop("w")
        try:
            m = g.mark()
            w.send(8, code(1000) + b"bye")
            _, op, data, _ = w.recv_frame()
            check(op == 8 and data[:2] == code(1000), "close 1000 answered with close 1000", repr((op, data)))
            try:
                eof = w.s.recv(10) == b""
            except OSError:
                eof = False
            check(eof, "the server closed the TCP connection after the close handshake")
            check(bool(g.wait_for(r"\[ws\] 1 on_close 1000 \(Closed\) alive 0", 20, m)),
                  "on_close(1000) in the guest, not alive")
        finally:
            w.close()
    step("the close handshake from the host", host_close)

    def refused():
        m = g.mark()
        s, _, status, head, _ = handshake(port, "http://refused.example")
        s.close()
        check(status == 403 and "Sec-WebSocket-Accept" not in head, "a refused origin gets 403", head)
        check(bool(g.wait_for(r"\[ws\] on_accept .* origin \"http://refused.example\": no", 20, m))
              and bool(g.wait_for(r"\[ws\] no WebSocket", 20, m)),
              "on_accept refused the origin, on_connect(nullptr)")
    step("a refused origin", refused)

    def not_handshakes():
        s, _, status, head, _ = handshake(port, version="8")
        s.close()
        check(status == 426 and field(head, "Sec-WebSocket-Version") == "13",
              "version 8 gets 426 and Sec-WebSocket-Version: 13", head)
        s, _, status, head, _ = handshake(port, key="tooshort")
        s.close()
        check(status == 400, "a bad Sec-WebSocket-Key gets 400", head)
    step("handshakes refused (version, key)", not_handshakes)

    def with_ws(what, fn):
        """`fn` on a new WebSocket, closed afterwards."""
        def run_it():
            w = open_ws(port)
            try:
                fn(w)
            finally:
                w.close()
        step(what, run_it)

    def unmasked(w):
        m = g.mark()
        w.send(1, b"not masked", mask=False)
        _, op, data, _ = w.recv_frame()
        check(op == 8 and data[:2] == code(1002), "an unmasked client frame: close 1002", repr((op, data)))
        check(bool(g.wait_for(r"on_error Read unmasked message from client", 20, m))
              and bool(g.wait_for(r"on_close 1002", 20, m)), "the guest: on_error, on_close(1002)")
    with_ws("an unmasked client frame", unmasked)

    def max_size(w):
        w.send(1, b"maxsize 1000")
        op, data = w.recv_message()
        w.send(2, b"x" * 1000)
        op1, data1 = w.recv_message()
        w.send(2, b"y" * 1001)
        _, op2, data2, _ = w.recv_frame()
        check(op == 1 and data == b"ok" and op1 == 2 and len(data1) == 1000 and op2 == 8
              and data2[:2] == code(1009), "a message over the maximum size (1000): close 1009",
              repr((op, data, op1, len(data1), op2, data2)))
    with_ws("the maximum message size", max_size)

    def bad_utf8(w):
        w.send(1, b"\xc3\x28 bad")
        _, op, data, _ = w.recv_frame()
        check(op == 8 and data[:2] == code(1007), "invalid UTF-8 text: close 1007", repr((op, data)))
    with_ws("invalid UTF-8 text", bad_utf8)

    def reserved(w):
        w.send(3, b"reserved")
        _, op, data, _ = w.recv_frame()
        check(op == 8 and data[:2] == code(1002), "a reserved opcode: close 1002", repr((op, data)))
    with_ws("a reserved opcode", reserved)

    # The server closes (close 4000 asked for); the host answers.
    def server_close(w):
        m = g.mark()
        w.send(1, b"close 4000")
        _, op, data, _ = w.recv_frame()
        w.send(8, data[:2])
        check(op == 8 and data[:2] == code(4000) and bool(g.wait_for(r"on_close 4000", 20, m)),
              "a server-initiated close 4000, on_close(4000)", repr((op, data)))
    with_ws("a server-initiated close", server_close)

    # A frame right behind the handshake, in the same segment.
    def behind():
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        try:
            key = base64.b64encode(os.urandom(16)).decode()
            s.sendall(("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n" % key).encode()
                      + frame(1, b"right behind the handshake"))
            head, rest = read_head(s)
            w = WS(s, rest)
            op, data = w.recv_message()
            check(head.startswith("HTTP/1.1 101") and op == 1 and data == b"right behind the handshake",
                  "a frame in the handshake's segment is handed over and echoed", repr((head[:40], op, data)))
            w.send(8, code(1000))
        finally:
            s.close()
    step("a frame in the handshake's segment", behind)

    # The guest's client side against the echo server here.
    def client():
        echo = Echo_server()
        try:
            m = g.mark()
            w = open_ws(port)
            try:
                w.send(1, ("client %d" % echo.port).encode())
                check(bool(g.wait_for(r"\[ws\] PASS client echo", 30, m)),
                      "the guest's client: WebSocket::connect, write, the echo received")
                check(bool(g.wait_for(r"\[ws\] client on_close 1000", 20, m)),
                      "the guest's client: close 1000, on_close(1000)")
            finally:
                w.close()
        finally:
            echo.stop()
        reqs = [e for e in echo.log if e[0] == "request"]
        frames = [e for e in echo.log if e[0] == "frame"]
        head = reqs[0][1] if reqs else ""
        key = field(head, "Sec-WebSocket-Key") or ""
        check(head.startswith("GET /echo HTTP/1.1") and (field(head, "Upgrade") or "").lower() == "websocket"
              and field(head, "Sec-WebSocket-Version") == "13" and len(base64.b64decode(key)) == 16,
              "the guest client's handshake request (GET /echo, a 16-byte key)", head)
        check(bool(frames) and frames[0][1] == 1 and frames[0][2] == "guest client says h\u00e9llo".encode()
              and all(f[3] for f in frames) and frames[-1][1] == 8 and frames[-1][2][:2] == code(1000),
              "the guest client's frames: masked text, then close 1000", repr(echo.log))
    step("the guest's client side", client)

    # The connection stays open until the guest powers off.
    def shutdown():
        w = open_ws(port)
        try:
            w.send(1, b"shutdown")
            st["status"] = g.wait(30)
        finally:
            w.close()
    step("the shutdown message", shutdown)
    status = st.get("status", g.wait(0))
    check(status == 0, "QEMU exited with 0 after the shutdown message", status)
    check(re.search(PANIC, g.output(), re.M) is None, "no PANIC")


def panic_note(r, g, port):
    """os::panic() with a WebSocket open prints the note SET_CRASH set."""
    up = g.wait_for(r"\[ws\] ready", 60)
    if up:
        time.sleep(0.3)
        try:
            w = open_ws(port)
            try:
                g.wait_for(r"\[ws\] 1 connected", 20)
                w.send(1, b"panic")
                g.wait(30)
            finally:
                w.close()
        except Exception as e:             # noqa: BLE001  (the check below fails)
            g.lines.append("(host: %r)" % e)
    out = g.output()
    r.check(up is not None and re.search(PANIC, out, re.M) is not None
            and re.search(r"^Context: WebSocket 1: 10\.0\.2\.15:8000 10\.0\.2\.2:\d+ \(ESTABLISHED\)$", out, re.M)
            is not None and re.search(r"^\[ws\] on_panic: panic requested over a WebSocket$", out, re.M)
            is not None,
            "WebSocket: a panic prints SET_CRASH's note (the connection) and runs on_panic's handler",
            "---- serial (websocket_api panic) ----\n%s\n----" % out)
