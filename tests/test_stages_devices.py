"""Stages for disks, images, networks and launch targets, with no QEMU run."""

import dataclasses
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import write_service
from ukbuild.descriptor import load_service
from ukbuild.platform import load_platform
from ukbuild.render import render
from ukbuild.stages import image
from ukbuild.stages.machine import domain_context, kvm_usable, vmrunner_config
from ukbuild.stages.qemu import LaunchError, launch

FAKE = Path(__file__).parent / "data" / "fakeplatform"

DEVICES = """
[service]
description = 'Disks & <nets> "quoted"'
[image]
formats = ["qcow2", "raw"]
[vm]
cmdline = "--port 7"
[[vm.net]]
forward = ["udp:5555-:7"]
[[vm.net]]
mode = "tap"
tap = "tap7"
[[vm.disk]]
name = "data"
source = "data"
size = 8
readonly = true
[[vm.disk]]
name = "scratch"
source = "data"
size = 4
format = "raw"
interface = "ide"
[[vm.disk]]
name = "keep"
source = "base.vmdk"
format = "vmdk"
persistent = true
"""
FILES = {"a.cpp": "", "data/x.txt": "x\n", "base.vmdk": ""}


def elf32(segments, entry):
    """A minimal ELF32 with PT_LOAD segments [(paddr, bytes)]."""
    phoff, phentsize = 52, 32
    body_at = phoff + phentsize * len(segments)
    header = bytearray(52)
    header[:7] = b"\x7fELF\x01\x01\x01"
    struct.pack_into("<HHIIIIIHHHHHH", header, 16, 2, 3, 1, entry, phoff, 0, 0, 52,
                     phentsize, len(segments), 40, 0, 0)
    phdrs, blobs, offset = b"", b"", body_at
    for paddr, data in segments:
        phdrs += struct.pack("<IIIIIIII", 1, offset, paddr, paddr, len(data), len(data) + 64, 5, 4096)
        blobs += data
        offset += len(data)
    return bytes(header) + phdrs + blobs


@pytest.fixture
def service(project):
    return load_service(write_service(project, "dev", DEVICES, FILES))


@pytest.fixture
def platform():
    return load_platform(FAKE)


def test_the_payload_is_the_loadable_segments_laid_flat():
    kernel = elf32([(0x100000, b"AAAA"), (0x100010, b"BB")], entry=0x100004)
    payload = image.multiboot_payload(kernel)
    assert (payload.load_address, payload.entry) == (0x100000, 0x100004)
    assert payload.data == b"AAAA" + bytes(12) + b"BB"
    with pytest.raises(image.ImageError, match="not an ELF32"):
        image.multiboot_payload(b"\x7fELF\x02" + bytes(60))


def test_the_bootable_image_layout():
    loader = bytes(510) + b"\x55\xaa"
    payload = image.Payload(0x100000, 0x10000C, b"K" * 1000)
    raw = image.bootable_image(loader, payload, "svc a b", max_payload=4096)
    assert raw[:512] == loader and len(raw) % (1 << 20) == 0
    magic, lba, sectors, load, entry, size, _ = struct.unpack_from("<8sIIIIII", raw, 512)
    assert (magic, lba, sectors, load, entry, size) == (b"UKBOOT01", 2, 2, 0x100000, 0x10000C, 1000)
    assert raw[512 + 32:512 + 40] == b"svc a b\0"
    assert raw[1024:2024] == b"K" * 1000
    with pytest.raises(image.ImageError, match="handles at most 999 bytes"):
        image.bootable_image(loader, payload, "", max_payload=999)
    with pytest.raises(image.ImageError, match="holds 479"):
        image.bootable_image(loader, payload, "x" * 480, max_payload=4096)
    with pytest.raises(image.ImageError, match="512-byte boot sector"):
        image.bootable_image(bytes(512), payload, "", max_payload=4096)


