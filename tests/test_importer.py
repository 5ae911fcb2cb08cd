"""python -m ukbuild import: IncludeOS service folders (CMakeLists.txt,
vm.json, test.py) made into service.toml, without building."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ukbuild import cmake, testscript
from ukbuild.descriptor import load_service
from ukbuild.errors import UkbuildError
from ukbuild.importer import import_service, service_name

DATA = Path(__file__).parent / "data" / "includeos"


@pytest.fixture
def greeter(tmp_path):
    folder = tmp_path / "services" / "greeter"
    shutil.copytree(DATA / "greeter", folder)
    (folder / "data.img").write_bytes(bytes(65536))
    return folder


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def declarative(folder):
    """The greeter's test.py without what only Python can do on the host."""
    script = folder / "test.py"
    text = script.read_text()
    for line in ('subprocess.call(["./make_disk.sh"])\n', 'vm.on_output("hex:", hex_ok)\n'):
        text = text.replace(line, "")
    script.write_text(text)


def test_an_includeos_folder_becomes_a_service(greeter):
    declarative(greeter)
    before = listing(greeter)
    target, imported = import_service(greeter)
    assert listing(greeter) == sorted(before + ["service.toml"]), "nothing else changes"
    s = load_service(greeter)
    assert (s.name, s.description) == ("greeter_service", "Greeting test")
    assert [p.name for p in s.build.sources] == ["service.cpp", "util.cpp"]
    assert s.platform.stdout == ("default_stdout",)
    assert s.platform.drivers == ("virtionet", "boot_logger") and s.platform.plugins == ("vfs",)
    assert s.build.memdisk == greeter / "disk" and s.build.config == greeter / "config.json"
    assert s.build.include_dirs == (greeter / "include",)
    assert dict(s.build.defines) == {"LEVEL": "2", "VERBOSE": None, "GREETING": '"HELLO"'}
    assert s.build.cxxflags == ("-Wall", "-fno-fast-math")
    assert (s.vm.memory, s.vm.cpus, s.vm.cmdline) == (96, 2, "say hello")
    assert [(n.mode, n.mac, n.bridge) for n in s.vm.nets] == [
        ("user", "c0:01:0a:00:00:2a", ""), ("bridge", s.vm.nets[1].mac, "br7")]
    assert [(d.name, d.source.name, d.format, d.interface) for d in s.vm.disks] == [
        ("data", "data.img", "raw", "virtio")]
    assert [(m.path.name, m.args) for m in s.vm.modules] == [("mod1.json", ""), ("seed", "loaded as module")]
    t = s.test
    assert t.timeout == 25 and t.panic == "fail"
    assert t.success == "SUCCESS", "vmrunner's own pattern: the service prints it"
    assert t.count == (("Greeting [0-9]", 1), ("farewell", 1)) and t.fail == ("Invalid greeting",)
    notes = "\n".join(imported.notes)
    for said in ("CMakeLists.txt:25: os_add_nacl(): not translated",
                 "include directory '../elsewhere' is not a folder of the service",
                 "target_link_libraries: not translated",
                 "vm.json: cpu: expected a table, found 'host' (a string) (vmrunner refuses it): not translated",
                 "net[1].device 'e1000'", "no backend given",
                 "drives[1]: '../my.disk' is not in the folder (made by make_disk.sh?)",
                 "drives[2].format 'vdi'"):
        assert said in notes, notes
    assert all("\n" not in n for n in imported.notes)
    text = target.read_text()
    assert text.startswith("# Imported from an IncludeOS service") and "#   vm.json: cpu:" in text


def test_a_test_py_that_does_more_than_test_says_runs_as_the_test(greeter):
    """Host-side work or checks in Python: test.py is the [test] script, and
    the NIC on vmrunner's default bridge is on bridge43 in a private network."""
    _, imported = import_service(greeter)
    s = load_service(greeter)
    t = s.test
    assert t.script == greeter / "test.py" and t.timeout == 25
    assert t.network == (("bridge43", "10.0.0.1/24", True, ("fe80::e823:fcff:fef4:83e7/64",)),)
    assert (t.success, t.count, t.fail) == (None, (), ())
    assert [(n.mode, n.bridge) for n in s.vm.nets] == [("bridge", "bridge43"), ("bridge", "br7")]
    assert s.vm.nets[0].mac == "c0:01:0a:00:00:2a" and s.vm.cmdline == "say hello"
    notes = "\n".join(imported.notes)
    assert "test.py: runs as [test] script (vmrunner's API from ukbuild), as it does more than " \
           "[test] says: on_output('hex:', hex_ok): it checks the line in Python" in notes, notes
    assert "net: on vmrunner's host bridge bridge43 (10.0.0.1/24, fe80::e823:fcff:fef4:83e7)" in notes, notes
    assert "no backend given" not in notes, notes


