"""`Stage`, the engine-free shape of a per-record step, and the counting convention every stage follows.

Pure functions take a `count(name, n)` callable and call it for each record they pass or
drop (`passed`, `filtered:<reason>`), so tests can assert an exact dict and the same
names feed Beam metrics, Spark's counts and `_stats.json`, where each is stored as
`<namespace>:<name>` (`counter_name`). The namespaces are the constants below, the one
place that names them for the stages and for the statistics that read their counts.
This module imports no Beam: the extraction child process loads it.
"""

from __future__ import annotations

import collections
from typing import Callable, NamedTuple

Count = Callable[..., None]

# The stages' counter namespaces, in the job's order.
READ, EXTRACT, REPAIR, QUALITY, DEDUP, LENGTH, LID, LM, CRAWL = (
    "read", "extract", "repair", "quality", "dedup", "length", "lid", "lm", "crawl")
PASSED = "passed"


def counter_name(namespace: str, name: str) -> str:
    """How a stage's count is named in `_stats.json` and in Spark's counts (Beam metrics keep the two apart)."""
    return f"{namespace}:{name}"


def no_count(name: str, n: int = 1) -> None:
    """The default `count`: counts nothing."""


class DictCount(collections.Counter):
    """A `count` backed by a dict, for tests and plain loops."""

    def __call__(self, name: str, n: int = 1) -> None:
        self[name] += n


class Tagged(NamedTuple):
    """An output of a Stage to its side output `tag` instead of its main one."""

    tag: str
    value: object


class Stage:
    """One per-record step of the job, without Beam or Spark: `setup()` once per instance on a
    worker (models, child processes), `process(element)` yields its outputs (a `Tagged` one goes
    to that side output), `teardown()` at the end. It counts with `self.count(name, n)` (a Beam
    metric and `_stats.json`) and `self.tally(name, n)` (`_stats.json` only: per-language names
    would be thousands of metrics), which an engine binds with `bind`; until then they count
    nothing. Beam runs a Stage as a DoFn (engines/beam/stage_dofn.py), Spark once per partition
    (engines/spark/stages.py).
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
