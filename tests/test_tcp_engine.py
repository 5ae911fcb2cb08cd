"""ukbase's TCP engine (recipes/ukbase/kernel/net/tcp) against its
host-native test driver (recipes/ukbase/test/tcp): scripted scenarios
with a raw peer, and two engines over a lossy simulated link.

The driver is built with AddressSanitizer and UBSan. The sources are
compiled as two unity translation units of about the same cost, one per
core (headers are parsed once per unit, not once per file), and the
binary is kept in pytest's cache under a hash of every source, header and
flag, so a run with nothing changed only runs it."""

import concurrent.futures
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from support import REPO

RECIPE = REPO / "recipes/ukbase"
ENGINE = RECIPE / "kernel/net/tcp"
DRIVER = RECIPE / "test/tcp"
FLAGS = ["-std=c++17", "-O1", "-g", "-fsanitize=address,undefined",
         "-fno-sanitize-recover=all", "-Wall", "-Wextra"]
# The fault-injection runs: 50 seeds of 2 MB each way, 200 connections
# through one listener; then 64 MiB each way for the throughput figures.
ARGS = ["-q", "--seeds", "50", "--bytes", "2000000", "--bulk", str(64 << 20)]


def _sources():
    engine = sorted(ENGINE.glob("*.cpp"))
    driver = sorted(DRIVER.glob("*.cpp"))
    headers = sorted(ENGINE.glob("*.hpp")) + sorted(DRIVER.glob("*.hpp"))
    return engine, driver, headers


def _key(gxx, files):
    h = hashlib.sha256()
    version = subprocess.run([gxx, "--version"], capture_output=True, text=True).stdout
    h.update(version.encode())
    h.update(" ".join(FLAGS).encode())
    for f in files:
        h.update(str(f.relative_to(RECIPE)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:20]


def _units(engine, driver):
    """Two groups of sources of about equal compile time. Test code costs
    about twice what engine code does per byte (sanitized std:: helpers
    inlined at every check), so the engine counts half its size."""
    groups = [(sum(f.stat().st_size for f in engine) / 2, list(engine)), (0, [])]
    for f in sorted(driver, key=lambda f: -f.stat().st_size):
        lighter = 0 if groups[0][0] <= groups[1][0] else 1
        weight, files = groups[lighter]
        groups[lighter] = (weight + f.stat().st_size, files + [f])
    return {"unit1": groups[0][1], "unit2": groups[1][1]}


def _build(gxx, out_dir: Path) -> Path:
    engine, driver, headers = _sources()
    units = _units(engine, driver)
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    jobs = []
    for name, files in units.items():
        unit = work / (name + ".cpp")
        unit.write_text("".join('#include "%s"\n' % f for f in files))
        jobs.append([gxx] + FLAGS + ["-c", str(unit), "-o", str(work / (name + ".o"))])

    def run(cmd):
        return subprocess.run(cmd, capture_output=True, text=True, timeout=600)

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        done = list(ex.map(run, jobs))
    for cmd, r in zip(jobs, done):
        assert r.returncode == 0, " ".join(cmd) + "\n" + r.stderr[-6000:]
        assert "warning" not in r.stderr, r.stderr[-6000:]
    exe = work / "tcp_test"
    link = run([gxx] + FLAGS + [str(work / (n + ".o")) for n in units] + ["-o", str(exe)])
    assert link.returncode == 0, link.stderr[-6000:]
    return exe


def test_tcp_engine(request):
    gxx = shutil.which("g++")
    if not gxx:
        pytest.skip("g++ is not installed")
    engine, driver, headers = _sources()
    key = _key(gxx, engine + driver + headers)
    cache = Path(request.config.cache.mkdir("tcp_engine"))
    exe = cache / ("tcp_test-" + key)
    if not exe.exists():
        for old in cache.glob("tcp_test-*"):
            old.unlink()
        built = _build(gxx, cache / ("build-" + key))
        built.replace(exe)
        shutil.rmtree(cache / ("build-" + key), ignore_errors=True)
    out = subprocess.run([str(exe)] + ARGS, capture_output=True, text=True, timeout=600,
                         cwd=str(cache))
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-12000:]
    assert ", 0 failed" in out.stdout, text[-12000:]
