"""Builds killed at any point, and two builds at once."""

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from support import Project, environment

pytestmark = pytest.mark.e2e

STATE_FILES = ("compile-state.json", "compile-state.log")
SERVICES = ("hello", "wordfreq", "disks")


def outputs(project):
    """Digest of every build output (not ukbuild's own records)."""
    found = {}
    for dirpath, _, files in os.walk(project.path("build")):
        for name in files:
            if name in STATE_FILES:
                continue
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, project.root)] = hashlib.sha256(f.read()).hexdigest()
    return found


def clean(project):
    subprocess.run(["rm", "-rf", "build", ".ukbuild/doit.db", ".ukbuild/doit.db-wal",
                    ".ukbuild/doit.db-shm", ".ukbuild/descriptors.json"], cwd=project.root, check=True)


def start(project, *args):
    project.trace_file.unlink(missing_ok=True)
    return subprocess.Popen([sys.executable, "-m", "doit", *args], cwd=project.root,
                            env=environment(project.trace_file), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, text=True)


def trace_lines(project):
    try:
        return project.trace_file.read_text().splitlines()
    except FileNotFoundError:
        return []


def finished_tasks(project):
    with sqlite3.connect(project.path(".ukbuild/doit.db")) as db:
        return {row[0] for row in db.execute("select task_id from doit")}


def finished_objects(project):
    done = set()
    for service in SERVICES:
        folder = project.path(f"build/{service}")
        snapshot = folder / "compile-state.json"
        if snapshot.exists():
            done |= set(json.loads(snapshot.read_text())["records"])
        journal = folder / "compile-state.log"
        if journal.exists():
            for line in journal.read_text().splitlines():
                try:
                    done |= set(json.loads(line)["records"])
                except ValueError:
                    pass
    return done


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("robust"), services=SERVICES)
    result = project.doit("-n", "2")
    assert result.status == 0, result
    full = trace_lines(project)
    return project, outputs(project), len(full)


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
def test_a_killed_build_resumes_to_the_outputs_of_a_clean_build(reference, fraction):
    project, expected, total = reference
    clean(project)
    kill_at = max(1, int(total * fraction))
    proc = start(project, "-n", "2")
    deadline = time.monotonic() + 120
    while len(trace_lines(project)) < kill_at and proc.poll() is None:
        assert time.monotonic() < deadline, "the build never got that far"
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    tasks_done = finished_tasks(project) if project.path(".ukbuild/doit.db").exists() else set()
    objects_done = finished_objects(project)

    resumed = project.doit("-n", "2")
    assert resumed.status == 0, resumed
    assert outputs(project) == expected, "the resumed build's outputs differ from a clean build's"
    leftovers = [p for p in project.path("build").rglob(".*")]
    assert leftovers == [], f"temporaries left: {leftovers}"
    redone = set(resumed.ran) & tasks_done
    assert not redone, f"finished tasks ran again: {redone}"
    recompiled = set(resumed.traced("compile")) & objects_done
    assert not recompiled, f"finished objects compiled again: {recompiled}"


@pytest.mark.parametrize("step", ["mkfs.fat", "mcopy", "embed", "link", "kernel", "qemu-img"])
def test_a_build_killed_while_a_tool_writes_resumes_cleanly(reference, step):
    """Killed right after ukbuild starts a tool: its output is half-made."""
    project, expected, _ = reference
    clean(project)
    proc = start(project, "-n", "2")
    deadline = time.monotonic() + 120
    while not any(line.startswith(step + " ") for line in trace_lines(project)):
        assert proc.poll() is None, f"the build ended before running {step}"
        assert time.monotonic() < deadline, f"the build never ran {step}"
        time.sleep(0.001)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    resumed = project.doit("-n", "2")
    assert resumed.status == 0, resumed
    assert outputs(project) == expected, "the resumed build's outputs differ from a clean build's"
    leftovers = [p for p in project.path("build").rglob(".*")]
    assert leftovers == [], f"temporaries left: {leftovers}"


def test_two_builds_at_once_take_turns(tmp_path):
    project = Project(tmp_path, services=("hello", "wordfreq"))
    first = start(project)
    time.sleep(0.3)
    second = subprocess.run([sys.executable, "-m", "doit"], cwd=project.root,
                            env=environment(), capture_output=True, text=True, timeout=600)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, out + err
    assert second.returncode == 0, second.stdout + second.stderr
    if first_was_running := ("waiting for it" in second.stderr):
        assert "another doit is working in this project" in second.stderr
    # whoever went second found everything built
    assert first_was_running or ".  " not in second.stdout
    assert project.doit().ran == []
    for name in ("hello", "wordfreq"):
        assert project.ukbuild("test", name).status == 0


def test_read_only_commands_do_not_wait(tmp_path):
    project = Project(tmp_path, services=("hello",))
    assert project.doit().status == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from ukbuild import doitdb; "
         "doitdb.acquire(Path('.ukbuild/doit.lock'), 'test'); print('held', flush=True); "
         "sys.stdin.read()"],
        cwd=project.root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        listed = project.doit("list", timeout=30)
        assert listed.status == 0 and "build:hello" in listed.out
        waiting = start(project)
        time.sleep(2)
        assert waiting.poll() is None, "a build must wait while the project is held"
    finally:
        holder.stdin.close()
        holder.wait()
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, out + err
    assert "another doit is working in this project (pid" in err
