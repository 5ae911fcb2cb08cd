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


def vmrunner_config(service: Service, kernel_name: str) -> dict:
    """vm.json, in the format of IncludeOS's vmrunner (paths relative to it)."""
    image = boot_image(service)[0] if service.vm.boot == "disk" else kernel_name
    config = {"description": service.description, "image": image,
              "mem": service.vm.memory, "smp": service.vm.cpus}
    if service.vm.disks:
        config["drives"] = [{"file": disk_file(service, d), "type": d.interface,
                             "format": d.format, "media": "disk", "name": d.name}
                            for d in service.vm.disks]
    if service.vm.nets:
        config["net"] = [{"device": "virtio", "backend": n.mode, "name": f"net{i}"}
                         for i, n in enumerate(service.vm.nets)]
    return config