def test_a_test_py_that_only_makes_disks_before_the_boot_stays_declarative(greeter):
    """Host work around the boot (a disk script, clean-up) but no callback
    that needs Python: [test] says it, and the disks come from folders."""
    script = greeter / "test.py"
    script.write_text(script.read_text().replace('vm.on_output("hex:", hex_ok)\n', "")
                      + "vm.on_exit(lambda: subprocess.call(['./make_disk.sh', 'clean']))\n")
    _, imported = import_service(greeter)
    t = load_service(greeter).test
    assert t.script is None and t.success == "SUCCESS" and t.fail == ("Invalid greeting",)
    notes = "\n".join(imported.notes)
    assert "test.py:6: runs make_disk.sh on the host: not translated" in notes, notes
    assert "on_exit(...): host-side clean-up, not translated" in notes, notes
    assert "runs as [test] script" not in notes, notes


def test_a_test_py_without_callbacks_takes_vmrunners_success(tmp_path):
    folder = tmp_path / "svc"
    folder.mkdir()
    (folder / "CMakeLists.txt").write_text(
        'project(x)\ninclude(os)\nos_add_executable(2fast "Fast" main.cpp)\n')
    (folder / "main.cpp").write_text('int main() { puts("SUCCESS"); }\n')
    (folder / "test.py").write_text("import vmrunner\nvmrunner.vms[0].cmake().boot(40, image_name='x').clean()\n")
    _, imported = import_service(folder)
    s = load_service(folder)
    assert s.name == "s2fast" and s.platform.stdout == ()
    assert (s.test.success, s.test.timeout, s.vm.cmdline) == ("SUCCESS", 40, "booted with vmrunner")
    assert any("no os_add_stdout" in n for n in imported.notes)


@pytest.mark.parametrize("nics, bridged", [(1, False), (2, True)])
def test_nics_on_vmrunners_bridge_that_reach_each_other_share_it(tmp_path, nics, bridged):
    """Declarative tests keep user networking for one NIC on vmrunner's
    default bridge; two or more go on bridge43 in a private network,
    where they reach each other as they do under vmrunner."""
    folder = tmp_path / "svc"
    folder.mkdir()
    (folder / "CMakeLists.txt").write_text(
        'include(os)\nos_add_executable(two "Two" main.cpp)\nos_add_drivers(two virtionet)\n')
    (folder / "main.cpp").write_text('int main() { puts("SUCCESS"); }\n')
    (folder / "vm.json").write_text(json.dumps({"net": [{"device": "virtio"}] * nics}))
    (folder / "test.py").write_text("from vmrunner import vmrunner\nvmrunner.vms[0].boot(20)\n")
    _, imported = import_service(folder)
    s = load_service(folder)
    assert [n.mode for n in s.vm.nets] == (["bridge"] * nics if bridged else ["user"])
    assert bool(s.test.network) == bridged and s.test.script is None
    notes = "\n".join(imported.notes)
    assert ("so that its 2 NICs reach each other" in notes) == bridged, notes


@pytest.mark.parametrize("files, message", [
    ({}, "no CMakeLists.txt (not an IncludeOS service folder)"),
    ({"CMakeLists.txt": "project(x)\ninclude(os)\n"}, "no os_add_executable"),
    ({"CMakeLists.txt": 'os_add_executable(a "A" gone.cpp)\n'}, "none of the sources of a is in the folder"),
    ({"CMakeLists.txt": 'os_add_executable(a "A" a.cpp)\n', "a.cpp": "", "service.toml": ""},
     "service.toml exists (--force replaces it)"),
    ({"CMakeLists.txt": 'os_add_executable(a "A" a.cpp)\n', "a.cpp": "", "vm.json": '{"mem": 3,}'},
     "vm.json:1:11: invalid JSON"),
    ({"CMakeLists.txt": 'if (X)\nos_add_executable(a "A" a.cpp)\n'}, "CMakeLists.txt:3: if() without endif()"),
])
def test_what_cannot_be_imported_is_refused_in_one_line(tmp_path, files, message):
    folder = tmp_path / "svc"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    with pytest.raises(UkbuildError) as err:
        import_service(folder)
    assert message in str(err.value) and "\n" not in str(err.value), str(err.value)
    assert (folder / "service.toml").exists() == ("service.toml" in files)


