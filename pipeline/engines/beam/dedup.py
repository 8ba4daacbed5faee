"""Both dedups on Beam: the shuffles dedup/deduplicate.py describes, as FlatMap, CombinePerKey and
CoGroupByKey, then DecideDuplicates as a DoFn."""

from __future__ import annotations

import apache_beam as beam

from ...dedup.deduplicate import NEAR_DUPLICATES, DecideDuplicates, deduplicate
from .stage_dofn import apply_stage


class SmallestValue(beam.CombineFn):
    """The smallest value per key, with a single value as accumulator: combiner lifting reduces
    each bundle's values for a key to one before the shuffle, so a key shared by millions of
    documents (a boilerplate line, a templated page's LSH bucket) never becomes a list in memory."""

    def create_accumulator(self):
        return None

    def add_input(self, smallest, value):
        return value if smallest is None or value < smallest else smallest

    def merge_accumulators(self, accumulators):
        smallest = None
        for value in accumulators:
            if value is not None:
                smallest = self.add_input(smallest, value)
        return smallest

    def extract_output(self, smallest):
        return smallest


class BeamShuffles:
    def flat_map(self, label: str, pcoll, fn):
        return pcoll | label >> beam.FlatMap(fn)

    def smallest_per_key(self, label: str, pcoll):
        return pcoll | label >> beam.CombinePerKey(SmallestValue())

    def join_by_id(self, label: str, pcolls: dict):
        return pcolls | label >> beam.CoGroupByKey()


class Deduplicate(beam.PTransform):
    """PCollection[Document] -> documents with globally unique paragraphs, near-copies removed.

    `near_dup` is (num_perm, threshold), or None for exact paragraph dedup only
    (the CC-100 recipe). The result's `main` holds the documents, `counts` the
    (name, n) counts and `near_duplicates` the removed documents.
    """

    def __init__(self, near_dup: tuple[int, float] | None):
        super().__init__()
        self.near_dup = near_dup

    def expand(self, docs):
        joined, bands = deduplicate(BeamShuffles(), docs, self.near_dup)
        return apply_stage(joined, DecideDuplicates(bands), NEAR_DUPLICATES)
