#!/usr/bin/env python3
"""Incremental builds: ukbuild against ninja, on a synthetic tree.

    python bench/incremental.py [--services 50] [--sources 40] [--runs 3] [--jobs 2]

Generates a tree of services (each source includes its service's common.h
and one of its group headers, ten sources a group), builds it with ukbuild
(``doit -n JOBS``) and, from the very same compile and link commands
(``python -m ukbuild commands``), with ninja (``ninja -j JOBS``), and prints
for each scenario the median wall time of both and their ratio (``--runs``
cold builds, at least seven runs of the quicker scenarios; the disks are
synced before every timed run):

  cold       everything built from nothing (the platform package is built
             already; objects are compiled for real: the compiler is zig's
             plain clang, which keeps no cache of its own)
  no-op      nothing changed
  source     one source edited
  header     headers used by 100 sources edited
  flags      one service's cxxflags changed (ninja: build.ninja regenerated)

plus doit's own floor (an empty dodo file) and the memory high-water mark of
ukbuild's no-op. Every edit is a real change, seen by both tools.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GROUP = 10

TARGETS = {"no-op": 8.0, "source": 1.5, "header": 1.3, "cold": 1.1}
QUICK_RUNS = 7


def generate(root: Path, services: int, sources: int) -> None:
    (root / "services").mkdir(parents=True)
    (root / "dodo.py").write_text("from ukbuild.dodo import *  # noqa: F401,F403\n")
    for s in range(services):
        folder = root / "services" / f"s{s:03}"
        (folder / "src").mkdir(parents=True)
        (folder / "include").mkdir()
        (folder / "service.toml").write_text(
            f'[service]\ndescription = "synthetic {s}"\n\n'
            '[build]\nsources = ["src/*.cpp"]\ninclude_dirs = ["include"]\n')
        (folder / "include" / "common.h").write_text(
            "#pragma once\n#include <cstdint>\nconstexpr std::uint32_t common_seed = 1;\n")
        for g in range((sources + GROUP - 1) // GROUP):
            (folder / "include" / f"group{g}.h").write_text(
                f"#pragma once\nconstexpr std::uint32_t group_seed_{g} = {g + 1};\n")
        for j in range(1, sources):
            g = j // GROUP
            (folder / "src" / f"f{j:03}.cpp").write_text(
                f'#include "common.h"\n#include "group{g}.h"\n'
                f"std::uint32_t f{j}(std::uint32_t x)\n{{\n"
                f"  for (int i = 0; i < {j}; ++i) x = x * 2654435761u + common_seed + group_seed_{g};\n"
                f"  constexpr std::uint32_t offset = 0;\n"
                f"  return x + offset;\n}}\n")
        calls = "\n".join(f"  x ^= f{j}(x);" for j in range(1, sources))
        decls = "\n".join(f"std::uint32_t f{j}(std::uint32_t);" for j in range(1, sources))
        (folder / "src" / "f000.cpp").write_text(
            f'#include "common.h"\n#include "group0.h"\n{decls}\n'
            f"int main()\n{{\n  std::uint32_t x = common_seed + group_seed_0;\n{calls}\n"
            f"  return static_cast<int>(x & 1);\n}}\n")


def env() -> dict:
    e = dict(os.environ)
    e.setdefault("UKBUILD_CONAN_HOME", str(REPO / ".ukbuild" / "conan"))
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e.pop("UKBUILD_TRACE", None)
    return e


def timed(argv, cwd: Path) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one command, which must succeed."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{shlex.join(map(str, argv))} failed in {cwd}:\n{out.decode(errors='replace')}")
    return elapsed, usage.ru_maxrss


def write_ninja(root: Path) -> None:
    """build.ninja from ukbuild's own commands, writing under nbuild/."""
    proc = subprocess.run([sys.executable, "-m", "ukbuild", "commands"], cwd=root, env=env(),
                          capture_output=True, text=True, check=True)
    services = json.loads(proc.stdout)
    old, new = str(root / "build") + "/", str(root / "nbuild") + "/"

    def moved(word: str) -> str:
        return word.replace(old, new)

    lines = ["rule run", "  command = $cmd", "  description = $out",
             "rule compile", "  command = $cmd", "  depfile = $dep", "  deps = gcc",
             "  description = $out", ""]
    for svc in services.values():
        objects = []
        for unit in svc["compile"]:
            obj = moved(unit["object"])
            objects.append(obj)
            cmd = shlex.join(moved(w) for w in unit["command"])
            lines += [f"build {obj}: compile {unit['source']}",
                      f"  cmd = {cmd.replace('$', '$$')}", f"  dep = {moved(unit['depfile'])}"]
        elf, kernel = moved(svc["link"]["output"]), moved(svc["kernel"]["output"])
        lines += [f"build {elf}: run {' '.join(objects)}",
                  f"  cmd = {shlex.join(moved(w) for w in svc['link']['command'])}",
                  f"build {kernel}: run {elf}",
                  f"  cmd = {shlex.join(moved(w) for w in svc['kernel']['command'])}"]
    (root / "build.ninja").write_text("\n".join(lines) + "\n")


def set_value(path: Path, name: str, value: int) -> None:
    """Give ``name`` (a line ``... name = <number>;``) a new value: a real change."""
    lines = path.read_text().splitlines(keepends=True)
    for i, line in enumerate(lines):
        if f" {name} = " in line:
            head = line[: line.index(f" {name} = ") + len(name) + 4]
            lines[i] = f"{head}{value};\n"
            path.write_text("".join(lines))
            return
    raise AssertionError(f"{path} has no {name}")


