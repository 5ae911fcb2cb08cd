"""The front end: service.toml text -> validated, resolved ``Service``.

Reading is in two steps, so that the expensive one can be cached:

1. ``read_descriptor``: TOML parsing and schema validation (the schema is
   ``ukbuild/schema/service.schema.json``); the result is plain data.
2. ``resolve_service``: defaults, paths made absolute and checked to stay in
   the service folder, source globs expanded.

Every problem raises ``DescriptorError``: one line naming the file, the key
path and what was expected.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
from functools import lru_cache
from pathlib import Path

from . import trace
from .errors import DescriptorError
from .model import (
    DEFAULT_PLATFORM,
    Forward,
    SOURCE_SUFFIXES,
    BuildSpec,
    Disk,
    Module,
    Net,
    PlatformSpec,
    Project,
    Service,
    TestSpec,
    VmSpec,
)


def _tomllib():
    """tomllib, imported only when a file has to be parsed (not on a no-op)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib

DESCRIPTOR = "service.toml"
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
BARE_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
DEFAULT_SOURCES = ("*.cpp", "*.cc", "*.cxx", "*.c", "src/**/*.cpp", "src/**/*.cc", "src/**/*.c")

# Keys of the schema this version of ukbuild does not build yet. They are
# rejected with a line saying so rather than silently ignored.
FORWARD_RE = re.compile(r"^(?:(?P<proto>tcp|udp):)?(?:(?P<addr>[0-9.]+):)?(?P<host>\d+)-:(?P<guest>\d+)$")
MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
IMAGE_SUFFIXES = {".img": "raw", ".raw": "raw", ".qcow2": "qcow2", ".vmdk": "vmdk"}


def key_path(parts) -> str:
    """The TOML key path of a list of keys and indices: ``vm.net[0].mode``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            part = str(part)
            if not BARE_KEY_RE.match(part):  # as TOML spells such a key
                part = "'" + part + "'" if "'" not in part else json.dumps(part)
            text += ("." if text else "") + part
    return text


@lru_cache(maxsize=1)
def _validator():
    import jsonschema  # imported only when a descriptor has to be validated

    schema = json.loads((Path(__file__).parent / "schema" / "service.schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _describe(value) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "an array", dict: "a table"}
    kind = kinds.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)):
        return kind
    return f"{value!r} ({kind})"


_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number",
               "boolean": "a boolean", "array": "an array", "object": "a table"}


def _schema_message(error) -> tuple[str, str]:
    """(key path, expectation) for a jsonschema ValidationError."""
    path = list(error.absolute_path)
    kind = error.validator
    value = error.instance
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed))
        return key_path(path + [extra[0]]), (
            f"unknown key (expected one of: {', '.join(allowed)})")
    if kind == "required":
        missing = [k for k in error.validator_value if k not in value]
        return key_path(path + [missing[0]]), "missing (this key is required)"
    if kind == "type":
        wanted = error.validator_value
        wanted = [wanted] if isinstance(wanted, str) else wanted
        names = " or ".join(_TYPE_NAMES[w] for w in wanted)
        return key_path(path), f"expected {names}, found {_describe(value)}"
    if kind == "enum":
        options = ", ".join(repr(v) for v in error.validator_value)
        return key_path(path), f"expected one of {options}, found {_describe(value)}"
    if kind == "pattern" and "propertyNames" in error.schema_path:
        return key_path(path), (
            f"invalid key name {value!r} (expected text matching {error.validator_value})")
    if kind == "pattern" and "x-expected" in error.schema:   # a schema's own words for it
        return key_path(path), f"expected {error.schema['x-expected']}, found {_describe(value)}"
    if kind == "pattern":
        return key_path(path), (
            f"expected text matching {error.validator_value}, found {_describe(value)}")
    if kind == "propertyNames":
        return key_path(path), f"invalid key name: {error.message}"
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        words = {"minimum": "at least", "exclusiveMinimum": "more than",
                 "maximum": "at most", "exclusiveMaximum": "less than"}
        return key_path(path), (
            f"expected a value {words[kind]} {error.validator_value}, found {_describe(value)}")
    if kind == "minItems":
        return key_path(path), f"expected at least {error.validator_value} entries, found none"
    if kind == "minLength":
        return key_path(path), "expected a non-empty string"
    if kind == "uniqueItems":
        return key_path(path), "expected no repeated entries"
    return key_path(path), error.message


def parse_toml(path: Path) -> dict:
    """Read a TOML file; a syntax error names its line and column."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise DescriptorError(path, "", "file not found") from None
    except UnicodeDecodeError as err:
        raise DescriptorError(path, "", f"expected UTF-8 text ({err.reason} at byte {err.start})") from None
    tomllib = _tomllib()
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if match:
            message = message[: match.start()].strip()
            raise DescriptorError(
                f"{path}:{match.group(1)}:{match.group(2)}", "",
                f"invalid TOML: {message}") from None
        raise DescriptorError(path, "", f"invalid TOML: {message}") from None


