"""The front end: service.toml validation, defaults and path resolution."""

from pathlib import Path

import pytest

from conftest import write_service
from ukbuild.descriptor import load_project, load_service
from ukbuild.errors import DescriptorError

GOOD = r"""
[service]
name = "echo"
description = "Echo - OS included"
version = "1.2.3"

[platform]
package = "ukbase/0.1.0"
stdout = ["default_stdout"]

[build]
sources = ["src/*.cpp", "src/*.c"]
include_dirs = ["include"]
defines = { GREETING = '"hi"', VERBOSE = true, QUIET = false, LEVEL = 3 }
cxxflags = ["-Wall"]
std = "c++20"
build_type = "Debug"
requires = ["checksum/1.0.0"]

[vm]
memory = 64
cpus = 2
accel = "tcg"
cmdline = "a b"

[test]
expect = ["Hello", "status 0"]
exit_status = 0
timeout = 12.5
success = "SUCCESS"
count = { 'Service::start\(\)' = 1, "[0-9] passed" = 2 }
fail = [" : Invalid -1"]
panic = "expected"
"""

FILES = {"src/main.cpp": "int main(){}\n", "src/util.c": "int x;\n", "include/echo.h": "\n"}


def test_a_full_descriptor_resolves(project):
    folder = write_service(project, "echo", GOOD, FILES)
    s = load_service(folder)
    assert s.name == "echo" and s.description == "Echo - OS included" and s.version == "1.2.3"
    assert [p.relative_to(folder).as_posix() for p in s.build.sources] == ["src/main.cpp", "src/util.c"]
    assert s.build.include_dirs == (folder / "include",)
    assert dict(s.build.defines) == {"GREETING": '"hi"', "VERBOSE": None, "LEVEL": "3"}
    assert s.build.std == "c++20" and s.build.build_type == "Debug"
    assert s.build.requires == ("checksum/1.0.0",)
    assert (s.vm.memory, s.vm.cpus, s.vm.accel, s.vm.cmdline) == (64, 2, "tcg", "a b")
    assert s.test.expect == ("Hello", "status 0") and s.test.timeout == 12.5
    assert s.test.success == "SUCCESS" and s.test.fail == (" : Invalid -1",)
    assert s.test.count == (("Service::start\\(\\)", 1), ("[0-9] passed", 2))
    assert s.test.panic == "expected"
    assert s.recipe is None


def test_defaults_are_filled_in(project):
    folder = write_service(project, "hello", "", {"service.cpp": "int main(){}\n"})
    s = load_service(folder)
    assert s.name == "hello" and s.description == "hello"
    assert s.platform.package == "ukbase/0.1.0" and s.platform.stdout == ("default_stdout",)
    assert s.build.sources == (folder / "service.cpp",)
    assert (s.build.std, s.build.build_type) == ("c++17", "Release")
    assert (s.vm.memory, s.vm.cpus, s.vm.accel, s.vm.boot) == (128, 1, "auto", "kernel")
    assert (s.test.exit_status, s.test.timeout) == (0, 30.0)
    assert (s.test.success, s.test.count, s.test.fail, s.test.panic) == (None, (), (), "fail")


def test_a_service_recipe_is_found(project):
    folder = write_service(project, "hello", "", {"service.cpp": "", "conanfile.py": "#\n"})
    assert load_service(folder).recipe == folder / "conanfile.py"


def error_of(project, toml, files=None, folder="svc"):
    path = write_service(project, folder, toml, files or {"service.cpp": "int main(){}\n"})
    with pytest.raises(DescriptorError) as err:
        load_service(path)
    message = str(err.value)
    assert "\n" not in message, "an error is one line"
    assert "service.toml" in message, "an error names the file"
    return message