def test_fat_commands_are_in_a_fixed_order(tmp_path):
    cmds = image.fat_commands(tmp_path / "d.img", 8 << 20, "DATA", "0badcafe",
                              [(f, tmp_path / f) for f in ["b.txt", "sub/z.txt", "a.txt", "sub/deep/y.txt"]],
                              ["sub/deep", "sub"])
    assert cmds[0] == ["mkfs.fat", "-C", "--invariant", "-i", "0badcafe", "-n", "DATA",
                       str(tmp_path / "d.img"), "8192"]
    # Folder by folder: its files, then its subfolders.
    assert [(c[0], c[4:-1] if c[0] == "mcopy" else [], c[-1]) for c in cmds[1:]] == [
        ("mcopy", [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")], "::/"),
        ("mmd", [], "::/sub"),
        ("mcopy", [str(tmp_path / "sub/z.txt")], "::/sub/"),
        ("mmd", [], "::/sub/deep"),
        ("mcopy", [str(tmp_path / "sub/deep/y.txt")], "::/sub/deep/")]
    # A file under another name, in a folder that only its path implies, on FAT32.
    cmds = image.fat_commands(tmp_path / "d.img", 8 << 20, "DATA", "0badcafe",
                              [("a/b/renamed.txt", tmp_path / "b.txt")], [], fat=32)
    assert cmds[0][3:5] == ["-F", "32"]
    assert [c[-1] for c in cmds[1:]] == ["::/a", "::/a/b", "::/a/b/renamed.txt"]
    # An empty folder deep down brings its parents.
    cmds = image.fat_commands(tmp_path / "d.img", 8 << 20, "DATA", "0badcafe", [], ["x/y/z"])
    assert [c[-1] for c in cmds[1:]] == ["::/x", "::/x/y", "::/x/y/z"]
    assert image.fat_label("my-disk_1 long name") == "MY-DISK_1LO"
    assert image.volume_id("s", "d") == image.volume_id("s", "d") != image.volume_id("s", "e")


def sparse_vmdk(descriptor: bytes) -> bytes:
    """A sparse VMDK's beginning: its header, descriptor at sector 1, 2 sectors."""
    import struct

    header = b"KDMV" + struct.pack("<IIQQQQ", 1, 3, 8192, 128, 1, 2)
    return header.ljust(512, b"\0") + descriptor.ljust(1024, b"\0") + b"grains"


def test_the_vmdk_content_id_is_made_fixed():
    text = b"# Disk DescriptorFile\nversion=1\nCID=85485bf8\nparentCID=ffffffff\n"
    head = sparse_vmdk(text)
    fixed = image.vmdk_descriptor_fix(head, "00c0ffee")
    assert fixed == sparse_vmdk(text.replace(b"85485bf8", b"00c0ffee"))
    short = sparse_vmdk(text.replace(b"CID=85485bf8", b"CID=5485bf8"))  # qemu-img does not pad it
    assert image.vmdk_descriptor_fix(short, "00c0ffee") == fixed
    with pytest.raises(image.ImageError):
        image.vmdk_descriptor_fix(b"QFI\xfb" + head[4:], "00c0ffee")
    with pytest.raises(image.ImageError):
        image.vmdk_descriptor_fix(sparse_vmdk(b"version=1\n"), "00c0ffee")


def test_devices_boot_on_pc_with_qboot(service, platform):
    spec = launch(service, platform, "dev.kernel")
    args = list(spec.args)
    assert args[:4] == ["-machine", "pc", "-bios", "qboot.rom"] and spec.machine == "pc"
    drives = [args[i + 1] for i, a in enumerate(args) if a == "-drive"]
    assert drives == [
        "file=disks/data.qcow2,format=qcow2,readonly=on,if=none,id=disk-data",
        "file=disks/scratch.raw,format=raw,snapshot=on,if=none,id=disk-scratch",
        "file=persistent/keep.qcow2,format=qcow2,if=none,id=disk-keep"]
    devices = [args[i + 1] for i, a in enumerate(args) if a == "-device"]
    assert devices[:3] == ["virtio-blk-pci,drive=disk-data,serial=data",
                           "ide-hd,drive=disk-scratch,serial=scratch,bus=ide.0,unit=0",
                           "virtio-blk-pci,drive=disk-keep,serial=keep"]
    netdevs = [args[i + 1] for i, a in enumerate(args) if a == "-netdev"]
    assert netdevs == ["user,id=net0,hostfwd=udp:127.0.0.1:5555-:7",
                       "tap,id=net1,ifname=tap7,script=no,downscript=no"]
    assert devices[3] == f"virtio-net-pci,netdev=net0,mac={service.vm.nets[0].mac}"
    assert spec.taps == ("tap7",) and spec.persistent == (("persistent/keep.qcow2", "disks/keep.vmdk", "vmdk"),)


def test_disk_boot_uses_seabios_and_the_image(project, platform):
    s = load_service(write_service(project, "db", "[image]\nformats = ['vmdk', 'raw']\n[vm]\nboot = 'disk'\n",
                                   {"a.cpp": ""}))
    args = list(launch(s, platform, "db.kernel").args)
    assert args[:2] == ["-machine", "pc"] and "-bios" not in args and "-kernel" not in args
    assert "file=db.vmdk,format=vmdk,snapshot=on,if=none,id=boot" in args
    assert "virtio-blk-pci,drive=boot,bootindex=0" in args


def test_a_platform_without_pci_machines_cannot_have_devices(service, platform):
    import dataclasses

    with pytest.raises(LaunchError, match="none with PCI"):
        launch(service, dataclasses.replace(platform, machines=("microvm",)), "k")


def test_run_sh_checks_taps_and_makes_persistent_overlays(service, platform, tmp_path):
    text = render("run.sh.j2", service=service, launch=launch(service, platform, "dev.kernel"),
                  descriptor="x")
    script = tmp_path / "run.sh"
    script.write_text(text)
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True)
    if not Path("/sys/class/net/tap7").exists():
        assert out.returncode == 72 and "there is no tap device tap7" in out.stderr
    assert "qemu-img create -q -f qcow2 -F vmdk -b ../disks/keep.vmdk persistent/keep.qcow2.tmp.$$\n  mv persistent/keep.qcow2.tmp.$$ persistent/keep.qcow2" in text


def test_domain_xml_is_valid_libvirt(service, platform, tmp_path):
    if shutil.which("virt-xml-validate") is None:
        pytest.fail("virt-xml-validate is missing (Debian: libvirt-clients; make test installs it)")
    context = domain_context(launch(service, platform, "dev.kernel"), tmp_path, kvm=False)
    xml = tmp_path / "domain.xml"
    xml.write_text(render("domain.xml.j2", descriptor="x", **context))
    out = subprocess.run(["virt-xml-validate", str(xml)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr + xml.read_text()
    text = xml.read_text()
    import xml.etree.ElementTree as ET

    assert ET.parse(xml).getroot().findtext("description") == 'Disks & <nets> "quoted"'
    assert "&lt;nets&gt;" in text
    assert '<domain type="qemu" xmlns:qemu=' in text and f"<kernel>{tmp_path}/dev.kernel</kernel>" in text
    assert 'machine="pc"' in text and '<loader type="rom" readonly="yes">/usr/share/qemu/qboot.rom' in text
    assert '<target dev="vda" bus="virtio"/>' in text and '<target dev="hda" bus="ide"/>' in text
    assert "<readonly/>" in text and text.count("<transient/>") == 1
    # libvirt 9 has no port forwards for user networking: that NIC goes to QEMU as run.sh has it
    assert '<qemu:arg value="user,id=ukbuild-net0,hostfwd=udp:127.0.0.1:5555-:7"/>' in text
    assert "<interface type=\"user\">" not in text
    assert '<target dev="tap7" managed="no"/>' in text


def test_vm_json_follows_vmrunner(service, platform):
    config = vmrunner_config(launch(service, platform, "dev.kernel"))
    assert config["image"] == "dev.kernel" and config["mem"] == 128 and config["smp"] == 1
    for drive in config["drives"]:
        assert {"file", "type", "format", "media"} <= set(drive)
        assert drive["type"] in ("ide", "virtio") and drive["media"] == "disk"
    assert [n["backend"] for n in config["net"]] == ["user", "tap"]
    json.dumps(config)


def test_kvm_needs_vmx_or_svm(tmp_path):
    dev = tmp_path / "kvm"
    dev.write_text("")
    cpu = tmp_path / "cpuinfo"
    cpu.write_text("flags\t\t: fpu vme hypervisor\n")
    assert not kvm_usable(str(dev), str(cpu))
    vmx = tmp_path / "cpuinfo-vmx"  # another file: the answer is kept per run
    vmx.write_text("flags\t\t: fpu vmx sse\n")
    assert kvm_usable(str(dev), str(vmx))
    assert not kvm_usable(str(tmp_path / "none"), str(vmx))


def test_a_missing_bridge_stops_run_sh_before_qemu(project, platform, tmp_path):
    s = load_service(write_service(project, "br", "[[vm.net]]\nmode = 'bridge'\nbridge = 'ukbr-none'\n",
                                   {"a.cpp": ""}))
    spec = launch(s, platform, "br.kernel")
    args = list(spec.args)
    assert args[args.index("-netdev") + 1] == "bridge,id=net0,br=ukbr-none"
    script = tmp_path / "run.sh"
    script.write_text(render("run.sh.j2", service=s, launch=spec, descriptor="x"))
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "qemu-system-x86_64").write_text("#!/bin/sh\necho QEMU STARTED\n")
    (fake / "qemu-system-x86_64").chmod(0o755)
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True,
                         env={"PATH": f"{fake}:/usr/bin:/bin"})
    assert out.returncode == 72, out
    assert out.stderr.strip() == ("br: there is no bridge ukbr-none "
                                  "(create one, e.g. ip link add ukbr-none type bridge)")
    assert "QEMU STARTED" not in out.stdout


def test_auto_accel_says_in_one_line_when_it_falls_back_to_tcg(service, platform, tmp_path):
    from ukbuild.stages.machine import kvm_usable

    if kvm_usable():
        pytest.skip("KVM is usable here")
    script = tmp_path / "run.sh"
    script.write_text(render("run.sh.j2", service=service, launch=launch(service, platform, "k"),
                             descriptor="x").replace("exit 72", "true"))  # no tap here
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "qemu-system-x86_64").write_text('#!/bin/sh\necho "$@"\n')
    (fake / "qemu-system-x86_64").chmod(0o755)
    (fake / "qemu-img").write_text('#!/bin/sh\nfor last; do :; done\n: > "$last"\n')
    (fake / "qemu-img").chmod(0o755)
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True, cwd=tmp_path,
                         env={"PATH": f"{fake}:/usr/bin:/bin"})
    assert out.returncode == 0, out
    assert out.stderr.strip().splitlines()[-1] == \
        "dev: KVM is not usable here (needs read-write /dev/kvm and a CPU with vmx or svm); using TCG"
    assert out.stdout.startswith("-accel tcg ")