def test_the_command_line_refuses_with_a_status_and_force_replaces(greeter):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "ukbuild", "import", *args], cwd=greeter.parent,
                              capture_output=True, text=True)
    first = run("greeter")
    assert first.returncode == 0 and first.stdout.startswith(
        "greeter/service.toml: written from CMakeLists.txt, vm.json, test.py (service 'greeter_service')"), first
    assert "greeter/CMakeLists.txt:25: os_add_nacl(): not translated" in first.stdout
    again = run("greeter")
    assert again.returncode != 0 and again.stderr.strip() == "greeter/service.toml exists (--force replaces it)"
    assert run("greeter", "--force").returncode == 0
    missing = run("nowhere")
    assert missing.returncode != 0 and len(missing.stderr.strip().splitlines()) == 1, missing


def test_service_names_from_targets():
    assert [service_name(t) for t in ("kernel_tls", "Greeter.Service", "3d", "a b")] == [
        "kernel_tls", "greeter_service", "s3d", "a_b"]


def test_cmake_reading(tmp_path):
    path = tmp_path / "CMakeLists.txt"
    path.write_text('set(A one two)  # a list\nset(B "x;y" ${A})\noption(ON_ "" OFF)\n'
                    'if(NOT ON_ AND (A STREQUAL "one;two" OR FALSE))\n  first(${B})\n'
                    'elseif(1)\n  second()\nelse()\n  third()\nendif()\n'
                    '#[[ a\nbracket comment ]]\nlast([=[raw ${A}]=] "q\\"uote" $ENV{NOPE})\n'
                    'if (X VERSION_LESS 3)\n  guessed()\nendif()\n')
    read = cmake.read(path)
    assert [(c.name, c.args, c.line) for c in read.commands] == [
        ("first", ("x", "y", "one", "two"), 5), ("last", ("raw ${A}", 'q"uote'), 13),
        ("guessed", (), 15)]
    assert read.notes == [(14, "if (X VERSION_LESS 3): the operator VERSION_LESS is not understood; "
                                "took this branch")]


def test_test_scripts_by_vmrunners_idioms(tmp_path):
    path = tmp_path / "test.py"
    path.write_text(r'''
import socket
from vmrunner import vmrunner
vm = vmrunner.vms[0]
counter = 0
def is_good(line):
    global counter
    counter += 1
    if counter == 4:
        vm.exit(0, "All tests passed")
def expected_panic(line):
    return True
def talk(line):
    s = socket.socket()
    s.connect(("10.0.0.63", 23))
vm.on_output("\\x15\\x07\\t\*\*\*\* PANIC \*\*\*\*", is_good)
vm.on_output("Divide-by-zero Error", is_good)
vm.on_output("__cpu_exception", is_good)
vm.on_output("Service::start()", is_good)
vm.on_output("Connect to terminal", talk)
vm.on_output("long_mode", lambda line: False)
vm.boot(None, image_name="x")
''')
    t = testscript.read(path)
    assert t.panic_expected and t.timeout is None and t.fail == ["long_mode"]
    assert t.count == {"Divide-by-zero Error": 1, "__cpu_exception": 1, "Service::start()": 1}
    assert [what for _, what in t.notes] == [
        "on_output('Connect to terminal', talk): a host-side callback (socket.socket): not translated"]


def test_a_shared_counter_over_more_lines_than_patterns(tmp_path):
    """vmrunner's counter of 5 lines over 4 patterns (a panic prints its
    reason twice): one count of 5 lines matching any of them."""
    path = tmp_path / "test.py"
    path.write_text(r'''
from vmrunner import vmrunner
vm = vmrunner.vms[0]
counter = 0
expected = 5
def is_good(line):
    global counter
    counter += 1
    if (counter == expected):
        vm.exit(0, "All tests passed")
vm.on_output("\\x15\\x07\\t\*\*\*\* PANIC \*\*\*\*", is_good)
vm.on_output("Divide-by-zero Error", is_good)
vm.on_output("__cpu_exception", is_good)
vm.on_output("Service::start()", is_good)
vm.boot(20, image_name="x")
''')
    t = testscript.read(path)
    (pattern, n), = t.count.items()
    assert t.panic_expected and n == 5
    lines = ["\x15\x07\t**** PANIC ****", "Divide-by-zero Error (0)   EIP  0x1   CODE 0",
             "CPU: 0, Reason: Divide-by-zero Error (0)", "[3] 0x1 + 0x2: __cpu_exception",
             "[4] 0x1 + 0x2: Service::start()", "unrelated"]
    assert [bool(re.search(pattern, line)) for line in lines] == [True] * 5 + [False]
    assert [what for _, what in t.notes] == [
        "the counter 'counter' counts 5 lines over 4 patterns: one [test] count of 5 lines "
        "matching any of them"]


