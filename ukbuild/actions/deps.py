"""deps:S — resolve the platform and requirements with conan, write deps.json.

deps.json is everything later stages need from outside the service: the
packages (with their full ids, so a rebuilt package changes the file) and
the fingerprints of the tools the platform names. It is rewritten only when
its content changes, which is what lets an unchanged resolution stop here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .. import conan
from ..fsutil import write_if_changed
from ..model import Service
from ..platform import load_platform, tool_path
from ..render import render
from ..stages.deps import Deps
from ..tools import fingerprint

TOOLS = ("cc", "cxx", "ld", "objcopy")


def generated_conanfile(service: Service, build_dir: Path) -> Path:
    return build_dir / "conanfile.py"


def conanfile_for(service: Service, build_dir: Path) -> Path:
    """The service's own recipe if it has one, else the generated one."""
    return service.recipe or generated_conanfile(service, build_dir)


def write_conanfile(service: Service, build_dir: Path) -> Path:
    path = generated_conanfile(service, build_dir)
    write_if_changed(path, render("conanfile.py.j2", service=service,
                                  descriptor=service.relative(service.descriptor)))
    return path


def tool_versions(deps: Deps, state_dir: Path) -> dict:
    """Fingerprints of the platform's tools and the executables they come from."""
    platform = load_platform(deps.platform.folder)
    commands = {name: getattr(platform, name) for name in TOOLS}
    versions = {name: fingerprint(list(cmd) + ["--version"], state_dir)
                for name, cmd in commands.items()}
    if platform.version_command:
        versions["toolchain"] = fingerprint(platform.version_command, state_dir)
    executables = {}
    for cmd in commands.values():
        exe = tool_path(cmd)
        if exe:
            st = os.stat(exe)
            executables[exe] = [st.st_size, st.st_mtime_ns]
    return {"versions": versions, "executables": executables}


def executables_unchanged(deps_json: Path) -> bool:
    """The uptodate check of deps:S: the tools it fingerprinted are the same files."""
    try:
        recorded = json.loads(deps_json.read_text())["tools"]["executables"]
    except (FileNotFoundError, ValueError, KeyError):
        return False
    for exe, (size, mtime) in recorded.items():
        try:
            st = os.stat(exe)
        except OSError:
            return False
        if (st.st_size, st.st_mtime_ns) != (size, mtime):
            return False
    return True


def resolve(root: Path, service: Service, build_dir: Path, state_dir: Path) -> Path:
    """Run conan for ``service``; write ``deps.json``; return its path."""
    conanfile = service.recipe or write_conanfile(service, build_dir)
    deps = conan.resolve(root, service, conanfile)
    data = deps.to_json()
    data["tools"] = tool_versions(deps, state_dir)
    out = build_dir / "deps.json"
    write_if_changed(out, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return out


def load(deps_json: Path) -> tuple[Deps, dict]:
    data = json.loads(Path(deps_json).read_text())
    return Deps.from_json(data), data.get("tools", {})
