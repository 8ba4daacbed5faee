"""The counting convention of every stage: one injectable `count(name, n)` callable, and
`Stage`, the engine-free shape of a per-record step.

Pure functions take `count` and call it for each record they pass or drop
(`passed`, `filtered:<reason>`), so tests can assert an exact dict and the
same names feed Beam metrics, Spark's counts and `_stats.json` (see
counting_dofn.py, spark_job.py). This module imports no Beam: the extraction
child process loads it.
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


class Stage:
    """One per-record step of the job, without Beam or Spark: `setup()` once per instance on a
    worker (models, child processes), `process(element)` yields its outputs, `teardown()` at
    the end. It counts with `self.count(name, n)` (a Beam metric and `_stats.json`) and
    `self.tally(name, n)` (`_stats.json` only: per-language names would be thousands of
    metrics), which an engine binds with `bind`; until then they count nothing. Beam's DoFns
    (counting_dofn.py) and Spark's partitions (spark_job.py) run the same instances.
    """

    namespace = "xlmr"
    count: Count = staticmethod(no_count)
    tally: Count = staticmethod(no_count)

    def bind(self, count: Count, tally: Count) -> None:
        self.count, self.tally = count, tally

    def setup(self) -> None:
        pass

    def process(self, element):
        raise NotImplementedError

    def teardown(self) -> None:
        pass
