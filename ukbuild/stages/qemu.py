"""Launch stage: the machine that boots a service, and its QEMU command line.

``launch()`` describes the machine once (``Machine``: type, firmware,
accelerator policy, the kernel or boot disk, drives, NICs);
``run.sh`` (``Machine.args``), ``domain.xml`` and ``vm.json``
(``stages.machine``) only format that description, so they cannot boot
different machines.

Machine types by boot mode (FACTS: boot-to-exit under TCG):

- ``-kernel`` with no devices: ``microvm`` (about 35 ms; no PCI, no firmware);
- ``-kernel`` with virtio disks or NICs: the platform's first machine that
  has them (``[machines.M] bus``): ``microvm`` when its kernel drives
  virtio-mmio, else ``pc`` with qboot (about 50 ms; PCI, the guest assigns
  the BARs); IDE disks need PCI;
- a bootable disk image: ``pc`` with SeaBIOS (qboot cannot boot disks).

Only the accelerator is left open: ``run.sh`` picks KVM or TCG when it runs
(``[vm] accel``), so a built service can move to another host. Paths are
relative to the service's build folder.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from ..model import Disk, Forward, Service
from ..platform import Platform

QEMU = {"x86_64": "qemu-system-x86_64"}

# machine name -> (QEMU machine type, firmware: QEMU's own when empty)
MACHINES = {
    "microvm": ("microvm", ""),
    "pc": ("pc", "qboot.rom"),
    "q35": ("q35", "qboot.rom"),
    "pc-bios": ("pc", ""),  # SeaBIOS: boots disks
}
IDE_SLOTS = 4  # the pc's PIIX IDE: two buses, two units each
# QEMU's seccomp sandbox: no obsolete system calls, no new privileges, no
# processes, no scheduler or resource changes. A bridge NIC needs QEMU's
# setuid bridge helper, which it spawns: then only the rest.
SANDBOX = ("obsolete=deny", "elevateprivileges=deny", "spawn=deny", "resourcecontrol=deny")
SANDBOX_WITH_HELPER = ("obsolete=deny", "resourcecontrol=deny")


class LaunchError(ValueError):
    """The service asks for something its platform or QEMU cannot boot."""


@dataclass(frozen=True)
class Drive:
    """A disk as the machine has it; files are relative to the build folder."""

    id: str                # QEMU's drive id
    serial: str            # what the guest finds it by ("" for the boot disk)
    file: str              # what QEMU opens: the built image, or a persistent disk's overlay
    format: str
    bus: str               # virtio | ide
    mode: str              # snapshot (writes thrown away) | readonly | persistent
    image: str = ""        # the built image (a persistent disk's overlay sits on it)
    image_format: str = ""
    boot: bool = False


@dataclass(frozen=True)
class Nic:
    id: str
    mode: str              # user | tap | bridge
    mac: str
    forward: tuple[Forward, ...] = ()
    tap: str = ""
    bridge: str = ""


@dataclass(frozen=True)
class Machine:
    """Everything that says how a service boots; its formatters are
    ``args`` (QEMU, for run.sh), ``stages.machine.domain_context`` and
    ``stages.machine.vmrunner_config``."""

    name: str              # the service
    description: str
    qemu: str              # the QEMU program
    machine: str           # a key of MACHINES
    bus: str               # where its devices are: pci | virtio-mmio | none
    accel: str             # auto | kvm | tcg, resolved when the machine starts
    memory: int            # MiB
    cpus: int
    kernel: str = ""       # booted directly, unless a drive is the boot disk
    cmdline: str = ""
    modules: tuple[tuple[str, str], ...] = ()   # multiboot modules: (file, arguments)
    drives: tuple[Drive, ...] = ()
    boot_images: tuple[tuple[str, str], ...] = ()  # the boot disk in each format built
    nics: tuple[Nic, ...] = ()

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Machine":
        """What to_json() gave (machine.json in the build folder)."""
        data = dict(data)
        data["drives"] = tuple(Drive(**d) for d in data.get("drives", ()))
        data["nics"] = tuple(Nic(**{**n, "forward": tuple(Forward(**f) for f in n["forward"])})
                             for n in data.get("nics", ()))
        data["modules"] = tuple(tuple(m) for m in data.get("modules", ()))
        data["boot_images"] = tuple(tuple(b) for b in data.get("boot_images", ()))
        return cls(**data)

    @property
    def type(self) -> str:
        return MACHINES[self.machine][0]

    @property
    def firmware(self) -> str:
        return MACHINES[self.machine][1]

    @property
    def boot_drive(self) -> Drive | None:
        return next((d for d in self.drives if d.boot), None)

    @property
    def taps(self) -> tuple[str, ...]:
        """Devices that must exist before QEMU starts."""
        return tuple(n.tap for n in self.nics if n.mode == "tap")

    @property
    def bridges(self) -> tuple[str, ...]:
        return tuple(n.bridge for n in self.nics if n.mode == "bridge")

    @property
    def persistent(self) -> tuple[tuple[str, str, str], ...]:
        """(overlay, built image, its format) of each persistent disk."""
        return tuple((d.file, d.image, d.image_format) for d in self.drives
                     if d.mode == "persistent")

    @property
    def initrd(self) -> str:
        """-initrd for the modules: "file args,file args" (a comma in a path
        or in arguments is doubled, as QEMU's multiboot loader reads it)."""
        return ",".join(" ".join(w for w in m if w).replace(",", ",,") for m in self.modules)

    @property
    def sandbox(self) -> tuple[str, ...]:
        return SANDBOX_WITH_HELPER if self.bridges else SANDBOX

    @property
    def args(self) -> tuple[str, ...]:
        """QEMU's arguments, all but the accelerator."""
        args = ["-machine", self.type]
        if self.firmware:
            args += ["-bios", self.firmware]
        args += ["-m", str(self.memory), "-smp", str(self.cpus),
                 "-nodefaults", "-no-user-config", "-display", "none",
                 "-serial", "mon:stdio", "-no-reboot",
                 "-sandbox", ",".join(("on", *self.sandbox))]
        args += self.global_args
        blk = "virtio-blk-device" if self.bus == "virtio-mmio" else "virtio-blk-pci"
        if self.kernel:
            args += ["-kernel", self.kernel]
            if self.cmdline:
                args += ["-append", self.cmdline]
            if self.modules:
                args += ["-initrd", self.initrd]
        ide = 0
        for d in self.drives:
            drive = f"file={d.file},format={d.format}"
            drive += {"readonly": ",readonly=on", "snapshot": ",snapshot=on"}.get(d.mode, "")
            args += ["-drive", f"{drive},if=none,id={d.id}"]
            if d.bus == "ide":
                args += ["-device", f"ide-hd,drive={d.id},serial={d.serial},"
                                    f"bus=ide.{ide // 2},unit={ide % 2}"]
                ide += 1
            elif d.boot:
                args += ["-device", f"{blk},drive={d.id},bootindex=0"]
            else:
                args += ["-device", f"{blk},drive={d.id},serial={d.serial}"]
        for n in self.nics:
            args += self.nic_args(n)
        return tuple(args)

    @property
    def global_args(self) -> list[str]:
        """Device defaults the machine needs: virtio 1.x, not 0.9, over MMIO."""
        if self.bus == "virtio-mmio" and (self.drives or self.nics):
            return ["-global", "virtio-mmio.force-legacy=false"]
        return []

    def nic_args(self, n: Nic, netdev: str = "") -> list[str]:
        """-netdev and -device of a NIC (its netdev named ``netdev``, else its id)."""
        netdev = netdev or n.id
        if n.mode == "user":
            backend = f"user,id={netdev}" + "".join(f",hostfwd={f.qemu()}" for f in n.forward)
        elif n.mode == "tap":
            backend = f"tap,id={netdev},ifname={n.tap},script=no,downscript=no"
        else:
            backend = f"bridge,id={netdev},br={n.bridge}"
        device = "virtio-net-device" if self.bus == "virtio-mmio" else "virtio-net-pci"
        return ["-netdev", backend, "-device", f"{device},netdev={netdev},mac={n.mac}"]


def needs(service: Service) -> tuple[str, ...]:
    """The buses that can give the service its devices (() when it has none)."""
    vm = service.vm
    if vm.boot == "disk" or any(d.interface == "ide" for d in vm.disks):
        return ("pci",)
    if vm.disks or vm.nets:
        return ("pci", "virtio-mmio")
    return ()


def choose_machine(service: Service, platform: Platform) -> str:
    """The machine to boot on: the platform's first (its fastest) that has
    the devices the service needs."""
    usable = [m for m in platform.machines if m in MACHINES]
    if not usable:
        raise LaunchError(f"QEMU cannot boot any of {platform.name}'s machines "
                          f"({', '.join(platform.machines)})")
    buses = needs(service)
    if buses:
        usable = [m for m in usable if platform.bus(m) in buses]
        if not usable:
            wanted = "PCI" if buses == ("pci",) else "PCI or virtio-mmio"
            raise LaunchError(f"{platform.name} boots on {', '.join(platform.machines)}, none "
                              f"with {wanted}, which "
                              + ("a disk boot and IDE disks need" if buses == ("pci",)
                                 else "disks and network devices need"))
        if service.vm.boot == "disk":
            return "pc-bios"
    return usable[0]


def disk_file(service: Service, disk: Disk) -> str:
    return f"disks/{disk.name}.{disk.format}"


def boot_image(service: Service) -> tuple[str, str]:
    """(file, format) of the image a ``boot = "disk"`` service boots."""
    fmt = service.image_formats[0]
    return f"{service.name}.{fmt}", fmt


def _drives(service: Service) -> list[Drive]:
    drives = []
    if service.vm.boot == "disk":
        image, fmt = boot_image(service)
        drives.append(Drive("boot", "", image, fmt, "virtio", "snapshot", image, fmt, boot=True))
    ide = 0
    for disk in service.vm.disks:
        path = disk_file(service, disk)
        if disk.interface == "ide":
            if ide == IDE_SLOTS:
                raise LaunchError(f"the pc machine has {IDE_SLOTS} IDE slots; "
                                  f"{service.name} asks for more")
            ide += 1
        if disk.persistent:
            drives.append(Drive(f"disk-{disk.name}", disk.name, disk.overlay, "qcow2",
                                disk.interface, "persistent", path, disk.format))
        else:
            # a run never changes a built disk: writes go to a throw-away overlay
            drives.append(Drive(f"disk-{disk.name}", disk.name, path, disk.format, disk.interface,
                                "readonly" if disk.readonly else "snapshot", path, disk.format))
    return drives


def modules(service: Service, build_dir: Path | None) -> tuple[tuple[str, str], ...]:
    """[[vm.module]]'s (file, arguments), files relative to ``build_dir`` when given."""
    return tuple((os.path.relpath(m.path, build_dir) if build_dir else str(m.path), m.args)
                 for m in service.vm.modules)


def launch(service: Service, platform: Platform, kernel: str, arch: str = "x86_64",
           build_dir: Path | None = None) -> Machine:
    """The machine that boots ``service``; ``kernel`` is relative to the
    build folder, as are the modules' files when ``build_dir`` is given."""
    vm = service.vm
    disk_boot = vm.boot == "disk"
    return Machine(
        name=service.name, description=service.description, qemu=QEMU[arch],
        machine=(machine := choose_machine(service, platform)),
        bus=platform.bus("pc" if machine == "pc-bios" else machine), accel=vm.accel,
        memory=vm.memory, cpus=vm.cpus,
        kernel="" if disk_boot else kernel,
        cmdline="" if disk_boot else vm.cmdline,
        modules=() if disk_boot else modules(service, build_dir),
        drives=tuple(_drives(service)),
        boot_images=tuple((f"{service.name}.{fmt}", fmt) for fmt in service.image_formats)
        if disk_boot else (),
        nics=tuple(Nic(f"net{i}", n.mode, n.mac, n.forward, n.tap, n.bridge)
                   for i, n in enumerate(vm.nets)),
    )
