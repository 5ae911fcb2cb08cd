"""Stage functions: the command lines and files a stage produces, with no
compiler, conan or QEMU run."""

import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import write_service
from ukbuild.descriptor import load_service
from ukbuild.platform import expand, load_platform
from ukbuild.render import render
from ukbuild.stages import compile as compile_stage
from ukbuild.stages.deps import Deps, Package
from ukbuild.stages.link import kernel_command, link_command
from ukbuild.stages.qemu import launch

FAKE = Path(__file__).parent / "data" / "fakeplatform"


@pytest.fixture
def platform():
    return load_platform(FAKE)


@pytest.fixture
def deps():
    return Deps(
        platform=Package("fakeos/1.0", "fakeos/1.0#r:p#q", FAKE),
        requires=(Package("checksum/1.0.0", "checksum/1.0.0#a:b#c", Path("/conan/p/cks"),
                          include_dirs=(Path("/conan/p/cks/include"),),
                          archives=(Path("/conan/p/cks/lib/libchecksum.a"),),
                          defines=("CHECKSUM_STATIC",)),),
    )


@pytest.fixture
def service(project):
    folder = write_service(project, "echo", """
[service]
description = 'Echo "quoted" \\ service'
[platform]
drivers = ["virtionet"]
[build]
sources = ["src/*.cpp", "src/*.c"]
include_dirs = ["include"]
defines = { GREETING = '"hi"', FAST = true }
cxxflags = ["-Wall", "-O3"]
std = "c++20"
[vm]
memory = 64
cmdline = "--port 7 'two words'"
""", {"src/main.cpp": "", "src/util.c": "", "include/echo.h": ""})
    return load_service(folder)


def test_placeholders_expand_to_words():
    subst = {"objcopy": ("llvm-objcopy", "--quiet"), "prefix": ("/p",)}
    assert expand(("{objcopy}", "-T{prefix}/x.ld", "{elf}"), subst) == (
        "llvm-objcopy", "--quiet", "-T/p/x.ld", "{elf}")


def test_the_platform_description_is_read(platform):
    assert platform.name == "fakeos" and platform.cxx == ("clang++",)
    assert platform.include_dirs[0] == FAKE / "include/c++/v1"
    assert platform.libs == (FAKE / "lib/libos.a", FAKE / "lib/libc++.a", FAKE / "lib/libc.a")
    assert platform.machines == ("microvm", "pc")
    assert platform.serial == {"panic": "KERNEL PANIC"}
    assert platform.available("drivers") == ["virtionet"]


def test_a_cxx_compile_line(service, platform, deps, project):
    build = project / "build" / "echo"
    main = service.folder / "src/main.cpp"
    obj = compile_stage.object_path(service, build, main)
    assert obj == build / "obj/src/main.cpp.o"
    cmd = compile_stage.compile_command(service, platform, deps, project, main, obj,
                                        obj.with_suffix(".d"))
    line = list(cmd)
    assert line[0] == "clang++"
    # platform flags first, user cxxflags last so that they win
    assert line.index("--target=x86_64-unknown-linux-musl") < line.index("-O2") < line.index("-O3")
    assert "-std=c++20" in line and "-std=c11" not in line
    assert '-DGREETING="hi"' in line and "-DFAST" in line and "-DCHECKSUM_STATIC" in line
    assert f"-I{service.folder / 'include'}" in line
    # the service's headers before the packages', the platform's last
    assert line.index(f"-I{service.folder / 'include'}") < line.index("-isystem/conan/p/cks/include") \
        < line.index(f"-isystem{FAKE / 'include/c++/v1'}")
    assert f"-ffile-prefix-map={project}=." in line
    assert line[-6:] == ["-MF", str(obj.with_suffix(".d")), "-c", str(main), "-o", str(obj)]


def test_a_c_compile_line_has_no_cxx_flags(service, platform, deps, project):
    util = service.folder / "src/util.c"
    obj = compile_stage.object_path(service, project / "b", util)
    line = list(compile_stage.compile_command(service, platform, deps, project, util, obj,
                                              obj.with_suffix(".d")))
    assert line[0] == "clang" and "-std=c11" in line
    assert "-std=c++20" not in line and "-Wall" not in line and "-nostdinc++" not in line


def test_debug_builds_use_the_platform_debug_flags(project, platform, deps):
    folder = write_service(project, "dbg", "[build]\nbuild_type = 'Debug'\n", {"a.cpp": ""})
    s = load_service(folder)
    line = compile_stage.compile_command(s, platform, deps, project, folder / "a.cpp",
                                         project / "a.o", project / "a.d")
    assert "-O0" in line and "-g" in line and "-O2" not in line


