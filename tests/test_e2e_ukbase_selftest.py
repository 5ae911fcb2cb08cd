"""ukbase's own device tests (recipes/ukbase/selftest.py) against the
platform package this suite builds: FAT12/16/32 on virtio-blk, IDE and the
memdisk; ARP, ICMP, UDP and IP fragments as raw frames; the disk loader."""

import json
import subprocess
import sys

import pytest

from support import REPO, Project

pytestmark = pytest.mark.e2e


def test_ukbase_selftest_passes(tmp_path):
    project = Project(tmp_path / "project")
    built = project.doit("deps:hello")
    assert built.status == 0, built
    deps = json.loads(project.path("build/hello/deps.json").read_text())
    argv = [sys.executable, str(REPO / "recipes/ukbase/selftest.py"),
            "--package", deps["platform"]["folder"], "--work", str(tmp_path / "work")]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    # The failed checks with what follows each (their details), then the end.
    lines = out.stdout.splitlines()
    failed = [i for i, line in enumerate(lines) if line.startswith("  FAIL  ")]
    details = "\n".join("\n".join(lines[i:i + 40]) for i in failed[:5])
    assert out.returncode == 0, details + "\n...\n" + out.stdout[-3000:] + out.stderr[-3000:]
    assert ", 0 failed" in out.stdout and "net: ICMP echo reply" in out.stdout, out.stdout[-3000:]
