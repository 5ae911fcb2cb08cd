"""Reading a CMakeLists.txt as far as an IncludeOS service needs: the
commands it runs, in order, with variables expanded and only the taken
branches of ``if``. Enough of CMake's language for the ``os_*`` functions
of IncludeOS's os.cmake and the usual ``set``/``option``/``if`` around
them; no CMake is run.

``read`` gives ``Command``s (name in lower case, arguments as CMake would
pass them, line) and ``notes``: one line for each thing it could not
evaluate (the branch it took instead is said).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

FALSE = {"", "0", "OFF", "NO", "FALSE", "N", "IGNORE", "NOTFOUND"}
TRUE = {"1", "ON", "YES", "TRUE", "Y"}
CONTROL = {"if", "elseif", "else", "endif", "set", "unset", "option", "list",
           "foreach", "endforeach", "while", "endwhile", "function", "endfunction",
           "macro", "endmacro"}


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class _Arg:
    text: str
    quoted: bool
    raw: bool = False   # a bracket argument: no variable is expanded in it


@dataclass
class Listing:
    commands: list[Command] = field(default_factory=list)
    variables: dict = field(default_factory=dict)
    notes: list[tuple[int, str]] = field(default_factory=list)   # (line, what)


class CMakeError(ValueError):
    """A CMakeLists.txt that cannot be read: (line, what)."""

    def __init__(self, line: int, what: str):
        super().__init__(what)
        self.line = line
        self.what = what


_BRACKET_OPEN = re.compile(r"\[(=*)\[")


def _comment_end(text: str, i: int) -> int:
    """Where the comment starting at text[i] ('#') ends: after a bracket
    comment's closing bracket, else at the end of its line."""
    m = _BRACKET_OPEN.match(text, i + 1)
    end = text.find(f"]{m.group(1)}]", i) if m else -1
    stop = end + len(m.group(1)) + 2 if m and end >= 0 else text.find("\n", i)
    return len(text) if stop < 0 else stop


def _tokens(text: str):
    """(name, [_Arg with unexpanded text], line) for each command invocation."""
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif c == "#":
            stop = _comment_end(text, i)
            line += text.count("\n", i, stop)
            i = stop
        else:
            m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, i)
            if not m:
                raise CMakeError(line, f"unexpected {c!r}")
            name, start_line = m.group(0), line
            i = m.end()
            while i < n and text[i] in " \t":
                i += 1
            if i >= n or text[i] != "(":
                raise CMakeError(line, f"expected '(' after {name}")
            args, i, line = _arguments(text, i + 1, line)
            yield name, args, start_line


def _arguments(text: str, i: int, line: int):
    """The arguments up to the matching ')'; nested parentheses are kept as words."""
    args: list[_Arg] = []
    depth, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif c == "#":
            stop = _comment_end(text, i)
            line += text.count("\n", i, stop)
            i = stop
        elif c == ")":
            if depth == 0:
                return args, i + 1, line
            depth -= 1
            args.append(_Arg(")", False))
            i += 1
        elif c == "(":
            depth += 1
            args.append(_Arg("(", False))
            i += 1
        elif c == '"':
            j, out = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    nxt = text[j + 1]
                    out.append({"n": "\n", "t": "\t", "r": "\r", ";": "\\;"}.get(nxt, nxt))
                    j += 2
                    continue
                if text[j] == "\n":
                    line += 1
                out.append(text[j])
                j += 1
            args.append(_Arg("".join(out), True))
            i = j + 1
        elif _BRACKET_OPEN.match(text, i):
            m = _BRACKET_OPEN.match(text, i)
            end = text.find(f"]{m.group(1)}]", m.end())
            if end < 0:
                raise CMakeError(line, "unterminated bracket argument")
            body = text[m.end():end].removeprefix("\n")
            line += text.count("\n", i, end)
            args.append(_Arg(body, True, raw=True))
            i = end + len(m.group(1)) + 2
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()#"':
                j += 2 if text[j] == "\\" else 1
            args.append(_Arg(text[i:j], False))
            i = j
    raise CMakeError(line, "missing ')'")


