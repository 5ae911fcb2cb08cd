"""How many of IncludeOS's integration tests ukbuild imports, builds and passes.

    python bench/includeos_conformance.py PATH [--only NAME ...] [--keep DIR]

PATH is a folder of IncludeOS tests: every folder below it with a
CMakeLists.txt or a test.py is one (IncludeOS's test/<category>/integration/<name>, or
a flat copy). Each is copied into a project of its own under a temporary
folder (never into this repository), then imported (python -m ukbuild
import), built (doit build:S) and tested (python -m ukbuild test S). The
tests the comparison leaves out (SMP, LiveUpdate, paging, fibers,
contexts, pthreads, syslog, IPv6) are skipped. It prints a Markdown table
and the totals; the platform package is built once, in the repository's
conan home (or UKBUILD_CONAN_HOME).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SKIPPED = re.compile(r"smp|liveupdate|paging|fiber|context|pthread|syslog|icmp6|router6|slaac|ipv6",
                     re.I)


def tests_in(root: Path) -> list[tuple[str, Path]]:
    found = []
    folders = {p.parent for pattern in ("CMakeLists.txt", "test.py") for p in root.rglob(pattern)}
    for folder in sorted(folders):
        name = "_".join(p for p in folder.relative_to(root).parts if p != "integration") or folder.name
        if not SKIPPED.search(name) and not name.startswith("_"):
            found.append((name, folder))
    return found


def run(argv, cwd: Path, timeout: float) -> tuple[int, str]:
    env = dict(os.environ)
    env.setdefault("UKBUILD_CONAN_HOME", str(REPO / ".ukbuild" / "conan"))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return 124, f"no answer in {timeout:g} s"
    return proc.returncode, proc.stdout + proc.stderr


def last_line(text: str, pattern: str = "", first: bool = False) -> str:
    """The last line of ``text`` (the first, with ``first``) that matches ``pattern``."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    if pattern:
        picked = [l for l in lines if re.search(pattern, l)]
        lines = picked or lines
    line = (lines[0] if first else lines[-1]) if lines else ""
    return re.sub(r"^\S*/", "", line)[:200]   # a compiler's message without its folder


def one(name: str, source: Path, work: Path) -> dict:
    project = work / name
    folder = project / "services" / source.name
    shutil.copytree(source, folder)
    (project / "dodo.py").write_text("from ukbuild.dodo import *  # noqa: F401,F403\n")
    row = {"test": name, "import": "", "build": "", "test_status": "", "why": "", "notes": 0}
    status, out = run([sys.executable, "-m", "ukbuild", "import", f"services/{source.name}"],
                      project, 60)
    if status:
        row.update(**{"import": "refused"}, why=last_line(out))
        return row
    row["import"] = "yes"
    row["notes"] = len(out.strip().splitlines()) - 1
    service = re.search(r"\(service '([^']+)'\)", out).group(1)
    status, out = run([sys.executable, "-m", "doit", f"build:{service}"], project, 1200)
    if status:
        row.update(build="no", why=last_line(out, r"error:|has no|expected|undefined", first=True))
        return row
    row["build"] = "yes"
    started = time.monotonic()
    status, out = run([sys.executable, "-m", "ukbuild", "test", service], project, 900)
    row["test_status"] = str(status)
    row["why"] = f"{last_line(out, rf'^test:{re.escape(service)}:')} ({time.monotonic() - started:.0f} s)"
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path, help="a folder of IncludeOS integration tests")
    parser.add_argument("--only", nargs="*", default=None, help="test names to run")
    parser.add_argument("--keep", type=Path, help="build the projects here and keep them")
    args = parser.parse_args()
    tests = [(n, f) for n, f in tests_in(args.path.resolve()) if not args.only or n in args.only]
    work = args.keep or Path(tempfile.mkdtemp(prefix="includeos-conformance-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    print("| test | imported | built | test status | why |")
    print("| --- | --- | --- | --- | --- |", flush=True)
    try:
        for name, folder in tests:
            row = one(name, folder, work)
            rows.append(row)
            why = row["why"].replace("|", "\\|")
            print(f"| {name} | {row['import']}{' (' + str(row['notes']) + ' notes)' if row['notes'] else ''}"
                  f" | {row['build']} | {row['test_status']} | {why} |", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    imported = sum(r["import"] == "yes" for r in rows)
    built = sum(r["build"] == "yes" for r in rows)
    passed = sum(r["test_status"] == "0" for r in rows)
    print(f"\n{len(rows)} tests: {imported} imported, {built} built, {passed} passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
