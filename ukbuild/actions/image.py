"""image:S, disk:S:D, memdisk and config: disk images and embedded data.

Each output appears complete under its final name or not at all, and is the
same bytes however often and wherever it is built: FAT filesystems are made
with fixed ids and dates and files in sorted order, qemu-img conversions
are repeatable (a VMDK's random content id is replaced by a fixed one).
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import trace
from ..errors import ToolError, UkbuildError, display_path
from ..fsutil import atomic_write, remove_leftovers, temporary_sibling
from ..model import Disk, Service
from ..platform import Platform
from ..stages import image as stage

QEMU_IMG = "qemu-img"


def _run(step: str, command: list[str], env: dict | None = None, cwd: Path | None = None) -> None:
    trace.record(step, command[-1])
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, cwd=cwd,
                          env={**os.environ, **env} if env else None)
    if proc.returncode != 0:
        output = proc.stdout.decode(errors="replace").strip()
        raise ToolError(f"{step}: {' '.join(command[:2])} failed: {output}")


def convert(source: Path, source_format: str, fmt: str, output: Path) -> None:
    """``qemu-img convert`` into ``output``, atomically and repeatably. The
    conversion is made in a private folder under the final file name (a
    VMDK names its own file inside), then renamed into place."""
    remove_leftovers(output)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp") as tmp:
        staged = Path(tmp) / output.name
        _run("qemu-img", stage.convert_command(QEMU_IMG, source, source_format, fmt, staged))
        if fmt == "vmdk":
            with open(staged, "r+b") as f:
                head = f.read(64 * 1024)
                cid = hashlib.sha256(output.name.encode()).hexdigest()[:8]
                f.seek(0)
                f.write(stage.vmdk_descriptor_fix(head, cid))
        os.replace(staged, output)


def bootable_images(service: Service, platform: Platform, kernel: Path,
                    outputs: dict[str, Path]) -> None:
    """``S.raw`` / ``S.qcow2`` / ``S.vmdk``: the platform's loader and the kernel."""
    where = f"{display_path(service.descriptor)}: image.formats"
    if platform.loader is None or platform.loader_protocol != "ukboot-1":
        raise UkbuildError(f"{where}: the platform {platform.name} has no boot loader for disk "
                           "images (platform.toml [image] loader, protocol \"ukboot-1\")")
    try:
        payload = stage.multiboot_payload(kernel.read_bytes())
        raw = stage.bootable_image(platform.loader.read_bytes(), payload,
                                   f"{service.name} {service.vm.cmdline}".strip(),
                                   platform.max_payload)
    except stage.ImageError as err:
        raise UkbuildError(f"{where}: {err}") from None
    raw_path = outputs.get("raw") or kernel.parent / f".{service.name}.raw.source"
    atomic_write(raw_path, raw)
    try:
        for fmt, path in outputs.items():
            if fmt != "raw":
                convert(raw_path, "raw", fmt, path)
    finally:
        if "raw" not in outputs:
            raw_path.unlink(missing_ok=True)


def folder_listing(folder: Path) -> tuple[list[tuple[str, int]], list[str]]:
    """(files with sizes, folders), relative to ``folder``, sorted."""
    files, folders = [], []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        rel = os.path.relpath(dirpath, folder)
        prefix = "" if rel == "." else rel + "/"
        folders += [prefix + d for d in dirnames]
        files += [(prefix + f, os.path.getsize(os.path.join(dirpath, f))) for f in sorted(filenames)]
    return files, folders


@dataclass(frozen=True)
class FatContent:
    """What a FAT filesystem holds: files (path on the disk, file to copy)
    and folders (with the ones the files imply, or empty ones)."""

    files: tuple[tuple[str, Path], ...]
    folders: tuple[str, ...]

    @classmethod
    def of_folder(cls, folder: Path) -> "FatContent":
        files, folders = folder_listing(folder)
        return cls(tuple((f, folder / f) for f, _ in files), tuple(folders))

    @classmethod
    def of_disk(cls, disk: Disk) -> "FatContent":
        """A FAT data disk's: its source folder, then its ``files`` (which
        win over a source file at the same path) and ``folders``."""
        base = cls.of_folder(disk.source) if disk.source else cls((), ())
        files = dict(base.files) | dict(disk.files)
        return cls(tuple(sorted(files.items())), tuple(sorted(set(base.folders) | set(disk.folders))))

    def listing(self, base: Path) -> dict:
        """What, besides the files' own content, makes another image (files
        named relative to ``base``, so that the folder may move)."""
        return {"files": [[rel, os.path.relpath(host, base)] for rel, host in self.files],
                "folders": list(self.folders)}


