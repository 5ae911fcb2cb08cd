"""Compile stage: one object per source, with its header dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..model import CXX_SUFFIXES, Service
from ..platform import Platform
from .deps import Deps


@dataclass(frozen=True)
class Unit:
    """One compilation: a source, the object and depfile it produces, the command."""

    source: Path
    object: Path
    depfile: Path
    command: tuple[str, ...]


def language(source: Path) -> str:
    suffix = source.suffix
    if suffix in CXX_SUFFIXES:
        return "c++"
    return {".c": "c", ".S": "asm", ".asm": "nasm"}[suffix]


def object_path(service: Service, build_dir: Path, source: Path) -> Path:
    """``obj/<source path>.o`` under the service's build folder."""
    return build_dir / "obj" / (service.relative(source) + ".o")


def c_string(text: str) -> str:
    """``text`` as a C string literal."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def prefix_maps(root: Path, deps: Deps) -> list[str]:
    """Flags that keep build paths out of objects, so that builds in two
    folders give identical bytes: packages map to ``/conan/<name>``, the
    project to ``.``. The most specific map is given last."""
    maps = [f"-ffile-prefix-map={root}=."]
    for package in (deps.platform, *deps.requires):
        name = package.ref.split("/", 1)[0]
        maps.append(f"-ffile-prefix-map={package.folder}=/conan/{name}")
    return maps


def define_flags(defines) -> list[str]:
    return [f"-D{name}" if value is None else f"-D{name}={value}" for name, value in defines]


def compile_command(service: Service, platform: Platform, deps: Deps, root: Path,
                    source: Path, obj: Path, depfile: Path,
                    extra_defines=()) -> tuple[str, ...]:
    """The command that compiles ``source`` of ``service`` into ``obj``."""
    lang = language(source)
    if lang == "nasm":
        includes = [f"-I{d}/" for d in service.build.include_dirs]
        return (*platform.nasm, "-f", "elf64", *includes,
                *define_flags(service.build.defines),
                "-MD", str(depfile), "-MT", str(obj), "-o", str(obj), str(source))
    compiler = platform.cxx if lang == "c++" else platform.cc
    flags = list(platform.flags)
    flags += {"c++": platform.cxx_flags, "c": platform.c_flags, "asm": platform.asm_flags}[lang]
    if lang != "asm":
        flags += platform.build_type_flags(service.build.build_type)
    if lang == "c++":
        flags.append(f"-std={service.build.std}")
    flags += define_flags(service.build.defines) + define_flags(extra_defines)
    flags += [f"-I{d}" for d in service.build.include_dirs]
    for package in deps.requires:
        flags += [f"-D{d}" for d in package.defines]
        flags += [f"-isystem{d}" for d in package.include_dirs]
        flags += list(package.cxxflags if lang == "c++" else package.cflags if lang == "c" else ())
    flags += [f"-isystem{d}" for d in platform.include_dirs]
    if lang == "c++":
        flags += service.build.cxxflags
    flags += prefix_maps(root, deps)
    return (*compiler, *flags, "-MMD", "-MT", str(obj), "-MF", str(depfile),
            "-c", str(source), "-o", str(obj))


def units(service: Service, platform: Platform, deps: Deps, root: Path,
          build_dir: Path) -> list[Unit]:
    """Every compilation of a service: its sources, then the platform's
    service-info source (the names ``Service::name()`` and
    ``Service::binary_name()`` return)."""
    out = []
    for source in service.build.sources:
        obj = object_path(service, build_dir, source)
        dep = obj.with_name(obj.name[:-2] + ".d")
        out.append(Unit(source, obj, dep,
                        compile_command(service, platform, deps, root, source, obj, dep)))
    if platform.service_info is not None:
        obj = service_info_object(build_dir)
        dep = obj.with_suffix(".d")
        names = (("SERVICE", c_string(service.name)),
                 ("SERVICE_NAME", c_string(service.description)))
        out.append(Unit(platform.service_info, obj, dep,
                        compile_command(service, platform, deps, root, platform.service_info,
                                        obj, dep, extra_defines=names)))
    return out


def service_info_object(build_dir: Path) -> Path:
    return build_dir / "platform" / "service_name.o"
