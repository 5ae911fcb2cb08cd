"""The ``future`` package's name, for IncludeOS test scripts written for
Python 2 and 3 (used only when the real package is not installed)."""
