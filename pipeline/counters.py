"""The counting convention of every stage: one injectable `count(name, n)` callable.

Pure functions take `count` and call it for each record they pass or drop
(`passed`, `filtered:<reason>`), so tests can assert an exact dict and the
same names feed Beam metrics and `_stats.json` (see counting_dofn.py). This
module imports no Beam: the extraction child process loads it.
"""

from __future__ import annotations

import collections
from typing import Callable

Count = Callable[..., None]


def no_count(name: str, n: int = 1) -> None:
    """The default `count`: counts nothing."""


class DictCount(collections.Counter):
    """A `count` backed by a dict, for tests and plain loops."""

    def __call__(self, name: str, n: int = 1) -> None:
        self[name] += n
