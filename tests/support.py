"""Helpers for end-to-end tests: temporary projects built with the real
tools, and what a doit run did."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# One conan home for the whole suite (the repository's own), so that the
# platform package is built once.
CONAN_HOME = REPO / ".ukbuild" / "conan"


@dataclass
class Run:
    status: int
    out: str
    err: str
    ran: list[str]        # tasks doit executed
    trace: list[str]      # tools ukbuild ran: "<kind> <what>"

    def traced(self, kind: str) -> list[str]:
        return [line.split(" ", 1)[1] for line in self.trace if line.split(" ", 1)[0] == kind]

    def __str__(self) -> str:
        return f"status {self.status}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def environment(trace: Path | None = None) -> dict:
    env = dict(os.environ)
    env["UKBUILD_CONAN_HOME"] = str(CONAN_HOME)
    env.pop("UKBUILD_TRACE", None)
    if trace is not None:
        env["UKBUILD_TRACE"] = str(trace)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


class Project:
    """A project folder of its own, with copies of some services: examples
    by name ("hello"), others by their folder in the repository
    ("tests/data/services/tcp_lab")."""

    def __init__(self, root: Path, services=("hello",), dodo: bool = True):
        self.root = root
        (root / "services").mkdir(parents=True, exist_ok=True)
        for name in services:
            source = REPO / name if "/" in name else REPO / "services" / name
            shutil.copytree(source, root / "services" / source.name)
        if dodo:
            (root / "dodo.py").write_text("from ukbuild.dodo import *  # noqa: F401,F403\n")
        self.trace_file = root / "trace.log"

    def path(self, relative: str) -> Path:
        return self.root / relative

    def run(self, *argv, timeout: float = 900) -> Run:
        """Run a command in the project; collect doit's executed tasks and the trace."""
        self.trace_file.unlink(missing_ok=True)
        proc = subprocess.run(list(argv), cwd=self.root, env=environment(self.trace_file),
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        ran = [line[3:].strip() for line in proc.stdout.splitlines() if line.startswith(".  ")]
        trace = self.trace_file.read_text().splitlines() if self.trace_file.exists() else []
        return Run(proc.returncode, proc.stdout, proc.stderr, ran, trace)

    def doit(self, *args, timeout: float = 900) -> Run:
        return self.run(sys.executable, "-m", "doit", *args, timeout=timeout)

    def ukbuild(self, *args, timeout: float = 300) -> Run:
        return self.run(sys.executable, "-m", "ukbuild", *args, timeout=timeout)

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.path(relative)
        text = path.read_text()
        assert old in text, f"{relative} has no {old!r}"
        path.write_text(text.replace(old, new, 1))


def validate_domain(path: Path) -> str:
    """virt-xml-validate's verdict on a libvirt domain; the XML text."""
    if shutil.which("virt-xml-validate") is None:
        raise AssertionError("virt-xml-validate is missing (Debian: libvirt-clients; make test installs it)")
    out = subprocess.run(["virt-xml-validate", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr + path.read_text()
    return path.read_text()


INCLUDEOS_CMAKE = """cmake_minimum_required(VERSION 3.31.6)
project(service)
include(os)
os_add_executable({target} "{name}" service.cpp)
{lines}os_add_stdout({target} default_stdout)
"""


def includeos_folder(project: Project, target: str, name: str, files: dict,
                     lines: str = "") -> Path:
    """services/<target> in IncludeOS's shape: a CMakeLists.txt that builds
    service.cpp (with ``lines`` of its own, ``{target}`` filled in) and
    ``files``, name -> text or bytes."""
    folder = project.path(f"services/{target}")
    folder.mkdir(parents=True)
    (folder / "CMakeLists.txt").write_text(
        INCLUDEOS_CMAKE.format(target=target, name=name, lines=lines.format(target=target)))
    for file, content in files.items():
        path = folder / file
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return folder
