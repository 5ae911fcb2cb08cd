"""Device tests of ukbase's selftest (selftest.py imports this): block
devices and FAT, the [build] config section, networking, and bootable disk
images. Every QEMU command line is built here; the tests' C++ sides are
files.cpp and net.cpp beside this file.
"""
import os
import random
import re
import shutil
import socket
import statistics
import struct
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
QBOOT = ["-machine", "pc", "-bios", "/usr/share/qemu/qboot.rom"]
SEABIOS = ["-machine", "pc"]
GUEST_MAC = "52:54:00:12:34:56"
GUEST_IP = "10.0.2.20"          # from the net test's config, not the default .15
BIG_FILE_BYTES = 300000
CONFIG = '{"greeting": "hello, config", "values": [1, 2, 3]}\n'
NET_CONFIG = ('{"net": [{"iface": 0, "config": "static", "address": "%s", '
              '"netmask": "255.255.255.0", "gateway": "10.0.2.2"}]}\n' % GUEST_IP)


def fnv1a(data):
    h = 2166136261
    for c in data:
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h


# ---------------------------------------------------------------------------
# Test data: one tree, written to FAT12, FAT16 and FAT32 images
# ---------------------------------------------------------------------------

def make_tree(root):
    """hello.txt, "A long file name.txt", big.bin (300000 pseudo-random
    bytes), sub/deeper/nested.txt. Returns big.bin's FNV-1a hash."""
    if os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(os.path.join(root, "sub", "deeper"))
    with open(os.path.join(root, "hello.txt"), "w") as f:
        f.write("Hello from the disk\n")
    with open(os.path.join(root, "A long file name.txt"), "w") as f:
        f.write("long names work\nsecond line\n")
    with open(os.path.join(root, "sub", "deeper", "nested.txt"), "w") as f:
        f.write("nested three levels down\n")
    rng = random.Random(7)
    big = bytes(rng.randrange(256) for _ in range(BIG_FILE_BYTES))
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(big)
    return fnv1a(big)


def fat_image(tree, image, kib, label, *mkfs_args):
    """A whole-disk FAT file system holding `tree`, as ukbuild makes them
    (mkfs.fat, then mmd/mcopy)."""
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    if os.path.exists(image):
        os.remove(image)
    subprocess.run(["mkfs.fat", "-C", "--invariant", "-i", "12345678", "-n", label, *mkfs_args,
                    image, str(kib)], check=True, capture_output=True)
    subprocess.run(["mmd", "-i", image, "::/sub", "::/sub/deeper"], check=True, env=env,
                   capture_output=True)
    subprocess.run(["mcopy", "-i", image, os.path.join(tree, "hello.txt"),
                    os.path.join(tree, "A long file name.txt"), os.path.join(tree, "big.bin"), "::/"],
                   check=True, env=env, capture_output=True)
    subprocess.run(["mcopy", "-i", image, os.path.join(tree, "sub", "deeper", "nested.txt"),
                    "::/sub/deeper/"], check=True, env=env, capture_output=True)
    return image


def embed(objcopy, data, section, obj):
    """An object whose `section` holds the file `data` (what ukbuild links
    as memdisk.o and config.o)."""
    subprocess.run([objcopy, "-I", "binary", "-O", "elf64-x86-64", "-B", "i386:x86-64",
                    "--rename-section", ".data=%s,alloc,load,readonly,data,contents" % section,
                    os.path.basename(data), obj], check=True, cwd=os.path.dirname(data))
    return obj


# ---------------------------------------------------------------------------
# Bootable disk images (ukboot-1), as ukbuild's image stage makes them
# ---------------------------------------------------------------------------