def test_a_callback_that_passes_when_the_line_holds_a_word(tmp_path):
    path = tmp_path / "test.py"
    path.write_text(r'''
from vmrunner import vmrunner
vm = vmrunner.vms[0]
def done(line):
    if "Healthy" in line:
        vm.exit(0, "passed")
    elif "failed" in line:
        vm.exit(1, line.split(":")[1])
    else:
        vm.exit(2, "failed")
vm.on_output("Diagnose complete", done)
vm.boot(20)
''')
    t = testscript.read(path)
    (success,), (fail,) = t.success, t.fail
    good, bad = "[ Field medic ] Diagnose complete. Healthy", "Diagnose complete: failed: TLS"
    assert re.search(success, good) and not re.search(success, bad)
    assert re.search(fail, bad) and not re.search(fail, good) and not re.search(fail, "Healthy")
    assert t.notes == []


def test_a_config_json_beside_the_sources_is_the_config(greeter):
    """IncludeOS's os_add_executable takes config.json from the folder when
    no os_add_config names one."""
    cmake_file = greeter / "CMakeLists.txt"
    cmake_file.write_text("\n".join(l for l in cmake_file.read_text().splitlines()
                                    if "os_add_config" not in l) + "\n")
    import_service(greeter)
    assert load_service(greeter).build.config == greeter / "config.json"


def test_drivers_of_other_nics_become_virtionet(greeter):
    cmake_file = greeter / "CMakeLists.txt"
    cmake_file.write_text(cmake_file.read_text().replace(
        "os_add_drivers(Greeter.Service virtionet", "os_add_drivers(Greeter.Service e1000 vmxnet3"))
    _, imported = import_service(greeter)
    assert load_service(greeter).platform.drivers == ("virtionet", "boot_logger")
    notes = "\n".join(imported.notes)
    assert "e1000: ukbuild's NICs are virtio-net: virtionet instead" in notes
    assert "vmxnet3: ukbuild's NICs are virtio-net: virtionet instead" in notes


def test_a_service_with_coroutines_is_built_as_cpp20(greeter):
    (greeter / "service.cpp").write_text("#include <experimental/coroutine>\n"
                                         + (greeter / "service.cpp").read_text())
    _, imported = import_service(greeter)
    assert load_service(greeter).build.std == "c++20"
    assert "service.cpp: uses coroutines: [build] std = 'c++20'" in "\n".join(imported.notes)


def test_a_bracket_comment_inside_the_arguments_is_skipped(tmp_path):
    path = tmp_path / "CMakeLists.txt"
    path.write_text("set(SOURCES a.cpp #[[ b.cpp\n  c.cpp ]] d.cpp # e.cpp\n  f.cpp)\nlast(x)\n")
    read = cmake.read(path)
    assert [(c.name, c.args, c.line) for c in read.commands] == [("last", ("x",), 4)]
    assert read.variables["SOURCES"] == "a.cpp;d.cpp;f.cpp"


# -- disk scripts ----------------------------------------------------------------
from ukbuild import diskscript  # noqa: E402

FAT_SCRIPT = """#!/bin/bash
set -e   # stop at the first error
DISK=${NAME:-big}.disk
MOUNTDIR=tmpdisk
if [ $# -eq 0 ]
then
  sudo rm -f $DISK
  dd if=/dev/zero of=$DISK bs=1M count=40
  sudo mkfs.vfat -F 16 -n BANANAS $DISK
  mkdir -p $MOUNTDIR && sudo mount -t vfat -o rw,sync $DISK $MOUNTDIR
  sudo cp -r docs $MOUNTDIR/
  sudo cp "a file.txt" $MOUNTDIR/renamed.txt
  sudo cp *.cfg $MOUNTDIR
  sudo mkdir -p $MOUNTDIR/empty/deeper
  sync
  sudo umount $MOUNTDIR
  rmdir $MOUNTDIR
else
  rm -f $DISK
fi
"""


