"""``subprocess32``, Python 2's backport of Python 3's subprocess: on
Python 3 it is subprocess itself."""

from subprocess import *  # noqa: F401,F403
from subprocess import CalledProcessError, TimeoutExpired, check_output, call, run  # noqa: F401
