"""Both dedups as one composite of shuffles: near-duplicate documents, then exact paragraphs.

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
its own number of hashes and bands, and every winner depends only on keeper
keys (ids, and `--quality tag`'s tags: smallest_id.py), so the result is the
same for any runner, bundling, input order or worker count.
"""

from __future__ import annotations

import apache_beam as beam

from .counting_dofn import COUNTS_TAG, CountingDoFn
from .minhash import lsh_params
from .near_dedup import BandWins
from .paragraph_dedup import hash_paragraphs, keep_paragraphs
from .smallest_id import SmallestId, keeper_key

NEAR_DUPLICATES_TAG = "near_duplicates"


def _hashes_to_compete(element, bands: int):
    """(hash, keeper key) for each distinct hash of a document that won all its `bands` buckets."""
    _, grouped = element
    competitor, hashes = next(iter(grouped["hashes"]))  # copies of a record read twice are identical
    if len(set(grouped["bands"])) == bands:
        for h in set(hashes):
            yield h, competitor


class _Decide(CountingDoFn):
    namespace = "dedup"

    def __init__(self, bands: int):
        self.bands = bands

    def process(self, element):
        doc_id, grouped = element
        copies = list(grouped["doc"])  # never empty: every winner id is a document's
        if len(copies) > 1:
            # The same record read twice (overlapping inputs): keep one copy.
            self.count("filtered:duplicate_record_id", len(copies) - 1)
        doc, hashes = min(copies, key=lambda c: (c[0].source, c[0].url))
        if self.bands and len(set(grouped["bands"])) < self.bands:
            self.count("filtered:near_duplicate")
            self.count("near_duplicate_chars", len(doc.text))
            yield beam.pvalue.TaggedOutput(NEAR_DUPLICATES_TAG, doc)
            return
        result = keep_paragraphs(doc, hashes, set(grouped["won"]), self.count)
        if result is not None:
            yield result


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
            competing = hashes | "AllHashes" >> beam.FlatMapTuple(lambda _, kh: ((h, kh[0]) for h in set(kh[1])))
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
