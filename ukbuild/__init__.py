"""ukbuild: declarative, incremental builds of C++ unikernel services."""

__version__ = "0.1.0"
