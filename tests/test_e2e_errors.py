"""Bad input and failing services: one clear line, the right status, nothing
half-built."""

import os
import subprocess
import sys
import time

import pytest

from support import Project, environment

pytestmark = pytest.mark.e2e


def test_an_invalid_descriptor_stops_doit_with_one_line(tmp_path):
    project = Project(tmp_path, services=("hello",))
    project.edit("services/hello/service.toml", "[build]", "[build]\nstd = 17")
    result = project.doit()
    assert result.status != 0
    lines = result.err.strip().splitlines()
    assert lines == ["services/hello/service.toml: build.std: expected a string, found 17 (an integer)"], result
    assert "Traceback" not in result.out + result.err
    assert not project.path("build").exists()
    assert project.ukbuild("test", "hello").status == 73


def test_a_failing_compile_shows_the_message_and_the_command(tmp_path):
    project = Project(tmp_path, services=("hello", "wordfreq"))
    project.edit("services/wordfreq/src/options.cpp", "return options;", "return options")
    result = project.doit()
    assert result.status != 0
    assert "options.cpp" in result.out and "error: expected ';'" in result.out, result
    assert "command: " in result.out and " -c " in result.out
    assert "Traceback" not in result.out + result.err
    assert not project.path("build/wordfreq/wordfreq.elf.bin").exists()
    # with -c the other services still build
    result = project.doit("-c")
    assert result.status != 0
    assert project.path("build/hello/hello.kernel").is_file()
    # the objects finished before the failure are kept: after the fix, only the
    # failed source and the one not reached yet (the platform's) are compiled
    project.edit("services/wordfreq/src/options.cpp", "return options", "return options;")
    result = project.doit()
    assert result.status == 0, result
    compiled = [o.rsplit("/", 1)[1] for o in result.traced("compile")]
    assert compiled == ["options.cpp.o", "service_name.o"], result.trace


SERVICE = """
[service]
description = "status check"
[build]
sources = ["service.cpp"]
[test]
expect = {expect}
exit_status = {status}
timeout = {timeout}
"""


def failing(tmp_path, code, expect='["ready"]', status=0, timeout=20):
    project = Project(tmp_path, services=())
    folder = project.path("services/probe")
    folder.mkdir(parents=True)
    (folder / "service.toml").write_text(SERVICE.format(expect=expect, status=status, timeout=timeout))
    (folder / "service.cpp").write_text(code)
    built = project.doit()
    assert built.status == 0, built
    return project


MAIN = '#include <os>\n#include <cstdio>\n'


@pytest.mark.parametrize("code, expect, status, wanted, message", [
    (MAIN + 'int main(){ std::puts("ready"); return 0; }', '["ready"]', 0, 0, "reported status 0"),
    (MAIN + 'int main(){ std::puts("ready"); return 0; }', '["ready", "never"]', 0, 68, "expected 'never'"),
    (MAIN + 'int main(){ std::puts("ready"); return 3; }', '["ready"]', 0, 68, "reported status 3, expected 0"),
    (MAIN + 'int main(){ std::puts("ready"); return 3; }', '["ready"]', 3, 0, "reported status 3"),
    (MAIN + 'int main(){ std::puts("ready"); os::panic("on purpose"); }', '["ready"]', 0, 67, "on purpose"),
    (MAIN + '#include <stdexcept>\nint main(){ std::puts("ready"); throw std::runtime_error("oops"); }',
     '["ready"]', 0, 67, "panicked"),
    (MAIN + 'void Service::start(){ std::puts("ready"); }', '["ready"]', 0, 66, "timed out after 3 s"),
])
def test_test_statuses_are_vmrunners(tmp_path, code, expect, status, wanted, message):
    project = failing(tmp_path, code, expect, status, timeout=3 if wanted == 66 else 20)
    result = project.ukbuild("test", "probe")
    assert result.status == wanted, result
    assert message in result.out + result.err, result
    via_doit = project.doit("test:probe")
    assert (via_doit.status == 0) == (wanted == 0), via_doit
    if wanted:
        assert f"failed with status {wanted}" in via_doit.out + via_doit.err, via_doit


def test_a_qemu_that_cannot_start_is_a_boot_failure(tmp_path):
    project = failing(tmp_path, MAIN + "int main(){ return 0; }")
    project.path("build/probe/probe.kernel").unlink()
    result = project.ukbuild("test", "probe")
    assert result.status == 72, result
    assert "QEMU exited with status" in result.err + result.out


def test_testing_an_unbuilt_service_says_so(tmp_path):
    project = Project(tmp_path, services=("hello",))
    result = project.ukbuild("test", "hello")
    assert result.status == 72 and "doit build:hello" in result.err, result


def qemus_in(folder):
    """QEMU processes whose working directory is ``folder``."""
    found = []
    for proc in os.listdir("/proc"):
        if not proc.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{proc}/exe")
            cwd = os.readlink(f"/proc/{proc}/cwd")
        except OSError:
            continue
        if "qemu-system" in exe and cwd == str(folder):
            found.append(int(proc))
    return found


def test_no_qemu_outlives_its_test(tmp_path):
    project = failing(tmp_path, MAIN + 'void Service::start(){ std::puts("ready"); }', timeout=60)
    build = project.path("build/probe")
    harness = subprocess.Popen([sys.executable, "-m", "ukbuild", "test", "probe"],
                               cwd=project.root, env=environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    assert "ready" in "".join(harness.stdout.readline() for _ in range(4)), "the service booted"
    assert qemus_in(build), "QEMU runs while the test does"
    harness.kill()  # the harness dies without any chance to clean up
    harness.wait()
    deadline = time.monotonic() + 10
    while qemus_in(build) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert qemus_in(build) == []
    # a test that times out leaves nothing running either
    project.edit("services/probe/service.toml", "timeout = 60", "timeout = 2")
    assert project.doit().status == 0
    assert project.ukbuild("test", "probe").status == 66
    assert qemus_in(build) == []


def test_a_busy_forwarded_port_is_reported_before_qemu_starts(tmp_path):
    import socket

    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    project = failing(tmp_path, MAIN + 'int main(){ std::puts("ready"); return 0; }')
    project.edit("services/probe/service.toml", "[test]",
                 f'[[vm.net]]\nforward = ["udp:{port}-:7"]\n\n[test]')
    assert project.doit().status == 0
    try:
        result = project.ukbuild("test", "probe")
        assert result.status == 72, result
        assert (f"services/probe/service.toml: vm.net[0].forward[0]: udp port 127.0.0.1:{port} "
                "is already in use") in result.err, result
        assert result.trace == [], "QEMU was not started"
    finally:
        holder.close()
    # free again: the service boots on pc with a NIC
    assert project.ukbuild("test", "probe").status == 0
