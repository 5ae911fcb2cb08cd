"""Serial output checked against patterns in order (the selftest and its
test modules)."""

import re


def first_missing(out, patterns):
    """Index of the first pattern not found (in order), or None."""
    pos = 0
    for i, p in enumerate(patterns):
        m = re.compile(p, re.M).search(out, pos)
        if not m:
            return i
        pos = m.end()
    return None


def check_lines(r, out, patterns, name, detail):
    """One check: every pattern matches, in order; the first one missing
    is shown with the output."""
    missing = first_missing(out, patterns)
    return r.check(missing is None, name,
                   detail + ("\nmissing (in order): %r" % patterns[missing] if missing is not None else ""))
