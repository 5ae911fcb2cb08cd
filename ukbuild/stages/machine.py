"""Launch targets other than run.sh: a libvirt domain and IncludeOS
vmrunner's vm.json. Pure functions from the launch stage's ``Machine`` to
their content: formatters, which decide nothing about the machine."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from .qemu import Machine


@lru_cache(maxsize=None)  # once per run: every service's launch task asks
def kvm_usable(dev: str = "/dev/kvm", cpuinfo: str = "/proc/cpuinfo") -> bool:
    """KVM that is hardware virtualization: /dev/kvm usable and the CPU shows
    vmx or svm (a /dev/kvm alone may be software nested virtualization,
    which runs guests far slower than TCG)."""
    if not os.access(dev, os.R_OK | os.W_OK):
        return False
    try:
        flags = Path(cpuinfo).read_text()
    except OSError:
        return False
    return any(w in ("vmx", "svm") for line in flags.splitlines()
               if line.startswith("flags") for w in line.split())


QBOOT = "/usr/share/qemu/qboot.rom"   # libvirt wants the firmware's path
DOMAIN_SERIAL_LOG = "domain-serial.log"  # in the build folder: the domain's serial lines
# What launch:S writes in the build folder: the three targets and the machine they format.
LAUNCH_TARGETS = ("run.sh", "domain.xml", "vm.json", "machine.json")


def domain_context(machine: Machine, build_dir: Path, kvm: bool,
                   firmware_dir: str = os.path.dirname(QBOOT)) -> dict:
    """What domain.xml.j2 needs; libvirt wants absolute paths."""
    domain_type = {"kvm": "kvm", "tcg": "qemu"}.get(machine.accel, "kvm" if kvm else "qemu")
    disks = []
    counters = {"virtio": 0, "ide": 0}
    for drive in machine.drives:
        n = counters[drive.bus]
        counters[drive.bus] += 1
        disks.append({
            "name": drive.serial, "boot": drive.boot,
            "file": str(build_dir / drive.file), "format": drive.format,
            "bus": drive.bus,
            "target": ("vd" if drive.bus == "virtio" else "hd") + "abcdefghijklmnop"[n],
            "readonly": drive.mode == "readonly", "persistent": drive.mode == "persistent",
        })
    # What libvirt 9 cannot say goes to QEMU as run.sh has it: virtio-mmio's
    # version, user networking's port forwards (netdevs named apart from
    # libvirt's own).
    qemu_args = list(machine.global_args)
    for nic in machine.nics:
        if nic.mode == "user" and nic.forward:
            qemu_args += machine.nic_args(nic, f"ukbuild-{nic.id}")
    return {"machine": machine, "domain_type": domain_type,
            "serial_log": str(build_dir / DOMAIN_SERIAL_LOG),
            "kernel": str(build_dir / machine.kernel) if machine.kernel else "",
            "loader": os.path.join(firmware_dir, machine.firmware) if machine.firmware else "",
            "disks": disks, "mmio": machine.bus == "virtio-mmio", "qemu_args": qemu_args}


VMRUNNER_FORMATS = ("raw", "qcow2", "vdi")  # the drive formats vmrunner's schema allows


def vmrunner_config(machine: Machine) -> dict:
    """vm.json, in the format of IncludeOS's vmrunner (files relative to the
    build folder, where vm.json is). What it cannot express is left out:
    see ``vmrunner_omissions``."""
    image = machine.kernel
    if machine.boot_drive:  # vmrunner boots an image as a raw IDE disk: raw if there is one
        image = dict((fmt, f) for f, fmt in machine.boot_images).get("raw", machine.boot_drive.file)
    config = {"description": machine.description, "image": image,
              "mem": machine.memory, "smp": machine.cpus}
    if machine.cmdline:
        config["cmdline"] = machine.cmdline
    drives = [{"file": d.image, "type": d.bus, "format": d.image_format,
               "media": "disk", "name": d.serial}
              for d in machine.drives if not d.boot and d.image_format in VMRUNNER_FORMATS]
    if drives:
        config["drives"] = drives
    if machine.modules:
        config["modules"] = [{"path": path, **({"args": args} if args else {})}
                             for path, args in machine.modules]
    if machine.nics:
        config["net"] = [{"device": "virtio", "backend": n.mode, "name": n.id, "mac": n.mac,
                          **({"bridge": n.bridge} if n.mode == "bridge" else {})}
                         for n in machine.nics]
    return config


def vmrunner_omissions(machine: Machine) -> list[str]:
    """One line for each part of the machine that vm.json cannot express."""
    disks = [d for d in machine.drives if not d.boot]
    return [f"vm.disk[{i}].format: {d.image_format!r} cannot be written to vm.json (vmrunner "
            f"takes {', '.join(VMRUNNER_FORMATS)}): the disk {d.serial!r} is left out of it"
            for i, d in enumerate(disks) if d.image_format not in VMRUNNER_FORMATS]
