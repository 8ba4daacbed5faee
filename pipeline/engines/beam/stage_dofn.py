"""A `Stage` as a Beam DoFn: its `count(name, n)` as Beam metrics and as data, its `Tagged` outputs
as Beam's tagged outputs.

Metrics counters (namespace = stage) show live in the Dataflow UI. The same
counts are also emitted as data at the end of each bundle, on a `counts`
output, so that `_stats.json` is computed by a combiner inside the pipeline
and needs no metrics query after the job (a Flex Template launch does not
wait for the job to finish).
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from ...stage import DictCount, Stage, Tagged, counter_name

COUNTS_TAG = "counts"


class StageDoFn(beam.DoFn):
    """A `Stage` (stage.py) as a DoFn: its `count(name, n)` feeds Beam metrics (namespace = the
    stage's) and a `counts` output, its `tally` the `counts` output only (per-language names would
    be thousands of metrics). The `counts` output carries `("<namespace>:<name>", n)` pairs, one per
    name and bundle; sum them with `CombinePerKey(sum)`."""

    def __init__(self, stage: Stage):
        self.stage = stage
        self.namespace = stage.namespace

    def setup(self):
        self._metrics = {}
        self.stage.bind(self.count, self.tally)
        self.stage.setup()

    def start_bundle(self):
        self._bundle_counts = DictCount()

    def count(self, name: str, n: int = 1) -> None:
        metric = self._metrics.get(name)
        if metric is None:
            metric = self._metrics[name] = beam.metrics.Metrics.counter(self.namespace, name)
        metric.inc(n)
        self._bundle_counts[name] += n

    def tally(self, name: str, n: int = 1) -> None:
        self._bundle_counts[name] += n

    def process(self, element):
        return map(_to_beam, self.stage.process(element))

    def finish_bundle(self):
        for name, n in self._bundle_counts.items():
            yield beam.pvalue.TaggedOutput(
                COUNTS_TAG,
                WindowedValue((counter_name(self.namespace, name), n), MIN_TIMESTAMP, [GlobalWindow()]),
            )

    def teardown(self):
        self.stage.teardown()


def _to_beam(output):
    """A Stage's `Tagged` output as Beam's tagged output; a function, not a generator in `process`, so
    that Beam's type inference does not take the union of both kinds for the main output."""
    return beam.pvalue.TaggedOutput(output.tag, output.value) if isinstance(output, Tagged) else output


def apply_stage(pcoll, stage: Stage, *side_outputs: str):
    """`pcoll` through `stage`, labelled with its class name: its result, whose `main`, `counts` and
    `side_outputs` are PCollections."""
    return pcoll | type(stage).__name__ >> beam.ParDo(StageDoFn(stage)).with_outputs(COUNTS_TAG, *side_outputs,
                                                                                     main="main")
