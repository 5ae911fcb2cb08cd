"""IncludeOS's file system and device API on ukbase (selftest.py calls
run() with the device tests): the disks includeos_fs.cpp expects, made
with mkfs.fat and mtools (an MBR-partitioned one among them), its
config.json with "vfs" mounts, and three boots on pc with qboot: with the
"vfs" plugin, without it, without any disk, and with a memdisk that is
no file system.
"""
import json
import os
import re
import struct
import subprocess

from expect import check_lines

HERE = os.path.dirname(os.path.abspath(__file__))
QBOOT = ["-machine", "pc", "-bios", "/usr/share/qemu/qboot.rom"]
BANANA = "Bananas are berries; strawberries are not.\n"
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
PROFILE = "a likeness\n"
PART_LBA = 2048
PART_SECTORS = 81920            # 40 MiB: enough clusters for FAT32
CONFIG = {"vfs": [
    {"disk": "memdisk", "root": "/etc", "mount": "/mnt/etc", "description": "memdisk etc"},
    {"disk": "parts", "root": "/pictures", "mount": "/mnt/pictures", "description": "pictures"},
]}


def mtools(*cmd):
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    subprocess.run(list(cmd), check=True, env=env, capture_output=True)


def new_fat(image, kib, label, *mkfs_args):
    if os.path.exists(image):
        os.remove(image)
    subprocess.run(["mkfs.fat", "-C", "--invariant", "-i", "2468ace0", "-n", label, *mkfs_args,
                    image, str(kib)], check=True, capture_output=True)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def make_images(d):
    """The memdisk, the IDE disk, the whole-disk and the partitioned
    virtio disks; returns their paths."""
    src = os.path.join(d, "files")
    banana = write(os.path.join(src, "banana.txt"), BANANA)
    deep = write(os.path.join(src, "deep.txt"), "deep\n")
    passwd = write(os.path.join(src, "passwd"), PASSWD)
    profile = write(os.path.join(src, "profile.txt"), PROFILE)

    # The memdisk as ukbuild makes one: folders first, then files.
    memdisk = os.path.join(d, "memdisk.fat")
    new_fat(memdisk, 1024, "MEMDISK", "-F", "12")
    mtools("mmd", "-i", memdisk, "::/dir1", "::/dir1/dir2", "::/etc")
    mtools("mcopy", "-i", memdisk, banana, "::/")
    mtools("mcopy", "-i", memdisk, deep, "::/dir1/dir2/")
    mtools("mcopy", "-i", memdisk, passwd, "::/etc/")

    ide = os.path.join(d, "ide32.fat")
    new_fat(ide, 40960, "IDEDISK", "-F", "32", "-s", "1")
    mtools("mcopy", "-i", ide, banana, "::/")

    # A file before a folder, as IncludeOS's fs tests write theirs.
    whole = os.path.join(d, "whole16.fat")
    new_fat(whole, 16384, "WHOLE", "-F", "16")
    mtools("mcopy", "-i", whole, banana, "::/")
    mtools("mmd", "-i", whole, "::/dir1", "::/dir1/dir2", "::/dir1/dir2/dir3")
    mtools("mcopy", "-i", whole, banana, "::/dir1/dir2/dir3/")

    # An MBR with one bootable FAT32 (LBA) partition at LBA 2048.
    part = os.path.join(d, "part32.fat")
    new_fat(part, PART_SECTORS // 2, "PARTS", "-F", "32", "-s", "1")
    mtools("mmd", "-i", part, "::/pictures")
    mtools("mcopy", "-i", part, profile, "::/pictures/")
    mbr = bytearray(512)
    mbr[446:462] = struct.pack("<B3sB3sII", 0x80, b"\0\0\0", 0x0C, b"\0\0\0", PART_LBA, PART_SECTORS)
    mbr[510:512] = b"\x55\xaa"
    parts = os.path.join(d, "parts.img")
    with open(parts, "wb") as out, open(part, "rb") as inp:
        out.write(bytes(mbr) + bytes((PART_LBA - 1) * 512) + inp.read())
    return {"memdisk": memdisk, "ide": ide, "whole": whole, "parts": parts}


def build(plat, d, name, objects, plugins, verbose):
    """The test service, linked with `objects` (memdisk.o, config.o) and
    `plugins`, as ukbuild links one."""
    out = os.path.join(d, name)
    os.makedirs(out, exist_ok=True)
    info = os.path.join(plat.prefix, plat.toml["link"]["service_info"])
    sn = os.path.join(out, "service_name.o")
    obj = os.path.join(out, "includeos_fs.o")

    def run(cmd):
        res = subprocess.run(cmd, capture_output=True, text=True)
        if verbose or res.returncode:
            print(res.stdout + res.stderr)
        if res.returncode:
            raise SystemExit("includeos fs: command failed: " + " ".join(cmd))
    run(plat.compile_cmd(info, sn, defines=['SERVICE="%s"' % name,
                                            'SERVICE_NAME="IncludeOS file system API test"']))
    run(plat.compile_cmd(os.path.join(HERE, "includeos_fs.cpp"), obj))
    elf = os.path.join(out, name + ".elf.bin")
    kernel = os.path.join(out, name + ".kernel")
    run(plat.link_cmd(elf, [sn, obj] + objects, drivers=["virtioblk", "ide"], plugins=plugins))
    run(plat.kernel_cmd(elf, kernel))
    return kernel


def check_boot(r, boot, kernel, append, label, expect, forbid=(), extra=()):
    status, out, took = boot(kernel, "pc-qboot", append, extra=extra, timeout=60)
    detail = "---- serial (%s) ----\n%s\n----" % (label, out)
    r.check(status == 0, "%s: QEMU exited by itself with 0 (%.0f ms)" % (label, took * 1000), detail)
    check_lines(r, out, expect, "%s: serial lines" % label, detail)
    failed = re.findall(r"^\[iosfs\] .* FAILED$", out, re.M)
    oks = len(re.findall(r"^\[iosfs\] .* ok$", out, re.M))
    r.check(not failed and "PANIC" not in out, "%s: %d checks ok, none failed, no PANIC" % (label, oks),
            detail + "\n" + "\n".join(failed))
    for f in forbid:
        r.check(not re.search(f, out, re.M), "%s: no %r" % (label, f), detail)
    return out


def run(r, plat, work, boot, embed, objcopy, verbose=False):
    d = os.path.join(work, "includeos_fs")
    os.makedirs(d, exist_ok=True)
    images = make_images(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(CONFIG, f)
    memdisk_o = embed(objcopy, images["memdisk"], ".diskdata", os.path.join(d, "memdisk.o"))
    config_o = embed(objcopy, os.path.join(d, "config.json"), ".config", os.path.join(d, "config.o"))
    print("includeos fs: building the test service (with and without the vfs plugin, without disks)")
    with_plugin = build(plat, d, "iosfs_plugin", [memdisk_o, config_o], ["vfs"], verbose)
    bare = build(plat, d, "iosfs_bare", [memdisk_o, config_o], [], verbose)
    nodisk = build(plat, d, "iosfs_nodisk", [], [], verbose)
    raw = os.path.join(d, "raw.disk")
    with open(raw, "w") as f:
        f.write(("It is a truth universally acknowledged, that a single man in possession of a "
                 "good fortune, must be in want of a wife. " * 20)[:1024])
    rawdisk = build(plat, d, "iosfs_raw", [embed(objcopy, raw, ".diskdata", os.path.join(d, "raw.o"))], [],
                    verbose)

    disks = ["-drive", "file=%s,format=raw,if=none,id=i0,snapshot=on" % images["ide"],
             "-device", "ide-hd,drive=i0,serial=idedisk,bus=ide.0,unit=0",
             "-drive", "file=%s,format=raw,if=none,id=v0,snapshot=on" % images["whole"],
             "-device", "virtio-blk-pci,drive=v0,serial=whole",
             "-drive", "file=%s,format=raw,if=none,id=v1,snapshot=on" % images["parts"],
             "-device", "virtio-blk-pci,drive=v1,serial=parts"]
    boot_lines = [
        r"\[ Disk \] /disk/idedisk: FAT32 on ide 0:0 \(40 MiB\)",
        r"\[ Disk \] /disk/whole: FAT16 on virtio-blk 00:0\d\.0 \(16 MiB\)",
        r"\[ Disk \] /disk/parts: FAT32 \(partition 1\) on virtio-blk 00:0\d\.0 \(41 MiB\)",
        r"\[ Disk \] /memdisk: FAT12 on memdisk \(1 MiB\)",
        r"\[ VFS \] /mnt/etc/: memdisk3 /etc/ \(memdisk etc\)",
        r"\[ VFS \] /mnt/pictures/: vblk2 /pictures/ \(pictures\)",
        r"\+--> Running \[ IncludeOS file system API test \]"]
    tree_head = [r"^ +Mount points *$", r"^-- /$"]
    tree = [r"^   \|-- mnt$", r"^   \|   \|-- etc \(fs::Dirent\)$", r"^   \|-- proc$", r"-- counter \(int\)$",
            r"-- hook \(delegate<void \(\)>\)$", r"-- srv$", r"-- memdisk \(fs::File_system\)$"]
    done = [r"\[iosfs\] async: partitions", r"\[iosfs\] async: VFS::mount and fs::stat",
            r"^\[iosfs\] 0 failures$", r"\[ Kernel \] Powering off"]
    print("includeos fs on pc-qboot: machine(), Devices, Disk, FAT, VFS, config.json vfs, /dev/urandom (vfs plugin)")
    check_boot(r, boot, with_plugin, "plugin", "includeos fs (plugin)",
               [r"\[ VFS \] Mounting Random device on /dev/random", r"\[ VFS \] Mounting Random device on /dev/urandom"]
               + boot_lines + [r"\[iosfs\] root has 2 children", r"\[iosfs\] disks: ide0:IDE Controller:81920 "
                               r"vblk1:VirtioBlk:32768 vblk2:VirtioBlk:83968 memdisk3:MemDisk:2048",
                               r"\[iosfs\] memdisk / lists: \./,\.\./,dir1/,etc/,banana\.txt"]
               + tree_head + [r"^   \|-- dev$", r"^   \|   \|-- random \(ukbase::vfs::Char_\.\.\)$",
                              r"^   \|   \|-- urandom \(ukbase::vfs::Char_\.\.\)$"]
               + tree + [r"\[iosfs\] parts: FAT32 \(LBA\) at 2048; Empty at 0; Empty at 0; Empty at 0"] + done,
               forbid=[r"-- disk$", r"-- memdisk \(fs::File_system\)\n(.|\n)*-- memdisk \(fs::File_system\)"],
               extra=disks)
    print("includeos fs without the vfs plugin: /dev/random and /dev/urandom there, not in the tree")
    check_boot(r, boot, bare, "bare", "includeos fs (no plugin)",
               boot_lines + [r"\[iosfs\] root has 1 children", r"\[iosfs\] VFS root: /mnt \(config\.json\) ok"]
               + tree_head + tree + done,
               forbid=[r"-- urandom", r"-- random", r"Mounting Random device"], extra=disks)
    print("includeos fs without disks: an empty memdisk, no devices")
    check_boot(r, boot, nodisk, "nodisk", "includeos fs (no disks)",
               [r"\[iosfs\] nodisk: no block devices", r"\[iosfs\] nodisk: mount added one element to root ok",
                r"\[iosfs\] std::random_device: 600 dice throws ok", r"^\[iosfs\] 0 failures$",
                r"\[ Kernel \] Powering off"])
    print("includeos fs with a memdisk of two sectors of text")
    check_boot(r, boot, rawdisk, "raw", "includeos fs (raw memdisk)",
               [r"\[ Disk \] memdisk \(memdisk, 1 KiB\): no FAT file system, not mounted",
                r"\[iosfs\] raw: init_fs finds no file system \(E_MNT\) ok", r"^\[iosfs\] 0 failures$",
                r"\[ Kernel \] Powering off"])
