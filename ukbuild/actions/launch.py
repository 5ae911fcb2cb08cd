"""launch:S — the launch targets: run.sh, domain.xml (libvirt), vm.json (vmrunner)."""

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

OUTPUTS = ("run.sh", "domain.xml", "vm.json")


def write_launch_targets(service: Service, platform: Platform, build_dir: Path,
                         kernel: Path) -> None:
    try:
        spec = launch(service, platform, os.path.relpath(kernel, build_dir), platform.arch,
                      build_dir)
    except LaunchError as err:
        raise UkbuildError(f"{display_path(service.descriptor)}: {err}") from None
    descriptor = os.path.relpath(service.descriptor, build_dir)
    write_if_changed(build_dir / "run.sh", render(
        "run.sh.j2", service=service, launch=spec, descriptor=descriptor), mode=0o755)
    write_if_changed(build_dir / "domain.xml", render(
        "domain.xml.j2", descriptor=descriptor,
        **domain_context(service, build_dir.resolve(), kernel.resolve(), kvm_usable())))
    write_if_changed(build_dir / "vm.json", json.dumps(
        vmrunner_config(service, kernel.name, build_dir), indent=2) + "\n")
    for line in vmrunner_omissions(service):
        print(f"{display_path(service.descriptor)}: {line}", file=sys.stderr)
