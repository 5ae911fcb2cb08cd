"""The incremental compile runner, with a stand-in compiler: what is rebuilt
when, and what a killed or failed build keeps."""

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ukbuild.actions import compile as runner
from ukbuild.stages.compile import Unit

# A "compiler": concatenates the source and every header it #includes (found
# on its -I path) into the object, and writes a depfile, like clang -MMD.
FAKE_CC = textwrap.dedent('''
    import os, re, sys
    args = sys.argv[1:]
    out = args[args.index("-o") + 1]; dep = args[args.index("-MF") + 1]
    src = args[args.index("-c") + 1]
    dirs = [os.path.dirname(src)] + [a[2:] for a in args if a.startswith("-I")]
    text = open(src).read()
    if "#error" in text:
        sys.stderr.write(src + ":1: error: asked to fail\\n"); sys.exit(1)
    deps = []
    for name in re.findall(r'#include "(.*)"', text):
        for d in dirs:
            p = os.path.join(d, name)
            if os.path.exists(p):
                deps.append(p); text += open(p).read(); break
    open(out, "w").write(text)
    open(dep, "w").write(out + ": " + " ".join([src] + deps) + "\\n")
''')


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "cc.py").write_text(FAKE_CC)
    (tmp_path / "src").mkdir()
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc2").mkdir()
    (tmp_path / "inc" / "a.h").write_text("int a;\n")
    (tmp_path / "src" / "one.c").write_text('#include "a.h"\nint one;\n')
    (tmp_path / "src" / "two.c").write_text("int two;\n")
    return tmp_path


def units(tree, flags=()):
    out = []
    for name in ("one", "two"):
        src = tree / "src" / f"{name}.c"
        obj = tree / "build" / f"{name}.o"
        dep = tree / "build" / f"{name}.d"
        cmd = (sys.executable, str(tree / "cc.py"), f"-I{tree / 'inc2'}", f"-I{tree / 'inc'}",
               *flags, "-MMD", "-MF", str(dep), "-c", str(src), "-o", str(obj))
        out.append(Unit(src, obj, dep, cmd))
    return out


def build(tree, flags=(), context="ctx", jobs=1):
    done = runner.compile_units(units(tree, flags), context, tree / "build", jobs=jobs,
                                log=lambda *_: None)
    return sorted(u.source.name for u in done)


def test_cold_then_nothing(tree):
    assert build(tree) == ["one.c", "two.c"]
    assert build(tree) == []
    assert runner.outputs_current(tree / "build")


def test_a_touch_rebuilds_nothing(tree):
    build(tree)
    later = time.time() + 10
    for p in (tree / "src" / "one.c", tree / "inc" / "a.h"):
        os.utime(p, (later, later))
    assert build(tree) == []


def test_a_header_change_rebuilds_its_includers(tree):
    build(tree)
    (tree / "inc" / "a.h").write_text("int a = 2;\n")
    assert build(tree) == ["one.c"]


def test_a_flag_or_context_change_rebuilds_everything(tree):
    build(tree)
    assert build(tree, flags=("-DX",)) == ["one.c", "two.c"]
    assert build(tree, flags=("-DX",), context="new platform") == ["one.c", "two.c"]


def test_a_shadowing_header_is_noticed(tree):
    build(tree)
    (tree / "inc2" / "a.h").write_text("int shadow;\n")
    assert build(tree) == ["one.c"]
    assert "int shadow" in (tree / "build" / "one.o").read_text()


def test_a_removed_header_and_include(tree):
    build(tree)
    (tree / "inc" / "a.h").unlink()
    (tree / "src" / "one.c").write_text("int one;\n")
    assert build(tree) == ["one.c"]
    assert build(tree) == []


def test_a_deleted_or_changed_object_is_rebuilt(tree):
    build(tree)
    (tree / "build" / "two.o").unlink()
    assert build(tree) == ["two.c"]
    (tree / "build" / "two.o").write_text("tampered")
    assert build(tree) == ["two.c"]


def test_a_failure_keeps_what_finished_and_leaves_no_partial_object(tree):
    (tree / "src" / "two.c").write_text("#error\n")
    with pytest.raises(runner.CompileFailed) as err:
        build(tree)
    assert "asked to fail" in err.value.output
    assert "command:" in runner.failure_message(err.value)
    assert not (tree / "build" / "two.o").exists()
    assert not [p for p in (tree / "build").iterdir() if p.name.endswith(".tmp")]
    (tree / "src" / "two.c").write_text("int two;\n")
    assert build(tree) == ["two.c"]


def test_the_journal_keeps_progress_without_the_snapshot(tree):
    """What a SIGKILL leaves: objects recorded in the journal, no snapshot."""
    state = runner.State(tree / "build")
    for unit in units(tree)[:1]:
        unit.object.parent.mkdir(parents=True, exist_ok=True)
        runner._compile(unit, runner.unit_key(unit, "ctx"), state, lambda *_: None)
    assert (tree / "build" / runner.JOURNAL).exists()
    assert not (tree / "build" / runner.STATE).exists()
    with open(tree / "build" / runner.JOURNAL, "a") as f:
        f.write('{"files": {"cut sh')  # a line cut short by the kill
    assert build(tree) == ["two.c"]


def test_parallel_jobs_build_the_same(tree):
    assert build(tree, jobs=2) == ["one.c", "two.c"]
    assert build(tree, jobs=2) == []


@pytest.mark.parametrize("text, deps", [
    ("a.o: a.c b.h\n", ["a.c", "b.h"]),
    ("a.o: a.c \\\n  /x/b.h \\\n  c\\ d.h\n", ["a.c", "/x/b.h", "c d.h"]),
    ("a.o: a$$.c\n", ["a$.c"]),
])
def test_depfiles_are_parsed(text, deps):
    assert runner.parse_depfile(text) == deps


def test_search_dirs_in_order():
    cmd = ("cc", "-iquote", "q", "-Ia", "-isystem", "s", "-I", "b", "-isystemt", "-c", "x")
    assert runner.search_dirs(cmd) == ["q", "a", "b", "s", "t"]