EXAMPLES = Path(__file__).resolve().parent.parent / "services"


@pytest.mark.parametrize("folder", sorted(p.parent for p in EXAMPLES.glob("*/service.toml")),
                         ids=lambda p: p.name)
def test_run_sh_domain_xml_and_vm_json_format_one_machine(folder, tmp_path):
    """The three launch targets come from one Machine: they name the same
    machine type, firmware, memory, CPUs, kernel or boot disk, disks and NICs."""
    import xml.etree.ElementTree as ET

    from ukbuild.stages.qemu import Machine

    service = load_service(folder)
    platform = load_platform(FAKE)
    machine = launch(service, platform, f"{service.name}.kernel", build_dir=tmp_path)
    assert Machine.from_json(json.loads(json.dumps(machine.to_json()))) == machine
    args = list(machine.args)
    domain = ET.fromstring(render("domain.xml.j2", descriptor="x",
                                  **domain_context(machine, tmp_path, kvm=False)))
    config = vmrunner_config(machine)

    qemu_type = args[args.index("-machine") + 1]
    assert domain.find("os/type").get("machine") == qemu_type == machine.type
    bios = args[args.index("-bios") + 1] if "-bios" in args else ""
    loader = domain.findtext("os/loader") or ""
    assert Path(loader).name == bios
    assert int(args[args.index("-m") + 1]) == int(domain.findtext("memory")) == config["mem"]
    assert int(args[args.index("-smp") + 1]) == int(domain.findtext("vcpu")) == config["smp"]
    if "-kernel" in args:
        kernel = args[args.index("-kernel") + 1]
        assert domain.findtext("os/kernel") == str(tmp_path / kernel) and config["image"] == kernel
        assert (args[args.index("-append") + 1] if "-append" in args else "") \
            == (domain.findtext("os/cmdline") or "") == config.get("cmdline", "")
    else:
        assert domain.find("os/kernel") is None
    qemu_files = [a.split(",")[0].removeprefix("file=") for a in args[1::1]
                  if a.startswith("file=")]
    domain_files = [d.find("source").get("file") for d in domain.findall("devices/disk")]
    assert domain_files == [str(tmp_path / f) for f in qemu_files]
    macs = re.findall(r"mac=([0-9a-f:]{17})", " ".join(args))
    domain_macs = [i.find("mac").get("address") for i in domain.findall("devices/interface")] \
        + re.findall(r"mac=([0-9a-f:]{17})", " ".join(
            a.get("value") for a in domain.iter("{http://libvirt.org/schemas/domain/qemu/1.0}arg")))
    assert sorted(macs) == sorted(domain_macs) == sorted(n["mac"] for n in config.get("net", []))


