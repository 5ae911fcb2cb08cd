"""The host side of udp_echo's [test]: datagrams of many sizes through the
port forward, each echo checked, a burst in flight at once, then
"shutdown". Exits non-zero at the first wrong or missing echo."""

import os
import socket
import sys
import time

host, port = os.environ["UKBUILD_FORWARD_UDP_7"].rsplit(":", 1)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.connect((host, int(port)))


def fail(message: str) -> None:
    print(f"echo_client: {message}", flush=True)
    sys.exit(1)


# The service is up once it answers (its first datagrams may meet ARP).
sock.settimeout(0.5)
deadline = time.monotonic() + 60
while True:
    try:
        sock.send(b"ping")
        if sock.recv(2048) == b"ping":
            break
    except (socket.timeout, ConnectionRefusedError):
        pass
    if time.monotonic() > deadline:
        fail(f"no echo from {host}:{port} within 60 s")

sock.settimeout(10)
sizes = [1, 7, 64, 512, 1400, 1472, 4000, 8000]  # the last two are IP fragments
count = 200
for i in range(count):
    payload = bytes([i % 251]) * sizes[i % len(sizes)] + i.to_bytes(4, "big")
    sock.send(payload)
    try:
        echo = sock.recv(65535)
    except socket.timeout:
        fail(f"datagram {i} ({len(payload)} bytes): no echo")
    if echo != payload:
        fail(f"datagram {i} ({len(payload)} bytes): the echo differs ({len(echo)} bytes)")

burst = [f"burst {i}".encode() for i in range(32)]
for data in burst:
    sock.send(data)
try:
    got = sorted(sock.recv(65535) for _ in burst)
except socket.timeout:
    fail("a datagram of the burst was not echoed")
if got != sorted(burst):
    fail("the burst's echoes differ from what was sent")

print(f"echo_client: {count + len(burst)} datagrams echoed intact", flush=True)
sock.send(b"shutdown")
