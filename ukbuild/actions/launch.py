"""launch:S — the launch targets: run.sh, domain.xml (libvirt), vm.json (vmrunner), and
machine.json, the machine they all boot (what deploy:S reads)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..errors import UkbuildError, display_path
from ..fsutil import write_if_changed
from ..model import Service
from ..platform import Platform
from ..render import render
from ..stages.machine import domain_context, kvm_usable, vmrunner_config, vmrunner_omissions
from ..stages.qemu import LaunchError, launch


def write_launch_targets(service: Service, platform: Platform, build_dir: Path,
                         kernel: Path) -> None:
    try:
        machine = launch(service, platform, os.path.relpath(kernel, build_dir), platform.arch,
                         build_dir)
    except LaunchError as err:
        raise UkbuildError(f"{display_path(service.descriptor)}: {err}") from None
    descriptor = os.path.relpath(service.descriptor, build_dir)
    write_if_changed(build_dir / "run.sh", render(
        "run.sh.j2", service=service, launch=machine, descriptor=descriptor), mode=0o755)
    write_if_changed(build_dir / "domain.xml", render(
        "domain.xml.j2", descriptor=descriptor,
        **domain_context(machine, build_dir.resolve(), kvm_usable())))
    write_if_changed(build_dir / "vm.json", json.dumps(vmrunner_config(machine), indent=2) + "\n")
    write_if_changed(build_dir / "machine.json", json.dumps(machine.to_json(), indent=1) + "\n")
    for line in vmrunner_omissions(machine):
        print(f"{display_path(service.descriptor)}: {line}", file=sys.stderr)
