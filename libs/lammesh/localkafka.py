"""Moved to `lammesh.dev.localkafka` (development tooling, apart from the runtime; docs/decisions/0408).

This name is the same module object, kept so that code written against the old path keeps
importing; new code imports `lammesh.dev.localkafka`.
"""

import sys

from lammesh.dev import localkafka as _moved

sys.modules[__name__] = _moved
