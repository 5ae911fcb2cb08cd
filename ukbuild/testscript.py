"""Reading an IncludeOS test.py (a vmrunner script) into ``[test]``.

The script is read, never run (its Python is parsed with ``ast``). What a
vmrunner test says declaratively is translated; what it does on the host
is said in one line each:

- ``vm.boot(N, ...)``: the timeout (vmrunner's default: 60 s), and
  ``kernel_args`` the command line (vmrunner's default: "booted with
  vmrunner");
- ``vm.on_output(pattern, callback)``, by what the callback does: calling
  ``vm.exit(0, ...)`` makes the pattern the success line; counting lines
  (``n += 1``, ``if n == N: vm.exit(0)``, or ``assert n == N`` where the
  test ends) makes ``count`` entries; only failing (``return False``,
  ``assert False``) makes a ``fail`` line; a pattern that matches
  IncludeOS's panic signature means the panic is expected;
- ``vm.on_panic(callback, False)``: the panic is expected;
- vmrunner's own ``SUCCESS`` pattern, when the sources print it.
"""

from __future__ import annotations

import ast
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

PANIC_SIGNATURE = "\x15\x07\t**** PANIC ****"   # what IncludeOS prints first in a panic
DEFAULT_TIMEOUT = 60          # vmrunner's boot(timeout=60)
DEFAULT_KERNEL_ARGS = "booted with vmrunner"
HOST_MODULES = ("socket", "subprocess", "subprocess32", "urllib", "http", "requests", "thread",
                "_thread", "threading", "ws4py", "psutil")
HOST_METHODS = ("readline", "writeline")


@dataclass
class TestScript:
    success: list[str] = field(default_factory=list)
    count: dict = field(default_factory=dict)       # pattern -> number
    fail: list[str] = field(default_factory=list)
    panic_expected: bool = False
    timeout: float | None = DEFAULT_TIMEOUT
    cmdline: str = DEFAULT_KERNEL_ARGS
    multiboot: bool = True
    own_success: bool = False   # on_success replaced vmrunner's SUCCESS
    notes: list[tuple[int, str]] = field(default_factory=list)
    runs: dict[str, int] = field(default_factory=dict)   # shell scripts it runs -> line
    # what only the script itself can do while the VM runs (callbacks that
    # are not translated, a second boot or VM): reasons to run it as the test
    live: list[str] = field(default_factory=list)

    def live_note(self, line: int, what: str) -> None:
        self.notes.append((line, what + ": not translated"))
        self.live.append(what)


class _Script:
    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.constants: dict[str, object] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = node.value.value
            elif isinstance(node, ast.FunctionDef):
                self.functions[node.name] = node
        self.host_names: set[str] = set()   # module-level names holding sockets and the like
        for node in tree.body:
            if isinstance(node, ast.Assign) and _host_side(node.value, self):
                self.host_names.update(t.id for t in node.targets if isinstance(t, ast.Name))

    def value(self, node):
        """A constant expression's value (strings joined with +), else None."""
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.value(node.left), self.value(node.right)
            if isinstance(left, str) and isinstance(right, str):
                return left + right
        return None


def _calls(node):
    return [n for n in ast.walk(node) if isinstance(n, ast.Call)]


def _attr(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _root_name(node) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


OS_HOST_CALLS = ("system", "popen", "remove", "unlink", "rmdir", "mkdir", "makedirs", "chdir",
                 "kill", "rename")


def _host_side(body, script: "_Script | None" = None, seen: set | None = None) -> str | None:
    """What in ``body`` acts on the host (a socket, a process, ...), if
    anything, following calls into the script's own functions."""
    seen = set() if seen is None else seen
    host_names = script.host_names if script else set()
    for node in ast.walk(body):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            name, attr = node.value.id, node.attr
            if name in HOST_MODULES or name in host_names:
                return f"{name}.{attr}"
            if name == "os" and attr in OS_HOST_CALLS:
                return f"os.{attr}"
        if isinstance(node, ast.Call):
            if _attr(node) in HOST_METHODS:
                return _attr(node)
            if script and isinstance(node.func, ast.Name) and node.func.id in script.functions \
                    and node.func.id not in seen:
                seen.add(node.func.id)
                inner = script.functions[node.func.id]
                found = _host_side(ast.Module(body=inner.body, type_ignores=[]), script, seen)
                if found:
                    return found
    return None


@dataclass
class _Callback:
    kind: str                  # success | success_if | count | fail | other | host
    counter: str | None = None
    threshold: object = None   # the N of "n == N", a number or a constant's name
    why: str = ""
    needle: str | None = None  # success_if: the text the line must also hold


def _success_if_contains(script: _Script, func, body: list) -> str | None:
    """The ``X`` of a callback that is one ``if "X" in line: vm.exit(0)``
    whose other branches end the test with another status (or fail)."""
    if not isinstance(func, ast.FunctionDef) or not func.args.args or len(body) != 1 \
            or not isinstance(body[0], ast.If):
        return None
    line, node = func.args.args[0].arg, body[0]
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In)
            and isinstance(test.comparators[0], ast.Name) and test.comparators[0].id == line):
        return None
    needle = script.value(test.left)
    holder = ast.Module(body=list(node.body), type_ignores=[])
    if not isinstance(needle, str) or {script.value(c.args[0]) for c in _calls(holder)
                                       if _attr(c) == "exit" and c.args} != {0}:
        return None
    rest = ast.Module(body=list(node.orelse), type_ignores=[])
    others = {script.value(c.args[0]) for c in _calls(rest) if _attr(c) == "exit" and c.args}
    return needle if node.orelse and 0 not in others else None


