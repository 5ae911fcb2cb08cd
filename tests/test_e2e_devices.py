"""services/disks booted for real: its bootable images in every format, its
data disk on virtio-blk and on IDE, its memdisk and its config; a run that
never changes what was built; a persistent disk."""

import hashlib
import json
import subprocess

import pytest

from support import Project, validate_domain

pytestmark = pytest.mark.e2e

TOML = "services/disks/service.toml"


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def qemu_img_info(path):
    out = subprocess.run(["qemu-img", "info", "--output=json", "-U", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.fixture
def disks(tmp_path):
    project = Project(tmp_path, services=("disks",))
    built = project.doit("-n", "2")
    assert built.status == 0, built
    return project


def test_the_example_boots_from_its_image_and_reads_every_disk(disks):
    build = disks.path("build/disks")
    for fmt in ("qcow2", "raw", "vmdk"):
        assert qemu_img_info(build / f"disks.{fmt}")["format"] == fmt
    assert qemu_img_info(build / "disks/data.qcow2")["virtual-size"] == 8 << 20
    run_sh = (build / "run.sh").read_text()
    assert "-kernel" not in run_sh and "file=disks.qcow2,format=qcow2" in run_sh
    domain = validate_domain(build / "domain.xml")
    assert "<kernel>" not in domain and "disks.qcow2" in domain and "data.qcow2" in domain
    result = disks.doit("test:disks")
    assert result.status == 0, result
    assert result.ran == ["test:disks"], result.ran


def test_each_image_format_boots(disks):
    """The first format is the one booted: put each one first in turn."""
    for fmt in ("raw", "vmdk"):
        disks.edit(TOML, 'formats = ["qcow2", "raw", "vmdk"]', f'formats = ["{fmt}"]')
        built = disks.doit("build:disks")
        assert built.status == 0, built
        assert f"file=disks.{fmt},format={fmt}" in disks.path("build/disks/run.sh").read_text()
        result = disks.ukbuild("test", "disks")
        assert result.status == 0, f"booting disks.{fmt}\n{result}"
        assert "booted by ukboot" in result.out
        disks.edit(TOML, f'formats = ["{fmt}"]', 'formats = ["qcow2", "raw", "vmdk"]')


def test_the_data_disk_on_ide_with_kernel_boot(disks):
    disks.edit(TOML, 'interface = "virtio"', 'interface = "ide"')
    disks.edit(TOML, 'drivers = ["virtioblk"]', 'drivers = ["ide"]')
    disks.edit(TOML, 'boot = "disk"', 'boot = "kernel"')
    disks.edit(TOML, r"virtio-blk 00:0\d\.0", r"ide 0:0")
    result = disks.doit("test:disks")
    assert result.status == 0, result
    assert "compile:disks" not in result.ran, "drivers are linked, not compiled"
    assert "link:disks" in result.ran and "image:disks" in result.ran
    run_sh = disks.path("build/disks/run.sh").read_text()
    assert "-kernel disks.kernel" in run_sh and "ide-hd,drive=disk-data,serial=data" in run_sh


def test_a_memdisk_edit_rebuilds_the_memdisk_and_not_the_config(disks):
    disks.path("services/disks/memdisk/motd.txt").write_text("A new message of the day\n")
    disks.edit(TOML, "'motd\\.txt: Welcome to the memdisk'", "'motd\\.txt: A new message of the day'")
    result = disks.doit("test:disks")
    assert result.status == 0, result
    assert {"embed:disks:memdisk", "link:disks", "image:disks", "test:disks"} <= set(result.ran)
    assert not {"embed:disks:config", "compile:disks", "disk:disks:data"} & set(result.ran)


def test_a_run_never_changes_what_was_built(disks):
    build = disks.path("build/disks")
    outputs = [build / "disks/data.qcow2", build / "disks.qcow2", build / "disks.kernel"]
    before = [sha(p) for p in outputs]
    assert disks.ukbuild("test", "disks").status == 0
    assert [sha(p) for p in outputs] == before
    assert disks.doit().ran == []


def test_a_persistent_disk_keeps_an_overlay_across_runs(disks):
    disks.edit(TOML, 'interface = "virtio"', 'interface = "virtio"\npersistent = true')
    assert disks.doit().status == 0
    overlay = disks.path("build/disks/persistent/data.qcow2")
    assert not overlay.exists(), "made by the first run, not by the build"
    built_disk = disks.path("build/disks/disks/data.qcow2")
    before = sha(built_disk)
    assert disks.ukbuild("test", "disks").status == 0
    info = qemu_img_info(overlay)
    assert info["format"] == "qcow2" and info["backing-filename"] == "../disks/data.qcow2"
    first = overlay.stat().st_ino
    assert disks.ukbuild("test", "disks").status == 0
    assert overlay.stat().st_ino == first, "the overlay is kept, not made again"
    assert sha(built_disk) == before
    assert disks.doit().ran == []
    assert overlay.exists()
    # doit clean removes what was built, not what runs wrote
    clean = disks.doit("clean")
    assert clean.status == 0, clean
    assert "disks: kept build/disks/persistent" in clean.out, clean
    assert sorted(p.name for p in disks.path("build/disks").iterdir()) == ["persistent"]
    assert overlay.stat().st_ino == first
