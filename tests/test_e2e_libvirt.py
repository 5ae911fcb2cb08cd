"""libvirt for real: a libvirt daemon of this test's own defines, starts and
undefines the examples' domain.xml (doit deploy:S / undeploy:S), and each
domain boots the machine run.sh boots, with the same serial lines.

As root (the CI runners), the test runs a private libvirtd for qemu:///system
on a socket in its own folder (or the machine's own, when one runs: there
can be only one), with what FACTS.md says the QEMU driver needs
(the libvirt-qemu user, libvirt's folders, qemu.conf with user root and no
security driver; a qemu.conf already there is left as it is) and virtlogd
for the serial logs when none answers on its socket (a socket file left by
one that died is removed first); it stops what it started by pid. As another
user it uses that user's qemu:///session."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from support import Project

pytestmark = pytest.mark.e2e

SELF_ENDING = ("hello", "wordfreq", "disks")
QEMU_CONF = 'user = "root"\ngroup = "root"\nsecurity_driver = "none"\n'


def _sbin(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not found:
        pytest.fail(f"{name} is missing (Debian: libvirt-daemon-driver-qemu; make test installs it)")
    return found


def _start_daemon(argv: list[str], pidfile: Path) -> int:
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not pidfile.is_file() or not pidfile.read_text().strip():
        assert time.monotonic() < deadline, f"{argv[0]} wrote no pid file"
        time.sleep(0.05)
    return int(pidfile.read_text())


def _answers(path: Path) -> bool:
    """Whether a daemon listens on the unix socket at path (a socket file
    left behind by one that died refuses connections)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


@pytest.fixture(scope="module")
def libvirt_uri(tmp_path_factory):
    if os.geteuid() != 0:
        yield "qemu:///session"
        return
    libvirtd, virtlogd = _sbin("libvirtd"), _sbin("virtlogd")
    if subprocess.run(["virsh", "-c", "qemu:///system", "version"], capture_output=True,
                      timeout=30).returncode == 0:
        yield "qemu:///system"         # the machine's own daemon runs: one per machine
        return
    here = tmp_path_factory.mktemp("libvirt")
    if subprocess.run(["getent", "group", "libvirt-qemu"], capture_output=True).returncode:
        subprocess.run(["groupadd", "-r", "libvirt-qemu"], check=True)
    if subprocess.run(["id", "libvirt-qemu"], capture_output=True).returncode:
        subprocess.run(["useradd", "-r", "-g", "libvirt-qemu", "-d", "/var/lib/libvirt",
                        "-s", "/usr/sbin/nologin", "libvirt-qemu"], check=True)
    for folder in ("/var/log/libvirt", "/var/lib/libvirt", "/var/run/libvirt", "/etc/libvirt"):
        os.makedirs(folder, exist_ok=True)
    conf = Path("/etc/libvirt/qemu.conf")
    if not conf.exists():
        conf.write_text(QEMU_CONF)
    started = []
    logsock = Path("/run/libvirt/virtlogd-sock")
    if not _answers(logsock):
        logsock.unlink(missing_ok=True)
        started.append(_start_daemon([virtlogd, "-d", "-p", str(here / "virtlogd.pid")],
                                     here / "virtlogd.pid"))
    run = here / "run"
    run.mkdir()
    (here / "libvirtd.conf").write_text(
        f'unix_sock_dir = "{run}"\nlisten_tls = 0\nlisten_tcp = 0\n'
        'auth_unix_rw = "none"\nauth_unix_ro = "none"\n')
    started.append(_start_daemon([libvirtd, "-d", "-f", str(here / "libvirtd.conf"),
                                  "-p", str(here / "libvirtd.pid")], here / "libvirtd.pid"))
    uri = f"qemu:///system?socket={run}/libvirt-sock"
    deadline = time.monotonic() + 20
    while subprocess.run(["virsh", "-c", uri, "version"], capture_output=True).returncode:
        assert time.monotonic() < deadline, "libvirtd does not answer"
        time.sleep(0.2)
    try:
        yield uri
    finally:
        for pid in reversed(started):
            _stop(pid)


