"""The tasks of this repository: ukbuild's own, over services/ (see README)."""

from ukbuild.dodo import *  # noqa: F401,F403