def test_a_disk_script_is_read_as_the_disk_it_makes(tmp_path):
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "sub" / "x.md").write_text("x")
    for name in ("a file.txt", "one.cfg", "two.cfg"):
        (tmp_path / name).write_text(name)
    (tmp_path / "fat.sh").write_text(FAT_SCRIPT)
    disk = diskscript.read(tmp_path / "fat.sh")["big.disk"]
    assert (disk.size, disk.fat, disk.label) == (40 << 20, 16, "BANANAS")
    assert disk.files == {"docs/sub/x.md": "docs/sub/x.md", "renamed.txt": "a file.txt",
                          "one.cfg": "one.cfg", "two.cfg": "two.cfg"}
    assert disk.folders == ["docs", "docs/sub", "empty/deeper"]
    (tmp_path / "empty.sh").write_text("truncate -s 1M e.disk\nmkfs.fat e.disk\n")
    empty = diskscript.read(tmp_path / "empty.sh")["e.disk"]
    assert (empty.size, empty.files, empty.folders) == (1 << 20, {}, []), "formatted, never mounted"
    assert diskscript.parse_size("4G") == 4 << 30 and diskscript.parse_size("5MB") == 5_000_000
    assert diskscript.parse_size("4000000000") == 4_000_000_000 and diskscript.parse_size("1x") is None


@pytest.mark.parametrize("body, message", [
    ("truncate -s 1M $1.disk\n", "s.sh:2: uses the script's arguments"),
    ("truncate -s 1M d.disk\nmkfs.ext4 d.disk\n", "s.sh:3: 'mkfs.ext4' is not one of the steps"),
    ("truncate -s 1M d.disk\nmkfs.fat d.disk\nmount d.disk m\ncp gone.txt m/\n",
     "s.sh:5: cp of gone.txt, which is not in the folder"),
    ("mkfs.fat d.disk\n", "s.sh:2: mkfs.fat of d.disk, whose size the script does not set"),
    ("truncate -s 1M d.disk\nmkfs.fat -S 4096 d.disk\n", "s.sh:3: mkfs.fat's option -S is not translated"),
    ("truncate -s 1M d.disk\nmkfs.fat d.disk\nmount d.disk m\ncp x.txt /tmp/\n",
     "s.sh:5: cp to /tmp/, which is not on the disk"),
    ("truncate -s 1M ../d.disk\n", "s.sh:2: '../d.disk' is outside the folder"),
    ("echo $UNSET\n", "s.sh:2: $UNSET is not set in the script"),
])
def test_what_a_disk_script_does_besides_is_said_with_its_line(tmp_path, body, message):
    (tmp_path / "x.txt").write_text("x")
    (tmp_path / "s.sh").write_text("#!/bin/sh\n" + body)
    with pytest.raises(diskscript.NotTranslated, match=re.escape(message)):
        diskscript.read(tmp_path / "s.sh")


def test_an_imported_drive_made_by_a_script_is_a_disk_of_files(greeter):
    declarative(greeter)
    (greeter / "banana.txt").write_text("banana")
    (greeter / "make_disk.sh").write_text(
        "truncate -s 2G my.disk\nmkfs.fat my.disk\nmkdir -p m\nsudo mount my.disk m\n"
        "cp banana.txt m/\nmkdir -p m/a/b m/c\ncp banana.txt m/a/b/\n")
    before = listing(greeter)
    _, imported = import_service(greeter)
    disk = [d for d in load_service(greeter).vm.disks if d.name == "my"][0]
    assert (disk.fat_made, disk.source, disk.size, disk.format) == (True, None, 2048, "raw")
    assert disk.files == (("a/b/banana.txt", greeter / "banana.txt"), ("banana.txt", greeter / "banana.txt"))
    assert disk.folders == ("c",), "only the empty folder is written; the others are implied"
    notes = "\n".join(imported.notes)
    assert "drives[1]: '../my.disk' is made by make_disk.sh: written as the 2048 MiB FAT disk " \
        "it makes, of 2 files, which ukbuild makes itself" in notes, notes
    assert listing(greeter) == sorted(before + ["service.toml"]), "nothing else changed"
