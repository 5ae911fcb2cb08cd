"""Link stage: the service's objects and the platform -> S.elf.bin -> S.kernel."""

from __future__ import annotations

from pathlib import Path

from ..model import Service
from ..platform import Platform, expand
from .deps import Deps


def embedded_objects(service: Service, build_dir: Path) -> list[Path]:
    """Objects holding the data linked into the kernel: the memdisk, the config."""
    return ([build_dir / "memdisk.o"] if service.build.memdisk else []) + \
           ([build_dir / "config.o"] if service.build.config else [])


def platform_archives(service: Service, platform: Platform) -> list[Path]:
    """stdout handlers, drivers and plugins the service asks for, in
    IncludeOS's order (os_add_stdout, os_add_drivers, os_add_plugins)."""
    spec = service.platform
    return ([platform.library("stdout", n) for n in spec.stdout]
            + [platform.library("drivers", n) for n in spec.drivers]
            + [platform.library("plugins", n) for n in spec.plugins])


def link_command(service: Service, platform: Platform, deps: Deps,
                 objects: list[Path], elf: Path) -> tuple[str, ...]:
    """The linker line. Handlers, drivers and plugins are linked whole (only
    their constructors refer to them); the platform's own libraries come
    last, in one group."""
    cmd = [*platform.ld, *platform.link_flags, "-T", str(platform.link_script), "-o", str(elf)]
    cmd += [str(o) for o in objects]
    whole = platform_archives(service, platform)
    if whole:
        cmd += ["--whole-archive", *map(str, whole), "--no-whole-archive"]
    for package in deps.requires:
        cmd += [str(a) for a in package.archives]
    cmd += ["--start-group", *map(str, platform.libs), "--end-group"]
    return tuple(cmd)


def kernel_command(platform: Platform, elf: Path, kernel: Path) -> tuple[str, ...]:
    """What makes the bootable kernel from the ELF (platform.toml [kernel])."""
    return expand(platform.kernel_command, {"elf": (str(elf),), "kernel": (str(kernel),)})
