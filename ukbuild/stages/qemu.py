"""Launch stage: the QEMU command line that boots a service.

Machine types by boot mode (FACTS: boot-to-exit under TCG):

- ``-kernel`` with no devices: ``microvm`` (about 35 ms; no PCI, no firmware);
- ``-kernel`` with disks or NICs: ``pc`` with qboot (about 50 ms; PCI, the
  guest assigns the BARs);
- a bootable disk image: ``pc`` with SeaBIOS (qboot cannot boot disks).

Only the accelerator is left open: ``run.sh`` picks KVM or TCG when it runs
(``[vm] accel``), so a built service can move to another host. Paths are
relative to the service's build folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Disk, Service
from ..platform import Platform

QEMU = {"x86_64": "qemu-system-x86_64"}

MACHINE_ARGS = {
    "microvm": ("-machine", "microvm"),
    "pc": ("-machine", "pc", "-bios", "qboot.rom"),
    "q35": ("-machine", "q35", "-bios", "qboot.rom"),
    "pc-bios": ("-machine", "pc"),  # SeaBIOS: boots disks
}
PCI_MACHINES = ("pc", "q35")
IDE_SLOTS = 4  # the pc's PIIX IDE: two buses, two units each


class LaunchError(ValueError):
    """The service asks for something its platform or QEMU cannot boot."""


@dataclass(frozen=True)
class Launch:
    qemu: str
    machine: str
    args: tuple[str, ...]     # everything but the accelerator
    accel: str                # auto | kvm | tcg, resolved when run.sh runs
    taps: tuple[str, ...] = ()       # devices that must exist before QEMU starts
    bridges: tuple[str, ...] = ()
    persistent: tuple[tuple[str, str, str], ...] = field(default=())  # (overlay, base, format)


def needs_pci(service: Service) -> bool:
    return bool(service.vm.disks or service.vm.nets or service.vm.boot == "disk")


def choose_machine(service: Service, platform: Platform) -> str:
    """The machine to boot on: the platform's first, unless PCI is needed."""
    usable = [m for m in platform.machines if m in MACHINE_ARGS]
    if needs_pci(service):
        usable = [m for m in usable if m in PCI_MACHINES]
        if not usable:
            raise LaunchError(f"{platform.name} boots on {', '.join(platform.machines)}, none "
                              "with PCI, which disks and network devices need")
        if service.vm.boot == "disk":
            return "pc-bios"
    if not usable:
        raise LaunchError(f"QEMU cannot boot any of {platform.name}'s machines "
                          f"({', '.join(platform.machines)})")
    return usable[0]


def disk_file(service: Service, disk: Disk) -> str:
    return f"disks/{disk.name}.{disk.format}"


def boot_image(service: Service) -> tuple[str, str]:
    """(file, format) of the image a ``boot = "disk"`` service boots."""
    fmt = service.image_formats[0]
    return f"{service.name}.{fmt}", fmt


def _disk_args(service: Service) -> tuple[list[str], list[tuple[str, str, str]]]:
    args: list[str] = []
    persistent = []
    ide = 0
    for disk in service.vm.disks:
        drive_id = f"disk-{disk.name}"
        path, fmt = disk_file(service, disk), disk.format
        if disk.persistent:
            overlay = disk.overlay
            persistent.append((overlay, path, fmt))
            drive = f"file={overlay},format=qcow2"
        else:
            drive = f"file={path},format={fmt}"
            # a run never changes a built disk: writes go to a throw-away overlay
            drive += ",readonly=on" if disk.readonly else ",snapshot=on"
        args += ["-drive", f"{drive},if=none,id={drive_id}"]
        if disk.interface == "ide":
            if ide == IDE_SLOTS:
                raise LaunchError(f"the pc machine has {IDE_SLOTS} IDE slots; "
                                  f"{service.name} asks for more")
            args += ["-device", f"ide-hd,drive={drive_id},serial={disk.name},"
                                f"bus=ide.{ide // 2},unit={ide % 2}"]
            ide += 1
        else:
            args += ["-device", f"virtio-blk-pci,drive={drive_id},serial={disk.name}"]
    return args, persistent


def _net_args(service: Service) -> list[str]:
    args = []
    for i, net in enumerate(service.vm.nets):
        netdev = f"net{i}"
        if net.mode == "user":
            backend = f"user,id={netdev}" + "".join(f",hostfwd={f.qemu()}" for f in net.forward)
        elif net.mode == "tap":
            backend = f"tap,id={netdev},ifname={net.tap},script=no,downscript=no"
        else:
            backend = f"bridge,id={netdev},br={net.bridge}"
        args += ["-netdev", backend, "-device", f"virtio-net-pci,netdev={netdev},mac={net.mac}"]
    return args


def module_arg(service: Service, build_dir: Path | None) -> str:
    """``-initrd`` for [[vm.module]]: "file args,file args" (a comma in a
    path or in arguments is doubled, as QEMU's multiboot loader reads it)."""
    words = []
    for module in service.vm.modules:
        path = os.path.relpath(module.path, build_dir) if build_dir else str(module.path)
        words.append(" ".join(w for w in (path, module.args) if w).replace(",", ",,"))
    return ",".join(words)


def launch(service: Service, platform: Platform, kernel: str, arch: str = "x86_64",
           build_dir: Path | None = None) -> Launch:
    """QEMU's arguments for ``service``; ``kernel`` is relative to the build
    folder, as are the modules' files when ``build_dir`` is given."""
    machine = choose_machine(service, platform)
    args = [*MACHINE_ARGS[machine],
            "-m", str(service.vm.memory), "-smp", str(service.vm.cpus),
            "-nodefaults", "-no-user-config", "-display", "none",
            "-serial", "mon:stdio", "-no-reboot"]
    if service.vm.boot == "disk":
        image, fmt = boot_image(service)
        args += ["-drive", f"file={image},format={fmt},if=none,id=boot,snapshot=on",
                 "-device", "virtio-blk-pci,drive=boot,bootindex=0"]
    else:
        args += ["-kernel", kernel]
        if service.vm.cmdline:
            args += ["-append", service.vm.cmdline]
        if service.vm.modules:
            args += ["-initrd", module_arg(service, build_dir)]
    disks, persistent = _disk_args(service)
    args += disks + _net_args(service)
    return Launch(
        qemu=QEMU[arch], machine=machine, args=tuple(args), accel=service.vm.accel,
        taps=tuple(n.tap for n in service.vm.nets if n.mode == "tap"),
        bridges=tuple(n.bridge for n in service.vm.nets if n.mode == "bridge"),
        persistent=tuple(persistent),
    )