@pytest.mark.parametrize("toml, key, expected", [
    ("[service]\nnmae = 'x'\n", "service.nmae", "unknown key (expected one of: description, name, version)"),
    ("[sevrice]\n", "sevrice", "unknown key"),
    ("[service]\nname = 'Hello'\n", "service.name", "expected text matching ^[a-z][a-z0-9_-]*$, found 'Hello'"),
    ("[build]\nsources = 'x.cpp'\n", "build.sources", "expected an array, found 'x.cpp' (a string)"),
    ("[build]\ncxxflags = [3]\n", "build.cxxflags[0]", "expected a string, found 3 (an integer)"),
    ("[build]\nbuild_type = 'release'\n", "build.build_type", "expected one of 'Release', 'Debug', found 'release'"),
    ("[build]\nstd = 'c++98'\n", "build.std", "expected one of"),
    ("[build]\nrequires = ['not a ref']\n", "build.requires[0]", "expected text matching"),
    ("[build]\ndefines = { '9x' = 1 }\n", "build.defines", "invalid key name"),
    ("[vm]\nmemory = 8\n", "vm.memory", "expected a value at least 16, found 8"),
    ("[vm]\nmemory = '128'\n", "vm.memory", "expected an integer, found '128' (a string)"),
    ("[vm]\naccel = 'hvf'\n", "vm.accel", "expected one of 'auto', 'kvm', 'tcg', found 'hvf'"),
    ("[vm]\ncpus = true\n", "vm.cpus", "expected an integer, found True (a boolean)"),
    ("[test]\ntimeout = 0\n", "test.timeout", "expected a value more than 0"),
    ("[test]\nexpect = ['(']\n", "test.expect[0]", "expected a regular expression"),
    ("[test]\nsuccess = 'a['\n", "test.success", "expected a regular expression"),
    ("[test]\nfail = ['ok', '*']\n", "test.fail[1]", "expected a regular expression"),
    ("[test]\ncount = { 'a.b(' = 1 }\n", "test.count.'a.b('", "expected a regular expression"),
    ("[test]\ncount = { x = -1 }\n", "test.count.x", "expected a value at least 0, found -1"),
    ("[test]\ncount = { x = '2' }\n", "test.count.x", "expected an integer, found '2'"),
    ("[test]\npanic = 'ok'\n", "test.panic", "expected one of 'fail', 'expected', found 'ok'"),
    ("[test]\nclient = 'client.py'\n", "test.client", "expected an existing file, found nothing at 'client.py'"),
    ("[test]\nclient = '../client.py'\n", "test.client", "leaves the service folder"),
    ("[test]\nclient = ''\n", "test.client", "expected"),
    ("[platform]\ndrivers = ['a', 'a']\n", "platform.drivers", "expected no repeated entries"),
])
def test_invalid_values_name_the_key_and_the_expectation(project, toml, key, expected):
    message = error_of(project, toml)
    assert f": {key}: " in message, message
    assert expected in message, message


def test_a_toml_syntax_error_names_line_and_column(project):
    message = error_of(project, "[service]\nname = \"x\"\nversion = \n")
    assert "service.toml:3:" in message and "invalid TOML" in message, message


DEVICES = {"service.cpp": "int main(){}\n", "data/a.txt": "a\n", "base.qcow2": "", "notes.txt": "",
           "memdisk/x.txt": "x\n", "config.json": '{"net": []}\n', "bad.json": '{"net": [}\n'}


def test_devices_resolve(project):
    folder = write_service(project, "dev", """
[build]
memdisk = "memdisk"
config = "config.json"
[image]
formats = ["raw", "qcow2"]
[vm]
boot = "disk"
[[vm.net]]
forward = ["udp:5555-:7", "tcp:0.0.0.0:8080-:80", "2222-:22"]
[[vm.net]]
mode = "tap"
tap = "tap0"
mac = "52:54:00:AA:bb:01"
[[vm.disk]]
name = "data"
source = "data"
size = 8
[[vm.disk]]
name = "base"
source = "base.qcow2"
format = "vmdk"
interface = "ide"
persistent = true
""", DEVICES)
    s = load_service(folder)
    assert s.build.memdisk == folder / "memdisk" and s.build.config == folder / "config.json"
    assert s.image_formats == ("raw", "qcow2") and s.vm.boot == "disk"
    user, tap = s.vm.nets
    assert [f.qemu() for f in user.forward] == [
        "udp:127.0.0.1:5555-:7", "tcp:0.0.0.0:8080-:80", "tcp:127.0.0.1:2222-:22"]
    assert user.mac.startswith("52:54:00:") and user.mac != load_service(folder).vm.nets[1].mac
    assert user.mac == load_service(folder).vm.nets[0].mac, "derived MACs are stable"
    assert (tap.mode, tap.tap, tap.mac) == ("tap", "tap0", "52:54:00:aa:bb:01")
    data, base = s.vm.disks
    assert (data.fat_made, data.size, data.format, data.interface) == (True, 8, "qcow2", "virtio")
    assert (base.fat_made, base.format, base.interface, base.persistent) == (False, "vmdk", "ide", True)


