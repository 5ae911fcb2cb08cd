"""Two clean builds of one tree, in two folders, at two times: the same bytes."""

import hashlib
import os
import time

import pytest

from support import Project

pytestmark = pytest.mark.e2e

SERVICES = ("hello", "wordfreq", "disks")


def outputs(project):
    found = {}
    for name in SERVICES:
        folder = project.path(f"build/{name}")
        for path in sorted(folder.iterdir()):
            if path.suffix in (".bin", ".kernel", ".raw", ".qcow2", ".vmdk") or path.name == "disks":
                files = sorted(path.rglob("*")) if path.is_dir() else [path]
                for f in files:
                    found[str(f.relative_to(project.root))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return found


def test_two_builds_in_two_folders_are_identical(tmp_path):
    first = Project(tmp_path / "a", services=SERVICES)
    assert first.doit("-n", "2").status == 0
    time.sleep(1.1)
    second = Project(tmp_path / "somewhere" / "else", services=SERVICES)
    later = time.time() + 7200
    for path in second.path("services").rglob("*"):
        os.utime(path, (later, later))
    assert second.doit().status == 0
    a, b = outputs(first), outputs(second)
    assert "build/hello/hello.elf.bin" in a and "build/wordfreq/wordfreq.kernel" in a
    assert {"build/disks/disks.raw", "build/disks/disks.qcow2", "build/disks/disks.vmdk",
            "build/disks/disks/data.qcow2"} <= a.keys(), sorted(a)
    differing = sorted(k for k in a if a[k] != b.get(k))
    assert differing == [], differing
    assert a.keys() == b.keys()