def _classify(script: _Script, func) -> _Callback:
    if isinstance(func, ast.Lambda):
        body = [ast.Return(func.body)]
    elif isinstance(func, ast.FunctionDef):
        body = func.body
    else:
        return _Callback("other", why="its callback is not a function of the script")
    holder = ast.Module(body=list(body), type_ignores=[])
    host = _host_side(holder, script)
    if host:
        return _Callback("host", why=f"a host-side callback ({host})")
    exits = [c for c in _calls(holder) if _attr(c) == "exit" and c.args]
    statuses = {script.value(c.args[0]) for c in exits}
    counters = [n.target.id for n in ast.walk(holder)
                if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add)
                and isinstance(n.target, ast.Name)]
    compares = [n for n in ast.walk(holder) if isinstance(n, ast.Compare)
                and isinstance(n.left, ast.Name) and len(n.ops) == 1
                and isinstance(n.ops[0], ast.Eq)]
    if counters:
        threshold = None
        for cmp in compares:
            if cmp.left.id == counters[0]:
                right = cmp.comparators[0]
                threshold = script.value(right) if script.value(right) is not None else None
        if exits and statuses != {0}:
            return _Callback("other", why="it ends the test with a status other than 0")
        return _Callback("count", counter=counters[0], threshold=threshold)
    returns = [n for n in ast.walk(holder) if isinstance(n, ast.Return)]
    asserts = [n for n in ast.walk(holder) if isinstance(n, ast.Assert)]
    only_false = (returns and all(isinstance(r.value, ast.Constant) and r.value.value is False
                                  for r in returns))
    assert_false = any(isinstance(a.test, ast.Constant) and not a.test.value for a in asserts)
    if (only_false or assert_false) and not exits:
        return _Callback("fail")
    needle = _success_if_contains(script, func, body)
    if needle is not None:
        return _Callback("success_if", needle=needle)
    if exits and statuses == {0}:
        ifs = [n for n in ast.walk(holder) if isinstance(n, ast.If)]
        if ifs:
            return _Callback("other", why="it ends the test only under a condition on the line")
        threshold = counter = None
        for a in asserts:
            test = a.test
            if isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) \
                    and isinstance(test.ops[0], ast.Eq):
                counter, threshold = test.left.id, script.value(test.comparators[0])
        return _Callback("success", counter=counter, threshold=threshold)
    return _Callback("other", why="it checks the line in Python")


def _shell_scripts(node) -> list[str]:
    """The shell scripts of the folder a statement runs (string constants
    naming a .sh file, such as ``["./image.sh"]``)."""
    return sorted({os.path.basename(n.value.split()[0]) for n in ast.walk(node)
                   if isinstance(n, ast.Constant) and isinstance(n.value, str)
                   and n.value.split() and n.value.split()[0].endswith(".sh")})


def _top_level(tree: ast.Module):
    """The calls the script makes itself, outside its functions."""
    todo = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call):
            yield node
        todo.extend(ast.iter_child_nodes(node))


