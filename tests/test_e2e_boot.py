"""Build the examples with the real toolchain, conan and QEMU, boot them and
read their serial output."""

import re
import subprocess
import sys

import pytest

from support import Project

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("examples"), services=("hello", "wordfreq"))
    result = project.doit("-n", "2")
    assert result.status == 0, result
    return project


def test_a_cold_build_makes_every_output(built):
    for name in ("hello", "wordfreq"):
        b = built.path(f"build/{name}")
        for output in ("deps.json", f"{name}.elf.bin", f"{name}.kernel", "run.sh"):
            assert (b / output).is_file(), f"build/{name}/{output} is missing"
        assert (b / f"{name}.elf.bin").read_bytes()[:5] == b"\x7fELF\x02", "S.elf.bin is ELF64"
    assert built.path("build/wordfreq/obj/src/count.cpp.o").is_file()
    assert built.path("build/wordfreq/obj/src/main.cpp.o").is_file()


def test_hello_boots_and_reports_status_zero(built):
    result = built.ukbuild("test", "hello")
    assert result.status == 0, result
    lines = result.out.splitlines()
    assert " +--> Running [ Hello world - OS included ]" in lines
    assert "Hello world" in lines
    assert "       [ main ] returned with status 0" in lines
    order = [i for i, l in enumerate(lines) if re.search(
        r"Running \[|^Hello world$|returned with status 0|Powering off", l)]
    assert len(order) == 4 and order == sorted(order), result.out


def test_wordfreq_uses_its_sources_the_standard_library_and_checksum(built):
    result = built.ukbuild("test", "wordfreq")
    assert result.status == 0, result
    # the CRC-32 computed in the unikernel matches the host's
    import zlib

    text = re.search(r'static const std::string text =\n((?:\s+".*"\n?)+);',
                     built.path("services/wordfreq/src/main.cpp").read_text()).group(1)
    text = "".join(re.findall(r'"(.*?)"', text))
    assert f"crc32 {zlib.crc32(text.encode()):08x}, adler32 {zlib.adler32(text.encode()):08x}" \
        in result.out, result.out
    assert "1. the (" in result.out and "bad option caught: --top wants a number" in result.out


def test_doit_test_passes_and_run_shows_the_serial_port(built):
    result = built.doit("test:hello")
    assert result.status == 0, result
    assert "test:hello" in result.ran
    run = built.doit("run:hello")
    assert run.status == 0, run
    assert "Hello world" in run.out and "[ main ] returned with status 0" in run.out


def test_run_sh_works_without_doit(built):
    proc = subprocess.run([str(built.path("build/hello/run.sh"))], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "Hello world" in proc.stdout and "Powering off" in proc.stdout


def test_cmdline_reaches_main(built):
    result = built.ukbuild("test", "wordfreq")
    assert "3 most frequent words" in result.out  # [vm] cmdline = "--top 3"
    assert "  4. " not in result.out


def test_doit_clean_removes_what_was_built(tmp_path):
    project = Project(tmp_path, services=("hello",))
    assert project.doit().status == 0
    assert project.path("build/hello/hello.kernel").exists()
    clean = project.doit("clean")
    assert clean.status == 0, clean
    assert not project.path("build/hello").exists()


def test_a_service_recipe_is_used_instead_of_the_generated_one(tmp_path):
    project = Project(tmp_path, services=("wordfreq",))
    project.edit("services/wordfreq/service.toml", 'requires = ["checksum/1.0.0"]', "")
    project.path("services/wordfreq/conanfile.py").write_text(
        "from conan import ConanFile\n\n\n"
        "class Wordfreq(ConanFile):\n"
        '    settings = "os", "arch", "compiler", "build_type"\n\n'
        "    def requirements(self):\n"
        '        self.requires("ukbase/0.1.0")\n'
        '        self.requires("checksum/[>=1.0 <2]")\n')
    result = project.doit()
    assert result.status == 0, result
    assert not project.path("build/wordfreq/conanfile.py").exists()
    deps = (project.path("build/wordfreq/deps.json")).read_text()
    assert '"ref": "checksum/1.0.0"' in deps
    assert project.ukbuild("test", "wordfreq").status == 0
    # the recipe is an input of deps:wordfreq
    project.edit("services/wordfreq/conanfile.py", '"checksum/[>=1.0 <2]"', '"checksum/1.0.0"')
    again = project.doit()
    assert "deps:wordfreq" in again.ran and again.traced("compile") == [], again


def test_debug_boots_paused_and_gdb_attaches(built):
    import shlex

    from support import environment

    proc = subprocess.Popen([sys.executable, "-m", "ukbuild", "debug", "hello"], cwd=built.root,
                            env=environment(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()
        assert "gdb stub on 127.0.0.1:" in first, first
        command = proc.stdout.readline().strip()
        assert command.startswith("gdb ") and "hello.elf.bin" in command, command
        words = shlex.split(command)
        gdb = subprocess.run(["gdb", "-batch", *words[1:-1], "-ex", "bt 1", "-ex", "kill",
                              words[-1]], cwd=built.root, capture_output=True, text=True, timeout=120)
        assert "in main ()" in gdb.stdout, gdb.stdout + gdb.stderr
    finally:
        try:
            proc.wait(timeout=30)
        finally:
            proc.kill()
    rest = proc.stdout.read()
    assert "Running [ Hello world - OS included ]" in rest, "the service ran until main once attached"
    assert "Hello world\n" not in rest, "gdb killed it at main, before it printed"
