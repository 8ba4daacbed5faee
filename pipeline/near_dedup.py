"""Near-duplicate documents by MinHash LSH, as Beam shuffles (no index on any worker).

Each document's band keys (band index, hash of the band's rows) are keys of a
shuffle; `SmallestId` keeps one id per bucket. A document is a near-duplicate
when it shares a bucket with a smaller id, i.e. when it does not win all of
its `bands` buckets. `BandWins` yields (doc id, band) for every bucket a
document wins; deduplicate.py counts them per document.
"""

from __future__ import annotations

import apache_beam as beam

from .minhash import Signer
from .records import Document
from .smallest_id import SmallestId, keeper_key


class _BandKeys(beam.DoFn):
    def __init__(self, num_perm: int, threshold: float):
        self.num_perm, self.threshold = num_perm, threshold

    def setup(self):
        self._signer = Signer(self.num_perm, self.threshold)

    def process(self, doc: Document):
        competitor = keeper_key(doc)
        for key in self._signer.band_keys(doc.text):
            yield key, competitor


class BandWins(beam.PTransform):
    """PCollection[Document] -> PCollection[(doc id, band index)], one per bucket won."""

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