class _Reader:
    def __init__(self, folder: Path, listing: Listing, defines: dict[str, str] | None = None):
        folder = str(folder.resolve())
        self.vars = {**(defines or {}), "CMAKE_CURRENT_SOURCE_DIR": folder, "CMAKE_SOURCE_DIR": folder,
                     "PROJECT_SOURCE_DIR": folder, "CMAKE_CURRENT_LIST_DIR": folder,
                     "CMAKE_BINARY_DIR": "<build>", "CMAKE_CURRENT_BINARY_DIR": "<build>",
                     "PROJECT_BINARY_DIR": "<build>"}
        self.listing = listing

    def expand(self, text: str) -> str:
        pattern = re.compile(r"\$(ENV)?\{([^${}]*)\}")
        for _ in range(10):  # nested ${${X}}: innermost first
            new = pattern.sub(lambda m: "" if m.group(1) else self.vars.get(m.group(2), ""), text)
            if new == text:
                break
            text = new
        return text

    def values(self, args: list[_Arg]) -> list[str]:
        """Arguments as CMake passes them: unquoted ones split into list items."""
        out: list[str] = []
        for arg in args:
            value = arg.text if arg.raw else self.expand(arg.text)
            if arg.quoted:
                out.append(value.replace("\\;", ";"))
            else:
                out += [v for v in re.split(r"(?<!\\);", value) if v]
        return out

    # -- conditions ---------------------------------------------------------
    def truth(self, words: list[str], quoted: list[bool], line: int) -> bool:
        pos = 0

        def constant(word: str, was_quoted: bool) -> bool:
            up = word.upper()
            if up in TRUE:
                return True
            if up in FALSE or up.endswith("-NOTFOUND"):
                return False
            if re.fullmatch(r"-?\d+(\.\d+)?", word):
                return float(word) != 0
            if was_quoted:
                return False
            value = self.vars.get(word)
            return value is not None and value.upper() not in FALSE \
                and not value.upper().endswith("-NOTFOUND")

        def operand() -> tuple[str, bool]:
            nonlocal pos
            if pos >= len(words):
                raise CMakeError(line, "incomplete condition")
            word, q = words[pos], quoted[pos]
            pos += 1
            return word, q

        def value_of(word: str, q: bool) -> str:
            return word if q or word not in self.vars else self.vars[word]

        def primary() -> bool:
            nonlocal pos
            word, q = operand()
            if word == "(" and not q:
                result = disjunction()
                if pos >= len(words) or words[pos] != ")":
                    raise CMakeError(line, "missing ')' in condition")
                pos += 1
                return result
            if word == "NOT" and not q:
                return not primary()
            if word in ("EXISTS", "IS_DIRECTORY") and not q:
                path, _ = operand()
                return os.path.isdir(path) if word == "IS_DIRECTORY" else os.path.exists(path)
            if word == "DEFINED" and not q:
                name, _ = operand()
                return name in self.vars
            if pos < len(words) and not quoted[pos] and words[pos] in (
                    "STREQUAL", "EQUAL", "LESS", "GREATER", "MATCHES"):
                op = words[pos]
                pos += 1
                right, rq = operand()
                left_v, right_v = value_of(word, q), value_of(right, rq)
                if op == "STREQUAL":
                    return left_v == right_v
                if op == "MATCHES":
                    return re.search(right_v, left_v) is not None
                try:
                    a, b = float(left_v), float(right_v)
                except ValueError:
                    return False
                return {"EQUAL": a == b, "LESS": a < b, "GREATER": a > b}[op]
            if pos < len(words) and not quoted[pos] and re.fullmatch(r"[A-Z_]+", words[pos]) \
                    and words[pos] not in ("AND", "OR"):
                raise CMakeError(line, f"the operator {words[pos]} is not understood")
            return constant(word, q)

        def conjunction() -> bool:
            nonlocal pos
            result = primary()
            while pos < len(words) and words[pos] == "AND" and not quoted[pos]:
                pos += 1
                result = primary() and result
            return result

        def disjunction() -> bool:
            nonlocal pos
            result = conjunction()
            while pos < len(words) and words[pos] == "OR" and not quoted[pos]:
                pos += 1
                result = conjunction() or result
            return result

        result = disjunction()
        if pos != len(words):
            raise CMakeError(line, f"cannot read the condition at {words[pos]!r}")
        return result

    def condition(self, args: list[_Arg], line: int) -> bool:
        words = [self.expand(a.text) for a in args]
        try:
            return self.truth(words, [a.quoted for a in args], line)
        except CMakeError as err:
            shown = " ".join(a.text for a in args)
            self.listing.notes.append((line, f"if ({shown}): {err.what}; took this branch"))
            return True

    # -- the listing --------------------------------------------------------
    def run(self, text: str) -> None:
        stack: list[list[bool]] = []   # per if: [this branch taken, any branch taken]
        for name, args, line in _tokens(text):
            lower = name.lower()
            active = all(frame[0] for frame in stack)
            if lower == "if":
                taken = active and self.condition(args, line)
                stack.append([taken, taken])
                continue
            if lower in ("elseif", "else", "endif"):
                if not stack:
                    raise CMakeError(line, f"{name}() without if()")
                frame = stack[-1]
                outer = all(f[0] for f in stack[:-1])
                if lower == "endif":
                    stack.pop()
                elif lower == "else":
                    frame[0] = outer and not frame[1]
                    frame[1] = True
                else:
                    frame[0] = outer and not frame[1] and self.condition(args, line)
                    frame[1] = frame[1] or frame[0]
                continue
            if not active:
                continue
            values = self.values(args)
            if lower == "set" and values:
                self.vars[values[0]] = ";".join(v for v in values[1:] if v not in ("CACHE", "PARENT_SCOPE"))
            elif lower == "unset" and values:
                self.vars.pop(values[0], None)
            elif lower == "option" and values:
                self.vars.setdefault(values[0], values[2] if len(values) > 2 else "OFF")
            elif lower == "list" and len(values) >= 2 and values[0] == "APPEND":
                old = [v for v in self.vars.get(values[1], "").split(";") if v]
                self.vars[values[1]] = ";".join(old + values[2:])
            elif lower == "include" and "RESULT_VARIABLE" in values:
                at = values.index("RESULT_VARIABLE")
                if at + 1 < len(values):
                    self.vars[values[at + 1]] = values[0]
                self.listing.commands.append(Command(lower, tuple(values), line))
            elif lower in CONTROL:
                self.listing.notes.append((line, f"{name}(): not evaluated"))
            else:
                self.listing.commands.append(Command(lower, tuple(values), line))
        if stack:
            raise CMakeError(text.count("\n") + 1, "if() without endif()")
        self.listing.variables = dict(self.vars)


def read(path: Path, defines: dict[str, str] | None = None) -> Listing:
    """The commands of ``path`` (a CMakeLists.txt) as CMake would run them,
    with ``defines`` as ``cmake -DNAME=VALUE`` gives them (an ``option()``
    does not change one)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise CMakeError(0, err.strerror) from None
    listing = Listing()
    _Reader(path.parent, listing, defines).run(text)
    return listing
