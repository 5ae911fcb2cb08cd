"""launch:S — the launch targets: run.sh (and, later, libvirt and vmrunner files)."""

from __future__ import annotations

import os
from pathlib import Path

from ..fsutil import write_if_changed
from ..model import Service
from ..platform import Platform
from ..render import render
from ..stages.qemu import launch


def write_run_sh(service: Service, platform: Platform, build_dir: Path, kernel: Path) -> Path:
    spec = launch(service, platform, os.path.relpath(kernel, build_dir))
    path = build_dir / "run.sh"
    write_if_changed(path, render("run.sh.j2", service=service, launch=spec,
                                  descriptor=os.path.relpath(service.descriptor, build_dir)),
                     mode=0o755)
    return path
