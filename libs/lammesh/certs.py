"""Moved to `lammesh.dev.certs` (development tooling, apart from the runtime; docs/decisions/0408).

This name is the same module object, kept so that code written against the old path keeps
importing; new code imports `lammesh.dev.certs`.
"""

import sys

from lammesh.dev import certs as _moved

sys.modules[__name__] = _moved
