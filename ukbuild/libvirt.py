"""Deploying a built service to libvirt: its domain.xml defined and started
(``doit deploy:S``), stopped and undefined again (``doit undeploy:S``),
through ``virsh``.

The connection is ``UKBUILD_LIBVIRT_URI``, else ``qemu:///session`` (the
user's own libvirt, no privileges needed). The domain boots the machine
run.sh boots (both come from build/S/machine.json); its serial lines go to
build/S/domain-serial.log as well as to ``virsh console``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .errors import UkbuildError, display_path
from .stages.machine import DOMAIN_SERIAL_LOG

DEFAULT_URI = "qemu:///session"


def uri() -> str:
    return os.environ.get("UKBUILD_LIBVIRT_URI") or DEFAULT_URI


def virsh(connection: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    if shutil.which("virsh") is None:
        raise UkbuildError("virsh is missing (Debian: libvirt-clients)")
    proc = subprocess.run(["virsh", "-q", "-c", connection, *args], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        why = "; ".join(line.removeprefix("error: ").strip()
                        for line in proc.stderr.splitlines() if line.strip()) or "no message"
        raise UkbuildError(f"virsh -c {connection} {' '.join(args)}: {why}")
    return proc


def state(connection: str, name: str) -> str | None:
    """The domain's state ("running", "shut off", ...), None if there is none."""
    proc = virsh(connection, "domstate", name, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _remove(connection: str, name: str) -> bool:
    current = state(connection, name)
    if current is None:
        return False
    if current != "shut off":
        virsh(connection, "destroy", name, check=False)   # it may have powered off meanwhile
    virsh(connection, "undefine", name)
    return True


def make_overlays(build_dir: Path, persistent) -> None:
    """A persistent disk's overlay, as run.sh makes it, if it is not there."""
    for overlay, base, fmt in persistent:
        path = build_dir / overlay
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        proc = subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", fmt, "-b",
                               os.path.relpath(build_dir / base, path.parent), str(tmp)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise UkbuildError(f"{display_path(path)}: qemu-img: {proc.stderr.strip()}")
        tmp.replace(path)


def deploy(connection: str, name: str, build_dir: Path, persistent=()) -> str:
    """Define and start the service's domain (replacing one of that name)."""
    domain = build_dir / "domain.xml"
    if not domain.is_file():
        raise UkbuildError(f"{display_path(domain)} is missing: build the service first "
                           f"(doit build:{name})")
    make_overlays(build_dir, persistent)
    replaced = _remove(connection, name)
    (build_dir / DOMAIN_SERIAL_LOG).unlink(missing_ok=True)
    virsh(connection, "define", str(domain.resolve()))
    virsh(connection, "start", name)
    return (f"{name}: {'redeployed' if replaced else 'deployed'} to {connection} "
            f"(serial: virsh -c {connection} console {name}, or "
            f"{display_path(build_dir / DOMAIN_SERIAL_LOG)})")


def undeploy(connection: str, name: str) -> str:
    if _remove(connection, name):
        return f"{name}: stopped and undefined on {connection}"
    return f"{name}: no domain of that name on {connection}"
