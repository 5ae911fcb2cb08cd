"""Launch targets other than run.sh: a libvirt domain and IncludeOS
vmrunner's vm.json. Pure functions from the service to their content."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from ..model import Service
from .qemu import boot_image, disk_file


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


def domain_context(service: Service, build_dir: Path, kernel: Path, kvm: bool) -> dict:
    """What domain.xml.j2 needs; libvirt wants absolute paths."""
    domain_type = {"kvm": "kvm", "tcg": "qemu"}.get(service.vm.accel, "kvm" if kvm else "qemu")
    boot = None
    if service.vm.boot == "disk":
        file, fmt = boot_image(service)
        boot = {"file": str(build_dir / file), "format": fmt}
    disks = []
    counters = {"virtio": 1 if boot else 0, "ide": 0}
    for disk in service.vm.disks:
        n = counters[disk.interface]
        counters[disk.interface] += 1
        file = disk.overlay if disk.persistent else disk_file(service, disk)
        disks.append({
            "name": disk.name,
            "file": str(build_dir / file),
            "format": "qcow2" if disk.persistent else disk.format,
            "bus": disk.interface,
            "target": ("vd" if disk.interface == "virtio" else "hd") + "abcdefghijklmnop"[n],
            "readonly": disk.readonly, "persistent": disk.persistent,
        })
    return {"service": service, "domain_type": domain_type, "kernel": str(kernel),
            "boot_image": boot, "disks": disks}


VMRUNNER_FORMATS = ("raw", "qcow2", "vdi")  # the drive formats vmrunner's schema allows


def vmrunner_config(service: Service, kernel_name: str, build_dir: Path | None = None) -> dict:
    """vm.json, in the format of IncludeOS's vmrunner (files relative to the
    build folder, where vm.json is; modules too when ``build_dir`` is given).
    What it cannot express is left out: see ``vmrunner_omissions``."""
    vm = service.vm
    if vm.boot == "disk":  # vmrunner boots an image as a raw IDE disk: raw if there is one
        image = f"{service.name}.raw" if "raw" in service.image_formats else boot_image(service)[0]
    else:
        image = kernel_name
    config = {"description": service.description, "image": image,
              "mem": vm.memory, "smp": vm.cpus}
    if vm.cmdline:
        config["cmdline"] = vm.cmdline
    drives = [{"file": disk_file(service, d), "type": d.interface, "format": d.format,
               "media": "disk", "name": d.name}
              for d in vm.disks if d.format in VMRUNNER_FORMATS]
    if drives:
        config["drives"] = drives
    if vm.modules:
        config["modules"] = [
            {"path": os.path.relpath(m.path, build_dir) if build_dir else str(m.path),
             **({"args": m.args} if m.args else {})} for m in vm.modules]
    if vm.nets:
        config["net"] = [{"device": "virtio", "backend": n.mode, "name": f"net{i}", "mac": n.mac,
                          **({"bridge": n.bridge} if n.mode == "bridge" else {})}
                         for i, n in enumerate(vm.nets)]
    return config


def vmrunner_omissions(service: Service) -> list[str]:
    """One line for each part of the service that vm.json cannot express."""
    return [f"vm.disk[{i}].format: {d.format!r} cannot be written to vm.json (vmrunner takes "
            f"{', '.join(VMRUNNER_FORMATS)}): the disk {d.name!r} is left out of it"
            for i, d in enumerate(service.vm.disks) if d.format not in VMRUNNER_FORMATS]
