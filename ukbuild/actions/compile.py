"""Incremental compilation of one service's objects.

Each object is rebuilt when, and only when, something it was built from
changed: the command line (flags, defines, include paths), the packages and
toolchain it was built with, the contents of its source or of any header
the compiler read (from the depfile, recorded when the object is built, so
the first run after a cold build has nothing to redo), or a header that
would now be found earlier on the include path. Contents are compared by
digest, so touching a file rebuilds nothing.

The record of what each object was built from is a snapshot
(``compile-state.json``) plus a journal (``compile-state.log``) that gets
one line as soon as each object is finished, so a build that is killed
keeps what it finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .. import trace
from ..errors import display_path
from ..fsutil import atomic_write, remove_leftovers, scratch_name, write_if_changed
from ..stages.compile import Unit

STATE = "compile-state.json"
JOURNAL = "compile-state.log"
MANIFEST = "objects.json"  # each object's digest: what link:S depends on


def digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.blake2b(f.read(), digest_size=16).hexdigest()


def parse_depfile(text: str) -> list[str]:
    """The prerequisites of a Makefile-style depfile (target dropped)."""
    text = text.replace("\\\r\n", " ").replace("\\\n", " ")
    _, _, deps = text.partition(": ")
    if "\\" not in deps and "$" not in deps:  # nothing escaped: the common case
        return deps.split()
    words: list[str] = []
    current = ""
    i = 0
    while i < len(deps):
        ch = deps[i]
        if ch == "\\" and i + 1 < len(deps) and deps[i + 1] in " #":
            current += deps[i + 1]
            i += 2
            continue
        if ch == "$" and deps[i + 1: i + 2] == "$":
            current += "$"
            i += 2
            continue
        if ch.isspace():
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
        i += 1
    if current:
        words.append(current)
    return words


def search_dirs(command: tuple[str, ...]) -> list[str]:
    """The -I / -isystem directories of a command, in search order."""
    quote, normal, system = [], [], []
    it = iter(command)
    for word in it:
        for flag, bucket in (("-iquote", quote), ("-I", normal), ("-isystem", system)):
            if word == flag:
                bucket.append(next(it, ""))
                break
            if word.startswith(flag) and not word.startswith("-isysroot"):
                if flag == "-I" and word.startswith("-isystem"):
                    continue
                bucket.append(word[len(flag):])
                break
    return quote + normal + system


@dataclass
class Record:
    key: str                     # digest of the command and what it was built with
    inputs: list[str]            # source and headers
    probes: list[str]            # headers that, if created, would be found first
    output: tuple                # the object's (size, mtime_ns, digest)


class State:
    """What each object of one service was built from, and file digests."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.records: dict[str, Record] = {}
        self.files: dict[str, list] = {}  # path -> [size, mtime_ns, digest]
        self._seen: dict[str, bool] = {}  # answers of this check, one per path
        self._journal = None  # open while objects are being recorded
        self._lock = threading.Lock()
        self._load()

    def _apply(self, entry: dict) -> None:
        self.files.update(entry.get("files", {}))
        for obj, rec in entry.get("records", {}).items():
            if rec is None or len(rec.get("output", ())) != 3:  # gone, or an older format
                self.records.pop(obj, None)
            else:
                self.records[obj] = Record(rec["key"], rec["inputs"], rec["probes"],
                                           tuple(rec["output"]))

    def _load(self) -> None:
        try:
            self._apply(json.loads((self.folder / STATE).read_text()))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            self.records, self.files = {}, {}
        try:
            lines = (self.folder / JOURNAL).read_text().splitlines()
        except FileNotFoundError:
            return
        for line in lines:
            try:
                self._apply(json.loads(line))
            except (ValueError, KeyError, TypeError):
                break  # a line cut short by a kill: everything after it is lost anyway

    def unchanged(self, path: str) -> bool:
        """Does ``path`` still hold what it held when last recorded? (Asked
        once per path: headers are shared by many objects.)"""
        answer = self._seen.get(path)
        if answer is None:
            answer = self._seen[path] = self._unchanged(path)
        return answer

    def _absent(self, path: str) -> bool:
        key = "?" + path
        answer = self._seen.get(key)
        if answer is None:
            answer = self._seen[key] = not os.path.exists(path)
        return answer

    def _unchanged(self, path: str) -> bool:
        known = self.files.get(path)
        try:
            st = os.stat(path)
        except OSError:
            return False
        if known is None:
            return False
        if known[0] == st.st_size and known[1] == st.st_mtime_ns:
            return True
        if known[0] != st.st_size:
            return False
        same = digest(Path(path)) == known[2]
        if same:
            with self._lock:
                self.files[path] = [st.st_size, st.st_mtime_ns, known[2]]
        return same

    def _describe(self, path: str) -> list:
        st = os.stat(path)
        return [st.st_size, st.st_mtime_ns, digest(Path(path))]

    def is_current(self, obj: Path, key: str | None) -> bool:
        rec = self.records.get(str(obj))
        if rec is None or (key is not None and rec.key != key):
            return False
        try:
            st = os.stat(obj)
        except OSError:
            return False
        if (st.st_size, st.st_mtime_ns) != tuple(rec.output[:2]):
            return False
        if not all(self._absent(p) for p in rec.probes):
            return False
        return all(self.unchanged(p) for p in rec.inputs)

    def finished(self, obj: Path, key: str, inputs: list[str], probes: list[str]) -> None:
        """Record a freshly built object, at once, in the journal."""
        files = {p: self._describe(p) for p in inputs}
        rec = {"key": key, "inputs": inputs, "probes": probes, "output": self._describe(str(obj))}
        line = json.dumps({"files": files, "records": {str(obj): rec}}) + "\n"
        with self._lock:
            self._apply({"files": files, "records": {str(obj): rec}})
            if self._journal is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._journal = open(self.folder / JOURNAL, "a")
            self._journal.write(line)
            self._journal.flush()  # in the kernel's hands: it survives a kill

    def save(self) -> None:
        """Fold the journal into the snapshot."""
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None
            live = {p for rec in self.records.values() for p in rec.inputs}
            data = {
                "files": {p: v for p, v in self.files.items() if p in live},
                "records": {o: {"key": r.key, "inputs": r.inputs, "probes": r.probes,
                                "output": list(r.output)} for o, r in self.records.items()},
            }
            atomic_write(self.folder / STATE, json.dumps(data, sort_keys=True))
            try:
                os.unlink(self.folder / JOURNAL)
            except FileNotFoundError:
                pass