def read(path: Path) -> TestScript:
    out = TestScript()
    try:
        with warnings.catch_warnings():  # old scripts' "\*" in plain strings
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError as err:
        out.notes.append((err.lineno or 0, f"not Python 3 ({err.msg}): not translated"))
        return out
    script = _Script(tree)
    counters: dict[str, list[str]] = {}     # counter -> its patterns
    thresholds: dict[str, object] = {}
    panics: set[str] = set()                # patterns of the panic line
    boots = []
    host_notes = set()
    for call in _calls(tree):
        name = _attr(call)
        if name == "on_output" and len(call.args) >= 2:
            pattern = script.value(call.args[0])
            if not isinstance(pattern, str):
                out.live_note(call.lineno, "on_output with a pattern that is not a constant")
                continue
            func = call.args[1]
            target = script.functions.get(func.id) if isinstance(func, ast.Name) else func
            shown = f"on_output({pattern!r}, {func.id if isinstance(func, ast.Name) else '...'})"
            if re.search(pattern, PANIC_SIGNATURE):
                out.panic_expected = True
                cb = _classify(script, target)
                if cb.kind == "count":
                    thresholds.setdefault(cb.counter, cb.threshold)
                    panics.add(pattern)
                    counters.setdefault(cb.counter, []).append(pattern)  # the panic counts one
                continue
            cb = _classify(script, target)
            if cb.kind == "success":
                out.success.append(pattern)
                if cb.counter:
                    thresholds[cb.counter] = cb.threshold
            elif cb.kind == "success_if":
                # the line passes with the text in it, and fails without
                out.success.append(f"^(?=.*(?:{pattern}))(?=.*{re.escape(cb.needle)})")
                out.fail.append(f"^(?=.*(?:{pattern}))(?!.*{re.escape(cb.needle)})")
            elif cb.kind == "count":
                counters.setdefault(cb.counter, []).append(pattern)
                if cb.threshold is not None:
                    thresholds[cb.counter] = cb.threshold
            elif cb.kind == "fail":
                out.fail.append(pattern)
            else:
                out.live_note(call.lineno, f"{shown}: {cb.why}")
        elif name == "on_success" and call.args:
            out.own_success = True
            out.live_note(call.lineno, "on_success(...): its callback")
        elif name == "on_panic" and call.args:
            keeps_going = len(call.args) > 1 and script.value(call.args[1]) is False
            if keeps_going:
                out.panic_expected = True
                out.notes.append((call.lineno, "on_panic(..., False): the panic is taken as "
                                  "expected; the callback's own check is not translated"))
        elif name == "boot":
            boots.append(call)
        elif name in ("on_exit", "on_exit_success", "on_timeout"):
            out.notes.append((call.lineno, f"{name}(...): host-side clean-up, not translated"))
        elif name in HOST_METHODS:
            pass  # said with its callback
        elif name == "vm" and _root_name(call.func) == "vmrunner":
            out.live_note(call.lineno, "a second VM (vmrunner.vm(...))")
    for node in _top_level(tree):   # what the script does on the host around the boot
        host = _host_side(ast.Module(body=[ast.Expr(node)], type_ignores=[]))
        if host and host.startswith("_thread") or host == "threading.Thread":
            continue  # a host thread: said with what it runs, if a callback starts it
        shell = _shell_scripts(node) if host else []
        for name in shell:
            out.runs.setdefault(name, node.lineno)
        if shell:
            continue   # the importer says what became of the script
        if host and host.split(".")[0] not in host_notes:
            host_notes.add(host.split(".")[0])
            out.notes.append((node.lineno, f"{host}(...) runs on the host: not translated"))
    _boots(script, boots, out)
    said: dict[str, int] = {}
    for line, what in out.notes:
        said.setdefault(what, line)
    out.notes = [(line, what) for what, line in said.items()]
    for counter, patterns in counters.items():
        n = thresholds.get(counter)
        n = script.constants.get(n, n) if isinstance(n, str) else n
        wanted = len(patterns)
        if isinstance(n, int) and n != wanted and wanted > 1:
            # vmrunner's shared counter: the test ends when the lines
            # matching any of its patterns reach n, however they spread.
            out.count["|".join(f"(?:{p})" for p in patterns)] = n
            out.notes.append((0, f"the counter {counter!r} counts {n} lines over {wanted} patterns: "
                              f"one [test] count of {n} lines matching any of them"))
            continue
        for p in patterns:
            if p not in panics:
                out.count[p] = 1
        if not isinstance(n, int):
            out.notes.append((0, f"the counter {counter!r} has no number to reach: [test] count "
                              "asks for each of its lines once"))
    return out


def _boots(script: _Script, boots: list[ast.Call], out: TestScript) -> None:
    if not boots:
        out.notes.append((0, "no vm.boot(...): vmrunner's defaults taken"))
        return
    timeouts, args = [], []
    for call in boots:
        given = call.args[0] if call.args else next(
            (k.value for k in call.keywords if k.arg == "timeout"), None)
        if given is not None:
            value = script.value(given)
            if isinstance(value, (int, float)) or value is None:
                timeouts.append(value)
        for k in call.keywords:
            if k.arg == "kernel_args" and isinstance(script.value(k.value), str):
                args.append(script.value(k.value))
            if k.arg == "multiboot" and script.value(k.value) is False:
                out.multiboot = False
    if any(t is None for t in timeouts) and timeouts:
        out.timeout = None
    elif timeouts:
        out.timeout = max(timeouts)
    if args:
        out.cmdline = args[0]
    chained = [c for c in boots if any(_attr(inner) == "boot" for inner in _calls(c.func))]
    if chained:
        out.live_note(chained[0].lineno, "the VM boots twice")