def ukboot_image(loader, kernel, cmdline, raw):
    """Loader at LBA 0, header at LBA 1, the ELF32 kernel's loadable
    segments flat from LBA 2, padded to whole MiB. Returns the payload size."""
    with open(kernel, "rb") as f:
        elf = f.read()
    assert elf[:4] == b"\x7fELF" and elf[4] == 1, "not an ELF32 kernel"
    entry, phoff = struct.unpack_from("<II", elf, 24)
    phentsize, phnum = struct.unpack_from("<HH", elf, 42)
    segments = []
    for i in range(phnum):
        p_type, p_offset, _, p_paddr, p_filesz = struct.unpack_from("<IIIII", elf, phoff + i * phentsize)
        if p_type == 1 and p_filesz:
            segments.append((p_paddr, elf[p_offset:p_offset + p_filesz]))
    base = min(a for a, _ in segments)
    payload = bytearray(max(a + len(d) for a, d in segments) - base)
    for a, d in segments:
        payload[a - base:a - base + len(d)] = d
    with open(loader, "rb") as f:
        mbr = f.read()
    header = struct.pack("<8sIIIIII", b"UKBOOT01", 2, -(-len(payload) // 512), base, entry,
                         len(payload), 0) + cmdline.encode().ljust(480, b"\0")
    image = mbr + header + bytes(payload)
    image += bytes(-len(image) % (1 << 20))
    with open(raw, "wb") as f:
        f.write(image)
    return len(payload)


def qcow2(raw, out):
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, out], check=True)
    return out


# ---------------------------------------------------------------------------
# Networking: QEMU in the background, a host socket in front
# ---------------------------------------------------------------------------

