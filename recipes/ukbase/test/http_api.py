"""IncludeOS's HTTP API, tests of ukbase's selftest (selftest.py imports
this with the device tests): http_api.cpp on pc with qboot, its eth0 on
QEMU user networking (a host port forwarded to the guest's port 80) and
eth1 and eth2 on one QEMU hub. From the host: GET, query values,
keep-alive, HEAD, POST bodies in several segments, Expect: 100-continue,
a 404, malformed requests (400, 501, 505), pipelining, a chunked request
body, HTTP/1.0 with and without keep-alive, connected_clients(). In the
guest: its client and server talking over the hub and a GET from an HTTP
server on this host (10.0.2.2); the guest reports each check. Then a
request that shuts the guest down."""
import functools
import http.client
import http.server
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import devices
from devices import QBOOT

HERE = os.path.dirname(os.path.abspath(__file__))
HOST_FILE = "greetings from the host\n"      # what http_api.cpp's GET from the host expects
MALFORMED = [("garbage", b"BLAH\r\n\r\n"),
             ("space before a field's colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
             ("a bad Content-Length", b"POST /echo HTTP/1.1\r\nContent-Length: 12x\r\n\r\n"),
             ("both Content-Length and chunked",
              b"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")]


class Guest(devices.Guest):
    """devices.Guest with waits from a given line on, and a stop that
    never leaves QEMU running."""

    def mark(self):
        return len(self.lines)

    def wait_for(self, pattern, timeout=30, start=0):
        """The first match of `pattern` in a line from line `start` on, or
        None after `timeout` seconds or once QEMU exited."""
        end = time.monotonic() + timeout
        while True:
            exited = self.proc.poll() is not None
            if exited:
                self.reader.join(2)          # the last lines
            for line in self.lines[start:]:
                m = re.search(pattern, line)
                if m:
                    return m
            if exited or time.monotonic() >= end:
                return None
            time.sleep(0.02)

    def wait(self, timeout):
        """QEMU's exit status, or None if it still runs after `timeout`."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.reader.join(2)
        return status

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.reader.join(2)
        self.proc.stdout.close()


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def count_responses(buf):
    """Complete responses (by Content-Length) at the start of `buf`."""
    n, pos = 0, 0
    while True:
        head_end = buf.find(b"\r\n\r\n", pos)
        if head_end < 0:
            return n
        head = buf[pos:head_end].decode(errors="replace")
        m = re.search(r"(?im)^content-length:\s*(\d+)", head)
        length = int(m.group(1)) if m else 0
        if len(buf) < head_end + 4 + length:
            return n
        n += 1
        pos = head_end + 4 + length


def raw(port, data, expect_responses=1, timeout=10):
    """Send bytes on one connection; read until `expect_responses` complete
    responses came, the server closed or `timeout` passed: (bytes, closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        buf, closed = b"", False
        end = time.monotonic() + timeout
        while time.monotonic() < end and count_responses(buf) < expect_responses:
            s.settimeout(max(0.1, end - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            buf += chunk
        return buf, closed
    finally:
        s.close()


def read_head(s):
    """Bytes up to and with the first empty line (what follows it too)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def read_response(s, data=b""):
    while count_responses(data) < 1:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def continue_post(port, body, content_type=None, timeout=20):
    """POST `body` to /echo with Expect: 100-continue, sending the body only
    once the interim response came (as curl does, without its 1 s wait):
    (the interim response, the final response)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        fields = b"Content-Type: %s\r\n" % content_type.encode() if content_type else b""
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n"
                  b"Expect: 100-continue\r\n\r\n" % (fields, len(body)))
        interim = read_head(s)
        if not interim.startswith(b"HTTP/1.1 100 "):
            return interim, b""
        s.sendall(body)
        return interim, read_response(s)
    finally:
        s.close()


def body_of(response):
    return response.partition(b"\r\n\r\n")[2]


class Host_server:
    """http.server in a thread on 127.0.0.1 (the guest's 10.0.2.2),
    serving the files of `root`."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    def __init__(self, root):
        handler = functools.partial(self.Handler, directory=root)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def build(plat, work, verbose):
    print("HTTP API tests: building http_api.cpp")
    return plat.build_service("http_api", "ukbase HTTP API test", [os.path.join(HERE, "http_api.cpp")],
                              os.path.join(work, "http_api"), verbose, drivers=["virtionet"])


def run(r, plat, kernel, work):
    www = os.path.join(work, "http_api", "www")
    os.makedirs(www, exist_ok=True)
    with open(os.path.join(www, "hello.txt"), "w") as f:
        f.write(HOST_FILE)
    print("HTTP API on pc-qboot: http::Server from the host through user networking, "
          "the guest's client and server over a hub, a GET from the host")
    host = Host_server(www)
    g = None
    try:
        port = free_tcp_port()
        g = Guest(QBOOT + ["-m", "128", "-kernel", kernel, "-append", "hostport=%d" % host.port,
                           "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:80" % port,
                           "-device", "virtio-net-pci,netdev=n0",
                           "-netdev", "hubport,id=h1,hubid=1", "-device", "virtio-net-pci,netdev=h1",
                           "-netdev", "hubport,id=h2,hubid=1", "-device", "virtio-net-pci,netdev=h2"])
        checks(r, g, port)
    finally:
        if g:
            g.stop()
        host.stop()


def checks(r, g, port):
    url = "http://127.0.0.1:%d" % port

    def check(ok, what, detail=""):
        return r.check(ok, "HTTP: " + what, "%s\n---- serial (http_api) ----\n%s\n----"
                       % (detail, g.output()) if not ok else "")

    def attempt(what, fn, *args):
        """Run one check; an exception (refused, reset, timed out) fails it."""
        try:
            fn(*args)
        except Exception as e:             # noqa: BLE001  (any failure is the check's)
            check(False, what, repr(e))

    up = g.wait_for(r"\[ HTTP Server \] Listening on port 80 on CPU 0", 60)
    check(bool(up), "the server's INFO line: [ HTTP Server ] Listening on port 80 on CPU 0")
    check(bool(g.wait_for(r"\[ HTTP Server \] Listening on port 8080", 30 if up else 0)),
          "the guest's second server listens on 8080 (eth2)")
    if not up:
        return

    def get_root():
        with urllib.request.urlopen(url + "/", timeout=20) as res:
            body, ctype, status = res.read(), res.headers.get("Content-Type"), res.status
        check(status == 200 and body == b"hello from ukbase\n" and ctype == "text/plain",
              "GET /: 200, the body, its Content-Type", (status, body, ctype))
    attempt("GET /", get_root)

    def get_query():
        with urllib.request.urlopen(url + "/hello?name=from%20host", timeout=20) as res:
            body = res.read()
        check(body == b"hello from host\n", "GET with a query value (name=from%20host)", body)
    attempt("GET with a query value", get_query)

    # Three requests on one connection: the guest sees the same client
    # port twice and counts one client meanwhile.
    def keep_alive():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            answers = []
            for path in ("/peer", "/peer", "/clients"):
                c.request("GET", path)
                res = c.getresponse()
                answers.append((res.status, res.read(), c.sock))
        finally:
            c.close()
        (s1, p1, sock1), (s2, p2, sock2), (_, clients, _) = answers
        check(s1 == s2 == 200 and p1 == p2 and p1.startswith(b"10.0.2.2:")
              and sock1 is sock2 and sock2 is not None and clients == b"1",
              "keep-alive: three requests on one connection (peer %s, %s clients)"
              % (p1.decode(errors="replace"), clients.decode(errors="replace")), answers)
    attempt("keep-alive", keep_alive)

    # HEAD: Content-Length but no body; the GET after it on the same
    # connection parses.
    def head_then_get():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            c.request("HEAD", "/")
            r1 = c.getresponse()
            b1 = r1.read()
            c.request("GET", "/")
            r2 = c.getresponse()
            b2 = r2.read()
        finally:
            c.close()
        check(r1.status == 200 and r1.headers.get("Content-Length") == "18" and b1 == b""
              and b2 == b"hello from ukbase\n", "HEAD: fields only, then a GET on the same connection",
              (r1.status, r1.headers.items(), b1, b2))
    attempt("HEAD then GET", head_then_get)

    def post_echo():
        data = b"posted \x00\x01 bytes " * 300           # 4800 bytes, several segments
        req = urllib.request.Request(url + "/echo", data=data, method="POST",
                                     headers={"Content-Type": "application/x-bytes"})
        with urllib.request.urlopen(req, timeout=20) as res:
            body, ctype = res.read(), res.headers.get("Content-Type")
        check(body == data and ctype == "application/x-bytes",
              "POST echoed with its Content-Type (%d bytes, in several segments)" % len(data),
              (len(body), ctype))
    attempt("POST echoed", post_echo)

    # A large body behind Expect: 100-continue: the server answers 100
    # before any of it is sent (curl would wait 1 s, then send anyway).
    def big_continue():
        big = b"x" * 200000
        t0 = time.monotonic()
        interim, final = continue_post(port, big, "text/plain")
        took = time.monotonic() - t0
        check(interim == b"HTTP/1.1 100 Continue\r\n\r\n" and final.startswith(b"HTTP/1.1 200 OK\r\n")
              and body_of(final) == big,
              "POST of 200000 bytes with Expect: 100-continue: 100 before the body, echoed (%.2f s)" % took,
              (interim, final[:200], len(body_of(final))))
    attempt("POST of 200000 bytes with Expect: 100-continue", big_continue)

    def small_continue():
        interim, final = continue_post(port, b"body")
        check(interim == b"HTTP/1.1 100 Continue\r\n\r\n" and final.startswith(b"HTTP/1.1 200 OK\r\n")
              and final.endswith(b"\r\n\r\nbody"), "Expect: 100-continue: interim 100, then the echo",
              (interim, final))
    attempt("Expect: 100-continue", small_continue)

    def missing():
        try:
            urllib.request.urlopen(url + "/missing", timeout=20).close()
            check(False, "GET /missing: 404 Not Found", "no HTTPError")
        except urllib.error.HTTPError as e:
            check(e.code == 404 and e.reason == "Not Found", "GET /missing: 404 Not Found", (e.code, e.reason))
    attempt("GET /missing: 404 Not Found", missing)

    # Malformed requests: 400 and the connection closed (read on until it is).
    def malformed(name, data):
        buf, closed = raw(port, data, 2)
        check(buf.startswith(b"HTTP/1.1 400 Bad Request\r\n") and count_responses(buf) == 1 and closed,
              "malformed request (%s): 400 and closed" % name, (buf, closed))
    for name, data in MALFORMED:
        attempt("malformed request (%s)" % name, malformed, name, data)

    def unknown_method():
        buf, _ = raw(port, b"BREW /pot HTTP/1.1\r\n\r\n")
        check(buf.startswith(b"HTTP/1.1 501 Not Implemented\r\n"), "an unknown method (BREW): 501", buf)
    attempt("an unknown method: 501", unknown_method)

    def version():
        buf, _ = raw(port, b"GET / HTTP/2.0\r\n\r\n")
        check(buf.startswith(b"HTTP/1.1 505 HTTP Version Not Supported\r\n"), "an HTTP/2.0 request line: 505",
              buf)
    attempt("an HTTP/2.0 request line: 505", version)

    # Three requests in one send, answered in order, the first one from a timer.
    def pipelined():
        buf, closed = raw(port, b"GET /later HTTP/1.1\r\nHost: x\r\n\r\n"
                                b"GET /hello?name=two HTTP/1.1\r\nHost: x\r\n\r\n"
                                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nthree", 3)
        bodies = re.findall(rb"\r\n\r\n([^H]*)", buf)
        check(count_responses(buf) == 3 and bodies == [b"later\n", b"hello two\n", b"three"] and not closed,
              "pipelined requests answered in order (the first one late, from a timer)", buf)
    attempt("pipelined requests", pipelined)

    def chunked():
        buf, _ = raw(port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"6\r\nchunky\r\n1;ext=1\r\n!\r\n0\r\nTrailer: t\r\n\r\n")
        check(buf.startswith(b"HTTP/1.1 200 OK\r\n") and buf.endswith(b"\r\n\r\nchunky!"),
              "a chunked request body decoded (extension and trailer)", buf)
    attempt("a chunked request body", chunked)

    # HTTP/1.0: closed after the response unless keep-alive is asked for.
    def http10():
        buf, closed = raw(port, b"GET / HTTP/1.0\r\n\r\n", 2)
        check(buf.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close\r\n" in buf and closed,
              "an HTTP/1.0 request: answered, Connection: close, closed", (buf, closed))
    attempt("an HTTP/1.0 request", http10)

    def http10_keep_alive():
        buf, closed = raw(port, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n", 2)
        check(count_responses(buf) == 2 and b"Connection: keep-alive\r\n" in buf,
              "HTTP/1.0 with keep-alive: two responses on one connection", (buf, closed))
    attempt("HTTP/1.0 with keep-alive", http10_keep_alive)

    # Connections that closed are no longer counted (the guest may see the
    # last FIN a little after the host closed).
    def clients():
        deadline = time.monotonic() + 10
        while True:
            time.sleep(0.5)
            with urllib.request.urlopen(url + "/clients", timeout=20) as res:
                count = res.read()
            if count == b"1" or time.monotonic() >= deadline:
                break
        check(count == b"1", "connected_clients() once all those connections closed: 1", count)
    attempt("connected_clients()", clients)

    # The guest's own checks: its client and server over the hub, its
    # client to the host's server.
    m = g.wait_for(r"\[http\] guest checks: (\d+) passed, (\d+) failed", 60)
    guest = [l for l in g.lines if l.startswith("[http] ")]
    for l in guest:
        if l.startswith(("[http] PASS ", "[http] FAIL ")):
            check(l.startswith("[http] PASS "), "guest: " + l[len("[http] PASS "):])
    check(bool(m) and m.group(2) == "0" and int(m.group(1)) >= 15,
          "the guest's checks all passed (%s)" % (m.group(0) if m else "no summary"), "\n".join(guest))

    def shutdown():
        with urllib.request.urlopen(url + "/shutdown", timeout=20) as res:
            body = res.read()
        check(body == b"bye\n", "GET /shutdown answered", body)
    attempt("GET /shutdown", shutdown)
    status = g.wait(30)
    check(status == 0 and g.wait_for(r"Powering off", 0) is not None,
          "QEMU exited with 0 after os::shutdown()", status)
    check(not re.search(r"PANIC|unimplemented system call", g.output()),
          "no PANIC, no unimplemented system call")
