"""The validated, resolved form of a service descriptor.

A ``Service`` is what every stage works from: each path absolute and inside
the service folder, each default filled in. It is built by
``ukbuild.descriptor`` from ``service.toml`` and never from anything else,
so a stage can trust every field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PLATFORM = "ukbase/0.1.0"
SOURCE_SUFFIXES = (".cpp", ".cc", ".cxx", ".c", ".S", ".asm")
CXX_SUFFIXES = (".cpp", ".cc", ".cxx")
PERSISTENT = "persistent"  # the build folder's folder of persistent disk overlays


@dataclass(frozen=True)
class PlatformSpec:
    """[platform]: the package to link against and what to take from it."""

    package: str = DEFAULT_PLATFORM
    stdout: tuple[str, ...] = ("default_stdout",)
    drivers: tuple[str, ...] = ()
    plugins: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.package.split("/", 1)[0]


@dataclass(frozen=True)
class BuildSpec:
    """[build]: sources and how to compile them."""

    sources: tuple[Path, ...]
    include_dirs: tuple[Path, ...] = ()
    defines: tuple[tuple[str, str | None], ...] = ()
    cxxflags: tuple[str, ...] = ()
    std: str = "c++17"
    build_type: str = "Release"
    requires: tuple[str, ...] = ()
    memdisk: Path | None = None
    config: Path | None = None


@dataclass(frozen=True)
class Forward:
    """A port forward of user networking: host address and port to guest port."""

    proto: str
    host_addr: str
    host_port: int
    guest_port: int

    def qemu(self) -> str:
        return f"{self.proto}:{self.host_addr}:{self.host_port}-:{self.guest_port}"


@dataclass(frozen=True)
class Net:
    """One [[vm.net]] entry (mac always filled in)."""

    mode: str
    mac: str
    forward: tuple[Forward, ...] = ()
    tap: str = ""
    bridge: str = ""


@dataclass(frozen=True)
class Disk:
    """One [[vm.disk]] entry: a FAT filesystem of ``size`` MiB made of
    ``source`` (a folder), ``files`` (path on the disk -> file) and
    ``folders``, or ``source`` an image file, converted."""

    name: str
    source: Path | None
    fat_made: bool
    size: int | None = None
    format: str = "qcow2"
    interface: str = "virtio"
    readonly: bool = False
    persistent: bool = False
    files: tuple[tuple[str, Path], ...] = ()
    folders: tuple[str, ...] = ()
    fat: int | None = None

    @property
    def overlay(self) -> str:
        """Where a persistent disk keeps what runs write, relative to the
        service's build folder."""
        return f"{PERSISTENT}/{self.name}.qcow2"


@dataclass(frozen=True)
class Module:
    """One [[vm.module]]: a file handed to the kernel as a multiboot module."""

    path: Path
    args: str = ""


@dataclass(frozen=True)
class VmSpec:
    """[vm]: the virtual machine the service runs in."""

    memory: int = 128
    cpus: int = 1
    accel: str = "auto"
    boot: str = "kernel"
    cmdline: str = ""
    nets: tuple[Net, ...] = ()
    disks: tuple[Disk, ...] = ()
    modules: tuple[Module, ...] = ()


@dataclass(frozen=True)
class TestSpec:
    """[test]: what a headless boot must show (regular expressions, searched
    in each serial line), judged by vmrunner's rules (ukbuild.checks)."""

    expect: tuple[str, ...] = ()       # in this order
    exit_status: int = 0
    timeout: float = 30.0
    client: Path | None = None  # run on the host once the service is running
    success: str | None = None         # passes, and ends the boot, once the expect lines came
    count: tuple[tuple[str, int], ...] = ()   # (pattern, exactly how many lines)
    fail: tuple[str, ...] = ()         # a matching line fails the test at once
    panic: str = "fail"                # fail | expected
    script: Path | None = None         # a vmrunner test script drives the boot instead
    # (bridge, host address, DHCP served, host IPv6 addresses)
    network: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Service:
    """A service: its folder, its descriptor and everything resolved from it."""

    name: str
    folder: Path
    descriptor: Path
    build: BuildSpec
    description: str = ""
    version: str = "0.0.0"
    platform: PlatformSpec = field(default_factory=PlatformSpec)
    image_formats: tuple[str, ...] = ()
    vm: VmSpec = field(default_factory=VmSpec)
    test: TestSpec = field(default_factory=TestSpec)
    recipe: Path | None = None  # the service's own conanfile.py, if any

    def relative(self, path: Path) -> str:
        """``path`` relative to the service folder, with forward slashes."""
        text, folder = str(path), str(self.folder)
        if not text.startswith(folder + "/"):
            raise ValueError(f"{path} is not in {folder}")
        return text[len(folder) + 1:]


@dataclass(frozen=True)
class Project:
    """A folder holding ``services/`` and, optionally, ``recipes/``."""

    root: Path
    services: tuple[Service, ...]
    recipes: tuple[Path, ...] = ()  # folders holding a conanfile.py

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        from .errors import UkbuildError

        known = ", ".join(s.name for s in self.services) or "none"
        raise UkbuildError(f"unknown service '{name}' (services here: {known})")
