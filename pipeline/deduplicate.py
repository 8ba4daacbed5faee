"""Both dedups as one composite of Beam shuffles: near-duplicate documents, then exact paragraphs.

    docs ─▶ (id, (doc, paragraph hashes))
         ─▶ BandWins ─▶ (id, band)                 MinHash LSH buckets won (near-dup on)
    join 1 by id: hashes + bands won ─▶ (hash, keeper key) for each document that won all its bands
         ─▶ CombinePerKey(SmallestId) ─▶ (id, hash won)          (TFDS C4's paragraph dedup)
    join 2 by id: doc + hashes won + bands won ─▶ kept document | near-duplicate | nothing

Near-duplicates go first, and whole: after paragraph dedup a near-copy would
survive as fragments (its edited paragraphs). Paragraph winners are chosen
among near-dup survivors only, or a removed near-copy could win a paragraph
and take it from the document that stays. Join 1 carries hashes, not text;
only join 2 moves the documents. Every group holds one document and at most
its own number of hashes and bands. The rules (keeper key, who won, what is
kept) are dedup_rules.py's; this module is only their wiring.
"""

from __future__ import annotations

import apache_beam as beam

from .counting_dofn import COUNTS_TAG, CountingDoFn
from .dedup_rules import competing_hashes, decide, hash_paragraphs, keeper_key
from .minhash import Signer, lsh_params

NEAR_DUPLICATES_TAG = "near_duplicates"


class SmallestId(beam.CombineFn):
    """The smallest keeper key per shuffle key, with a single key as accumulator: combiner
    lifting reduces each bundle's values for a key to one before the shuffle, so a key shared
    by millions of documents (a boilerplate line, a templated page's LSH bucket) never becomes
    a list in memory."""

    def create_accumulator(self):
        return None

    def add_input(self, smallest, key):
        return key if smallest is None or key < smallest else smallest

    def merge_accumulators(self, accumulators):
        smallest = None
        for key in accumulators:
            if key is not None:
                smallest = self.add_input(smallest, key)
        return smallest

    def extract_output(self, smallest):
        return smallest


class _BandKeys(beam.DoFn):
    def __init__(self, num_perm: int, threshold: float):
        self.num_perm, self.threshold = num_perm, threshold

    def setup(self):
        self._signer = Signer(self.num_perm, self.threshold)

    def process(self, doc):
        competitor = keeper_key(doc)
        for key in self._signer.band_keys(doc.text):
            yield key, competitor


class BandWins(beam.PTransform):
    """PCollection[Document] -> PCollection[(doc id, band index)], one per LSH bucket won."""

    def __init__(self, num_perm: int, threshold: float):
        super().__init__()
        self.num_perm, self.threshold = num_perm, threshold

    def expand(self, docs):
        return (
            docs
            | "BandKeys" >> beam.ParDo(_BandKeys(self.num_perm, self.threshold))  # ((band, hash), keeper key)
            | "SmallestInBucket" >> beam.CombinePerKey(SmallestId())  # ((band, hash), winner's keeper key)
            | "ByWinner" >> beam.MapTuple(lambda key, winner: (winner[1], key[0]))
        )


def _hashes_to_compete(element, bands: int):
    _, grouped = element
    return competing_hashes(grouped["hashes"], grouped["bands"], bands)


class _Decide(CountingDoFn):
    namespace = "dedup"

    def __init__(self, bands: int):
        self.bands = bands

    def process(self, element):
        _, grouped = element
        # Every winner id is a document's, so "doc" is never empty.
        kept, near_duplicate = decide(grouped["doc"], grouped["won"], grouped.get("bands", ()), self.bands,
                                      self.count)
        if near_duplicate is not None:
            yield beam.pvalue.TaggedOutput(NEAR_DUPLICATES_TAG, near_duplicate)
        elif kept is not None:
            yield kept


class Deduplicate(beam.PTransform):
    """PCollection[Document] -> documents with globally unique paragraphs, near-copies removed.

    `near_dup` is (num_perm, threshold), or None for exact paragraph dedup only
    (the CC-100 recipe). Outputs: `docs`, `counts` (name, n) and
    `near_duplicates` (the removed documents, for per-language statistics).
    """

    def __init__(self, near_dup: tuple[int, float] | None):
        super().__init__()
        self.near_dup = near_dup

    def expand(self, docs):
        hashed = docs | "HashParagraphs" >> beam.Map(lambda d: (d.id, (d, hash_paragraphs(d))))
        # (id, (keeper key, hashes))
        hashes = hashed | "HashesOnly" >> beam.MapTuple(lambda doc_id, dh: (doc_id, (keeper_key(dh[0]), dh[1])))
        joined = {"doc": hashed}
        if self.near_dup:
            num_perm, threshold = self.near_dup
            bands = lsh_params(threshold, num_perm)[0]
            joined["bands"] = docs | "NearDupBands" >> BandWins(num_perm, threshold)  # (id, band)
            competing = (
                {"hashes": hashes, "bands": joined["bands"]}
                | "JoinBandWins" >> beam.CoGroupByKey()
                | "CompetingHashes" >> beam.FlatMap(_hashes_to_compete, bands)
            )
        else:  # every document competes
            bands = 0
            competing = hashes | "AllHashes" >> beam.FlatMapTuple(lambda _, kh: competing_hashes([kh], (), 0))
        joined["won"] = (
            competing  # (hash, keeper key)
            | "SmallestIdPerHash" >> beam.CombinePerKey(SmallestId())
            | "ByWinner" >> beam.MapTuple(lambda h, winner: (winner[1], h))  # (id, hash won)
        )
        return (
            joined
            | "Join" >> beam.CoGroupByKey()
            | "Decide" >> beam.ParDo(_Decide(bands)).with_outputs(COUNTS_TAG, NEAR_DUPLICATES_TAG, main="docs")
        )