@pytest.fixture(scope="module")
def built(tmp_path_factory, libvirt_uri):
    project = Project(tmp_path_factory.mktemp("libvirt-examples"),
                      services=SELF_ENDING + ("udp_echo",))
    result = project.doit("-n", "2")
    assert result.status == 0, result
    saved = os.environ.get("UKBUILD_LIBVIRT_URI")
    os.environ["UKBUILD_LIBVIRT_URI"] = libvirt_uri
    try:
        yield project
    finally:
        for name in SELF_ENDING + ("udp_echo",):
            project.ukbuild("undeploy", name)
        if saved is None:
            os.environ.pop("UKBUILD_LIBVIRT_URI")
        else:
            os.environ["UKBUILD_LIBVIRT_URI"] = saved


def virsh(uri, *args):
    return subprocess.run(["virsh", "-q", "-c", uri, *args], capture_output=True, text=True)


def wait_state(uri, name, state, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if virsh(uri, "domstate", name).stdout.strip() == state:
            return True
        time.sleep(0.1)
    return False


def service_lines(text: str) -> list[str]:
    """The service's own lines: from the kernel's "Running" to "Powering off"."""
    lines = [l.rstrip("\r") for l in text.splitlines()]
    start = next(i for i, l in enumerate(lines) if "+--> Running [" in l)
    end = next(i for i, l in enumerate(lines) if "[ Kernel ] Powering off" in l)
    return lines[start:end + 1]


@pytest.mark.parametrize("name", SELF_ENDING)
def test_a_deployed_domain_boots_what_run_sh_boots(built, libvirt_uri, name):
    machine = re.search(r"-machine (\S+)", built.path(f"build/{name}/run.sh").read_text())
    assert f'machine="{machine.group(1)}"' in built.path(f"build/{name}/domain.xml").read_text()
    deployed = built.doit(f"deploy:{name}")
    assert deployed.status == 0, deployed
    assert wait_state(libvirt_uri, name, "shut off"), virsh(libvirt_uri, "domstate", name)
    domain = service_lines(built.path(f"build/{name}/domain-serial.log").read_text(errors="replace"))
    run = subprocess.run([str(built.path(f"build/{name}/run.sh"))], capture_output=True,
                         text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr
    assert domain == service_lines(run.stdout)
    assert any("returned with status 0" in l or "exited with status 0" in l for l in domain)
    undeployed = built.doit(f"undeploy:{name}")
    assert undeployed.status == 0, undeployed
    assert virsh(libvirt_uri, "domstate", name).returncode != 0, "the domain is still defined"


def test_a_deployed_server_answers_through_its_port_forward_and_powers_off(built, libvirt_uri):
    result = built.ukbuild("deploy", "udp_echo")
    assert result.status == 0 and "udp_echo: deployed to" in result.out, result
    log = built.path("build/udp_echo/domain-serial.log")
    deadline = time.monotonic() + 60
    while "echoing on" not in (log.read_text(errors="replace") if log.exists() else ""):
        assert time.monotonic() < deadline, log.read_text() if log.exists() else "no serial log"
        time.sleep(0.1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(10)
        s.sendto(b"through libvirt", ("127.0.0.1", 5555))
        assert s.recvfrom(100)[0] == b"through libvirt"
        s.sendto(b"shutdown", ("127.0.0.1", 5555))
    assert wait_state(libvirt_uri, "udp_echo", "shut off")
    assert "udp_echo: shutdown from 10.0.2.2" in log.read_text()
    again = built.ukbuild("deploy", "udp_echo")      # a second deploy replaces the first
    assert again.status == 0 and "udp_echo: redeployed to" in again.out, again
    gone = built.ukbuild("undeploy", "udp_echo")
    assert gone.status == 0 and "stopped and undefined" in gone.out, gone
    missing = built.ukbuild("undeploy", "udp_echo")
    assert missing.status == 0 and "no domain of that name" in missing.out, missing


def test_a_bad_libvirt_uri_is_one_line(built):
    env_uri = os.environ["UKBUILD_LIBVIRT_URI"]
    os.environ["UKBUILD_LIBVIRT_URI"] = "qemu:///system?socket=/nonexistent/libvirt-sock"
    try:
        result = built.ukbuild("deploy", "hello")
    finally:
        os.environ["UKBUILD_LIBVIRT_URI"] = env_uri
    assert result.status != 0
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("virsh -c qemu:///system?socket=/nonexistent"), result
    assert "Traceback" not in result.err