def test_the_service_names_are_compiled_in_as_c_strings(service, platform, deps, project):
    units = compile_stage.units(service, platform, deps, project, project / "build/echo")
    info = units[-1]
    assert info.source == FAKE / "src/service_name.cpp"
    assert info.object == project / "build/echo/platform/service_name.o"
    assert '-DSERVICE="echo"' in info.command
    assert '-DSERVICE_NAME="Echo \\"quoted\\" \\\\ service"' in info.command
    assert len(units) == 3


def test_c_string_escapes_what_c_needs():
    assert compile_stage.c_string('a"b\\c\nd\te') == '"a\\"b\\\\c\\nd\\011e"'


def test_the_link_line_follows_includeos_order(service, platform, deps, project):
    objs = [project / "a.o", project / "b.o"]
    line = list(link_command(service, platform, deps, objs, project / "echo.elf.bin"))
    assert line[:4] == ["ld.lld", "-static", "-nostdlib", "--gc-sections"]
    assert line[line.index("-T") + 1] == str(FAKE / "linker.ld")
    whole = line.index("--whole-archive")
    assert line[whole + 1: whole + 3] == [str(FAKE / "drivers/stdout/libdefault_stdout.a"),
                                          str(FAKE / "drivers/libvirtionet.a")]
    assert line[whole + 3] == "--no-whole-archive"
    assert line.index(str(objs[1])) < whole
    assert line.index("/conan/p/cks/lib/libchecksum.a") < line.index("--start-group")
    assert line[-5:] == ["--start-group", str(FAKE / "lib/libos.a"), str(FAKE / "lib/libc++.a"),
                         str(FAKE / "lib/libc.a"), "--end-group"]


def test_the_kernel_command_comes_from_the_platform(platform, project):
    assert kernel_command(platform, project / "x.elf.bin", project / "x.kernel") == (
        "llvm-objcopy", "-O", "elf32-i386", str(project / "x.elf.bin"), str(project / "x.kernel"))


def test_the_qemu_command(service, platform):
    spec = launch(service, platform, "echo.kernel")
    assert spec.qemu == "qemu-system-x86_64" and spec.machine == "microvm"
    args = list(spec.args)
    assert args[:2] == ["-machine", "microvm"]
    assert args[args.index("-m") + 1] == "64" and args[args.index("-smp") + 1] == "1"
    assert args[args.index("-kernel") + 1] == "echo.kernel"
    assert args[args.index("-append") + 1] == "--port 7 'two words'"
    assert "-no-reboot" in args and "-nodefaults" in args


def test_run_sh_quotes_every_word(service, platform, tmp_path):
    spec = launch(service, platform, "echo.kernel")
    text = render("run.sh.j2", service=service, launch=spec, descriptor="../x/service.toml")
    assert "'--port 7 '\"'\"'two words'\"'\"''" in text
    script = tmp_path / "run.sh"
    script.write_text(text)
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    # what the shell makes of it is exactly the stage's words
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "qemu-system-x86_64").write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    (fake / "qemu-system-x86_64").chmod(0o755)
    out = subprocess.run(["sh", str(script), "extra"], capture_output=True, text=True,
                         env={"PATH": f"{fake}:/usr/bin:/bin"})
    words = out.stdout.splitlines()
    assert words[:2] == ["-accel", "tcg"] or words[:4] == ["-accel", "kvm", "-cpu", "host"]
    assert words[-len(spec.args) - 1:] == [*spec.args, "extra"]


def test_accel_kvm_fails_clearly_without_kvm(project, platform, tmp_path):
    if Path("/dev/kvm").exists() and "vmx" in Path("/proc/cpuinfo").read_text():
        pytest.skip("KVM is usable here")
    folder = write_service(project, "k", "[vm]\naccel = 'kvm'\n", {"a.cpp": ""})
    s = load_service(folder)
    script = tmp_path / "run.sh"
    script.write_text(render("run.sh.j2", service=s, launch=launch(s, platform, "k.kernel"),
                             descriptor="x"))
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True)
    assert out.returncode == 72 and "KVM is not usable here" in out.stderr


def test_the_generated_conanfile_requires_the_platform_and_requires(project):
    folder = write_service(project, "svc", "[build]\nrequires = ['checksum/1.0.0']\n", {"a.cpp": ""})
    text = render("conanfile.py.j2", service=load_service(folder), descriptor="x")
    compile(text, "conanfile.py", "exec")
    import ast
    calls = [ast.literal_eval(node.args[0]) for node in ast.walk(ast.parse(text))
             if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "requires"]
    assert calls == ["ukbase/0.1.0", "checksum/1.0.0"]
