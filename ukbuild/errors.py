"""Errors a user can act on.

Every error ukbuild reports to a user is one line: where (a file, a key, an
argument), what was expected and what was found. The command-line entry
points and the doit loader print ``str(error)`` and exit with ``status``;
no traceback is shown for these.
"""


import os


def display_path(path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    text = os.fspath(path)
    if os.path.isabs(text):
        rel = os.path.relpath(text)
        if not rel.startswith(".."):
            return rel
    return text


class UkbuildError(Exception):
    """An error in the user's input or environment, reported as one line."""

    status = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DescriptorError(UkbuildError):
    """A service.toml that is not valid (vmrunner's PARSE_ERROR status)."""

    status = 73

    def __init__(self, path, key: str, expected: str):
        shown = display_path(path)
        where = f"{shown}: {key}: " if key else f"{shown}: "
        super().__init__(where + expected)
        self.path = path
        self.key = key
        self.expected = expected


class ToolError(UkbuildError):
    """A tool ukbuild ran (compiler, conan, qemu-img, ...) failed."""

    status = 1
