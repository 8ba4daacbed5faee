"""Drop counting shared by every stage: one injectable `count(name, n)` callable.

Pure functions take `count` and call it for each record they pass or drop
(`passed`, `filtered:<reason>`), so tests can assert an exact dict. In Beam,
`CountingDoFn` backs it with metrics counters (live in the Dataflow UI) and
also emits the bundle's totals as data, so `_stats.json` is computed by a
combiner inside the pipeline and needs no metrics query after the job.
"""

from __future__ import annotations

import collections
from typing import Callable

import apache_beam as beam
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

Count = Callable[..., None]
COUNTS_TAG = "counts"


def no_count(name: str, n: int = 1) -> None:
    """The default `count`: counts nothing."""


class DictCount(collections.Counter):
    """A `count` backed by a dict, for tests and plain loops."""

    def __call__(self, name: str, n: int = 1) -> None:
        self[name] += n


class CountingDoFn(beam.DoFn):
    """A DoFn whose `self.count(name, n)` feeds metrics and a `counts` output.

    The `counts` output carries `("<namespace>:<name>", n)` pairs, one per name
    and bundle; sum them with `CombinePerKey(sum)`.
    """

    namespace = "xlmr"

    def start_bundle(self):
        self._bundle_counts = DictCount()

    def count(self, name: str, n: int = 1) -> None:
        beam.metrics.Metrics.counter(self.namespace, name).inc(n)
        self._bundle_counts[name] += n

    def finish_bundle(self):
        for name, n in self._bundle_counts.items():
            yield beam.pvalue.TaggedOutput(
                COUNTS_TAG,
                WindowedValue((f"{self.namespace}:{name}", n), MIN_TIMESTAMP, [GlobalWindow()]),
            )