class Bench:
    def __init__(self, root: Path, services: int, jobs: int, runs: int):
        self.root, self.services, self.jobs, self.runs = root, services, jobs, runs
        self.ninja = shutil.which("ninja", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        if self.ninja is None:
            sys.exit("ninja not found: pip install ninja (it is in ukbuild's [test] extra)")
        self.rows: list[tuple[str, list[float], list[float]]] = []
        self.counter = 0

    def ukbuild(self, jobs: int | None = None) -> tuple[float, int]:
        return timed([sys.executable, "-m", "doit", "-n", str(jobs or self.jobs)], self.root)

    def ninja_build(self, jobs: int | None = None) -> float:
        return timed([self.ninja, "-j", str(jobs or self.jobs)], self.root)[0]

    def scenario(self, name: str, change, jobs: int | None = None, runs: int | None = None) -> None:
        uk, nj = [], []
        for _ in range(runs or self.runs):
            self.counter += 1
            change(self.counter)
            os.sync()  # the last build's writes are flushed: they slow neither tool's run
            uk.append(self.ukbuild(jobs)[0])
            os.sync()
            nj.append(self.ninja_build(jobs))
        self.rows.append((name, uk, nj))
        print(f"  {name}: ukbuild {statistics.median(uk):.3f} s, ninja {statistics.median(nj):.3f} s",
              file=sys.stderr)

    def cold(self, _):
        for path in ("build", "nbuild", ".ukbuild/doit.db", ".ukbuild/descriptors.json",
                     ".ukbuild/resolutions",
                     ".ninja_log", ".ninja_deps"):
            p = self.root / path
            if p.is_dir():
                shutil.rmtree(p)
            else:
                for extra in (p, Path(f"{p}-wal"), Path(f"{p}-shm")):
                    extra.unlink(missing_ok=True)
        if not (self.root / "build.ninja").exists():
            raise SystemExit("build.ninja missing")

    def source(self, n):
        set_value(self.root / "services/s000/src/f005.cpp", "offset", 100 + n)

    def header(self, n):
        for svc in ("s000", "s001"):
            set_value(self.root / f"services/{svc}/include/common.h", "common_seed", 100 + n)
        for g in (0, 1):
            set_value(self.root / f"services/s002/include/group{g}.h", f"group_seed_{g}", 100 + n)

    def flags(self, n):
        index = min(3, self.services - 1)
        (self.root / f"services/s{index:03}/service.toml").write_text(
            f'[service]\ndescription = "synthetic {index}"\n\n[build]\nsources = ["src/*.cpp"]\n'
            f'include_dirs = ["include"]\ncxxflags = ["-DVARIANT={n}"]\n')
        write_ninja(self.root)  # ninja's generator step, not timed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--sources", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the generated tree")
    args = parser.parse_args()

    # byte code for ukbuild, as an installed package has (PYTHONDONTWRITEBYTECODE
    # would otherwise make every doit run compile ukbuild's sources again)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "ukbuild")], check=True)
    root = Path(tempfile.mkdtemp(prefix="ukbench-"))
    try:
        print(f"tree: {args.services} services x {args.sources} sources in {root}", file=sys.stderr)
        generate(root, args.services, args.sources)
        print("first build (resolves the platform once)", file=sys.stderr)
        timed([sys.executable, "-m", "doit", "-n", str(args.jobs)], root)
        write_ninja(root)
        bench = Bench(root, args.services, args.jobs, args.runs)
        quick = max(args.runs, QUICK_RUNS)  # sub-second scenarios: more runs, same cost
        bench.scenario("cold", bench.cold)
        bench.scenario("no-op", lambda n: None, runs=quick)
        bench.scenario("source", bench.source, runs=quick)
        bench.scenario("header", bench.header, runs=quick)
        bench.scenario("flags", bench.flags, runs=quick)
        if args.jobs > 1:
            bench.scenario("cold -n 1", bench.cold, jobs=1)

        empty = root / "empty"
        empty.mkdir()
        (empty / "dodo.py").write_text("DOIT_CONFIG = {'backend': 'sqlite3', 'dep_file': 'db'}\n")
        floor = [timed([sys.executable, "-m", "doit"], empty)[0] for _ in range(quick)]
        rss = max(bench.ukbuild()[1] for _ in range(args.runs))

        print()
        print(f"ukbuild vs ninja, {args.services} services x {args.sources} sources, "
              f"-n/-j {args.jobs}, median of {args.runs} cold builds and {quick} of the others "
              "(seconds)")
        print(f"{'scenario':10} {'ukbuild':>9} {'ninja':>9} {'ratio':>7} {'target':>7}")
        for name, uk, nj in bench.rows:
            u, n = statistics.median(uk), statistics.median(nj)
            target = TARGETS.get(name)
            mark = "" if target is None else f"{target:>6.1f}x" + (" ok" if u / n <= target else " MISSED")
            print(f"{name:10} {u:9.3f} {n:9.3f} {u / n:6.2f}x {mark}")
        print(f"{'doit floor':10} {statistics.median(floor):9.3f}            "
              f"(doit on an empty dodo file)")
        print(f"no-op peak memory: {rss / 1024:.1f} MiB (ukbuild's doit process)")
        cold = {name: statistics.median(uk) for name, uk, _ in bench.rows}
        if "cold -n 1" in cold:
            print(f"doit -n {args.jobs} against -n 1, cold: {cold['cold -n 1'] / cold['cold']:.2f}x faster")
        print("cold: objects compiled for real (zig's plain clang keeps no compile cache);"
              " the platform package was built beforehand")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
