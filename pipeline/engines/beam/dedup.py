"""Both dedups on Beam: the shuffles dedup/deduplicate.py describes, as FlatMap, CombinePerKey,
CoGroupByKey and Flatten, then DecideDuplicates as a DoFn."""

from __future__ import annotations

import apache_beam as beam

from ...dedup.deduplicate import NEAR_DUPLICATES, DecideDuplicates, deduplicate
from .stage_dofn import COUNTS_TAG, apply_stage

MAIN, INDEX = "main", "index:"  # Deduplicate's outputs beside COUNTS_TAG and NEAR_DUPLICATES; INDEX + kind


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
    def __init__(self, pipeline: beam.Pipeline):
        self.pipeline = pipeline  # where read_files starts its collections

    def flat_map(self, label: str, pcoll, fn):
        return pcoll | label >> beam.FlatMap(fn)

    def smallest_per_key(self, label: str, pcoll):
        return pcoll | label >> beam.CombinePerKey(SmallestValue())

    def join_by_id(self, label: str, pcolls: dict):
        return pcolls | label >> beam.CoGroupByKey()

    def union(self, label: str, pcolls: list):
        return tuple(pcolls) | label >> beam.Flatten()

    def read_files(self, label: str, paths: list[str], fn):
        return (self.pipeline | f"{label}/List" >> beam.Create(paths) | f"{label}/Spread" >> beam.Reshuffle()
                | f"{label}/Read" >> beam.FlatMap(fn))


class Deduplicate(beam.PTransform):
    """PCollection[Document] -> documents with globally unique paragraphs, near-copies removed.

    `near_dup` is (num_perm, threshold), or None for exact paragraph dedup only
    (the CC-100 recipe); `prior` earlier corpora's index files by kind (--dedup-against).
    Returns a dict: MAIN the documents, COUNTS_TAG the (name, n) counts, NEAR_DUPLICATES
    the removed documents, INDEX + kind this corpus's index entries of each kind.
    """

    def __init__(self, near_dup: tuple[int, float] | None, prior: dict[str, list[str]] | None = None):
        super().__init__()
        self.near_dup, self.prior = near_dup, prior

    def expand(self, docs):
        dedup = deduplicate(BeamShuffles(docs.pipeline), docs, self.near_dup, self.prior)
        decided = apply_stage(dedup.joined, DecideDuplicates(dedup.bands), NEAR_DUPLICATES)
        return {MAIN: decided[MAIN], COUNTS_TAG: decided[COUNTS_TAG], NEAR_DUPLICATES: decided[NEAR_DUPLICATES],
                **{INDEX + kind: entries for kind, entries in dedup.index.items()}}
