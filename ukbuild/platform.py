"""A platform package's self-description (``platform.toml``).

See docs/platform.md. ukbuild knows nothing of a platform beyond what this
file says: the compiler and its flags, the link line, how the bootable kernel
is made, the QEMU machines it boots on and which serial lines mean what.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import UkbuildError

DESCRIPTION = "platform.toml"


def zig_binary() -> str:
    """The ``zig`` of the installed ``ziglang`` package (clang, lld, libc++, musl)."""
    spec = importlib.util.find_spec("ziglang")
    if spec is None or spec.origin is None:
        raise UkbuildError(
            "the toolchain provider 'ziglang' is not installed (pip install ziglang)")
    zig = Path(spec.origin).parent / "zig"
    if not zig.is_file():
        raise UkbuildError(f"{zig}: the ziglang package has no zig binary")
    return str(zig)


# Where a platform says nothing: gdb on the stub, with the ELF's symbols.
DEFAULT_DEBUG = ("gdb", "-ex", "target remote 127.0.0.1:{port}", "{elf}")


# IncludeOS's sections for the memdisk and config.json
MEMDISK_SECTION, CONFIG_SECTION = ".diskdata", ".config"


@dataclass(frozen=True)
class Platform:
    """What ukbuild reads from a platform package."""

    prefix: Path
    name: str
    version: str
    cc: tuple[str, ...]
    cxx: tuple[str, ...]
    ld: tuple[str, ...]
    objcopy: tuple[str, ...]
    nasm: tuple[str, ...]
    version_command: tuple[str, ...]
    flags: tuple[str, ...]
    c_flags: tuple[str, ...]
    cxx_flags: tuple[str, ...]
    asm_flags: tuple[str, ...]
    include_dirs: tuple[Path, ...]
    release_flags: tuple[str, ...]
    debug_flags: tuple[str, ...]
    link_script: Path
    link_flags: tuple[str, ...]
    stdout_dir: Path
    drivers_dir: Path
    plugins_dir: Path
    libs: tuple[Path, ...]
    service_info: Path | None
    boot: str
    kernel_command: tuple[str, ...]
    machines: tuple[str, ...]
    serial: dict
    arch: str = "x86_64"
    loader: Path | None = None       # [image] the boot sector of bootable disks
    loader_protocol: str = ""
    max_payload: int = 0
    config_schema: Path | None = None   # [config] schema: what [build] config must satisfy
    # [sections]: the ELF sections the link script expects the memdisk and
    # [build] config in (IncludeOS's names where a platform says nothing)
    memdisk_section: str = MEMDISK_SECTION
    config_section: str = CONFIG_SECTION
    # [machines.M] bus: how the kernel finds devices on machine M
    buses: tuple[tuple[str, str], ...] = ()
    # [debug]: how to attach gdb to the paused kernel ({port}, {elf}), and a note
    debug_command: tuple[str, ...] = DEFAULT_DEBUG
    debug_note: str = ""

    def bus(self, machine: str) -> str:
        """"pci", "virtio-mmio" or "none": the devices the kernel drives on ``machine``."""
        return dict(self.buses).get(machine, DEFAULT_BUSES.get(machine, "none"))

    def build_type_flags(self, build_type: str) -> tuple[str, ...]:
        return self.debug_flags if build_type == "Debug" else self.release_flags

    def library(self, kind: str, name: str) -> Path:
        """The archive of a stdout handler, driver or plugin, by name."""
        folder = {"stdout": self.stdout_dir, "drivers": self.drivers_dir,
                  "plugins": self.plugins_dir}[kind]
        return folder / f"lib{name}.a"

    def available(self, kind: str) -> list[str]:
        folder = {"stdout": self.stdout_dir, "drivers": self.drivers_dir,
                  "plugins": self.plugins_dir}[kind]
        return sorted(p.name[3:-2] for p in folder.glob("lib*.a"))


# Where a platform says nothing: QEMU's microvm has no PCI, pc and q35 have.
DEFAULT_BUSES = {"microvm": "none", "pc": "pci", "q35": "pci"}


def _buses(data: dict, machines: tuple[str, ...], where: str) -> tuple[tuple[str, str], ...]:
    """[machines.M] bus (its keys and values are the schema's to check)."""
    table = data.get("machines", {})
    for name in table:
        if name not in machines:
            raise UkbuildError(f"{where}: machines.{name}: not one of kernel.machines "
                               f"({', '.join(machines)})")
    return tuple((name, entry.get("bus", DEFAULT_BUSES.get(name, "none")))
                 for name, entry in table.items())


def _words(section: dict, key: str, where: str, default=()) -> tuple[str, ...]:
    value = section.get(key, default)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise UkbuildError(f"{where}: {key}: expected an array of strings")
    return tuple(value)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def expand(words, subst: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Replace ``{name}`` placeholders in a command line.

    A word that is exactly one placeholder becomes all the words of its value
    (``{objcopy}`` may be a command with arguments); inside a longer word the
    value is joined by spaces. Unknown placeholders are left for later stages
    (``{elf}``, ``{kernel}``).
    """
    out: list[str] = []
    for word in words:
        whole = _PLACEHOLDER.fullmatch(word)
        if whole and whole.group(1) in subst:
            out += subst[whole.group(1)]
            continue
        out.append(_PLACEHOLDER.sub(
            lambda m: " ".join(subst[m.group(1)]) if m.group(1) in subst else m.group(0), word))
    return tuple(out)


def load_platform(prefix: Path) -> Platform:
    """Read ``platform.toml`` of the package installed at ``prefix``."""
    from .descriptor import parse_toml, validate_table

    prefix = Path(prefix)
    path = prefix / DESCRIPTION
    if not path.is_file():
        raise UkbuildError(
            f"{prefix}: not a ukbuild platform package (it has no {DESCRIPTION}; see docs/platform.md)")
    data = parse_toml(path)
    if data.get("format") != 1:
        raise UkbuildError(f"{path}: format: expected 1, found {data.get('format')!r}")
    validate_table(path, data, Path(__file__).parent / "schema" / "platform.schema.json")
    where = str(path)

    tool = data.get("toolchain", {})
    provider = tool.get("provider", "path")
    subst: dict[str, tuple[str, ...]] = {"prefix": (str(prefix),)}
    if provider == "ziglang":
        subst["zig"] = (zig_binary(),)
    elif provider != "path":
        raise UkbuildError(
            f"{where}: toolchain.provider: expected 'ziglang' or 'path', found {provider!r}")
    subst["objcopy"] = expand(_words(tool, "objcopy", where, ["objcopy"]), subst)

    def command(section, key, default=()):
        return expand(_words(section, key, where, default), subst)

    def paths(section, key):
        return tuple(prefix / p for p in _words(section, key, where))

    comp = data.get("compile", {})
    link = data.get("link", {})
    kern = data.get("kernel", {})
    plat = data.get("platform", {})
    image = data.get("image", {})
    config = data.get("config", {})
    sections = data.get("sections", {})
    script = link.get("script", "linker.ld")
    service_info = link.get("service_info")
    return Platform(
        prefix=prefix,
        name=plat.get("name", prefix.name),
        version=str(plat.get("version", "")),
        cc=command(tool, "cc", ["cc"]),
        cxx=command(tool, "cxx", ["c++"]),
        ld=command(tool, "ld", ["ld"]),
        objcopy=subst["objcopy"],
        nasm=command(tool, "nasm", ["nasm"]),
        version_command=command(tool, "version", []),
        flags=command(comp, "flags"),
        c_flags=command(comp, "c"),
        cxx_flags=command(comp, "cxx"),
        asm_flags=command(comp, "asm"),
        include_dirs=paths(comp, "include_dirs"),
        release_flags=command(comp, "release", ["-O2"]),
        debug_flags=command(comp, "debug", ["-O0", "-g"]),
        link_script=prefix / script,
        link_flags=command(link, "flags"),
        stdout_dir=prefix / link.get("stdout_dir", "drivers/stdout"),
        drivers_dir=prefix / link.get("drivers_dir", "drivers"),
        plugins_dir=prefix / link.get("plugins_dir", "plugins"),
        libs=paths(link, "libs"),
        service_info=prefix / service_info if service_info else None,
        boot=kern.get("boot", "multiboot"),
        kernel_command=command(kern, "command"),
        machines=(machines := _words(kern, "machines", where, ["pc"])),
        buses=_buses(data, machines, where),
        debug_command=_words(data.get("debug", {}), "gdb", where, DEFAULT_DEBUG),
        debug_note=data.get("debug", {}).get("note", ""),
        serial=dict(data.get("serial", {})),
        arch=plat.get("arch", "x86_64"),
        loader=prefix / image["loader"] if image.get("loader") else None,
        loader_protocol=image.get("protocol", ""),
        max_payload=int(image.get("max_payload", 0)),
        config_schema=prefix / config["schema"] if config.get("schema") else None,
        memdisk_section=sections.get("memdisk", MEMDISK_SECTION),
        config_section=sections.get("config", CONFIG_SECTION),
    )


def tool_path(command: tuple[str, ...]) -> str | None:
    """The file a command line runs, if it can be found."""
    exe = command[0] if command else ""
    if os.sep in exe:
        return exe if os.path.exists(exe) else None
    return shutil.which(exe)
