"""conan 2, in process: the project's own conan home, recipe export, and the
per-service install that resolves the platform and ``[build] requires``.

The conan home is ``.ukbuild/conan`` in the project unless
``UKBUILD_CONAN_HOME`` names another; nothing is written to the user's own
conan home. It starts with no remotes, so it works offline: the recipes
under ``recipes/`` (the project's, then ukbuild's own) are exported and
built as needed. Add a remote with
``CONAN_HOME=.ukbuild/conan conan remote add ...`` to use one.

All conan work in one home is serialised by a lock file: two services
resolving at once (``doit -n 2``) must not build one package twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path

from . import trace
from .errors import ToolError, UkbuildError, display_path
from .fsutil import atomic_write, write_if_changed
from .model import Service
from .platform import zig_binary
from .render import render
from .stages.deps import Deps, Package

HOST_PROFILE = "ukbuild-host"
BUILD_PROFILE = "ukbuild-build"
TARGET = "x86_64-linux-musl"


def builtin_recipes() -> Path:
    """ukbuild's own recipes (ukbase and the example libraries)."""
    try:
        from . import recipes  # installed: recipes/ is packaged as ukbuild.recipes
        return Path(list(recipes.__path__)[0])
    except ImportError:  # a source checkout
        return Path(__file__).resolve().parent.parent / "recipes"


def conan_home(root: Path) -> Path:
    configured = os.environ.get("UKBUILD_CONAN_HOME")
    return Path(configured).resolve() if configured else Path(root) / ".ukbuild" / "conan"


def recipe_folders(root: Path) -> dict[str, Path]:
    """Recipe folders by package name; the project's win over ukbuild's."""
    found: dict[str, Path] = {}
    for base in (builtin_recipes(), Path(root) / "recipes"):
        for conanfile in sorted(base.glob("*/conanfile.py")):
            found[conanfile.parent.name] = conanfile.parent
    return found


def recipe_files(folder: Path) -> list[Path]:
    """The files of a recipe folder that conan exports (its inputs)."""
    skip = {"__pycache__", "build", "test_package", ".git"}
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in skip and not d.startswith("."))
        out += [Path(dirpath) / f for f in sorted(filenames) if not f.endswith((".pyc", "~"))]
    return out


@contextlib.contextmanager
def locked(home: Path):
    """Hold the home's lock for the duration of the block."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".ukbuild.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@lru_cache(maxsize=None)
def _clang_major(zig: str) -> str:
    out = subprocess.run([zig, "cc", "--version"], capture_output=True, text=True).stdout
    match = re.search(r"clang version (\d+)", out)
    if not match:
        raise ToolError(f"{zig} cc --version: no clang version in its output")
    return match.group(1)


def prepare_home(home: Path) -> None:
    """Write the home's configuration, profiles and tool wrappers (only what
    changed, so a prepared home is left alone)."""
    zig = zig_binary()
    bin_dir = home / "ukbuild" / "bin"
    zig_cache = home / "ukbuild" / "zig-cache"
    tools = {
        "cc": [zig, "cc", "-target", TARGET, "-fno-sanitize=all"],
        "c++": [zig, "c++", "-target", TARGET, "-fno-sanitize=all"],
        "ar": [zig, "ar"],
        "ranlib": [zig, "ranlib"],
    }
    for tool, command in tools.items():
        write_if_changed(bin_dir / tool, render("tool-wrapper.sh.j2", tool=tool, command=command,
                                                zig_cache=zig_cache), mode=0o755)
    write_if_changed(home / "profiles" / HOST_PROFILE, render(
        "host-profile.j2", bin=bin_dir, zig_cache=zig_cache, clang_major=_clang_major(zig)))
    if not (home / "profiles" / BUILD_PROFILE).exists():
        api = _api(home)
        profile = api.profiles.detect()
        write_if_changed(home / "profiles" / BUILD_PROFILE, profile.dumps())
    if not (home / "remotes.json").exists():
        write_if_changed(home / "remotes.json", '{"remotes": []}\n')
    write_if_changed(home / "global.conf", "core:non_interactive = True\n")


@lru_cache(maxsize=None)
def _api(home: Path):
    from conan.api.conan_api import ConanAPI
    from conan.api.output import ConanOutput

    level = os.environ.get("UKBUILD_CONAN_OUTPUT", "warning")
    ConanOutput.define_log_level(level)
    return ConanAPI(cache_folder=str(home))


def _conan_errors():
    from conan.errors import ConanException

    return ConanException


def export(home: Path, folder: Path) -> str:
    """Export one recipe folder; return ``name/version#revision``."""
    api = _api(home)
    trace.record("conan-export", str(folder))
    try:
        ref, _ = api.export.export(str(folder / "conanfile.py"), None, None, None, None)
    except _conan_errors() as err:
        raise ToolError(f"{display_path(folder / 'conanfile.py')}: conan export failed: {err}") from None
    return ref.repr_notime()