def unit_key(unit: Unit, context: str) -> str:
    """Digest of the command line and of what it compiles against."""
    text = json.dumps([list(unit.command), context])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def outputs_current(state_dir: Path) -> bool:
    """The up-to-date check that needs no command line: every object of the
    manifest exists and nothing it was built from changed. (Flag, source-list
    and package changes reach the task through its other dependencies.)"""
    try:
        objects = json.loads((state_dir / MANIFEST).read_text())
    except (FileNotFoundError, ValueError):
        return False
    state = State(state_dir)
    return all(state.is_current(obj, None) for obj in objects)


@lru_cache(maxsize=64)
def _normalized_search_dirs(command: tuple[str, ...]) -> tuple[str, ...]:
    """``search_dirs``, normalised, of a command without its unit's own
    paths (one answer for all the units of a service)."""
    return tuple(os.path.normpath(d) for d in search_dirs(command))


def _probes(unit: Unit, headers: list[str]) -> list[str]:
    """Paths where a new file would be found before a header the compiler
    read: the source's own folder (first for #include "...") and the include
    directories ahead of the one the header came from."""
    specific = {str(unit.source), str(unit.object), str(unit.depfile)}
    dirs = [os.path.dirname(str(unit.source))]
    dirs += _normalized_search_dirs(tuple(w for w in unit.command if w not in specific))
    probes = []
    for header in headers:
        # the folder it was found in: the most specific search dir holding it
        found = [i for i, d in enumerate(dirs) if header.startswith(d + os.sep)]
        if not found:
            continue
        i = max(found, key=lambda k: len(dirs[k]))
        rel = header[len(dirs[i]) + 1:]
        probes += [os.path.join(e, rel) for e in dirs[:i]]
    return sorted(set(probes))


