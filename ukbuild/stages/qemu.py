"""Launch stage: the QEMU command line that boots a service.

Only the accelerator is left open: ``run.sh`` picks KVM or TCG when it runs
(``[vm] accel``), so a built service can move to another host.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Service
from ..platform import Platform

QEMU = {"x86_64": "qemu-system-x86_64"}

# How each machine type boots a kernel (qemu -kernel). microvm is the fastest
# (no PCI, no firmware tables to speak of); pc with qboot next; SeaBIOS last.
MACHINE_ARGS = {
    "microvm": ("-machine", "microvm"),
    "pc": ("-machine", "pc", "-bios", "qboot.rom"),
    "q35": ("-machine", "q35", "-bios", "qboot.rom"),
}


@dataclass(frozen=True)
class Launch:
    qemu: str
    machine: str
    args: tuple[str, ...]    # everything but the accelerator
    accel: str               # auto | kvm | tcg, resolved when run.sh runs


def choose_machine(service: Service, platform: Platform) -> str:
    """The first machine of the platform's list that QEMU knows how to boot."""
    for machine in platform.machines:
        if machine in MACHINE_ARGS:
            return machine
    raise ValueError(f"none of the platform's machines {platform.machines} is supported")


def launch(service: Service, platform: Platform, kernel: str, arch: str = "x86_64") -> Launch:
    """QEMU's arguments for ``service``; ``kernel`` is relative to the build folder."""
    machine = choose_machine(service, platform)
    args = [*MACHINE_ARGS[machine],
            "-m", str(service.vm.memory), "-smp", str(service.vm.cpus),
            "-nodefaults", "-no-user-config", "-display", "none",
            "-serial", "mon:stdio", "-no-reboot",
            "-kernel", kernel]
    if service.vm.cmdline:
        args += ["-append", service.vm.cmdline]
    return Launch(qemu=QEMU[arch], machine=machine, args=tuple(args), accel=service.vm.accel)