def export_all(root: Path) -> dict[str, str]:
    """Export every recipe the project can use; return their references."""
    home = conan_home(root)
    with locked(home):
        prepare_home(home)
        return {name: export(home, folder) for name, folder in recipe_folders(root).items()}


def _cppstd(std: str) -> str:
    return std.replace("c++", "").replace("gnu++", "gnu").replace("2c", "26")


def resolve(root: Path, service: Service, conanfile: Path) -> Deps:
    """``install``, remembered: services that ask for the same platform,
    requirements and settings while the same recipe revisions are exported
    share one resolution (a project of many services on one platform asks
    conan once). A service with its own recipe always asks conan."""
    memo = None if service.recipe else _memo_path(root, service)
    if memo is not None:
        try:
            deps = Deps.from_json(json.loads(memo.read_text()))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            pass
        else:
            if all(folder.is_dir() for folder in deps.folders()):
                trace.record("conan-memo", service.name)
                return deps
    deps = install(root, service, conanfile)
    if memo is not None:
        atomic_write(memo, json.dumps(deps.to_json(), sort_keys=True))
    return deps


def _memo_path(root: Path, service: Service) -> Path | None:
    """Where the resolution of ``service``'s requirements is remembered:
    named by everything conan's answer depends on, the exported recipes
    (``build/recipes.json``, revisions included) and the home's profiles."""
    home = conan_home(root)
    try:
        inputs = [(Path(root) / "build" / "recipes.json").read_text(),
                  (home / "profiles" / HOST_PROFILE).read_text(),
                  (home / "profiles" / BUILD_PROFILE).read_text()]
    except FileNotFoundError:
        return None
    inputs += [str(home), service.platform.package, *service.build.requires,
               service.build.build_type, _cppstd(service.build.std)]
    key = hashlib.blake2b(json.dumps(inputs).encode(), digest_size=16).hexdigest()
    return Path(root) / ".ukbuild" / "resolutions" / f"{key}.json"


def install(root: Path, service: Service, conanfile: Path) -> Deps:
    """Resolve (and build where missing) what ``service`` needs."""
    home = conan_home(root)
    os.environ.setdefault("ZIG_GLOBAL_CACHE_DIR", str(home / "ukbuild" / "zig-cache"))
    with locked(home):
        prepare_home(home)
        api = _api(home)
        ConanException = _conan_errors()
        trace.record("conan-install", service.name)
        settings = [f"build_type={service.build.build_type}",
                    f"compiler.cppstd={_cppstd(service.build.std)}"]
        try:
            remotes = api.remotes.list()
            host = api.profiles.get_profile([str(home / "profiles" / HOST_PROFILE)],
                                            settings=settings)
            build = api.profiles.get_profile([str(home / "profiles" / BUILD_PROFILE)])
            graph = api.graph.load_graph_consumer(str(conanfile), None, None, None, None,
                                                  host, build, None, remotes, None)
            graph.report_graph_error()
            api.graph.analyze_binaries(graph, ["missing"], remotes=remotes)
            api.install.install_binaries(deps_graph=graph, remotes=remotes)
        except ConanException as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ToolError(f"deps:{service.name}: conan could not resolve "
                            f"{display_path(conanfile)}: {first}") from None
        return _deps_of(service, graph)


def _deps_of(service: Service, graph) -> Deps:
    """The platform and the other host packages, dependents before their
    dependencies (the order static libraries are linked in)."""
    root_node = graph.root
    levels = graph.by_levels()  # leaves first
    ordered = [n for level in reversed(levels) for n in level if n is not root_node]
    platform = None
    requires = []
    for node in ordered:
        if node.context != "host" or node.conanfile.package_folder is None:
            continue
        package = _package(node)
        if node.ref.name == service.platform.name:
            platform = package
        else:
            requires.append(package)
    if platform is None:
        raise UkbuildError(f"deps:{service.name}: the platform {service.platform.package} "
                           f"is not among the requirements of the service's conan recipe")
    return Deps(platform=platform, requires=tuple(requires))


def _package(node) -> Package:
    conanfile = node.conanfile
    folder = Path(conanfile.package_folder)
    info = conanfile.cpp_info.aggregated_components()
    lib_dirs = [folder / d for d in (info.libdirs or [])]
    archives = []
    for lib in info.libs or []:
        candidates = [d / f"lib{lib}.a" for d in lib_dirs]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise UkbuildError(f"{node.ref}: the package declares library {lib!r}, "
                               f"but no lib{lib}.a is in {', '.join(map(str, lib_dirs)) or 'its libdirs'}")
        archives.append(found)
    pref = node.pref
    return Package(
        ref=str(node.ref.repr_notime()).split("#")[0],
        id=pref.repr_notime(),
        folder=folder,
        include_dirs=tuple(folder / d for d in (info.includedirs or [])),
        archives=tuple(archives),
        defines=tuple(info.defines or ()),
        cflags=tuple(info.cflags or ()),
        cxxflags=tuple(info.cxxflags or ()),
    )
