"""services/udp_echo: a network function on virtio-net, answering the host
through QEMU's user networking."""

import json
import re
import socket
import subprocess
import sys
import time

import pytest

from support import Project, environment, validate_domain

pytestmark = pytest.mark.e2e

TOML = "services/udp_echo/service.toml"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def echo_project(root, client=True):
    """udp_echo on a free host port; with or without its test client."""
    project = Project(root, services=("udp_echo",))
    port = free_udp_port()
    project.edit(TOML, '"udp:5555-:7"', f'"udp:{port}-:7"')
    if not client:
        project.edit(TOML, 'client = "echo_client.py"\n', "")
    built = project.doit()
    assert built.status == 0, built
    return project, port


def test_doit_test_runs_the_echo_client(tmp_path):
    project, _ = echo_project(tmp_path)
    domain = validate_domain(project.path("build/udp_echo/domain.xml"))
    assert re.search(r'<qemu:arg value="user,id=ukbuild-net0,hostfwd=udp:127\.0\.0\.1:\d+-:7"/>', domain)
    vm = json.loads(project.path("build/udp_echo/vm.json").read_text())
    assert [{k: v for k, v in n.items() if k != "mac"} for n in vm["net"]] == [
        {"device": "virtio", "backend": "user", "name": "net0"}], vm
    assert re.fullmatch(r"52:54:00(:[0-9a-f]{2}){3}", vm["net"][0]["mac"]), vm
    result = project.doit("-v", "2", "test:udp_echo")
    assert result.status == 0, result
    assert re.search(r"^\[client\] echo_client: 232 datagrams echoed intact$", result.out, re.M), result
    assert re.search(r"^udp_echo: 23\d datagrams echoed$", result.out, re.M), result


def test_a_failing_client_fails_the_test_at_once(tmp_path):
    project, _ = echo_project(tmp_path)
    project.path("services/udp_echo/echo_client.py").write_text(
        "import os, sys\nprint('forward', os.environ['UKBUILD_FORWARD_UDP_7'])\nsys.exit(3)\n")
    started = time.monotonic()
    result = project.ukbuild("test", "udp_echo")
    assert result.status == 68, result
    assert "the test client echo_client.py exited with status 3" in result.err, result
    assert re.search(r"^\[client\] forward 127\.0\.0\.1:\d+$", result.out, re.M), result
    assert time.monotonic() - started < 60, "not the 120 s timeout"


@pytest.fixture
def echo(tmp_path):
    project, port = echo_project(tmp_path, client=False)
    harness = subprocess.Popen([sys.executable, "-m", "ukbuild", "test", "udp_echo"],
                               cwd=project.root, env=environment(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield project, port, harness
    harness.kill()
    harness.wait()


def wait_for_echo(sock, deadline=60):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            sock.send(b"hello?")
            if sock.recv(2048) == b"hello?":
                return
        except (socket.timeout, ConnectionRefusedError):
            pass
    raise AssertionError("the service never echoed")


def test_every_datagram_is_echoed_then_the_service_shuts_down(echo):
    project, port, harness = echo
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.5)
    sock.connect(("127.0.0.1", port))
    wait_for_echo(sock)
    sock.settimeout(5)
    sizes = [1, 7, 64, 512, 1400, 1472]
    for i in range(300):
        payload = bytes([i % 251]) * sizes[i % len(sizes)] + i.to_bytes(4, "big")
        sock.send(payload)
        assert sock.recv(4096) == payload, f"datagram {i} came back different"
    # several in flight at once
    burst = [f"burst {i}".encode() for i in range(32)]
    for data in burst:
        sock.send(data)
    got = sorted(sock.recv(4096) for _ in burst)
    assert got == sorted(burst)
    sock.send(b"shutdown")
    out, _ = harness.communicate(timeout=60)
    assert harness.returncode == 0, out
    assert "Powering off" in out