class Guest:
    """QEMU running in the background, its serial lines collected; stdin
    is not QEMU's (a terminal is never left in raw mode when QEMU is killed)."""

    def __init__(self, args):
        self.proc = subprocess.Popen(["qemu-system-x86_64", "-accel", "tcg", *args, "-nographic",
                                      "-no-reboot", "-nodefaults", "-serial", "stdio"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.decode(errors="replace").rstrip("\r\n"))

    def wait_for(self, pattern, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(re.search(pattern, l) for l in self.lines):
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        return False

    def finish(self, timeout=10):
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = None
        self.reader.join(2)
        return status

    def output(self):
        return "\n".join(self.lines)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", checksum(h)) + h[12:] + payload


def udp(src, dst, sport, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(u))
    return u[:6] + struct.pack("!H", checksum(pseudo + u) or 0xFFFF) + u[8:]


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, socket.inet_aton(spa), tha,
                       socket.inet_aton(tpa))


# ---------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------

def run_files_tests(r, plat, work, check_run, objcopy, verbose):
    missing = [t for t in ("mkfs.fat", "mmd", "mcopy", "qemu-img") if not shutil.which(t)]
    if missing:
        r.check(False, "device tests need " + ", ".join(missing) + " (dosfstools, mtools, qemu-utils)")
        return None
    d = os.path.join(work, "devices")
    os.makedirs(d, exist_ok=True)
    expected_hash = make_tree(os.path.join(d, "tree"))
    tree = os.path.join(d, "tree")
    # mkfs.fat picks the FAT type from the size; these force one of each.
    memdisk = fat_image(tree, os.path.join(d, "memdisk.fat"), 1024, "MEMDISK", "-F", "12")
    fat16 = fat_image(tree, os.path.join(d, "data16.fat"), 16384, "DATA", "-F", "16", "-s", "2")
    fat32 = fat_image(tree, os.path.join(d, "data32.fat"), 40960, "IDE", "-F", "32", "-s", "1")
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(CONFIG)
    os.makedirs(os.path.join(d, "netconfig"), exist_ok=True)
    with open(os.path.join(d, "netconfig", "config.json"), "w") as f:
        f.write(NET_CONFIG)
    memdisk_o = embed(objcopy, memdisk, ".diskdata", os.path.join(d, "memdisk.o"))
    config_o = embed(objcopy, os.path.join(d, "config.json"), ".config", os.path.join(d, "config.o"))
    net_config_o = embed(objcopy, os.path.join(d, "netconfig", "config.json"), ".config",
                         os.path.join(d, "netconfig", "config.o"))

    print("device tests: building the file and network test services")
    files = plat.build_service("files", "ukbase files test", [os.path.join(HERE, "files.cpp")],
                               os.path.join(d, "files"), verbose,
                               data_objects=[memdisk_o, config_o], drivers=["virtioblk", "ide"])
    net = plat.build_service("net", "ukbase net test", [os.path.join(HERE, "net.cpp")],
                             os.path.join(d, "net"), verbose, data_objects=[net_config_o],
                             drivers=["virtionet"])

    def tree_lines(root):
        return ([r"\[files\] %s: %s ok" % (re.escape(root), c) for c in (
            "fopen/fread hello.txt", "ifstream on a long file name", "names without regard to case",
            "subfolders")]
                + [r"\[files\] %s lists: sub/,hello\.txt,A long file name\.txt,big\.bin" % re.escape(root)]
                + [r"\[files\] %s: %s ok" % (re.escape(root), re.escape(c)) for c in (
                    "opendir/readdir", "stat of a file", "stat of a folder", "stat ENOENT",
                    "stat with a null buffer: EFAULT, before the path is looked at",
                    "lstat with a null buffer: EFAULT", "access", "writing answers EROFS")]
                + [r"\[files\] %s/big\.bin: 300000 bytes, fnv1a %08x" % (re.escape(root), expected_hash)]
                + [r"\[files\] %s: %s ok" % (re.escape(root), re.escape(c)) for c in (
                    "fs::read_file", "lseek/read/pread", "chdir and relative paths",
                    "fs::file_size, fs::list")])

    virtio16 = ["-drive", "file=%s,format=raw,if=none,id=d0,snapshot=on" % fat16,
                "-device", "virtio-blk-pci,drive=d0,serial=data"]
    ide32 = ["-drive", "file=%s,format=raw,if=none,id=d1,snapshot=on" % fat32,
             "-device", "ide-hd,drive=d1,serial=idedisk,bus=ide.0,unit=0"]
    roots = "/memdisk /disk/data /disk/idedisk"
    config_line = r"\[files\] config \(%d bytes\): %s" % (len(CONFIG), re.escape(CONFIG.strip()))
    done = [r"\[files\] 0 failures", r"\[ main \] returned with status 0"]
    for machine in ("pc-qboot", "pc"):
        print("files on %s: memdisk FAT12, virtio-blk FAT16, IDE FAT32" % machine)
        check_run(r, plat, files, machine, roots, [
            r"\[ Disk \] /disk/idedisk: FAT32 on ide 0:0 \(40 MiB\)",
            r"\[ Disk \] /disk/data: FAT16 on virtio-blk 00:0\d\.0 \(16 MiB\)",
            r"\[ Disk \] /memdisk: FAT12 on memdisk \(1 MiB\)",
            r"\+--> Running \[ ukbase files test \]",
            r"\[files\] device idedisk \(ide 0:0\), 41943040 bytes, FAT32 /disk/idedisk",
            r"\[files\] / has disk", r"\[files\] / has memdisk"]
            + tree_lines("/memdisk") + tree_lines("/disk/data") + tree_lines("/disk/idedisk")
            + [config_line] + done, "files", forbid=[r"unimplemented system call"],
            extra=virtio16 + ide32)
    print("files on q35 + qboot: a modern-only virtio-blk (1af4:1042) and one without a serial")
    check_run(r, plat, files, "q35-qboot", "/disk/data /disk/vblk0", [
        r"\[ Disk \] /disk/data: FAT16 on virtio-blk", r"\[ Disk \] /disk/vblk0: FAT32 on virtio-blk"]
        + tree_lines("/disk/data") + tree_lines("/disk/vblk0") + done, "files",
        extra=["-drive", "file=%s,format=raw,if=none,id=d0,snapshot=on" % fat16,
               "-device", "virtio-blk-pci,drive=d0,serial=data,disable-legacy=on",
               "-drive", "file=%s,format=raw,if=none,id=d2,snapshot=on,readonly=on" % fat32,
               "-device", "virtio-blk-pci,drive=d2"])
    return {"files": files, "net": net, "fat16": fat16}


def run_net_tests(r, plat, kernel, echo_count=200):
    """UDP echo through user networking; returns the round-trip times (us)."""
    port = free_udp_port()
    forward = "udp:127.0.0.1:%d-%s:7" % (port, GUEST_IP)
    print("net on pc-qboot: UDP echo through -netdev user,hostfwd=%s" % forward)
    g = Guest(QBOOT + ["-m", "128", "-kernel", kernel, "-netdev", "user,id=n0,hostfwd=" + forward,
                       "-device", "virtio-net-pci,netdev=n0,mac=%s" % GUEST_MAC])
    up = g.wait_for(r"bound port 7")
    r.check(up and any(re.search(r"^     \[ Network \] eth0 %s %s/24 gw 10\.0\.2\.2$" % (
        GUEST_MAC, re.escape(GUEST_IP)), l) for l in g.lines),
            "net: the interface-up line, the address from the config", g.output())
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    rtts, lost, wrong = [], 0, 0
    for i in range(echo_count if up else 0):
        msg = b"echo %d" % i
        t0 = time.perf_counter()
        s.sendto(msg, ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(2048)
        except socket.timeout:
            lost += 1
            continue
        rtts.append((time.perf_counter() - t0) * 1e6)
        wrong += data != msg
    r.check(up and not lost and not wrong, "net: %d UDP echoes (%d lost, %d wrong)" % (
        echo_count, lost, wrong), g.output())
    if rtts:
        print("  UDP echo round trip over user networking: p50 %.0f us, p90 %.0f us, min %.0f us" % (
            statistics.median(rtts), sorted(rtts)[int(len(rtts) * 0.9)], min(rtts)))

    def ask(payload, n=1):
        s.sendto(payload, ("127.0.0.1", port))
        out = []
        try:
            for _ in range(n):
                out.append(s.recvfrom(70000)[0])
        except socket.timeout:
            pass
        return out
    big = bytes(range(256)) * 5 + b"x" * 192
    r.check(up and ask(big) == [big], "net: a 1472-byte datagram (the largest in one frame)")
    for n in (1476, 8000, 65507):
        data = bytes([n % 251]) * n
        r.check(up and ask(data) == [data], "net: a %d-byte datagram (IP fragments both ways)" % n)
    r.check(up and sorted(ask(b"send 5", 5)) == [b"timer %d" % k for k in range(5)],
            "net: datagrams sent from a timer")
    stats = ask(b"stats")
    r.check(bool(stats) and re.match(rb"rx \d+ tx \d+ dropped 0", stats[0]) is not None,
            "net: interface counters, no drops (%s)" % (stats[0].decode() if stats else "-"))
    r.check(up and ask(b"shutdown") == [b"bye"], "net: the shutdown datagram answered")
    status = g.finish()
    r.check(status == 0 and re.search(r"Service::stop(.|\n)*Powering off", g.output()) is not None,
            "net: os::shutdown() from a callback, QEMU exited with 0", g.output())
    return rtts


def run_l2_tests(r, plat, kernel, disk):
    """ARP, ICMP echo, UDP and next-hop resolution with raw Ethernet frames
    (QEMU -netdev socket,udp=: each frame one host datagram). The guest also
    gets a virtio disk, for which its service has no driver."""
    host = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    host.bind(("127.0.0.1", 0))
    host.settimeout(3)
    qemu_port = free_udp_port()
    print("net on pc-qboot: ARP, ICMP and UDP as raw frames through -netdev socket,udp=")
    g = Guest(QBOOT + ["-m", "128", "-kernel", kernel,
                       "-netdev", "socket,id=n0,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (
                           host.getsockname()[1], qemu_port),
                       "-device", "virtio-net-pci,netdev=n0,mac=%s" % GUEST_MAC,
                       "-drive", "file=%s,format=raw,if=none,id=d0,snapshot=on" % disk,
                       "-device", "virtio-blk-pci,drive=d0,serial=data"])
    up = g.wait_for(r"bound port 7")
    r.check(any(re.search(r"\[ PCI \] 00:0\d\.0 1af4:1001: no driver \(add \"virtioblk\" to "
                          r"\[platform\] drivers\)", l) for l in g.lines),
            "a device without its driver: the hint names the driver", g.output())
    me, guest, gw = bytes.fromhex("020000000099"), bytes.fromhex(GUEST_MAC.replace(":", "")), \
        bytes.fromhex("020000000002")

    def send(dst, ethertype, payload, src=None):
        host.sendto(dst + (src or me) + struct.pack("!H", ethertype) + payload, ("127.0.0.1", qemu_port))

    def receive(pred):
        end = time.monotonic() + 3
        while time.monotonic() < end:
            try:
                f = host.recvfrom(4096)[0]
            except socket.timeout:
                return None
            if pred(f):
                return f
        return None

    f = receive(lambda f: f[12:14] == b"\x08\x06" and f[20:22] == b"\0\x01")
    r.check(f is not None and f[:6] == b"\xff" * 6 and f[28:32] == f[38:42] == socket.inet_aton(GUEST_IP),
            "net: a gratuitous ARP when the interface comes up")
    send(b"\xff" * 6, 0x0806, arp(1, me, "10.0.2.99", b"\0" * 6, GUEST_IP))
    f = receive(lambda f: f[12:14] == b"\x08\x06" and f[20:22] == b"\0\x02")
    r.check(up and f is not None and f[:6] == me and f[22:28] == guest
            and socket.inet_ntoa(f[28:32]) == GUEST_IP, "net: ARP reply for the guest", g.output())

    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"ukbase ping"
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    send(guest, 0x0800, ipv4("10.0.2.99", GUEST_IP, 1, icmp))
    f = receive(lambda f: f[12:14] == b"\x08\x00" and f[23] == 1)
    r.check(f is not None and f[34] == 0 and f[42:] == b"ukbase ping" and checksum(f[34:]) == 0
            and checksum(f[14:34]) == 0, "net: ICMP echo reply (checksums valid)")

    send(guest, 0x0800, ipv4("10.0.2.99", GUEST_IP, 17, udp("10.0.2.99", GUEST_IP, 4000, 7, b"raw")))
    f = receive(lambda f: f[12:14] == b"\x08\x00" and f[23] == 17)
    ok = f is not None and f[:6] == me and f[42:] == b"raw"
    if ok:
        pseudo = f[26:34] + struct.pack("!BBH", 0, 17, len(f) - 34)
        ok = checksum(pseudo + f[34:]) == 0
    r.check(ok, "net: UDP echo to an on-link sender, without ARP (MAC learned), checksum valid")

    send(guest, 0x0800, ipv4("192.168.1.5", GUEST_IP, 17, udp("192.168.1.5", GUEST_IP, 4001, 7, b"far")))
    f = receive(lambda f: f[12:14] == b"\x08\x06" and f[20:22] == b"\0\x01"
                and f[38:42] == socket.inet_aton("10.0.2.2"))
    r.check(f is not None,
            "net: an off-link sender: ARP request for the gateway")
    send(guest, 0x0806, arp(2, gw, "10.0.2.2", guest, GUEST_IP), src=gw)
    f = receive(lambda f: f[12:14] == b"\x08\x00" and f[23] == 17)
    r.check(f is not None and f[:6] == gw and f[42:] == b"far" and socket.inet_ntoa(f[30:34]) == "192.168.1.5",
            "net: the queued reply leaves once ARP answered")
    # A 3000-byte datagram in three fragments, last one first; the echo
    # comes back in fragments too.
    payload = bytes(i % 253 for i in range(3000))
    packet = ipv4("10.0.2.99", GUEST_IP, 17, udp("10.0.2.99", GUEST_IP, 4000, 7, payload))
    header, body = bytearray(packet[:20]), packet[20:]
    pieces = [(0, body[0:1480], True), (1480, body[1480:2960], True), (2960, body[2960:], False)]
    for off, chunk, more in reversed(pieces):
        h = bytearray(header)
        struct.pack_into("!HH", h, 2, 20 + len(chunk), 0)
        struct.pack_into("!H", h, 6, (0x2000 if more else 0) | off // 8)
        struct.pack_into("!H", h, 10, 0)
        struct.pack_into("!H", h, 10, checksum(bytes(h)))
        send(guest, 0x0800, bytes(h) + chunk)
    parts = {}
    while True:
        f = receive(lambda f: f[12:14] == b"\x08\x00" and f[23] == 17)
        if f is None:
            break
        flags = struct.unpack_from("!H", f, 20)[0]
        parts[(flags & 0x1FFF) * 8] = f[34:14 + struct.unpack_from("!H", f, 16)[0]]
        if not flags & 0x2000:
            break
    echoed = b"".join(parts[k] for k in sorted(parts))
    r.check(len(parts) == 3 and echoed[8:] == payload,
            "net: fragments out of order reassembled, the echo fragmented (%d parts)" % len(parts))
    send(guest, 0x0800, ipv4("10.0.2.99", GUEST_IP, 17, udp("10.0.2.99", GUEST_IP, 4000, 7, b"shutdown")))
    r.check(g.finish() == 0, "net (raw frames): shut down, QEMU exited with 0", g.output())


def run_disk_boot_tests(r, plat, work, kernel, check_run, boot, timings, files=None, data=None):
    """Boot `kernel` (the features test) from a ukboot-1 disk under SeaBIOS,
    from virtio-blk and from IDE; the loader's errors; the files test from
    a disk, with a data disk beside it (SeaBIOS leaves the boot disk's
    virtio device running: the driver must reset it). Returns timings."""
    d = os.path.join(work, "diskboot")
    os.makedirs(d, exist_ok=True)
    loader = os.path.join(plat.prefix, plat.toml["image"]["loader"])
    r.check(plat.toml["image"].get("protocol") == "ukboot-1" and os.path.getsize(loader) == 512,
            "platform.toml [image]: ukboot-1, a 512-byte loader")
    raw = os.path.join(d, "features.raw")
    size = ukboot_image(loader, kernel, "features one two  three", raw)
    image = qcow2(raw, os.path.join(d, "features.qcow2"))
    print("disk boot (ukboot-1, %d-byte payload) on pc with SeaBIOS" % size)
    expect = [r"\[ Kernel \] ukbase .* booted by ukboot$",
              r"\[test\] argc=4 argv0=features cmdline='one two  three'", r"\[test\] all checks passed",
              r"\[ main \] returned with status 0", r"Powering off"]
    devices = {"virtio": "virtio-blk-pci,drive=b,bootindex=0", "ide": "ide-hd,drive=b,bootindex=0"}
    quiet = ["-nodefaults", "-serial", "stdio"]          # as ukbuild runs them
    for name, dev in devices.items():
        check_run(r, plat, None, "pc", "", expect, "disk boot from %s" % name,
                  extra=quiet + ["-drive", "file=%s,format=qcow2,if=none,id=b,snapshot=on" % image,
                                 "-device", dev])

    if files and data:
        fraw = os.path.join(d, "files.raw")
        ukboot_image(loader, files, "files /memdisk /disk/data", fraw)
        fimage = qcow2(fraw, os.path.join(d, "files.qcow2"))
        check_run(r, plat, None, "pc", "", [
            r"booted by ukboot$",
            r"\[ Disk \] vblk0 \(virtio-blk 00:02\.0, \d+ MiB\): no FAT file system, not mounted",
            r"\[ Disk \] /disk/data: FAT16 on virtio-blk 00:03\.0", r"\[files\] 0 failures",
            r"\[ main \] returned with status 0"], "files test from a virtio disk, with a data disk",
            extra=quiet + ["-drive", "file=%s,format=qcow2,if=none,id=b,snapshot=on" % fimage,
                           "-device", devices["virtio"],
                           "-drive", "file=%s,format=raw,if=none,id=d0,snapshot=on" % data,
                           "-device", "virtio-blk-pci,drive=d0,serial=data"])

    def broken(label, patch, message):
        bad = os.path.join(d, "bad.raw")
        with open(raw, "rb") as f:
            data = bytearray(f.read())
        patch(data)
        with open(bad, "wb") as f:
            f.write(data)
        g = Guest(SEABIOS + ["-m", "64", "-drive", "file=%s,format=raw,if=none,id=b,snapshot=on" % bad,
                             "-device", "virtio-blk-pci,drive=b,bootindex=0"])
        seen = g.wait_for(re.escape("ukboot: " + message), 15)
        g.proc.kill()
        g.finish()
        r.check(seen, "loader: %s -> 'ukboot: %s'" % (label, message), g.output())

    broken("a damaged header", lambda b: b.__setitem__(slice(512, 520), b"garbage!"), "bad header")
    broken("a payload past the end of the disk",
           lambda b: b.__setitem__(slice(524, 528), struct.pack("<I", 1 << 24)), "read error")
    broken("a payload larger than RAM",
           lambda b: b.__setitem__(slice(536, 540), struct.pack("<I", 256 << 20)), "too big")

    if not timings:
        return None
    results = {}
    runs = {
        "-kernel, pc + qboot": (kernel, "pc-qboot", quiet),
        "-kernel, pc + SeaBIOS": (kernel, "pc", quiet),
    }
    for name, dev in devices.items():
        runs["disk (%s), pc + SeaBIOS" % name] = (None, "pc", quiet + [
            "-drive", "file=%s,format=qcow2,if=none,id=b,snapshot=on" % image, "-device", dev])
    for label, (k, machine, extra) in runs.items():
        times = []
        for _ in range(5):
            from_disk = k is None
            status, out, took = boot(k, machine, "" if from_disk else "one two  three", extra=extra)
            if status != 0 or "Powering off" not in out:
                break
            times.append(took * 1000)
        results[label] = times
    return results

