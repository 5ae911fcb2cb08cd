#!/usr/bin/env python3
"""HTTP and TCP: services/http_hello in the unikernel against the same
source built as a Linux program.

    python bench/tcp.py [--runs 3] [--seconds 3] [--connections 8]

Both sides run services/http_hello/service.cpp, unchanged:

  unikernel  built with ukbuild and booted with its run.sh (QEMU, KVM if
             usable, else TCG; user networking, reached through the
             service's port forward on 127.0.0.1)
  host       the same file built with the system's c++ -O2, a Linux
             process listening on 127.0.0.1 (the floor)

and the same load generator drives both, in turns, from the host:

  keep-alive        GET /hello, --connections connections, each reused
  new connection    GET /hello with Connection: close, a connection each
  round trip        GET /hello, one connection, one request at a time
  guest -> host     GET /big (1 MiB from the memdisk, sendfile), one connection
  host -> guest     POST /upload of 1 MiB bodies (counted, discarded), one connection

The load generator is wrk (Debian's package; installed here with apt-get
when missing and possible). Without it a Python client runs instead, and
its own figures against the host floor show how far it limits them.

Each figure is the median of --runs runs. Under the table: what the
unikernel's QEMU process spent in CPU per request (from /proc), the
guest's own counters (/stats: time inside the service's code against
time in epoll_wait, which is where ukbase runs its network stack), and
the host process's CPU per request.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVICE = REPO / "services" / "http_hello"
CLK_TCK = os.sysconf("SC_CLK_TCK")
BIG = (SERVICE / "memdisk" / "big.txt").stat().st_size
UPLOAD = 1024 * 1024

UPLOAD_LUA = f"""
wrk.method = "POST"
wrk.path = "/upload"
wrk.body = string.rep("u", {UPLOAD})
wrk.headers["Content-Type"] = "application/octet-stream"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def http_get(port: int, path: str, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise OSError(f"GET {path}: {head[:40]!r}")
    return body


def guest_stats(port: int) -> dict[str, int]:
    text = http_get(port, "/stats").decode()
    return {k: int(v) for k, v in (line.split() for line in text.splitlines())}


def wait_until_serving(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if http_get(port, "/hello", timeout=2.0) == b"Hello, world!\n":
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"bench/tcp.py: nothing serves /hello on 127.0.0.1:{port}")


# ---------------------------------------------------------------------------
# The two servers


class Server:
    name = ""
    pid = 0
    port = 0

    def stop(self) -> None:
        raise NotImplementedError


class Unikernel(Server):
    name = "unikernel"

    def __init__(self, work: Path, pcap: Path | None = None, built: "Unikernel | None" = None):
        """Builds services/http_hello in a project of its own (or takes the
        build of `built`) and boots it; with `pcap`, QEMU also writes every
        frame through the guest's NIC there (filter-dump)."""
        self.work = work
        if built is None:
            self._build(work)
        else:
            self.run_sh, self.port, self.accel = built.run_sh, built.port, built.accel
        extra = ["-object", f"filter-dump,id=dump0,netdev=net0,file={pcap}"] if pcap else []
        self.serial = open(work / ("serial-dump.log" if pcap else "serial.log"), "wb")
        # run.sh execs QEMU, so this pid is QEMU's.
        self.proc = subprocess.Popen([str(self.run_sh), *extra], stdin=subprocess.DEVNULL,
                                     stdout=self.serial, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        started = time.monotonic()
        wait_until_serving(self.port, 120)
        self.boot_seconds = time.monotonic() - started

    def _build(self, work: Path) -> None:
        project = work / "project"
        shutil.copytree(SERVICE, project / "services" / "http_hello")
        (project / "dodo.py").write_text("from ukbuild.dodo import *  # noqa: F401,F403\n")
        self.port = free_port()
        toml = project / "services" / "http_hello" / "service.toml"
        toml.write_text(re.sub(r'"tcp:\d+-:80"', f'"tcp:{self.port}-:80"', toml.read_text()))
        env = dict(os.environ)
        env.setdefault("UKBUILD_CONAN_HOME", str(REPO / ".ukbuild" / "conan"))
        print("bench/tcp.py: building services/http_hello with ukbuild ...", file=sys.stderr, flush=True)
        build = subprocess.run([sys.executable, "-m", "doit", "build:http_hello"], cwd=project, env=env,
                               capture_output=True, text=True)
        if build.returncode != 0:
            raise SystemExit(f"building http_hello failed:\n{build.stdout}{build.stderr}")
        self.run_sh = project / "build" / "http_hello" / "run.sh"
        # The same test run.sh makes when it starts.
        kvm = os.access("/dev/kvm", os.R_OK | os.W_OK) and re.search(
            r"\b(vmx|svm)\b", Path("/proc/cpuinfo").read_text())
        self.accel = "KVM" if kvm else "TCG"

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.serial.close()


class Host(Server):
    name = "host"

    def __init__(self, work: Path):
        binary = work / "http_hello"
        cxx = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
        if not cxx:
            raise SystemExit("bench/tcp.py: no C++ compiler (c++, g++ or clang++) for the host build")
        subprocess.run([cxx, "-O2", "-std=c++17", "-o", str(binary), str(SERVICE / "service.cpp")],
                       check=True)
        self.port = free_port()
        self.proc = subprocess.Popen([str(binary), "--port", str(self.port),
                                      "--root", str(SERVICE / "memdisk")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = self.proc.pid
        wait_until_serving(self.port, 10)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


# ---------------------------------------------------------------------------
# Load generators: wrk, or a Python client

SCENARIOS = [
    # key, what the table calls it, path, connections (None: --connections), close per request
    ("keepalive", "keep-alive", "/hello", None, False),
    ("newconn", "new connection", "/hello", None, True),
    ("rtt", "round trip", "/hello", 1, False),
    ("download", "guest -> host", "/big", 1, False),
    ("upload", "host -> guest", "/upload", 1, False),
]


def ensure_wrk() -> str | None:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    apt = shutil.which("apt-get")
    sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if apt and sudo is not None:
        print("bench/tcp.py: wrk (the load generator) is missing; installing Debian's package wrk "
              "with apt-get", file=sys.stderr, flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(sudo + [apt, "install", "-y", "-qq", "wrk"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wrk = shutil.which("wrk")
        if wrk:
            return wrk
    print("bench/tcp.py: wrk is not installed and could not be; using the Python client "
          "(slower: see its host figures)", file=sys.stderr, flush=True)
    return None


def parse_duration(text: str) -> float:
    """wrk's '568.00us', '1.20ms', '2.00s', '1.00m' -> seconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(2)]
    return float(m.group(1)) * scale


class Wrk:
    name = "wrk"
    describe = "wrk, one thread"

    def __init__(self, binary: str, work: Path):
        self.binary = binary
        self.upload_lua = work / "upload.lua"
        self.upload_lua.write_text(UPLOAD_LUA)

    def run(self, port: int, path: str, connections: int, close: bool, seconds: float) -> dict:
        cmd = [self.binary, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
        if close:
            cmd += ["-H", "Connection: close"]
        if path == "/upload":
            cmd += ["-s", str(self.upload_lua)]
        cmd.append(f"http://127.0.0.1:{port}{path}")
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
        errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return {"rate": rate, "p50": parse_duration(lat["50"]), "p99": parse_duration(lat["99"]),
                "errors": sum(map(int, errors.groups())) if errors else 0,
                "bad": int(bad.group(1)) if bad else 0,
                "requests": int(re.search(r"(\d+) requests in", out).group(1))}


class PythonClient:
    """A small closed-loop HTTP client, one thread per connection."""
    name = "Python client"
    describe = "the Python client, one thread per connection"

    def run(self, port: int, path: str, connections: int, close: bool, seconds: float) -> dict:
        method = "POST" if path == "/upload" else "GET"
        body = b"u" * UPLOAD if method == "POST" else b""
        req = (f"{method} {path} HTTP/1.1\r\nHost: bench\r\n"
               + ("Connection: close\r\n" if close else "")
               + (f"Content-Length: {len(body)}\r\n" if body else "") + "\r\n").encode() + body
        latencies: list[float] = []
        errors = [0]
        stop_at = time.monotonic() + seconds

        def one_response(sock) -> None:
            # One request in flight per connection: nothing follows the body.
            buf = b""
            while b"\r\n\r\n" not in buf:
                data = sock.recv(262144)
                if not data:
                    raise OSError("closed")
                buf += data
            head, _, rest = buf.partition(b"\r\n\r\n")
            left = int(re.search(rb"Content-Length: (\d+)", head).group(1)) - len(rest)
            while left > 0:
                data = sock.recv(min(left, 262144))
                if not data:
                    raise OSError("closed")
                left -= len(data)

        def worker():
            sock = None
            while time.monotonic() < stop_at:
                try:
                    if sock is None:
                        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    t = time.perf_counter()
                    sock.sendall(req)
                    one_response(sock)
                    latencies.append(time.perf_counter() - t)
                    if close:
                        sock.close()
                        sock = None
                except OSError:
                    errors[0] += 1
                    if sock:
                        sock.close()
                    sock = None
            if sock:
                sock.close()

        started = time.monotonic()
        threads = [threading.Thread(target=worker) for _ in range(connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        lat = sorted(latencies) or [float("nan")]
        return {"rate": len(latencies) / elapsed, "p50": statistics.median(lat),
                "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))], "errors": errors[0], "bad": 0,
                "requests": len(latencies)}


# ---------------------------------------------------------------------------
# At the guest's NIC: frames written by QEMU's filter-dump


def guest_turnarounds(pcap: Path, start: float, end: float, guest_port: int = 80) -> list[float]:
    """For every request seen at the guest's NIC between `start` and `end`
    (wall-clock seconds): the time from its last frame in to the first
    frame of the response out, per connection."""
    data = pcap.read_bytes()
    pos, last_in, out = 24, {}, []
    while pos + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack_from("<IIII", data, pos)
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        t = sec + usec / 1e6
        if not start <= t <= end or len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            continue
        ihl = (frame[14] & 15) * 4
        total = struct.unpack_from(">H", frame, 16)[0]
        tcp = frame[14 + ihl:]
        sport, dport = struct.unpack_from(">HH", tcp)
        payload = total - ihl - (tcp[12] >> 4) * 4
        if payload <= 0:
            continue
        if dport == guest_port:                  # a request's bytes, in
            last_in[sport] = t
        elif sport == guest_port and dport in last_in:   # the response's first bytes, out
            out.append(t - last_in.pop(dport))
    return out


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


# ---------------------------------------------------------------------------
# Measuring


def measure(server: Server, load, scenario, args) -> dict:
    key, _, path, conns, close = scenario
    before_cpu = cpu_seconds(server.pid)
    before = guest_stats(server.port)
    started = time.monotonic()
    result = load.run(server.port, path, conns or args.connections, close, args.seconds)
    wall = time.monotonic() - started
    after = guest_stats(server.port)
    result["cpu"] = (cpu_seconds(server.pid) - before_cpu) / wall      # share of one core
    # /stats itself is one request and one connection; leave it out.
    served = max(1, after["requests"] - before["requests"] - 1)
    result["busy_per_req"] = (after["busy_ns"] - before["busy_ns"]) / served * 1e-9
    result["send_per_req"] = (after["send_ns"] - before["send_ns"]) / served * 1e-9
    result["recv_per_req"] = (after["recv_ns"] - before["recv_ns"]) / served * 1e-9
    result["wakeups_per_req"] = (after["wakeups"] - before["wakeups"]) / served
    result["cpu_per_req"] = result["cpu"] * wall / served
    result["served"] = served
    if key == "download":
        result["mbps"] = result["rate"] * BIG / 1e6
    elif key == "upload":
        result["mbps"] = result["rate"] * UPLOAD / 1e6
    return result


def median_of(runs: list[dict]) -> dict:
    out = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    for k in runs[0]:
        out[k + "_min"] = min(r[k] for r in runs)
        out[k + "_max"] = max(r[k] for r in runs)
    return out


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f} us"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (medians)")
    parser.add_argument("--seconds", type=int, default=3, help="length of one run")
    parser.add_argument("--connections", type=int, default=8, help="connections for the request rates")
    parser.add_argument("--python-client", action="store_true", help="use the Python client, not wrk")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ukbench-tcp-") as tmp:
        work = Path(tmp)
        wrk = None if args.python_client else ensure_wrk()
        load = Wrk(wrk, work) if wrk else PythonClient()
        host = Host(work)
        try:
            guest = Unikernel(work)
        except BaseException:
            host.stop()
            raise
        servers = (guest, host)
        results = {s.name: {sc[0]: [] for sc in SCENARIOS} for s in servers}
        try:
            for run in range(args.runs):
                for scenario in SCENARIOS:
                    for server in servers:        # in turns, so noise falls on both
                        results[server.name][scenario[0]].append(measure(server, load, scenario, args))
                print(f"bench/tcp.py: run {run + 1} of {args.runs} done", file=sys.stderr, flush=True)
            final = guest_stats(guest.port)
            guest.stop()
            # The same scenarios once more, with every frame through the
            # guest's NIC recorded: what the guest itself takes per request.
            pcap = work / "wire.pcap"
            dumped = Unikernel(work, pcap=pcap, built=guest)
            servers = (dumped, host)
            wire = {}
            for scenario in SCENARIOS:
                if scenario[0] in ("keepalive", "rtt"):
                    start = time.time()
                    seen = measure(dumped, load, scenario, args)
                    wire[scenario[0]] = (seen, start, time.time())
            dumped.stop()
            servers = (host,)
            wire = {k: (seen, guest_turnarounds(pcap, a, b)) for k, (seen, a, b) in wire.items()}
        finally:
            for server in servers:
                server.stop()

    med = {name: {key: median_of(runs) for key, runs in per.items()} for name, per in results.items()}
    u, h = med["unikernel"], med["host"]

    print(f"HTTP/1.1 to services/http_hello from the host over 127.0.0.1; unikernel: QEMU "
          f"{guest.accel}, user networking through a port forward; host: the same source as a "
          f"Linux process (c++ -O2).")
    print(f"Load generator: {load.describe}; medians of {args.runs} runs of {args.seconds:g} s; "
          f"request rates with {args.connections} connections.")
    print()
    rows = [
        ("keep-alive            req/s", "keepalive", "rate", "{:.0f}"),
        ("                      p50", "keepalive", "p50", "t"),
        ("                      p99", "keepalive", "p99", "t"),
        ("new connection each   req/s", "newconn", "rate", "{:.0f}"),
        ("                      p50", "newconn", "p50", "t"),
        ("                      p99", "newconn", "p99", "t"),
        ("round trip (1 conn)   p50", "rtt", "p50", "t"),
        ("                      p99", "rtt", "p99", "t"),
        ("guest -> host /big    MB/s", "download", "mbps", "{:.1f}"),
        ("host -> guest upload  MB/s", "upload", "mbps", "{:.1f}"),
    ]
    print(f"{'':30} {'unikernel':>12} {'host':>12} {'unikernel/host':>15}   {'unikernel runs':>20} {'host runs':>20}")
    for label, key, field, form in rows:
        a, b = u[key][field], h[key][field]
        cell = (lambda v: fmt_time(v)) if form == "t" else (lambda v: form.format(v))
        ratio = a / b if b else float("nan")
        spread = [f"{cell(m[key][field + '_min'])}-{cell(m[key][field + '_max'])}" for m in (u, h)]
        print(f"{label:30} {cell(a):>12} {cell(b):>12} {ratio:>14.2f}x   {spread[0]:>20} {spread[1]:>20}")

    errors = {name: sum(r["errors"] + r["bad"] for per in results[name].values() for r in per)
              for name in results}
    print()
    print(f"Errors (socket errors, timeouts, non-2xx) over all runs: unikernel {errors['unikernel']}, "
          f"host {errors['host']}.")
    print()
    print("Where the time goes (medians; CPU as a share of one core during the run):")
    for key, what in (("keepalive", "keep-alive"), ("newconn", "new connection"), ("rtt", "round trip"),
                      ("download", "/big"), ("upload", "upload")):
        gu, gh = u[key], h[key]
        print(f"  {what:15} QEMU {gu['cpu'] * 100:4.0f}% CPU, {fmt_time(gu['cpu_per_req'])}/request; "
              f"guest {fmt_time(gu['busy_per_req'])}/request outside epoll_wait (send "
              f"{fmt_time(gu['send_per_req'])}, recv {fmt_time(gu['recv_per_req'])}), "
              f"{gu['wakeups_per_req']:.2f} epoll wake-ups/request | host process "
              f"{gh['cpu'] * 100:3.0f}% CPU, {fmt_time(gh['cpu_per_req'])}/request")
    rtt = u["rtt"]["p50"]
    print(f"  One request at a time takes {fmt_time(rtt)} in the unikernel against "
          f"{fmt_time(h['rtt']['p50'])} on the host; of the unikernel's, "
          f"{fmt_time(u['rtt']['busy_per_req'])} passes outside epoll_wait (the service's code "
          f"and its socket calls), the rest inside it (waiting, and the guest's network stack "
          f"and virtio driver) and outside the guest.")
    print("  At the guest's NIC (a second boot, QEMU's filter-dump recording every frame): from a "
          "request's last frame in to its response's first frame out, p50 / p99, against what the "
          "client saw in the same run:")
    for key, what in (("keepalive", f"keep-alive, {args.connections} connections"), ("rtt", "round trip")):
        seen, turn = wire[key]
        print(f"    {what:26} guest {fmt_time(percentile(turn, 0.5))} / {fmt_time(percentile(turn, 0.99))} "
              f"({len(turn)} requests); client {fmt_time(seen['p50'])} / {fmt_time(seen['p99'])}")
    print("    The difference is spent outside the guest: QEMU's user networking between the host's "
          "socket and the guest's NIC, and the host itself.")
    if load.name != "wrk":
        print(f"  The Python client itself caps the host figures: they are what it can drive, "
              f"not what the host server can do.")
    print(f"  Guest counters at the end: {final['requests']} requests, {final['connections']} "
          f"connections, {final['bytes_out']} bytes out, {final['uploaded']} bytes uploaded; "
          f"boot to first answer {guest.boot_seconds:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