class CompileFailed(Exception):
    def __init__(self, unit: Unit, output: str):
        super().__init__(unit.source)
        self.unit = unit
        self.output = output


def _compile(unit: Unit, key: str, state: State, log, slots=None) -> None:
    tmp_obj = scratch_name(unit.object)
    tmp_dep = scratch_name(unit.depfile)
    command = list(unit.command)
    for flag, tmp in (("-o", tmp_obj), ("-MF", tmp_dep), ("-MD", tmp_dep)):  # renamed after
        if flag in command:
            command[command.index(flag) + 1] = str(tmp)
    trace.record("compile", str(unit.object))
    log(f"compile {display_path(unit.source)}")
    try:
        if slots is not None:
            slots.acquire()
        try:
            proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        finally:
            if slots is not None:
                slots.release()
        if proc.returncode != 0:
            raise CompileFailed(unit, proc.stdout.decode(errors="replace"))
        if proc.stdout:
            sys.stderr.write(proc.stdout.decode(errors="replace"))
        try:
            deps = parse_depfile(tmp_dep.read_text())
            os.replace(tmp_dep, unit.depfile)
        except FileNotFoundError:  # a tool that writes none
            deps = [str(unit.source)]
        inputs = sorted({os.path.abspath(p) for p in deps} | {str(unit.source)})
        headers = [p for p in inputs if p != str(unit.source)]
        os.replace(tmp_obj, unit.object)
        state.finished(unit.object, key, inputs, _probes(unit, headers))
    except BaseException:
        for tmp in (tmp_obj, tmp_dep):
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise


def compile_units(units: list[Unit], context: str, state_dir: Path, jobs: int = 1,
                  log=print, slots=None) -> list[Unit]:
    """Compile the units that are not current, ``jobs`` at a time.

    ``slots``, a semaphore shared by every task of the run, caps the
    compilations running at once across services (doit ``-n N`` runs N
    tasks, each of which would otherwise run N compilers).

    Stops starting new compilations at the first failure (the others that
    are running finish and are kept) and raises ``CompileFailed``. Returns
    the units compiled.
    """
    state = State(state_dir)
    keys = {u.object: unit_key(u, context) for u in units}
    stale = [u for u in units if not state.is_current(u.object, keys[u.object])]
    for folder in {u.object.parent for u in stale}:
        folder.mkdir(parents=True, exist_ok=True)
        remove_leftovers(folder)
    failure: list[CompileFailed] = []
    done: list[Unit] = []

    def work(unit: Unit) -> None:
        if failure:
            return
        try:
            _compile(unit, keys[unit.object], state, log, slots)
            done.append(unit)
        except CompileFailed as err:
            failure.append(err)

    try:
        if jobs <= 1 or len(stale) <= 1:
            for unit in stale:
                work(unit)
        else:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                list(pool.map(work, stale))
    finally:
        # Forget objects that are gone from the service, then compact.
        wanted = {str(u.object) for u in units}
        for obj in [o for o in state.records if o not in wanted]:
            del state.records[obj]
        state.save()
    if failure:
        raise failure[0]
    manifest = {str(u.object): state.records[str(u.object)].output[2] for u in units}
    write_if_changed(state_dir / MANIFEST, json.dumps(manifest, indent=0, sort_keys=True) + "\n")
    return done


def failure_message(err: CompileFailed) -> str:
    return (f"compiling {display_path(err.unit.source)} failed:\n{err.output.rstrip()}\n"
            f"command: {shlex.join(err.unit.command)}")
