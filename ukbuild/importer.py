"""``python -m ukbuild import PATH``: an IncludeOS service folder -> service.toml.

It reads the folder's ``CMakeLists.txt`` (IncludeOS's os.cmake functions:
os_add_executable, os_add_stdout, os_add_drivers, os_add_plugins,
os_diskbuilder / os_build_memdisk, os_add_config, and simple compile
options), its ``vm.json`` (vmrunner's format) and its ``test.py`` (a
vmrunner script, see ``ukbuild.testscript``), and writes ``service.toml``
beside them from ``templates/service.toml.j2``. Nothing else in the folder
changes. Whatever has no counterpart is said in one line each, and in the
file's opening comments.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from . import cmake, diskscript, testscript
from .descriptor import DESCRIPTOR, IMAGE_SUFFIXES, MAC_RE, _first_error, _schema_message, \
    resolve_service
from .errors import DescriptorError, UkbuildError, display_path
from .model import SOURCE_SUFFIXES
from .stages.image import parent_folders

HEADER_SUFFIXES = (".h", ".hpp", ".hh", ".hxx", ".inl", ".ipp")
STDS = ("c++17", "c++20", "c++23")
COROUTINE_INCLUDE = re.compile(r"^\s*#\s*include\s*<(experimental/)?coroutine>", re.M)
IGNORED = {"cmake_minimum_required", "project", "include", "conan_basic_setup", "message",
           "configure_file", "file", "enable_testing", "add_custom_target"}
# IncludeOS's drivers of NICs other than virtio-net (vm.json's "device").
OTHER_NIC_DRIVERS = ("e1000", "vmxnet3", "solo5net")
QUIET_VM_KEYS = {"description", "image", "intrusive", "time_sensitive"}  # vmrunner ignores the last two
VM_KEYS_NOT_TRANSLATED = {"cpu": "ukbuild chooses the CPU", "bios": "ukbuild chooses the firmware",
                          "vga": "ukbuild boots without a display", "vfio": "no PCI passthrough",
                          "virtiofs": "no virtio-fs device", "virtiopmem": "no virtio-pmem device",
                          "virtiocon": "no virtio console", "uuid": "", "trace": "",
                          "qemu": "ukbuild picks QEMU by the platform's arch"}


@dataclass
class Imported:
    """What the importer made of a folder."""

    folder: Path
    service: dict = field(default_factory=dict)
    platform: dict = field(default_factory=dict)
    build: dict = field(default_factory=dict)
    image: dict = field(default_factory=dict)
    vm: dict = field(default_factory=dict)
    nets: list = field(default_factory=list)
    disks: list = field(default_factory=list)
    modules: list = field(default_factory=list)
    test: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    read: list[str] = field(default_factory=list)   # the files it came from
    default_nets: list[int] = field(default_factory=list)   # NICs on vmrunner's default bridge
    script_disks: dict[str, list[str]] = field(default_factory=dict)   # disk script -> its disks

    def note(self, file: str, line: int, what: str) -> None:
        """One line: the file (relative to the folder), its line, what."""
        where = f"{file}:{line}" if line else file
        self.notes.append(f"{where}: {what}")

    def shown_notes(self) -> list[str]:
        """The notes, each naming its file as seen from here."""
        return [f"{display_path(self.folder)}/{line}" for line in self.notes]

    def inside(self, value: str) -> str | None:
        """``value`` as a path relative to the folder, if it is in it."""
        if value.startswith("<build>"):
            return None
        path = Path(os.path.normpath(self.folder / value))
        try:
            return path.relative_to(self.folder).as_posix()
        except ValueError:
            return None


def service_name(target: str) -> str:
    """A CMake target made a [service] name ([a-z][a-z0-9_-]*)."""
    name = re.sub(r"[^a-z0-9_-]", "_", target.lower())
    return name if re.match(r"^[a-z]", name) else "s" + name


# -- CMakeLists.txt -----------------------------------------------------------
def _flags(out: Imported, words, line: int, defines_too: bool) -> None:
    for word in words:
        if "$<" in word:
            out.note("CMakeLists.txt", line, f"{word}: a generator expression, not translated")
        elif defines_too and word.startswith("-D") and len(word) > 2:
            _define(out, word[2:])
        else:
            out.build.setdefault("cxxflags", []).append(word)


def _define(out: Imported, text: str) -> None:
    key, _, value = text.partition("=")
    out.build.setdefault("defines", {})[key] = value if "=" in text else True


def _include_dirs(out: Imported, dirs, line: int) -> None:
    for d in dirs:
        rel = out.inside(d)
        if rel is None or not (out.folder / rel).is_dir():
            out.note("CMakeLists.txt", line, f"include directory {d!r} is not a folder of the "
                     "service: not translated")
        elif rel not in out.build.get("include_dirs", []):
            out.build.setdefault("include_dirs", []).append(rel)


def _sources(out: Imported, names, line: int) -> None:
    for name in names:
        rel = out.inside(name)
        suffix = os.path.splitext(name)[1]
        if suffix in HEADER_SUFFIXES:
            continue
        if rel is None:
            out.note("CMakeLists.txt", line, f"source {name!r} is not in the folder: not translated")
        elif suffix not in SOURCE_SUFFIXES:
            out.note("CMakeLists.txt", line, f"source {rel!r} is no C, C++ or assembly file: "
                     "not translated")
        elif not (out.folder / rel).is_file():
            out.note("CMakeLists.txt", line, f"source {rel!r} is missing from the folder: left out")
        else:
            out.build.setdefault("sources", []).append(glob.escape(rel))


def _target_args(args, keywords=("PRIVATE", "PUBLIC", "INTERFACE", "SYSTEM", "BEFORE", "AFTER")):
    return [a for a in args[1:] if a not in keywords]


def from_cmake(out: Imported, listing: cmake.Listing) -> None:
    executables = [c for c in listing.commands if c.name == "os_add_executable"]
    if not executables or len(executables[0].args) < 2:
        raise UkbuildError(f"{display_path(out.folder / 'CMakeLists.txt')}: no "
                           "os_add_executable(target \"Name\" sources...): not an IncludeOS service")
    main = executables[0]
    target = main.args[0]
    out.service = {"name": service_name(target), "description": main.args[1]}
    _sources(out, main.args[2:], main.line)
    stdout = None
    for c in listing.commands:
        if c.args and c.name.startswith("os_") and c.args[0] != target:
            out.note("CMakeLists.txt", c.line, f"{c.name}({c.args[0]} ...): another target, "
                     "not translated")
            continue
        rest = list(c.args[1:])
        if c.name == "os_add_executable":
            if c is not main:
                out.note("CMakeLists.txt", c.line, "a second os_add_executable: not translated")
        elif c.name == "os_add_stdout":
            stdout = (stdout or []) + rest
        elif c.name in ("os_add_drivers", "os_add_plugins"):
            key = "drivers" if c.name == "os_add_drivers" else "plugins"
            for name in rest:
                if key == "drivers" and name in OTHER_NIC_DRIVERS:
                    out.note("CMakeLists.txt", c.line, f"{c.name}: {name}: ukbuild's NICs are "
                             "virtio-net: virtionet instead")
                    name = "virtionet"
                if name not in out.platform.setdefault(key, []):
                    out.platform[key].append(name)
        elif c.name in ("os_diskbuilder", "os_build_memdisk"):
            rel = out.inside(rest[0]) if rest else None
            if rel and (out.folder / rel).is_dir():
                out.build["memdisk"] = rel
            else:
                out.note("CMakeLists.txt", c.line, f"{c.name}: the folder {rest[0] if rest else ''!r} "
                         "is not in the service folder: no memdisk")
        elif c.name == "os_add_memdisk":
            rel = out.inside(rest[0]) if rest else None
            if rel and (out.folder / rel).is_file():
                out.build["memdisk"] = rel   # an image file, linked in as is
            else:
                out.note("CMakeLists.txt", c.line, f"os_add_memdisk: the image "
                         f"{rest[0] if rest else ''!r} is not a file of the service folder: "
                         "no memdisk")
        elif c.name == "os_add_config":
            rel = out.inside(rest[0]) if rest else None
            if rel and (out.folder / rel).is_file():
                out.build["config"] = rel
            else:
                out.note("CMakeLists.txt", c.line, "os_add_config: its file is not in the folder: "
                         "not translated")
        elif c.name in ("target_compile_options", "target_compile_definitions"):
            if c.name == "target_compile_options":
                _flags(out, _target_args(c.args), c.line, defines_too=False)
            else:
                for d in _target_args(c.args):
                    _define(out, d.removeprefix("-D"))
        elif c.name in ("add_compile_options", "add_definitions"):
            _flags(out, c.args, c.line, defines_too=c.name == "add_definitions")
        elif c.name == "add_compile_definitions":
            for d in c.args:
                _define(out, d)
        elif c.name == "include_directories":
            _include_dirs(out, [a for a in c.args if a not in ("SYSTEM", "BEFORE", "AFTER")], c.line)
        elif c.name == "target_include_directories":
            _include_dirs(out, _target_args(c.args), c.line)
        elif c.name == "target_link_libraries":
            out.note("CMakeLists.txt", c.line, "target_link_libraries: not translated (a library "
                     "comes through conan: [build] requires)")
        elif c.name not in IGNORED:
            out.note("CMakeLists.txt", c.line, f"{c.name}(): not translated")
    if stdout is None:
        out.note("CMakeLists.txt", 0, "no os_add_stdout: the service prints nothing on serial, as "
                 "on IncludeOS ([platform] stdout = [])")
    out.platform["stdout"] = stdout or []
    if "config" not in out.build and (out.folder / "config.json").is_file():
        out.build["config"] = "config.json"   # what IncludeOS's os_add_executable detects
    _variables(out, listing)
    _coroutines(out)
    for line, what in listing.notes:
        out.note("CMakeLists.txt", line, what)
    if not out.build.get("sources"):
        raise UkbuildError(f"{display_path(out.folder / 'CMakeLists.txt')}: none of the sources "
                           f"of {target} is in the folder ({', '.join(main.args[2:]) or 'none named'})")


def _variables(out: Imported, listing: cmake.Listing) -> None:
    var = listing.variables
    std = var.get("CMAKE_CXX_STANDARD")
    if std:
        if f"c++{std}" in STDS:
            out.build["std"] = f"c++{std}"
        else:
            out.note("CMakeLists.txt", 0, f"CMAKE_CXX_STANDARD {std}: ukbuild takes 17, 20 or 23")
    if var.get("CMAKE_CXX_FLAGS", "").strip():
        _flags(out, shlex.split(var["CMAKE_CXX_FLAGS"]), 0, defines_too=True)
    if var.get("CMAKE_BUILD_TYPE") in ("Debug", "Release"):
        out.build["build_type"] = var["CMAKE_BUILD_TYPE"]
    if var.get("ELF_SYMBOLS", "").upper() in cmake.TRUE:
        out.note("CMakeLists.txt", 0, "ELF_SYMBOLS: not translated (the platform decides what "
                 "the kernel keeps; build/S/S.elf.bin has every symbol)")


# -- vm.json -----------------------------------------------------------------
def _vm_schema_errors(config: dict) -> dict[str, str]:
    """Top-level keys of ``config`` that vmrunner's schema refuses, and why."""
    import jsonschema

    schema = json.loads((Path(__file__).parent / "schema" / "vmrunner.schema.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = {}
    for error in validator.iter_errors(config):
        path = list(error.absolute_path)
        if path:
            key, expected = _schema_message(error)
            errors.setdefault(str(path[0]), f"{key}: {expected}")
    return errors


def from_vm_json(out: Imported, path: Path, scripts: list[str]) -> None:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise DescriptorError(path, "", "expected UTF-8 JSON") from None
    except json.JSONDecodeError as err:
        raise DescriptorError(f"{path}:{err.lineno}:{err.colno}", "", f"invalid JSON: {err.msg}") from None
    if not isinstance(config, dict):
        raise DescriptorError(path, "", "expected a JSON object (vmrunner's vm.json)")
    bad = _vm_schema_errors(config)
    for key, why in bad.items():
        out.note("vm.json", 0, f"{why} (vmrunner refuses it): not translated")
    config = {k: v for k, v in config.items() if k not in bad}
    for key, value in config.items():
        if key == "mem":
            out.vm["memory"] = max(16, int(value))
        elif key == "smp":
            out.vm["cpus"] = max(1, min(64, int(value)))
        elif key == "cmdline" and isinstance(value, str):
            out.vm["cmdline"] = value
        elif key == "net":
            _nets(out, value)
        elif key == "drives":
            _drives(out, value, scripts)
        elif key == "modules":
            _modules(out, value)
        elif key in VM_KEYS_NOT_TRANSLATED:
            why = VM_KEYS_NOT_TRANSLATED[key]
            out.note("vm.json", 0, f"{key}: not translated" + (f" ({why})" if why else ""))
        elif key not in QUIET_VM_KEYS:
            out.note("vm.json", 0, f"{key}: unknown to vmrunner, not translated")


def _nets(out: Imported, nets: list) -> None:
    for i, net in enumerate(nets):
        if net.get("device", "virtio") not in ("virtio", "virtio-net"):
            out.note("vm.json", 0, f"net[{i}].device {net['device']!r}: ukbuild's NICs are "
                     "virtio-net: written as one")
        entry = {}
        backend = net.get("backend")
        if backend == "bridge" or net.get("bridge"):
            entry = {"mode": "bridge", "bridge": net.get("bridge", VMRUNNER_BRIDGE[0])}
        elif backend == "tap":
            out.note("vm.json", 0, f"net[{i}]: a tap device made by vmrunner's qemu-ifup: "
                     "written as user networking")
        elif backend is None:
            out.default_nets.append(i)
        if isinstance(net.get("mac"), str) and MAC_RE.match(net["mac"]) \
                and not int(net["mac"][:2], 16) & 1:
            entry["mac"] = net["mac"].lower()
        out.nets.append(entry)


def _drives(out: Imported, drives: list, scripts: list[str]) -> None:
    made, why_not = _script_disks(out.folder, scripts)
    made_by = f" (made by {', '.join(scripts)}?)" if scripts else ""
    if why_not:
        made_by = f" ({'; '.join(why_not)})"
    for i, drive in enumerate(drives):
        file = drive.get("file", "")
        rel = out.inside(file)
        where = f"drives[{i}]"
        if drive.get("type") not in ("virtio", "ide"):
            out.note("vm.json", 0, f"{where}.type {drive.get('type')!r}: ukbuild attaches virtio "
                     "or IDE disks: not translated")
            continue
        if drive.get("format") not in ("raw", "qcow2"):
            out.note("vm.json", 0, f"{where}.format {drive.get('format')!r}: not translated")
            continue
        stem = Path(file).stem
        name = service_name(drive.get("name") or stem or f"disk{i}")
        disk = {"name": name, "interface": drive["type"], "format": drive["format"]}
        if rel and (out.folder / rel).is_file() and Path(rel).suffix in IMAGE_SUFFIXES:
            disk["source"] = rel
        elif rel and (out.folder / rel).is_file():
            out.note("vm.json", 0, f"{where}: {file!r} is an image with a suffix ukbuild does not "
                     f"read ({', '.join(sorted(IMAGE_SUFFIXES))}): not translated")
            continue
        elif Path(file).name in made:
            script, fat = made[Path(file).name]
            _fat_from_script(disk, fat)
            out.script_disks.setdefault(script, []).append(name)
            out.note("vm.json", 0, f"{where}: {file!r} is made by {script}: written as the "
                     f"{disk['size']} MiB FAT disk it makes, of {_files(len(fat.files))}, which "
                     "ukbuild makes itself")
        elif (out.folder / stem).is_dir():
            disk.update(source=f"{stem}/", size=max(1, _folder_mib(out.folder / stem)))
            out.note("vm.json", 0, f"{where}: {file!r} is not in the folder{made_by}; written as "
                     f"a FAT disk of the folder {stem}/ ({disk['size']} MiB)")
        else:
            out.note("vm.json", 0, f"{where}: {file!r} is not in the folder{made_by}: not translated")
            continue
        out.disks.append(disk)


def _script_disks(folder: Path, scripts: list[str]):
    """The FAT disks the folder's shell scripts make, by image file name
    ({name: (script, FatDisk)}), and why the others are not read as such."""
    made, why_not = {}, []
    for script in scripts:
        try:
            disks = diskscript.read(folder / script)
        except diskscript.NotTranslated as err:
            why_not.append(str(err))
            continue
        for image, fat in disks.items():
            made.setdefault(Path(image).name, (script, fat))
    return made, why_not


def _fat_from_script(disk: dict, fat: diskscript.FatDisk) -> None:
    disk["size"] = max(1, -(-fat.size // (1 << 20)))
    if fat.fat:
        disk["fat"] = fat.fat
    disk["files"] = dict(sorted(fat.files.items()))
    implied = parent_folders(fat.files)
    empty = [f for f in fat.folders if f not in implied]
    if empty:
        disk["folders"] = empty


def _folder_mib(folder: Path) -> int:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return 1 + total // (1 << 20) * 2


def _modules(out: Imported, modules: list) -> None:
    for i, module in enumerate(modules):
        rel = out.inside(module.get("path", ""))
        if rel and (out.folder / rel).is_file():
            out.modules.append({"path": rel, **({"args": module["args"]} if module.get("args") else {})})
        else:
            out.note("vm.json", 0, f"modules[{i}]: {module.get('path')!r} is not a file of the "
                     "folder: not translated")


# -- test.py -----------------------------------------------------------------
VMRUNNER_BRIDGE = ("bridge43", "10.0.0.1/24")   # vmrunner's host bridge and the host on it
VMRUNNER_BRIDGE6 = "fe80::e823:fcff:fef4:83e7/64"   # ... and the host's IPv6 address there


def from_test_py(out: Imported, path: Path) -> None:
    script = testscript.read(path)
    _script_notes(out, script)
    if script.live:
        _as_script(out, script)
    else:
        _declarative(out, script)
    if script.timeout is None:
        out.note("test.py", 0, "boot(None): no timeout; written as one day")
    out.test["timeout"] = script.timeout or 86400
    out.vm.setdefault("cmdline", script.cmdline)
    if not script.multiboot:
        out.vm["boot"] = "disk"
        out.image["formats"] = ["raw"]
        out.note("test.py", 0, "boot(multiboot=False): boots ukbuild's own bootable image "
                 f"({out.service['name']}.raw), not the one vm.json names")


def _script_notes(out: Imported, script: testscript.TestScript) -> None:
    for name, line in sorted(script.runs.items(), key=lambda item: item[1]):
        if name in out.script_disks:
            disks = ", ".join(out.script_disks[name])
            out.note("test.py", line, f"runs {name} on the host: the disk it makes is "
                     f"[[vm.disk]] {disks}, which ukbuild makes")
        elif not script.live:
            out.note("test.py", line, f"runs {name} on the host: not translated")


def _declarative(out: Imported, script: testscript.TestScript) -> None:
    """What test.py waits for, as [test] says it."""
    for line, what in script.notes:
        out.note("test.py", line, what)
    success = list(script.success)
    if not script.own_success and "SUCCESS" not in success and _prints(out, "SUCCESS"):
        success.insert(0, "SUCCESS")   # vmrunner's own pattern
    if len(success) == 1:
        out.test["success"] = success[0]
    elif success:
        out.test["success"] = "|".join(f"(?:{p})" for p in success)
    if script.count:
        out.test["count"] = dict(script.count)
    if script.fail:
        out.test["fail"] = list(script.fail)
    if script.panic_expected:
        out.test["panic"] = "expected"
    if len(out.default_nets) > 1:
        _on_vmrunner_bridge(out, f", so that its {len(out.default_nets)} NICs reach each other")


def _as_script(out: Imported, script: testscript.TestScript) -> None:
    """test.py does more than [test] can say: it runs as the test itself,
    with vmrunner's API, in a private network with vmrunner's host bridge."""
    out.test["script"] = "test.py"
    what = script.live
    out.note("test.py", 0, f"runs as [test] script (vmrunner's API from ukbuild), as it does "
             f"more than [test] says: {what[0]}" + (f" (and {len(what) - 1} more)"
                                                     if len(what) > 1 else ""))
    if out.default_nets:
        _on_vmrunner_bridge(out, "")


def _on_vmrunner_bridge(out: Imported, why: str) -> None:
    """The NICs left on vmrunner's default bridge go on bridge43, in a
    private network that the test makes, with the host on it as vmrunner
    has it."""
    bridge, host = VMRUNNER_BRIDGE
    for i in out.default_nets:
        out.nets[i] = {"mode": "bridge", "bridge": bridge, **out.nets[i]}
    serves = _serves_dhcp(out)
    entry = {"address": host, "address6": [VMRUNNER_BRIDGE6]}
    if serves:
        entry["dhcp"] = False
    out.test["network"] = {bridge: entry}
    out.note("vm.json", 0, f"net: on vmrunner's host bridge {bridge} ({host}, "
             f"{VMRUNNER_BRIDGE6.split('/')[0]}), which the "
             f"test makes in a private network ([test] network){why}"
             + (f"; {serves} serves DHCP there itself: no DHCP server of the test's"
                if serves else ""))


DHCP_SERVER_INCLUDE = re.compile(r'#\s*include\s*[<"]net/dhcp/dhcpd\.hpp[>"]')


def _serves_dhcp(out: Imported) -> str:
    """The source that runs IncludeOS's DHCP server, if one does."""
    return next((str(path.relative_to(out.folder)) for path, text in _source_texts(out)
                 if DHCP_SERVER_INCLUDE.search(text)), "")


def _source_texts(out: Imported):
    """(path, text) of each of the service's sources, in a stable order."""
    for pattern in out.build.get("sources", []):
        for path in sorted(out.folder.glob(pattern)):
            yield path, path.read_text(encoding="utf-8", errors="replace")


def _coroutines(out: Imported) -> None:
    """Coroutines (IncludeOS's Coroutines TS build option) are C++20's here."""
    if out.build.get("std", "c++17") != "c++17":
        return
    for path, text in _source_texts(out):
        if COROUTINE_INCLUDE.search(text):
            out.build["std"] = "c++20"
            out.note(str(path.relative_to(out.folder)), 0, "uses coroutines: [build] std = 'c++20' "
                     "(the compilers have no Coroutines TS)")
            return


def _prints(out: Imported, word: str) -> bool:
    return any(word in text for _, text in _source_texts(out))


# -- putting it together -------------------------------------------------------
def scripts_of(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.sh"))


def read_folder(folder: Path, defines: dict[str, str] | None = None) -> Imported:
    """The service of an IncludeOS folder; ``defines``: CMake's -D options."""
    folder = Path(os.path.abspath(folder))
    lists = folder / "CMakeLists.txt"
    if not lists.is_file():
        raise UkbuildError(f"{display_path(folder)}: no CMakeLists.txt (not an IncludeOS service folder)")
    out = Imported(folder)
    try:
        listing = cmake.read(lists, defines)
    except cmake.CMakeError as err:
        raise UkbuildError(f"{display_path(lists)}:{err.line}: {err.what}") from None
    out.read.append("CMakeLists.txt")
    from_cmake(out, listing)
    if (folder / "vm.json").is_file():
        out.read.append("vm.json")
        from_vm_json(out, folder / "vm.json", scripts_of(folder))
    if not out.nets and "virtionet" in out.platform.get("drivers", []):
        out.nets.append({})
        out.note("vm.json", 0, "no net: written as vmrunner's default, one virtio NIC on user "
                 "networking")
    if (folder / "test.py").is_file():
        out.read.append("test.py")
        from_test_py(out, folder / "test.py")
    if out.default_nets and "network" not in out.test:
        out.note("vm.json", 0, "net: no backend given (vmrunner's default is the host bridge "
                 "bridge43): written as user networking")
    if out.modules and out.vm.get("boot") == "disk":
        out.note("vm.json", 0, "modules: a disk boot has none: not translated")
        out.modules = []
    return out


def render_descriptor(out: Imported) -> str:
    from .render import render

    return render("service.toml.j2", imported=out)


def import_service(folder: Path, force: bool = False,
                   defines: dict[str, str] | None = None) -> tuple[Path, Imported]:
    """Write ``folder``/service.toml from the IncludeOS service there."""
    folder = Path(os.path.abspath(folder))
    target = folder / DESCRIPTOR
    if target.exists() and not force:
        raise UkbuildError(f"{display_path(target)} exists (--force replaces it)")
    out = read_folder(folder, defines)
    text = render_descriptor(out)
    data = _parsed(text)
    error = _first_error(data)
    if error is not None:
        key, expected = _schema_message(error)
        raise DescriptorError(target, key, f"{expected} (the imported descriptor; nothing written)")
    resolve_service(folder, target, data)
    from .fsutil import atomic_write

    atomic_write(target, text)
    return target, out


def _parsed(text: str) -> dict:
    from .descriptor import _tomllib

    return _tomllib().loads(text)


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"