@pytest.mark.parametrize("toml, key, expected", [
    ("[[vm.net]]\nforward = ['5555:7']\n", "vm.net[0].forward[0]", "expected [tcp|udp:][hostaddr:]hostport-:guestport"),
    ("[[vm.net]]\nforward = ['udp:70000-:7']\n", "vm.net[0].forward[0]", "hostport-:guestport"),
    ("[[vm.net]]\nmode = 'tap'\n", "vm.net[0].tap", "needs the name of an existing tap device"),
    ("[[vm.net]]\nmode = 'bridge'\nforward = ['1-:2']\nbridge = 'br0'\n", "vm.net[0].forward", "port forwards are for mode = 'user'"),
    ("[[vm.net]]\ntap = 'tap0'\n", "vm.net[0].tap", "only for mode = 'tap'"),
    ("[[vm.net]]\nmac = '53:54:00:00:00:01'\n", "vm.net[0].mac", "expected a unicast MAC"),
    ("[[vm.disk]]\nname = 'd'\nsource = 'data'\n", "vm.disk[0].size", "needs its size in MiB"),
    ("[[vm.disk]]\nname = 'd'\nsource = 'data'\nsize = 0\n", "vm.disk[0].size", "expected a value at least 1, found 0"),
    ("[[vm.disk]]\nname = 'd'\nsource = 'nowhere'\nsize = 1\n", "vm.disk[0].source", "expected an existing folder or image file"),
    ("[[vm.disk]]\nname = 'd'\nsource = 'notes.txt'\n", "vm.disk[0].source", "expected a folder or an image file"),
    ("[[vm.disk]]\nname = 'd'\nsource = 'base.qcow2'\nsize = 3\n", "vm.disk[0].size", "an image keeps its own"),
    ("[[vm.disk]]\nname = 'd'\nsource = 'data'\nsize = 1\nformat = 'vdi'\n", "vm.disk[0].format", "expected one of 'qcow2', 'raw', 'vmdk'"),
    ("[[vm.disk]]\nname = 'd'\nsource = 'data'\nsize = 1\ninterface = 'ide'\nreadonly = true\n", "vm.disk[0].readonly", "IDE disks cannot be read-only"),
    ("[[vm.disk]]\nname = 'd'\nsource = 'data'\nsize = 1\n[[vm.disk]]\nname = 'd'\nsource = 'data'\nsize = 1\n", "vm.disk[1].name", "used twice"),
    ("[[vm.disk]]\nsource = 'data'\n", "vm.disk[0].name", "missing"),
    ("[[vm.disk]]\nname = 'd'\n", "vm.disk[0]", "needs a source (a folder or an image file) or files"),
    ("[[vm.disk]]\nname = 'd'\nfiles = { 'a.txt' = 'notes.txt' }\n", "vm.disk[0].size", "made from a folder or files, needs its size"),
    ("[[vm.disk]]\nname = 'd'\nsize = 1\nfiles = { 'a.txt' = 'gone.txt' }\n", "vm.disk[0].files.'a.txt'", "expected an existing file"),
    ("[[vm.disk]]\nname = 'd'\nsize = 1\nfiles = { '../a.txt' = 'notes.txt' }\n", "vm.disk[0].files.'../a.txt'", "expected a path on the disk"),
    ("[[vm.disk]]\nname = 'd'\nsize = 1\nsource = 'data'\nfolders = ['a//b']\n", "vm.disk[0].folders[0]", "expected a path on the disk"),
    ("[[vm.disk]]\nname = 'd'\nsource = 'base.qcow2'\nfat = 16\n", "vm.disk[0].fat", "an image keeps its own"),
    ("[[vm.disk]]\nname = 'd'\nsource = 'data'\nsize = 1\nfat = 8\n", "vm.disk[0].fat", "expected one of 12, 16, 32"),
    ("[vm]\nboot = 'disk'\n", "vm.boot", "set [image] formats"),
    ("[image]\nformats = ['iso']\n", "image.formats[0]", "expected one of 'raw', 'qcow2', 'vmdk'"),
    ("[build]\nmemdisk = 'nothere'\n", "build.memdisk", "expected an existing folder (made into a FAT image) or an image file"),
    ("[test]\nscript = 'test.sh'\n", "test.script", "expected text matching"),
    ("[test]\nscript = 'nothere.py'\n", "test.script", "expected an existing file"),
    ("[test]\nnetwork = { bridge43 = '10.0.0.1' }\n", "test.network.bridge43", "expected a.b.c.d/bits with a network"),
    ("[test]\nnetwork = { bridge43 = 'ten/24' }\n", "test.network.bridge43", "the host's address on the bridge"),
    ("[test]\nnetwork = { 'a bridge' = '10.0.0.1/24' }\n", "test.network", "invalid key name 'a bridge'"),
    ("[test]\nnetwork = { br0 = { address = '10.1.0.1' } }\n", "test.network.br0.address", "expected a.b.c.d/bits"),
    ("[test]\nnetwork = { br0 = { dhcp = false } }\n", "test.network.br0.address", "missing"),
    ("[test]\nnetwork = { br0 = { address = '10.1.0.1/24', dns = true } }\n", "test.network.br0.dns", "unknown key"),
    ("[test]\nnetwork = { br0 = { address = '10.1.0.1/24', address6 = ['fe80::1'] } }\n",
     "test.network.br0.address6[0]", "expected an IPv6 address with its prefix length"),
    ("[test]\nnetwork = { br0 = { address = '10.1.0.1/24', address6 = ['10.2.0.1/24'] } }\n",
     "test.network.br0.address6[0]", "expected an IPv6 address"),
    ("[build]\nconfig = 'bad.json'\n", "build.config", "is not valid JSON: Expecting value at line 1, column 10"),
    ("[build]\nconfig = '../config.json'\n", "build.config", "leaves the service folder"),
])
def test_device_mistakes_are_one_clear_line(project, toml, key, expected):
    message = error_of(project, toml, DEVICES)
    assert f": {key}: " in message, message
    assert expected in message, message


