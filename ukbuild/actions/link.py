"""link:S — the service's objects and the platform -> S.elf.bin and S.kernel."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from .. import trace
from ..errors import ToolError, UkbuildError, display_path
from ..fsutil import remove_leftovers, temporary_sibling
from ..model import Service
from ..platform import Platform
from ..stages.deps import Deps
from ..stages.link import kernel_command, link_command


def check_platform_libraries(service: Service, platform: Platform) -> None:
    """Every stdout handler, driver and plugin asked for exists in the platform."""
    spec = service.platform
    for kind, names in (("stdout", spec.stdout), ("drivers", spec.drivers),
                        ("plugins", spec.plugins)):
        for i, name in enumerate(names):
            if not platform.library(kind, name).is_file():
                known = ", ".join(platform.available(kind)) or "none"
                raise UkbuildError(
                    f"{display_path(service.descriptor)}: platform.{kind}[{i}]: "
                    f"{platform.name} has no {kind} {name!r} (it has: {known})")


def run_tool(step: str, command: tuple[str, ...], output: Path) -> None:
    """Run ``command``, which writes ``output``, so that ``output`` appears
    complete or not at all."""
    remove_leftovers(output)
    tmp = temporary_sibling(output)
    argv = [str(tmp) if w == str(output) else w for w in command]
    trace.record(step, str(output))
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise ToolError(f"{step} of {display_path(output)} failed:\n"
                            f"{proc.stdout.decode(errors='replace').rstrip()}\n"
                            f"command: {shlex.join(command)}")
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)


def link(service: Service, platform: Platform, deps: Deps, objects: list[Path],
         elf: Path, kernel: Path) -> None:
    check_platform_libraries(service, platform)
    run_tool("link", link_command(service, platform, deps, objects, elf), elf)
    run_tool("kernel", kernel_command(platform, elf, kernel), kernel)