def fat_image(content: FatContent, size: int | None, output: Path, vol_id: str, label: str,
              where: str, what: str, fat: int | None = None) -> None:
    """A FAT filesystem holding ``content``: ``size`` bytes, or as large as
    it needs to be when ``size`` is None (a memdisk)."""
    sized = [(rel, host.stat().st_size) for rel, host in content.files]
    need = stage.tree_size(sized, list(content.folders))
    total = sum(s for _, s in sized)
    fixed = size is not None
    size = size if fixed else max(1 << 20, -(-need // (1 << 16)) * (1 << 16))
    remove_leftovers(output)
    tmp = temporary_sibling(output)
    tmp.unlink()
    try:
        while True:
            commands = stage.fat_commands(tmp, size, label, vol_id, list(content.files),
                                          list(content.folders), fat)
            try:
                for command in commands:
                    _run(command[0], command, env=stage.fat_environment())
                break
            except ToolError as err:
                if "Disk full" not in str(err) and "No free cluster" not in str(err):
                    raise
                if fixed:
                    raise UkbuildError(
                        f"{where}: {what} ({total} bytes in {len(sized)} files) "
                        f"does not fit in {size >> 20} MiB") from None
                tmp.unlink(missing_ok=True)
                size *= 2
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)


def data_disk(service: Service, disk: Disk, output: Path, index: int) -> None:
    """``disks/D.<format>``: a FAT filesystem of its size made of its source
    folder and files, or a converted copy of its image file."""
    where = f"{display_path(service.descriptor)}: vm.disk[{index}]"
    output.parent.mkdir(parents=True, exist_ok=True)
    if disk.fat_made:
        what = f"{display_path(disk.source)}" if disk.source and not disk.files else "its files"
        make = functools.partial(fat_image, FatContent.of_disk(disk), disk.size << 20,
                                 vol_id=stage.volume_id(service.name, disk.name),
                                 label=stage.fat_label(disk.name), where=where,
                                 what=what, fat=disk.fat)
        if disk.format == "raw":
            make(output=output)
        else:
            raw = output.with_name(f".{output.name}.fat")
            try:
                make(output=raw)
                convert(raw, "raw", disk.format, output)
            finally:
                raw.unlink(missing_ok=True)
    else:
        convert(disk.source, stage.INPUT_FORMATS[disk.source.suffix], disk.format, output)
    _retire_stale_overlay(service, disk, output)


def _retire_stale_overlay(service: Service, disk: Disk, built: Path) -> None:
    """A persistent disk's overlay belongs to the disk it was made over; when
    that disk is rebuilt, the old overlay is kept aside, not reused."""
    overlay = built.parent.parent / disk.overlay
    if disk.persistent and overlay.exists():
        aside = overlay.with_suffix(".qcow2.old")
        os.replace(overlay, aside)
        print(f"{service.name}: disk {disk.name} was rebuilt; what runs wrote to it is kept in "
              f"{display_path(aside)}")


def memdisk(service: Service, platform: Platform, image: Path, obj: Path) -> None:
    """The memdisk: a FAT image of ``[build] memdisk`` in the section the
    platform's link script puts between _DISK_START_ and _DISK_END_
    (``[sections] memdisk``)."""
    fat_image(FatContent.of_folder(service.build.memdisk), None, image,
              stage.volume_id(service.name, "memdisk"), "MEMDISK",
              f"{display_path(service.descriptor)}: build.memdisk", display_path(service.build.memdisk))
    embed(platform, image, platform.memdisk_section, obj)


def memdisk_image(service: Service, platform: Platform, staged: Path, obj: Path) -> None:
    """A memdisk that ``[build] memdisk`` names as an image file: linked in
    as it is (IncludeOS's os_add_memdisk)."""
    embed_copy(platform, service.build.memdisk, staged, platform.memdisk_section, obj)


def config(service: Service, platform: Platform, staged: Path, obj: Path) -> None:
    """``[build] config`` in the platform's config section (``[sections]
    config``; IncludeOS's config.json in ``.config``),
    checked first against the schema the platform ships, if it ships one."""
    if platform.config_schema is not None:
        from ..descriptor import validate_json

        validate_json(service.build.config, platform.config_schema)
    embed_copy(platform, service.build.config, staged, platform.config_section, obj)


def embed_copy(platform: Platform, source: Path, staged: Path, section: str, obj: Path) -> None:
    """``source`` as it is in ``section``, through a copy in the build folder
    (the symbols objcopy makes are named after the copy)."""
    atomic_write(staged, source.read_bytes())
    embed(platform, staged, section, obj)


def embed(platform: Platform, data: Path, section: str, obj: Path) -> None:
    command = stage.embed_command(platform.objcopy, platform.arch, data.name, section, obj)
    # run beside the data, so that the symbols objcopy makes name no folder
    remove_leftovers(obj)
    tmp = temporary_sibling(obj)
    try:
        _run("embed", command[:-1] + [str(tmp)], cwd=data.parent)
        tmp.replace(obj)
    finally:
        tmp.unlink(missing_ok=True)