def read_descriptor(path: Path) -> dict:
    """Parse and validate one service.toml; return its data."""
    trace.record("validate", str(path))
    data = parse_toml(path)
    error = _first_error(data)
    if error is not None:
        key, expected = _schema_message(error)
        raise DescriptorError(path, key, expected)
    return data


def validate_table(path: Path, data: dict, schema_path: Path) -> None:
    """Check parsed TOML (such as a platform's platform.toml) against a
    schema; the first problem as one line naming the file and the key."""
    import jsonschema

    schema = json.loads(schema_path.read_text())
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(data))
    if errors:
        key, expected = _schema_message(jsonschema.exceptions.best_match(errors))
        raise DescriptorError(path, key, expected)


def validate_json(path: Path, schema_path: Path) -> None:
    """Check a JSON file (such as ``[build] config``) against a schema its
    platform ships; the first problem as one line naming the file and key."""
    import jsonschema

    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise DescriptorError(path, "", f"expected UTF-8 text ({err.reason} at byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise DescriptorError(f"{path}:{err.lineno}:{err.colno}", "", f"invalid JSON: {err.msg}") from None
    schema = json.loads(schema_path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    errors = list(cls(schema).iter_errors(data))
    if errors:
        key, expected = _schema_message(jsonschema.exceptions.best_match(errors))
        raise DescriptorError(path, key, expected)


def _first_error(data):
    errors = list(_validator().iter_errors(data))
    if not errors:
        return None
    import jsonschema

    return jsonschema.exceptions.best_match(errors)


def _lookup(data: dict, keys):
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


class _Resolver:
    """Turns relative paths of one descriptor into checked absolute paths."""

    def __init__(self, folder: Path, descriptor: Path, globs: dict | None = None):
        self.folder = folder
        self.real = folder.resolve()
        self.descriptor = descriptor
        self.globs = globs  # remembered glob results (see DescriptorCache), or None

    def error(self, keys, expected: str) -> DescriptorError:
        return DescriptorError(self.descriptor, key_path(keys), expected)

    def inside(self, keys, text: str) -> Path:
        if os.path.isabs(text):
            raise self.error(keys, f"expected a path relative to the service folder, found {text!r}")
        path = Path(os.path.normpath(self.folder / text))
        try:
            path.resolve().relative_to(self.real)
        except ValueError:
            raise self.error(keys, f"{text!r} leaves the service folder") from None
        return path

    def existing(self, keys, text: str, kind: str) -> Path:
        path = self.inside(keys, text)
        ok = path.is_dir() if kind == "folder" else path.is_file()
        if not ok:
            raise self.error(keys, f"expected an existing {kind}, found nothing at {text!r}")
        return path

    def _stays_inside(self, rel: str) -> bool:
        """Does ``rel`` (a file found below the folder) resolve inside it?
        Only symbolic links can lead out; their targets are resolved."""
        real = os.path.realpath(os.path.join(self.folder, rel))
        return real == str(self.real) or real.startswith(str(self.real) + os.sep)

    def glob(self, keys, pattern: str, required: bool) -> list[Path]:
        """The sources ``pattern`` matches, sorted. A result is remembered
        with the modification times of every folder the pattern looks in: a
        file added, removed or renamed there changes its folder's time."""
        if os.path.isabs(pattern) or ".." in Path(pattern).parts:
            raise self.error(keys, f"expected a glob inside the service folder, found {pattern!r}")
        base = str(self.folder)
        if self.globs is not None and pattern in self.globs:
            matches, watched = self.globs[pattern]
            if all(_mtime(os.path.join(base, d)) == t for d, t in watched.items()):
                folder = self.folder
                return [folder / rel for rel in matches]
        found = self._glob(keys, pattern, required)
        if self.globs is not None:
            self.globs[pattern] = [[p.relative_to(self.folder).as_posix() for p in found],
                                   {d: _mtime(os.path.join(base, d))
                                    for d in _searched_folders(base, pattern)}]
        return found

    def _glob(self, keys, pattern: str, required: bool) -> list[Path]:
        found = []
        base = str(self.folder)
        linked_dirs: dict[str, bool] = {}
        for rel in sorted(glob.glob(pattern, root_dir=base, recursive=True)):
            path = os.path.join(base, rel)
            if not os.path.isfile(path):
                continue
            parent = os.path.dirname(rel)
            if parent not in linked_dirs:  # one realpath per folder, not per file
                linked_dirs[parent] = not self._stays_inside(parent or ".")
            if linked_dirs[parent] or (os.path.islink(path) and not self._stays_inside(rel)):
                raise self.error(keys, f"{rel!r} leaves the service folder")
            if os.path.splitext(rel)[1] not in SOURCE_SUFFIXES:
                if not required:
                    continue
                raise self.error(keys, (
                    f"{pattern!r} matches {rel!r}, "
                    f"which is not a source (expected {' '.join(SOURCE_SUFFIXES)})"))
            found.append(Path(os.path.normpath(path)))
        if required and not found:
            raise self.error(keys, f"the glob {pattern!r} matches no file")
        return found


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _searched_folders(base: str, pattern: str) -> list[str]:
    """Every folder a glob lists: each level of its folder part, expanded."""
    parts = os.path.dirname(pattern).split("/") if os.path.dirname(pattern) else []
    folders = {"."}
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if glob.has_magic(prefix):
            folders.update(d.rstrip("/") for d in glob.glob(prefix, root_dir=base, recursive=True)
                           if os.path.isdir(os.path.join(base, d)))
        else:
            folders.add(prefix)
    return sorted(folders)


def _net(res: _Resolver, service: str, i: int, n: dict) -> Net:
    keys = ["vm", "net", i]
    mode = n.get("mode", "user")
    for key, needed_by in (("tap", "tap"), ("bridge", "bridge")):
        if mode == needed_by and not n.get(key):
            raise res.error(keys + [key], f"mode = {mode!r} needs the name of an existing {key} device")
        if mode != needed_by and n.get(key):
            raise res.error(keys + [key], f"only for mode = {needed_by!r} (this is {mode!r})")
    if n.get("forward") and mode != "user":
        raise res.error(keys + ["forward"], f"port forwards are for mode = 'user' (this is {mode!r})")
    forwards = []
    for j, text in enumerate(n.get("forward", ())):
        m = FORWARD_RE.match(text)
        ports = (int(m.group("host")), int(m.group("guest"))) if m else (0, 0)
        if not m or not all(0 < p < 65536 for p in ports):
            raise res.error(keys + ["forward", j], (
                f"expected [tcp|udp:][hostaddr:]hostport-:guestport, found {text!r}"))
        forwards.append(Forward(m.group("proto") or "tcp", m.group("addr") or "127.0.0.1", *ports))
    mac = n.get("mac", "")
    if mac:
        if not MAC_RE.match(mac) or int(mac[:2], 16) & 1:
            raise res.error(keys + ["mac"], f"expected a unicast MAC address like 52:54:00:12:34:56, found {mac!r}")
        mac = mac.lower()
    else:
        mac = derived_mac(service, i)
    return Net(mode=mode, mac=mac, forward=tuple(forwards), tap=n.get("tap", ""),
               bridge=n.get("bridge", ""))


def derived_mac(service: str, index: int) -> str:
    """A stable, locally administered MAC address for NIC ``index`` of ``service``
    (QEMU's 52:54:00 prefix, then three bytes of a digest of both)."""
    import hashlib

    tail = hashlib.sha256(f"{service}/{index}".encode()).digest()[:3]
    return "52:54:00:" + ":".join(f"{b:02x}" for b in tail)


def _disk(res: _Resolver, i: int, d: dict) -> Disk:
    keys = ["vm", "disk", i]
    if "source" not in d and "files" not in d:
        raise res.error(keys, "a disk needs a source (a folder or an image file) or files")
    source = res.inside(keys + ["source"], d["source"]) if "source" in d else None
    files = tuple(_disk_files(res, keys, d.get("files", {})))
    folders = tuple(_disk_folder(res, keys + ["folders", j], f) for j, f in enumerate(d.get("folders", ())))
    if source is None or source.is_dir():
        if "size" not in d:
            raise res.error(keys + ["size"], "a FAT disk, made from a folder or files, needs its size in MiB")
        fat_made = True
    elif source.is_file():
        if source.suffix not in IMAGE_SUFFIXES:
            raise res.error(keys + ["source"], (
                f"expected a folder or an image file ({', '.join(sorted(IMAGE_SUFFIXES))}), "
                f"found {d['source']!r}"))
        for key in ("size", "files", "folders", "fat"):
            if key in d:
                raise res.error(keys + [key], f"{key} is for FAT disks made from a folder or files; "
                                "an image keeps its own")
        fat_made = False
    else:
        raise res.error(keys + ["source"], f"expected an existing folder or image file, found nothing at {d['source']!r}")
    interface = d.get("interface", "virtio")
    if d.get("readonly") and interface == "ide":
        raise res.error(keys + ["readonly"], "QEMU's IDE disks cannot be read-only: use interface = 'virtio'")
    if d.get("readonly") and d.get("persistent"):
        raise res.error(keys + ["persistent"], "a read-only disk keeps nothing to persist")
    return Disk(name=d["name"], source=source, fat_made=fat_made, size=d.get("size"),
                format=d.get("format", "qcow2"), interface=interface,
                readonly=bool(d.get("readonly", False)), persistent=bool(d.get("persistent", False)),
                files=files, folders=folders, fat=d.get("fat"))


def _disk_folder(res: _Resolver, keys: list, text: str) -> str:
    """A path on a FAT disk: relative, with '/' between its parts."""
    parts = text.strip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise res.error(keys, f"expected a path on the disk such as 'dir/file.txt', found {text!r}")
    return "/".join(parts)


def _disk_files(res: _Resolver, keys: list, files: dict):
    """[[vm.disk]] files: path on the disk -> an existing file of the service folder."""
    for on_disk, text in sorted(files.items()):
        where = keys + ["files", on_disk]
        yield _disk_folder(res, where, on_disk), res.existing(where, text, "file")


def _config(res: _Resolver, text: str) -> Path:
    path = res.existing(["build", "config"], text, "file")
    try:
        json.loads(path.read_text())
    except UnicodeDecodeError:
        raise res.error(["build", "config"], f"{text!r}: expected UTF-8 JSON") from None
    except ValueError as err:
        raise res.error(["build", "config"], (
            f"{text!r} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}")) from None
    return path


def resolve_service(folder: Path, descriptor: Path, data: dict,
                    globs: dict | None = None) -> Service:
    """Fill in defaults and resolve every path of validated descriptor data."""
    res = _Resolver(folder, descriptor, globs)
    sect = lambda name: data.get(name, {})  # noqa: E731

    svc = sect("service")
    name = svc.get("name", folder.name)
    if "name" not in svc and not NAME_RE.match(name):
        raise res.error(["service", "name"], (
            f"the folder name {name!r} is not a service name ([a-z][a-z0-9_-]*); "
            "rename the folder or set [service] name"))

    plat = sect("platform")
    platform = PlatformSpec(
        package=plat.get("package", DEFAULT_PLATFORM),
        stdout=tuple(plat.get("stdout", ("default_stdout",))),
        drivers=tuple(plat.get("drivers", ())),
        plugins=tuple(plat.get("plugins", ())),
    )

    b = sect("build")
    sources: list[Path] = []
    if "sources" in b:
        for i, pattern in enumerate(b["sources"]):
            sources += res.glob(["build", "sources", i], pattern, required=True)
    else:
        for pattern in DEFAULT_SOURCES:
            sources += res.glob(["build", "sources"], pattern, required=False)
        if not sources:
            raise res.error(["build", "sources"], (
                "no sources: none given, and the defaults "
                f"({', '.join(DEFAULT_SOURCES)}) match no file"))
    sources = list(dict.fromkeys(sources))  # two globs may match one file
    defines = []
    for key, value in b.get("defines", {}).items():
        if value is True:
            defines.append((key, None))
        elif value is False:
            continue
        else:
            defines.append((key, str(value)))
    build = BuildSpec(
        sources=tuple(sources),
        include_dirs=tuple(res.existing(["build", "include_dirs", i], d, "folder")
                           for i, d in enumerate(b.get("include_dirs", ()))),
        defines=tuple(defines),
        cxxflags=tuple(b.get("cxxflags", ())),
        std=b.get("std", "c++17"),
        build_type=b.get("build_type", "Release"),
        requires=tuple(b.get("requires", ())),
        memdisk=_memdisk(res, b["memdisk"]) if b.get("memdisk") else None,
        config=_config(res, b["config"]) if b.get("config") else None,
    )

    v = sect("vm")
    vm = VmSpec(
        memory=int(v.get("memory", 128)),
        cpus=int(v.get("cpus", 1)),
        accel=v.get("accel", "auto"),
        boot=v.get("boot", "kernel"),
        cmdline=v.get("cmdline", ""),
        nets=tuple(_net(res, name, i, n) for i, n in enumerate(v.get("net", ()))),
        disks=tuple(_disk(res, i, d) for i, d in enumerate(v.get("disk", ()))),
        modules=tuple(Module(res.existing(["vm", "module", i, "path"], m["path"], "file"),
                             m.get("args", "")) for i, m in enumerate(v.get("module", ()))),
    )
    if vm.modules and vm.boot != "kernel":
        raise res.error(["vm", "module"], "multiboot modules need boot = 'kernel'")
    seen_disks: set[str] = set()
    for i, disk in enumerate(vm.disks):
        if disk.name in seen_disks:
            raise res.error(["vm", "disk", i, "name"], f"the disk name {disk.name!r} is used twice")
        seen_disks.add(disk.name)
    image_formats = tuple(sect("image").get("formats", ()))
    if vm.boot == "disk" and not image_formats:
        raise res.error(["vm", "boot"], "'disk' needs a bootable image: set [image] formats")

    t = sect("test")
    test = TestSpec(
        expect=tuple(t.get("expect", ())),
        exit_status=int(t.get("exit_status", 0)),
        timeout=float(t.get("timeout", 30)),
        client=res.existing(["test", "client"], t["client"], "file") if "client" in t else None,
        success=t.get("success"),
        count=tuple((pattern, int(n)) for pattern, n in t.get("count", {}).items()),
        fail=tuple(t.get("fail", ())),
        panic=t.get("panic", "fail"),
        script=res.existing(["test", "script"], t["script"], "file") if "script" in t else None,
        network=tuple(_bridge(res, bridge, value) for bridge, value in t.get("network", {}).items()),
    )
    if test.script and test.client:
        raise res.error(["test", "client"], "a [test] script drives the test itself: "
                        "give either script or client")
    patterns = [(["test", "expect", i], p) for i, p in enumerate(test.expect)]
    patterns += [(["test", "fail", i], p) for i, p in enumerate(test.fail)]
    patterns += [(["test", "count", p], p) for p, _ in test.count]
    patterns += [(["test", "success"], test.success)] if test.success else []
    for keys, pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as err:
            raise res.error(keys, f"expected a regular expression: {err}") from None

    recipe = folder / "conanfile.py"
    return Service(
        name=name,
        folder=folder,
        descriptor=descriptor,
        description=svc.get("description", name),
        version=svc.get("version", "0.0.0"),
        platform=platform,
        build=build,
        image_formats=image_formats,
        vm=vm,
        test=test,
        recipe=recipe if recipe.is_file() else None,
    )


def _memdisk(res, text: str) -> Path:
    """[build] memdisk: a folder (made into a FAT image) or an image file (as is)."""
    path = res.inside(["build", "memdisk"], text)
    if not (path.is_dir() or path.is_file()):
        raise res.error(["build", "memdisk"], "expected an existing folder (made into a FAT "
                        f"image) or an image file (linked in as is), found nothing at {text!r}")
    return path


def _bridge(res, bridge: str, value) -> tuple[str, str, bool, tuple[str, ...]]:
    """[test] network's entry for ``bridge``: "a.b.c.d/bits" or { address,
    dhcp, address6 }."""
    keys = ["test", "network", bridge]
    if not isinstance(value, dict):
        return bridge, _host_address(res, keys, value), True, ()
    six = tuple(_host_address6(res, [*keys, "address6", i], a)
                for i, a in enumerate(value.get("address6", ())))
    return bridge, _host_address(res, [*keys, "address"], value["address"]), \
        value.get("dhcp", True), six


def _host_address6(res, keys: list, address: str) -> str:
    """A further host address on a bridge: an IPv6 interface addr/bits."""
    import ipaddress

    try:
        iface = ipaddress.IPv6Interface(address)
    except ValueError:
        iface = None
    if iface is None or "/" not in address or iface.network.prefixlen == 128:
        raise res.error(keys, f"expected an IPv6 address with its prefix length (say "
                        f"fe80::1/64), not {address!r}")
    return str(iface)


def _host_address(res, keys: list, address: str) -> str:
    """The host's address on a bridge: an IPv4 interface a.b.c.d/bits."""
    import ipaddress

    try:
        iface = ipaddress.IPv4Interface(address)
    except ValueError:
        raise res.error(keys,
                        f"expected the host's address on the bridge, a.b.c.d/bits, not {address!r}") from None
    if "/" not in address or iface.network.prefixlen == 32:
        raise res.error(keys,
                        f"expected a.b.c.d/bits with a network (say {iface.ip}/24), not {address!r}")
    return str(iface)


def load_service(folder: Path, cache: "DescriptorCache | None" = None) -> Service:
    """Read, validate and resolve the service in ``folder``."""
    descriptor = folder / DESCRIPTOR
    if cache is None:
        return resolve_service(folder, descriptor, read_descriptor(descriptor))
    data = cache.read(descriptor)
    globs = cache.globs(descriptor)
    before = json.dumps(globs, sort_keys=True)
    service = resolve_service(folder, descriptor, data, globs)
    if json.dumps(globs, sort_keys=True) != before:
        cache.changed = True
    return service


class DescriptorCache:
    """Validated descriptor data, kept in ``.ukbuild/descriptors.json`` and
    keyed by each file's size, mtime and inode, so that a build whose
    descriptors did not change neither parses nor validates them again."""

    def __init__(self, path: Path):
        self.path = path
        schema = Path(__file__).parent / "schema" / "service.schema.json"
        st = schema.stat()
        self.version = f"3:{st.st_size}:{st.st_mtime_ns}"
        try:
            stored = json.loads(path.read_text())
            self.entries = stored["entries"] if stored.get("version") == self.version else {}
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            self.entries = {}
        self.changed = False

    def read(self, descriptor: Path) -> dict:
        try:
            st = descriptor.stat()
        except FileNotFoundError:
            raise DescriptorError(descriptor, "", "file not found") from None
        key = [st.st_size, st.st_mtime_ns, st.st_ino]
        entry = self.entries.get(str(descriptor))
        if entry is not None and entry[0] == key:
            return entry[1]
        data = read_descriptor(descriptor)
        self.entries[str(descriptor)] = [key, data, {}]
        self.changed = True
        return data

    def globs(self, descriptor: Path) -> dict:
        """The remembered glob results of one (already read) descriptor."""
        return self.entries[str(descriptor)][2]

    def save(self) -> None:
        if self.changed:
            from .fsutil import atomic_write

            atomic_write(self.path, json.dumps({"version": self.version, "entries": self.entries}))


def service_folders(root: Path) -> list[Path]:
    """The folders under ``root/services`` that hold a service.toml."""
    services = root / "services"
    if not services.is_dir():
        return []
    return sorted(p.parent for p in services.glob(f"*/{DESCRIPTOR}"))


def load_project(root: Path, cache: bool = True) -> Project:
    """Every service of the project at ``root``; names must be unique.

    With ``cache``, validated descriptors are remembered in
    ``.ukbuild/descriptors.json`` (see ``DescriptorCache``)."""
    root = Path(os.path.abspath(root))
    store = DescriptorCache(root / ".ukbuild" / "descriptors.json") if cache else None
    services = [load_service(folder, store) for folder in service_folders(root)]
    if store is not None:
        store.save()
    seen: dict[str, Service] = {}
    for service in services:
        other = seen.get(service.name)
        if other is not None:
            raise DescriptorError(service.descriptor, "service.name", (
                f"the name {service.name!r} is already used by {other.descriptor}"))
        seen[service.name] = service
    recipes = tuple(sorted(p.parent for p in (root / "recipes").glob("*/conanfile.py")))
    return Project(root=root, services=tuple(services), recipes=recipes)
