#!/usr/bin/env python3
"""Boot-to-exit times and the cost of images and disks.

    python bench/boot.py [--runs 7]

Builds services/hello, services/disks and services/udp_echo in a scratch
project, and services/disks a second time with `boot = "kernel"` and a
NIC, then prints:

  boot         the median wall time of run.sh, from start to QEMU's exit:
               hello (-kernel, microvm: the floor), disks from -kernel
               (microvm, virtio over MMIO; and the same on pc with qboot,
               PCI) and disks from its bootable image (pc with SeaBIOS and
               ukbase's loader), each with a ratio to the floor
  first line   the median time from start to the service's first line
               (the kernel's "Running" line): hello on microvm (the floor),
               udp_echo (a NIC) and disks with a NIC (a NIC and two disks)
               on microvm and on pc; target: a service with a NIC and a
               disk within 1.2x of hello on microvm
  images       the size of every bootable image and data disk of disks,
               and the median time of its task (image:disks, disk:disks:data)
               run again after `doit forget`
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def doit(project: Path, *args: str) -> None:
    env = dict(os.environ)
    env.setdefault("UKBUILD_CONAN_HOME", str(REPO / ".ukbuild" / "conan"))
    proc = subprocess.run([sys.executable, "-m", "doit", *args], cwd=project, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"doit {' '.join(args)} failed in {project}:\n{proc.stdout}{proc.stderr}")


def project(work: Path, name: str, kernel_boot: bool = False) -> Path:
    root = work / name
    for service in ("hello", "disks", "udp_echo"):
        shutil.copytree(REPO / "services" / service, root / "services" / service)
    if kernel_boot:
        toml = root / "services/disks/service.toml"
        toml.write_text(toml.read_text().replace('boot = "disk"', 'boot = "kernel"')
                        + '\n[[vm.net]]\nmode = "user"\n')
    (root / "dodo.py").write_text("from ukbuild.dodo import *  # noqa: F401,F403\n")
    doit(root, "-n", "2")
    return root


def boot_time(run_sh: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([str(run_sh)], stdin=subprocess.DEVNULL, capture_output=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0 or b"Powering off" not in proc.stdout:
            raise SystemExit(f"{run_sh} did not boot to exit:\n{proc.stdout.decode()}")
    return statistics.median(times)


def on_pc(build: Path) -> list[str]:
    """QEMU's command line for the service of ``build`` on pc with qboot
    (PCI), the machine the launch stage would take without virtio-mmio."""
    import dataclasses
    import json

    from ukbuild.stages.qemu import Machine

    machine = Machine.from_json(json.loads((build / "machine.json").read_text()))
    pc = dataclasses.replace(machine, machine="pc", bus="pci")
    return [pc.qemu, "-accel", "tcg", *pc.args]


def first_line_time(argv: list[str], cwd: Path, runs: int) -> float:
    """Median time from QEMU's start to the kernel's "Running" line."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        seen = None
        for line in proc.stdout:
            if b"+--> Running [" in line:
                seen = time.perf_counter() - start
                break
        proc.kill()
        proc.wait()
        if seen is None:
            raise SystemExit(f"{' '.join(argv)}: no Running line")
        times.append(seen)
    return statistics.median(times)


def task_time(root: Path, task: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        doit(root, "forget", task)
        start = time.perf_counter()
        doit(root, task)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="boots (and task runs) per figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ukbench-boot-") as tmp:
        work = Path(tmp)
        from_disk = project(work, "from-disk")
        from_kernel = project(work, "from-kernel", kernel_boot=True)
        floor = boot_time(from_disk / "build/hello/run.sh", args.runs)
        kernel_disks = from_kernel / "build/disks"
        rows = [("hello, -kernel (microvm)", floor),
                ("disks+NIC, -kernel (microvm, MMIO)", boot_time(kernel_disks / "run.sh", args.runs)),
                ("disks, disk image (pc, SeaBIOS)", boot_time(from_disk / "build/disks/run.sh", args.runs))]
        from ukbuild.stages.machine import kvm_usable

        print(f"boot to exit with run.sh, {'KVM' if kvm_usable() else 'TCG'} "
              f"(median of {args.runs})")
        for name, seconds in rows:
            print(f"  {name:38} {seconds * 1000:7.0f} ms  {seconds / floor:5.2f}x")
        first = first_line_time([str(from_disk / "build/hello/run.sh")], from_disk, args.runs)
        lines = [("hello (microvm)", first)]
        for label, build in (("udp_echo: a NIC", from_disk / "build/udp_echo"),
                             ("disks+NIC: a NIC, two disks", kernel_disks)):
            lines.append((f"{label} (microvm)", first_line_time([str(build / "run.sh")], build,
                                                               args.runs)))
            lines.append((f"{label} (pc, PCI)", first_line_time(on_pc(build), build, args.runs)))
        print(f"start to the service's first line (median of {args.runs}; target: a NIC and "
              "a disk within 1.2x of hello on microvm)")
        for name, seconds in lines:
            print(f"  {name:38} {seconds * 1000:7.0f} ms  {seconds / first:5.2f}x")
        build = from_disk / "build/disks"
        print(f"images and disks of disks (task time: median of {max(3, args.runs // 2)} runs)")
        image_s = task_time(from_disk, "image:disks", max(3, args.runs // 2))
        disk_s = task_time(from_disk, "disk:disks:data", max(3, args.runs // 2))
        print(f"  {'disks.kernel':34} {(build / 'disks.kernel').stat().st_size:>10,} bytes")
        for fmt in ("raw", "qcow2", "vmdk"):
            print(f"  {'disks.' + fmt:34} {(build / f'disks.{fmt}').stat().st_size:>10,} bytes")
        print(f"  {'image:disks (all three)':34} {image_s * 1000:7.0f} ms")
        data = build / "disks/data.qcow2"
        print(f"  {'disks/data.qcow2 (8 MiB FAT)':34} {data.stat().st_size:>10,} bytes")
        print(f"  {'disk:disks:data':34} {disk_s * 1000:7.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
