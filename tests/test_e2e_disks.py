"""Data disks, memdisks and bootable images: built for real (mkfs.fat,
mtools, qemu-img), the same bytes in every build."""

import hashlib
import os
import shutil
import subprocess
import time

import pytest

from support import Project

pytestmark = pytest.mark.e2e

DESCRIPTOR = """
[service]
description = "disks"
[build]
sources = ["service.cpp"]
[[vm.disk]]
name = "data"
source = "data"
size = 4
format = "raw"
[[vm.disk]]
name = "copy"
source = "data"
size = 4
format = "qcow2"
[[vm.disk]]
name = "legacy"
source = "data"
size = 4
format = "vmdk"
readonly = true
[[vm.disk]]
name = "converted"
source = "base.qcow2"
format = "vmdk"
"""


def disk_project(root, descriptor=DESCRIPTOR):
    project = Project(root, services=())
    folder = project.path("services/dsk")
    (folder / "data" / "sub dir").mkdir(parents=True)
    (folder / "service.cpp").write_text("#include <os>\nint main(){ return 0; }\n")
    (folder / "data" / "readme.txt").write_text("hello from the data disk\n")
    (folder / "data" / "A Long File Name.text").write_text("long names survive\n")
    (folder / "data" / "sub dir" / "inner.bin").write_bytes(bytes(range(256)) * 40)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(folder / "base.qcow2"), "2M"],
                   check=True)
    (folder / "service.toml").write_text(descriptor)
    return project


def digests(project):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(project.path("build/dsk/disks").iterdir())}


def mtools(*args):
    return subprocess.run(args, capture_output=True, text=True, check=True,
                          env={**os.environ, "MTOOLS_SKIP_CHECK": "1"}).stdout


def test_disks_hold_the_folder_in_every_format(tmp_path):
    project = disk_project(tmp_path)
    result = project.doit()
    assert result.status == 0, result
    disks = project.path("build/dsk/disks")
    assert sorted(p.name for p in disks.iterdir()) == [
        "converted.vmdk", "copy.qcow2", "data.raw", "legacy.vmdk"]
    raw = str(disks / "data.raw")
    assert os.path.getsize(raw) == 4 << 20
    assert mtools("mtype", "-i", raw, "::/readme.txt") == "hello from the data disk\n"
    assert mtools("mtype", "-i", raw, "::/A Long File Name.text") == "long names survive\n"
    inner = tmp_path / "inner.bin"
    mtools("mcopy", "-i", raw, "::/sub dir/inner.bin", str(inner))
    assert inner.read_bytes() == bytes(range(256)) * 40
    info = subprocess.run(["qemu-img", "info", "--output=json", str(disks / "copy.qcow2")],
                          capture_output=True, text=True, check=True).stdout
    assert '"format": "qcow2"' in info and '"virtual-size": 4194304' in info
    # the qcow2 holds the same filesystem
    back = tmp_path / "back.raw"
    subprocess.run(["qemu-img", "convert", "-O", "raw", str(disks / "copy.qcow2"), str(back)], check=True)
    assert mtools("mtype", "-i", str(back), "::/readme.txt") == "hello from the data disk\n"
    # the launch targets attach them
    run_sh = project.path("build/dsk/run.sh").read_text()
    assert "file=disks/legacy.vmdk,format=vmdk,readonly=on" in run_sh
    assert "file=disks/data.raw,format=raw,snapshot=on" in run_sh
    assert "serial=converted" in run_sh


def test_disks_are_the_same_bytes_in_another_folder_and_later(tmp_path):
    first = disk_project(tmp_path / "one")
    assert first.doit().status == 0
    time.sleep(1.1)
    second = disk_project(tmp_path / "elsewhere")
    for path in second.path("services/dsk/data").rglob("*"):
        os.utime(path, (time.time() + 3600, time.time() + 3600))
    assert second.doit().status == 0
    assert digests(first) == digests(second)


def test_a_folder_edit_rebuilds_its_disks_only(tmp_path):
    project = disk_project(tmp_path)
    assert project.doit().status == 0
    before = digests(project)
    project.path("services/dsk/data/readme.txt").write_text("changed\n")
    result = project.doit()
    assert result.status == 0, result
    rebuilt = sorted(t for t in result.ran if t.startswith("disk:"))
    assert rebuilt == ["disk:dsk:copy", "disk:dsk:data", "disk:dsk:legacy"], result.ran
    after = digests(project)
    assert after["converted.vmdk"] == before["converted.vmdk"]
    assert after["data.raw"] != before["data.raw"]
    assert project.doit().ran == []


def test_a_folder_that_does_not_fit_is_one_clear_line(tmp_path):
    project = disk_project(tmp_path, DESCRIPTOR.replace("size = 4\nformat = \"raw\"", "size = 1\nformat = \"raw\""))
    (project.path("services/dsk/data/big.bin")).write_bytes(os.urandom(3 << 20))
    result = project.doit()
    assert result.status != 0
    assert ("services/dsk/service.toml: vm.disk[0]: services/dsk/data (" in result.out
            and "does not fit in 1 MiB" in result.out), result
    assert "Traceback" not in result.out + result.err
    assert not project.path("build/dsk/disks/data.raw").exists()
    assert not list(project.path("build/dsk/disks").glob(".*")), "no temporaries left"
