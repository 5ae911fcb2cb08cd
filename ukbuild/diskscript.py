"""The FAT disks IncludeOS's tests make with a shell script, read as data.

IncludeOS test folders make a data disk by running, as root, a script of
the same few steps: ``truncate`` (or ``dd``, ``fallocate``) an image file,
``mkfs.fat`` it, ``mount`` it on a folder, ``mkdir`` and ``cp`` files into
it, ``umount``. ``read`` follows such a script without running it and
gives the disk it makes, which ukbuild then builds itself with mtools, as
a ``[[vm.disk]]`` with ``files``: no root, no loop device, and a build
step that is skipped when nothing changed. A script doing anything else
is not translated, with the line that stops it.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

# Steps that make no difference to the disk's content.
NEUTRAL = {"set", "echo", "sync", "rm", "rmdir", "umount", "exit", "true", ":", "printf", "cd"}
MKFS = {"mkfs.fat", "mkfs.vfat", "mkdosfs", "mkfs.msdos"}
# truncate(1)'s and dd(1)'s suffixes: K, M, G are powers of 1024, KB, MB, GB of 1000.
SIZE_RE = re.compile(r"^(\d+)([KMGT]?)(B?)$", re.I)
VARIABLE_RE = re.compile(r"\$(?:\{(\w+)(?::-([^}]*))?\}|(\w+|#|\*|@))")


@dataclass
class FatDisk:
    """The disk a script makes: ``image`` (relative to the folder), its size
    in bytes, the FAT type asked for (None: mkfs.fat's choice by size), the
    volume label, and its content: path on the disk -> file of the folder."""

    image: str
    size: int
    fat: int | None = None
    label: str = ""
    files: dict[str, str] = field(default_factory=dict)
    folders: list[str] = field(default_factory=list)


class NotTranslated(Exception):
    """Why a script is not read as a disk (one line, with its line number)."""


def parse_size(text: str, unit: int = 1) -> int | None:
    match = SIZE_RE.match(text)
    if not match:
        return None
    number, suffix, decimal = match.groups()
    power = "KMGT".find(suffix.upper()) + 1 if suffix else 0
    return int(number) * (1000 if decimal else 1024) ** power * unit


class _Reader:
    def __init__(self, folder: Path, name: str):
        self.folder = folder
        self.name = name
        self.variables: dict[str, str] = {}
        self.sizes: dict[str, int] = {}      # image file -> bytes
        self.formatted: dict[str, tuple[int | None, str]] = {}   # image -> (fat, label)
        self.mounts: dict[str, str] = {}      # mount folder -> image
        self.disks: dict[str, FatDisk] = {}

    def fail(self, line: int, what: str) -> NotTranslated:
        return NotTranslated(f"{self.name}:{line}: {what}")

    def expand(self, line: int, text: str) -> str:
        def value(match):
            name, default, special = match.groups()
            if special in ("#", "*", "@") or (special or "").isdigit():
                raise self.fail(line, "uses the script's arguments")
            key = name or special
            if key in self.variables:
                return self.variables[key]
            if default is not None:
                return default
            raise self.fail(line, f"${key} is not set in the script")
        return VARIABLE_RE.sub(value, text)

    def local(self, line: int, path: str) -> str:
        """A path of the folder, relative to it; the script runs there."""
        if os.path.isabs(path) or os.path.normpath(path).startswith(".."):
            raise self.fail(line, f"{path!r} is outside the folder")
        return os.path.normpath(path)

    def on_disk(self, path: str) -> tuple[str, str] | None:
        """(image, path inside it) for a path under a mount folder."""
        norm = os.path.normpath(path)
        for mount, image in self.mounts.items():
            if norm == mount:
                return image, ""
            if norm.startswith(mount + "/"):
                return image, norm[len(mount) + 1:]
        return None

    def run(self, lines: list[str]) -> dict[str, FatDisk]:
        skipping = []   # one flag per open if: whether this branch is skipped
        for number, raw in enumerate(lines, 1):
            text = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#!") else ""
            if not text:
                continue
            words = text.split()
            if words[0] == "if":
                skipping.append(False)   # the first branch is the one that makes the disk
                continue
            if words[0] in ("elif", "else"):
                if skipping:
                    skipping[-1] = True
                continue
            if words[0] == "fi":
                skipping and skipping.pop()
                continue
            if words[0] == "then" or any(skipping):
                continue
            for part in text.split("&&"):
                self.command(number, part.strip())
        for image in self.formatted:        # an empty FAT disk too
            self.disk(image)
        return self.disks

    def disk(self, image: str) -> FatDisk:
        if image not in self.disks:
            fat, label = self.formatted.get(image, (None, ""))
            self.disks[image] = FatDisk(image=image, size=self.sizes.get(image, 0), fat=fat, label=label)
        return self.disks[image]

    def command(self, line: int, text: str) -> None:
        assignment = re.match(r"^(\w+)=(.*)$", text)
        if assignment:
            value = shlex.split(self.expand(line, assignment.group(2))) or [""]
            self.variables[assignment.group(1)] = value[0]
            return
        try:
            words = shlex.split(self.expand(line, text))
        except ValueError as err:
            raise self.fail(line, f"cannot be read ({err})") from None
        while words and words[0] == "sudo":
            words = words[1:]
        if not words or words[0] in NEUTRAL:
            return
        step = getattr(self, "do_" + words[0].replace(".", "_"), None)
        if words[0] in MKFS:
            step = self.do_mkfs
        if step is None:
            raise self.fail(line, f"{words[0]!r} is not one of the steps of a FAT disk script")
        step(line, words[0], words[1:])

    # -- the steps -------------------------------------------------------------
    def do_truncate(self, line, _, args):
        size = file = None
        i = 0
        while i < len(args):
            if args[i] in ("-s", "--size") and i + 1 < len(args):
                size = parse_size(args[i + 1])
                i += 2
            elif args[i].startswith("--size="):
                size = parse_size(args[i].split("=", 1)[1])
                i += 1
            else:
                file = args[i]
                i += 1
        if size is None or file is None:
            raise self.fail(line, "truncate without a size and a file")
        self.sizes[self.local(line, file)] = size

    def do_fallocate(self, line, _, args):
        if len(args) != 3 or args[0] != "-l" or parse_size(args[1]) is None:
            raise self.fail(line, "fallocate other than -l SIZE FILE")
        self.sizes[self.local(line, args[2])] = parse_size(args[1])

    def do_dd(self, line, _, args):
        ops = dict(a.split("=", 1) for a in args if "=" in a)
        if ops.get("if") not in ("/dev/zero", None) or "of" not in ops:
            raise self.fail(line, "dd other than from /dev/zero to a file")
        block = parse_size(ops.get("bs", "512"))
        count = int(ops.get("count", "0")) if ops.get("count", "0").isdigit() else None
        seek = int(ops.get("seek", "0")) if ops.get("seek", "0").isdigit() else None
        if block is None or count is None or seek is None:
            raise self.fail(line, "dd with a size that cannot be read")
        self.sizes[self.local(line, ops["of"])] = block * (count + seek)

    def do_mkfs(self, line, _, args):
        fat, label, create, rest = None, "", False, []
        i = 0
        while i < len(args):
            a = args[i]
            if a == "-F" and i + 1 < len(args):
                fat = int(args[i + 1]) if args[i + 1] in ("12", "16", "32") else None
                i += 2
            elif a == "-n" and i + 1 < len(args):
                label = args[i + 1]
                i += 2
            elif a == "-C":
                create = True
                i += 1
            elif a in ("-I", "-v", "--invariant"):
                i += 1
            elif a.startswith("-"):
                raise self.fail(line, f"mkfs.fat's option {a} is not translated")
            else:
                rest.append(a)
                i += 1
        if not rest:
            raise self.fail(line, "mkfs.fat without a file")
        image = self.local(line, rest[0])
        if create or len(rest) > 1:
            blocks = int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else None
            if blocks is None:
                raise self.fail(line, "mkfs.fat -C without a block count")
            self.sizes[image] = blocks * 1024
        if image not in self.sizes:
            raise self.fail(line, f"mkfs.fat of {rest[0]}, whose size the script does not set")
        self.formatted[image] = (fat, label)

    def do_mkdir(self, line, _, args):
        for path in (a for a in args if not a.startswith("-")):
            inside = self.on_disk(path)
            if inside is None:
                self.local(line, path)    # a mount folder of its own
            elif inside[1]:
                disk = self.disk(inside[0])
                if inside[1] not in disk.folders:
                    disk.folders.append(inside[1])

    def do_mount(self, line, _, args):
        rest, i = [], 0
        while i < len(args):
            if args[i] in ("-o", "-t") and i + 1 < len(args):
                if args[i] == "-t" and args[i + 1] not in ("vfat", "msdos", "fat"):
                    raise self.fail(line, f"mount -t {args[i + 1]} is not a FAT disk")
                i += 2
            elif args[i].startswith("-"):
                i += 1
            else:
                rest.append(args[i])
                i += 1
        if len(rest) != 2:
            raise self.fail(line, "mount other than IMAGE FOLDER")
        image = self.local(line, rest[0])
        if image not in self.formatted:
            raise self.fail(line, f"mounts {rest[0]}, which the script does not make a FAT disk")
        self.mounts[os.path.normpath(rest[1])] = image
        self.disk(image)

    def do_cp(self, line, _, args):
        recursive = any(a in ("-r", "-R", "-a", "--recursive") or
                        (a.startswith("-") and not a.startswith("--") and "r" in a.lower())
                        for a in args)
        paths = [a for a in args if not a.startswith("-")]
        if len(paths) < 2:
            raise self.fail(line, "cp without a source and a destination")
        target = self.on_disk(paths[-1])
        if target is None:
            raise self.fail(line, f"cp to {paths[-1]}, which is not on the disk")
        disk = self.disk(target[0])
        sources = []
        for pattern in paths[:-1]:
            matches = sorted(Path(self.folder).glob(self.local(line, pattern))) \
                if any(c in pattern for c in "*?[") else [self.folder / self.local(line, pattern)]
            if not matches or not all(m.exists() for m in matches):
                raise self.fail(line, f"cp of {pattern}, which is not in the folder")
            sources += matches
        into = (target[1] == "" or paths[-1].endswith("/") or len(sources) > 1
                or target[1] in disk.folders or sources[0].is_dir())
        for source in sources:
            dest = f"{target[1]}/{source.name}".lstrip("/") if into else target[1]
            if source.is_dir():
                if not recursive:
                    raise self.fail(line, f"cp of the folder {source.name} without -r")
                for sub in sorted(source.rglob("*")):
                    rel = f"{dest}/{sub.relative_to(source).as_posix()}"
                    if sub.is_dir():
                        disk.folders.append(rel)
                    else:
                        disk.files[rel] = sub.relative_to(self.folder).as_posix()
                disk.folders.append(dest)
            else:
                disk.files[dest] = source.relative_to(self.folder).as_posix()


def read(script: Path) -> dict[str, FatDisk]:
    """The FAT disks ``script`` makes, by image file (relative to its folder).
    Raises NotTranslated when it does anything else."""
    reader = _Reader(script.parent, script.name)
    try:
        lines = script.read_text(errors="replace").splitlines()
    except OSError as err:
        raise NotTranslated(f"{script.name}: cannot be read ({err.strerror})") from None
    disks = reader.run(lines)
    for disk in disks.values():
        disk.folders = sorted(set(disk.folders) - {""})
        if not disk.size:
            raise NotTranslated(f"{script.name}: the size of {disk.image} is not set")
    return disks
