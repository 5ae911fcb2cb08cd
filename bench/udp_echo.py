#!/usr/bin/env python3
"""UDP echo: the unikernel services/udp_echo against a host-native echo.

    python bench/udp_echo.py [--count 2000] [--seconds 3] [--window 16]

Builds services/udp_echo with ukbuild, boots it (QEMU user networking, the
service's port forward on 127.0.0.1), and measures from the host:

  latency      round trips one at a time: p50 and p99
  throughput   datagrams per second echoed, with --window datagrams in flight

The floor, measured in the same run: a UDP echo server in C on the host's
loopback (built with the system's cc), and the same client.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAYLOAD = 64

ECHO_C = r"""
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
int main(int argc, char** argv) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(atoi(argv[1]));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr*)&a, sizeof a)) { perror("bind"); return 1; }
  printf("ready\n"); fflush(stdout);
  char buf[65536];
  for (;;) {
    struct sockaddr_in from; socklen_t len = sizeof from;
    ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr*)&from, &len);
    if (n >= 0) sendto(s, buf, n, 0, (struct sockaddr*)&from, len);
  }
}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def latency(port: int, count: int) -> list[float]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2.0)
    sock.connect(("127.0.0.1", port))
    times = []
    for i in range(count):
        data = i.to_bytes(4, "big") * (PAYLOAD // 4)
        start = time.perf_counter()
        sock.send(data)
        while True:
            if sock.recv(2048) == data:
                break
        times.append(time.perf_counter() - start)
    sock.close()
    return times


def throughput(port: int, seconds: float, window: int) -> float:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.5)
    sock.connect(("127.0.0.1", port))
    data = b"x" * PAYLOAD
    for _ in range(window):
        sock.send(data)
    echoed = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        try:
            sock.recv(2048)
        except socket.timeout:  # a datagram was lost: refill the window
            for _ in range(window):
                sock.send(data)
            continue
        echoed += 1
        sock.send(data)
    elapsed = time.perf_counter() - start
    sock.close()
    return echoed / elapsed


def wait_until_echoing(port: int, timeout: float) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.2)
    sock.connect(("127.0.0.1", port))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            sock.send(b"ping")
            if sock.recv(2048) == b"ping":
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing echoes on 127.0.0.1:{port}")


def measure(port: int, args) -> dict:
    wait_until_echoing(port, 60)
    lat = latency(port, args.count)
    return {"p50": statistics.median(lat) * 1e6,
            "p99": statistics.quantiles(lat, n=100)[98] * 1e6,
            "rate": throughput(port, args.seconds, args.window)}


def unikernel(args, work: Path) -> dict:
    project = work / "project"
    shutil.copytree(REPO / "services" / "udp_echo", project / "services" / "udp_echo")
    (project / "dodo.py").write_text("from ukbuild.dodo import *  # noqa: F401,F403\n")
    port = free_port()
    toml = project / "services" / "udp_echo" / "service.toml"
    toml.write_text(re.sub(r'"udp:\d+-:7"', f'"udp:{port}-:7"', toml.read_text()))
    env = dict(os.environ)
    env.setdefault("UKBUILD_CONAN_HOME", str(REPO / ".ukbuild" / "conan"))
    build = subprocess.run([sys.executable, "-m", "doit", "build:udp_echo"], cwd=project, env=env,
                           capture_output=True, text=True)
    if build.returncode != 0:
        raise SystemExit(f"building udp_echo failed:\n{build.stdout}{build.stderr}")
    qemu = subprocess.Popen([str(project / "build" / "udp_echo" / "run.sh")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return measure(port, args)
    finally:
        os.killpg(qemu.pid, signal.SIGKILL)
        qemu.wait()


def host(args, work: Path) -> dict:
    source = work / "echo.c"
    source.write_text(ECHO_C)
    binary = work / "echo"
    subprocess.run(["cc", "-O2", "-o", str(binary), str(source)], check=True)
    port = free_port()
    server = subprocess.Popen([str(binary), str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
        return measure(port, args)
    finally:
        server.kill()
        server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="round trips for latency")
    parser.add_argument("--seconds", type=float, default=3.0, help="time for throughput")
    parser.add_argument("--window", type=int, default=16, help="datagrams in flight")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ukbench-udp-") as tmp:
        work = Path(tmp)
        guest = unikernel(args, work)
        floor = host(args, work)
    accel = "KVM" if "vmx" in Path("/proc/cpuinfo").read_text() else "TCG"
    print(f"UDP echo, {PAYLOAD}-byte datagrams, from the host over 127.0.0.1 "
          f"(unikernel: QEMU {accel}, user networking)")
    print(f"{'':22} {'p50 us':>9} {'p99 us':>9} {'datagrams/s':>12}")
    for name, r in (("udp_echo (unikernel)", guest), ("host echo (floor)", floor)):
        print(f"{name:22} {r['p50']:9.0f} {r['p99']:9.0f} {r['rate']:12.0f}")
    print(f"{'ratio':22} {guest['p50'] / floor['p50']:8.1f}x {guest['p99'] / floor['p99']:8.1f}x "
          f"{guest['rate'] / floor['rate']:11.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