def test_virtio_devices_boot_on_microvm_when_the_platform_drives_virtio_mmio(service, platform,
                                                                              project, tmp_path):
    import dataclasses

    mmio = dataclasses.replace(platform, buses=(("microvm", "virtio-mmio"),))
    nets = load_service(write_service(project, "nm", "[[vm.net]]\nmode = 'user'\n"
                                      "forward = ['udp:5556-:7']\n[[vm.disk]]\nname = 'd'\n"
                                      "source = 'd'\nsize = 4\n", {"a.cpp": "", "d/x": "x"}))
    machine = launch(nets, mmio, "nm.kernel")
    args = list(machine.args)
    assert machine.machine == "microvm" and args[:2] == ["-machine", "microvm"]
    assert "-bios" not in args and "virtio-mmio.force-legacy=false" in args
    devices = [args[i + 1] for i, a in enumerate(args) if a == "-device"]
    assert devices[0] == "virtio-blk-device,drive=disk-d,serial=d"
    assert devices[1].startswith("virtio-net-device,netdev=net0,mac=")
    if shutil.which("virt-xml-validate"):
        xml = tmp_path / "domain.xml"
        xml.write_text(render("domain.xml.j2", descriptor="x",
                              **domain_context(machine, tmp_path, kvm=False)))
        out = subprocess.run(["virt-xml-validate", str(xml)], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
        text = xml.read_text()
        assert 'machine="microvm"' in text and '<address type="virtio-mmio"/>' in text
        assert '<qemu:arg value="virtio-mmio.force-legacy=false"/>' in text
        assert "virtio-net-device,netdev=ukbuild-net0" in text
    # IDE disks and disk boots still need PCI: pc, and pc with SeaBIOS
    assert launch(service, mmio, "dev.kernel").machine == "pc"          # it has an IDE disk
    disk = load_service(write_service(project, "db2", "[image]\nformats = ['raw']\n[vm]\n"
                                      "boot = 'disk'\n", {"a.cpp": ""}))
    assert launch(disk, mmio, "db2.kernel").machine == "pc-bios"
    with pytest.raises(LaunchError, match="none with PCI, which a disk boot and IDE disks need"):
        launch(disk, dataclasses.replace(mmio, machines=("microvm",)), "k")


@pytest.mark.parametrize("table, message", [
    ('[machines.microvm]\nbus = "usb"\n', "machines.microvm.bus: expected one of 'none', 'pci', "
     "'virtio-mmio', found 'usb' (a string)"),
    ('[machines.vexpress]\nbus = "pci"\n', "machines.vexpress: not one of kernel.machines (microvm, pc)"),
    ('[machines.pc]\nbus = "pci"\nspeed = 3\n', "machines.pc.speed: unknown key (expected one of: bus)"),
    ('[linkk]\nscript = "x"\n', "linkk: unknown key (expected one of: compile, config, debug, format, image, "
     "kernel, link, machines, platform, sections, serial, toolchain)"),
    ('[sections]\nmemdisk = "diskdata"\n', "sections.memdisk: expected a section name starting with '.', "
     "found 'diskdata' (a string)"),
    ('[image]\nmax_payload = "big"\n', "image.max_payload: expected an integer, found 'big' (a string)"),
])
def test_a_bad_platform_toml_is_one_line(tmp_path, table, message):
    from ukbuild.errors import UkbuildError

    shutil.copytree(FAKE, tmp_path / "p")
    toml = tmp_path / "p" / "platform.toml"
    toml.write_text(toml.read_text() + "\n" + table)
    with pytest.raises(UkbuildError) as err:
        load_platform(tmp_path / "p")
    assert str(err.value) == f"{toml}: {message}"


def test_the_debug_hint_is_the_platforms(tmp_path):
    from ukbuild.platform import DEFAULT_DEBUG, expand

    assert load_platform(FAKE).debug_command == DEFAULT_DEBUG and load_platform(FAKE).debug_note == ""
    shutil.copytree(FAKE, tmp_path / "p")
    toml = tmp_path / "p" / "platform.toml"
    toml.write_text(toml.read_text() + '\n[debug]\ngdb = ["lldb", "--", "{elf}", "{port}"]\n'
                    'note = "an lldb"\n')
    p = load_platform(tmp_path / "p")
    assert expand(p.debug_command, {"port": ("7",), "elf": ("k.elf",)}) == ("lldb", "--", "k.elf", "7")
    assert p.debug_note == "an lldb"


def test_embedded_data_goes_in_the_sections_the_platform_names(tmp_path, project):
    from ukbuild.actions import image as image_action

    fake = load_platform(FAKE)
    assert (fake.memdisk_section, fake.config_section) == (".diskdata", ".config")  # IncludeOS's
    shutil.copytree(FAKE, tmp_path / "p")
    toml = tmp_path / "p" / "platform.toml"
    toml.write_text(toml.read_text() + '\n[sections]\nmemdisk = ".fsimage"\nconfig = ".settings"\n')
    platform = dataclasses.replace(load_platform(tmp_path / "p"), objcopy=("objcopy",))
    service = load_service(write_service(project, "cfg", "[build]\nconfig = 'config.json'\n"
                                         "memdisk = 'disk.img'\n",
                                         {"a.cpp": "", "config.json": '{"a": 1}',
                                          "disk.img": "x" * 512}))
    image_action.config(service, platform, tmp_path / "config.json", tmp_path / "config.o")
    image_action.memdisk_image(service, platform, tmp_path / "memdisk.img", tmp_path / "memdisk.o")
    headers = {name: subprocess.run(["objdump", "-h", str(tmp_path / name)], capture_output=True,
                                    text=True, check=True).stdout
               for name in ("config.o", "memdisk.o")}
    assert " .settings " in headers["config.o"] and " .config " not in headers["config.o"]
    assert " .fsimage " in headers["memdisk.o"] and " .diskdata " not in headers["memdisk.o"]