@pytest.mark.parametrize("toml, expected", [
    ("[build]\nsources = ['../other/*.cpp']\n", "expected a glob inside the service folder"),
    ("[build]\nsources = ['/etc/*.cpp']\n", "expected a glob inside the service folder"),
    ("[build]\ninclude_dirs = ['../']\n", "leaves the service folder"),
    ("[build]\ninclude_dirs = ['/usr/include']\n", "expected a path relative to the service folder"),
    ("[build]\ninclude_dirs = ['missing']\n", "expected an existing folder"),
    ("[build]\nsources = ['src/*.cpp']\n", "matches no file"),
])
def test_paths_must_stay_in_the_service_folder_and_exist(project, toml, expected):
    assert expected in error_of(project, toml)


def test_a_symlink_out_of_the_folder_is_refused(project, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.cpp").write_text("")
    folder = write_service(project, "svc", "[build]\nsources = ['src/*.cpp']\n", {"x.cpp": ""})
    (folder / "src").mkdir()
    (folder / "src" / "evil.cpp").symlink_to(outside / "evil.cpp")
    with pytest.raises(DescriptorError, match="leaves the service folder"):
        load_service(folder)


def test_a_glob_matching_a_non_source_is_an_error(project):
    message = error_of(project, "[build]\nsources = ['*']\n", {"a.cpp": "", "notes.txt": ""})
    assert "'notes.txt', which is not a source" in message


def test_no_sources_at_all_is_an_error(project):
    assert "no sources" in error_of(project, "", {"README": ""})


def test_a_folder_name_that_is_no_service_name_needs_a_name(project):
    assert "rename the folder or set [service] name" in error_of(project, "", folder="Bad Name")
    folder = write_service(project, "Other_Name", "[service]\nname = 'ok'\n", {"a.cpp": ""})
    assert load_service(folder).name == "ok"


def test_two_services_with_one_name_are_an_error(project):
    write_service(project, "a", "[service]\nname = 'same'\n", {"a.cpp": ""})
    write_service(project, "b", "[service]\nname = 'same'\n", {"b.cpp": ""})
    with pytest.raises(DescriptorError, match="the name 'same' is already used by"):
        load_project(project)


def test_the_repository_services_are_valid():
    root = Path(__file__).resolve().parent.parent
    names = {s.name for s in load_project(root).services}
    assert {"hello", "wordfreq"} <= names


def test_a_test_client_resolves_to_its_file(project):
    folder = write_service(project, "cl", "[test]\nclient = 'tools/client.py'\n",
                           {"service.cpp": "int main(){}\n", "tools/client.py": "print()\n"})
    assert load_service(folder).test.client == folder / "tools" / "client.py"
