"""The TCP examples through their own tests (doit test:S, their host
clients through the port forwards): services/http_hello (POSIX sockets
and epoll) and services/tcp_echo (IncludeOS's API, DHCP, timers); and
what a user sees when a forward or the config is wrong."""

import re
import socket

import pytest

from support import Project

pytestmark = pytest.mark.e2e


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def example(root, name, forward):
    """A copy of example `name` whose forward `forward` uses a free host port."""
    project = Project(root, services=(name,))
    host, guest = forward
    project.edit(f"services/{name}/service.toml", f'"tcp:{host}-:{guest}"', f'"tcp:{free_tcp_port()}-:{guest}"')
    return project


def test_http_hello_passes_its_client(tmp_path):
    project = example(tmp_path, "http_hello", (18080, 80))
    result = project.doit("-v", "2", "test:http_hello")
    assert result.status == 0, result
    assert re.search(r"^\[client\] .*", result.out, re.M), result
    assert "http_hello: listening on port 80, root /memdisk" in result.out, result


def test_tcp_echo_passes_its_client(tmp_path):
    project = example(tmp_path, "tcp_echo", (17007, 7))
    result = project.doit("-v", "2", "test:tcp_echo")
    assert result.status == 0, result
    assert re.search(r"\[ DHCP \] eth0: 10\.0\.2\.15 from 10\.0\.2\.2", result.out), result
    assert re.search(r"^\[client\] ", result.out, re.M), result


def test_a_forward_to_a_port_nothing_listens_on_is_named(tmp_path):
    project = Project(tmp_path, services=("http_hello",))
    port = free_tcp_port()
    project.edit("services/http_hello/service.toml", '"tcp:18080-:80"', f'"tcp:{port}-:81"')
    project.edit("services/http_hello/http_client.py", 'os.environ.get("UKBUILD_FORWARD_TCP_80")',
                 'os.environ.get("UKBUILD_FORWARD_TCP_81")')
    assert project.doit("build:http_hello").status == 0
    project.edit("services/http_hello/service.toml", "timeout = 60", "timeout = 15")
    result = project.ukbuild("test", "http_hello")
    named = ("services/http_hello/service.toml: vm.net[0].forward[0]: the guest refused a connection "
             "to its port 81: nothing listens there")
    # The client keeps trying, so the test times out (or the client gives
    # up); either way the reason names the forward, and so did a line as
    # it happened.
    assert result.status in (66, 68), result
    assert named in result.err.splitlines()[-1], result
    assert "[ukbuild] " + named in result.out, result


def test_an_unknown_config_method_is_one_line(tmp_path):
    project = Project(tmp_path, services=("tcp_echo",))
    project.edit("services/tcp_echo/config.json", '"dhcp"', '"dhcpv4"')
    result = project.doit("build:tcp_echo")
    assert result.status != 0
    lines = [l for l in (result.out + result.err).splitlines() if "config.json" in l]
    assert lines and all("Traceback" not in l for l in (result.out + result.err).splitlines()), result
    assert any(re.search(r"services/tcp_echo/config\.json: net\[0\]\.config: expected one of 'static', "
                         r"'static4', 'dhcp', 'dhcp4', 'dhcp-with-fallback', 'none', found 'dhcpv4'", l)
               for l in lines), result
    assert not project.path("build/tcp_echo/config.o").exists()
