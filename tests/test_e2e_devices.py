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


def test_the_data_disk_on_microvm_with_kernel_boot(disks):
    """A kernel boot with a virtio disk takes microvm, ukbase's fastest
    machine, whose kernel drives virtio over MMIO."""
    disks.edit(TOML, 'boot = "disk"', 'boot = "kernel"')
    disks.edit(TOML, r"virtio-blk 00:0\d\.0", r"virtio-blk mmio 0xfeb0[0-9a-f]+")
    result = disks.doit("test:disks")
    assert result.status == 0, result
    run_sh = disks.path("build/disks/run.sh").read_text()
    assert "-machine microvm" in run_sh and "virtio-mmio.force-legacy=false" in run_sh
    assert "virtio-blk-device,drive=disk-data,serial=data" in run_sh
    domain = validate_domain(disks.path("build/disks/domain.xml"))
    assert 'machine="microvm"' in domain and '<address type="virtio-mmio"/>' in domain


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


WRITER_TOML = """[service]
name = "writer"
[platform]
drivers = ["ide", "virtioblk"]
[build]
sources = ["service.cpp"]
[[vm.disk]]
name = "journal"
files = { "readme.txt" = "readme.txt" }
size = 1
format = "raw"
interface = "ide"
persistent = true
[[vm.disk]]
name = "sealed"
files = { "readme.txt" = "readme.txt" }
size = 1
readonly = true
[test]
success = "^wrote "
"""

WRITER_CPP = r"""#include <os>
#include <hal/machine.hpp>
#include <fs/disk.hpp>
#include <cstdio>
#include <cstring>
#include <string>

// The last sector of each disk holds what the previous boot wrote there.
void Service::start()
{
  for (auto& ref : os::machine().get<hw::Block_device>()) {
    auto& dev = ref.get();
    hw::Block_device::block_t last = dev.size() - 1;
    auto before = dev.read_sync(last);
    std::string previous((const char*) before->data());
    std::printf("%s previously held '%s'\n", dev.device_name().c_str(), previous.c_str());
    auto buf = fs::construct_buffer(512);
    std::snprintf((char*) buf->data(), 512, "%s+", previous.c_str());
    bool failed = dev.write_sync(last, buf);
    std::printf("%s write_sync says %s\n", dev.device_name().c_str(), failed ? "error" : "written");
    CHECKSERT(dev.write_sync(last, fs::construct_buffer(100)), "a part of a sector is refused");
  }
  auto& journal = os::machine().get<hw::Block_device>(0);
  journal.write(0, fs::construct_buffer(512), [](bool error) {
    std::printf("async write says %s\n", error ? "error" : "written");
    std::printf("wrote the journal\n");
  });
}
"""


def test_a_service_writes_its_persistent_disk_and_not_a_read_only_one(tmp_path):
    """Sector writes (IncludeOS's write_sync and write) reach an IDE disk's
    persistent overlay, and the next boot reads them; a read-only
    virtio-blk disk refuses them; a built disk never changes."""
    project = Project(tmp_path, services=())
    folder = project.path("services/writer")
    folder.mkdir(parents=True)
    (folder / "service.toml").write_text(WRITER_TOML)
    (folder / "service.cpp").write_text(WRITER_CPP)
    (folder / "readme.txt").write_text("a FAT disk, its last sector free\n")
    first = project.doit("-v", "2", "test:writer")
    assert first.status == 0, first
    assert "ide0 previously held ''" in first.out and "ide0 write_sync says written" in first.out, first
    assert "vblk1 write_sync says error" in first.out, first
    assert "async write says written" in first.out, first
    built = project.path("build/writer/disks/journal.raw")
    before = sha(built)
    second = project.doit("-v", "2", "test:writer")
    assert second.status == 0, second
    assert "ide0 previously held '+'" in second.out, second
    assert "vblk1 previously held ''" in second.out, second
    third = project.doit("-v", "2", "test:writer")
    assert "ide0 previously held '++'" in third.out, third
    assert sha(built) == before, "writes go to the overlay"
