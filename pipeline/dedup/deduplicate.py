"""Both dedups, described once for every engine: what is keyed, what is combined, what is joined.

    docs ─▶ (id, (doc, paragraph hashes))                                 HashParagraphs
    near-dup on:
      docs ─▶ ((band, hash of its rows), keeper key)                      BandKeys
           ─▶ smallest keeper key per bucket ─▶ (id, band won)            SmallestInBucket, BucketWinners
      join by id: keeper key + hashes, bands won
           ─▶ (hash, keeper key) if the document won all its bands        CompetingHashes
    near-dup off: (hash, keeper key) for every document                   AllHashes
    ─▶ smallest keeper key per hash ─▶ (id, hash won)                     SmallestPerHash, ParagraphWinners
    join by id: doc + hashes won + bands won ─▶ DecideDuplicates (a Stage): kept | near-duplicate

An engine supplies `Shuffles`, three operations on its collections (Beam: FlatMap,
CombinePerKey, CoGroupByKey; Spark: flatMap, reduceByKey, a tagged groupByKey), and runs
`DecideDuplicates` as it runs every Stage. Near-duplicates go first, and whole: after
paragraph dedup a near-copy would survive as fragments. Paragraph winners are chosen among
near-dup survivors only, or a removed near-copy could win a paragraph and take it from the
document that stays. The first join carries hashes, not text; only the last moves the
documents, and each of its groups holds one document and at most its own number of hashes
and bands. The per-document rules are rules.py's.
"""

from __future__ import annotations

from typing import Iterator, Protocol

from ..records import Document
from ..stage import DEDUP, Stage, Tagged
from .minhash import Signer, lsh_params
from .rules import competing_hashes, decide, hash_paragraphs, keeper_id, keeper_key

NEAR_DUPLICATES = "near_duplicates"  # DecideDuplicates' side output: the removed documents


class Shuffles(Protocol):
    """What an engine supplies; `label` names the step (Beam's transform label)."""

    def flat_map(self, label: str, collection, fn): ...

    def smallest_per_key(self, label: str, collection):
        """(key, value) -> (key, the smallest value of that key), combined before the shuffle."""

    def join_by_id(self, label: str, collections: dict):
        """(id, value) collections -> (id, {name: [values of that id]}) for every id in any."""


def with_hashes(doc: Document) -> Iterator[tuple[str, tuple[Document, tuple[int, ...]]]]:
    yield doc.id, (doc, hash_paragraphs(doc))


def keyed_hashes(element) -> Iterator[tuple[str, tuple[tuple[int, str], tuple[int, ...]]]]:
    doc_id, (doc, hashes) = element
    yield doc_id, (keeper_key(doc), hashes)


class BandKeys:
    """Document -> ((band, hash of its rows), keeper key) for each of its LSH buckets. The Signer
    is made on first use in each worker, not pickled."""

    def __init__(self, num_perm: int, threshold: float):
        self.num_perm, self.threshold = num_perm, threshold
        self._signer = None

    def __getstate__(self):
        return {"num_perm": self.num_perm, "threshold": self.threshold, "_signer": None}

    def __call__(self, doc: Document):
        if self._signer is None:
            self._signer = Signer(self.num_perm, self.threshold)
        competitor = keeper_key(doc)
        for key in self._signer.band_keys(doc.text):
            yield key, competitor


def winner_id(element) -> Iterator[tuple[str, object]]:
    """(key, winner's keeper key) -> (winner's id, key): what the winner won."""
    key, winner = element
    yield keeper_id(winner), key


def bucket_won(element) -> Iterator[tuple[str, int]]:
    """((band, hash), winner's keeper key) -> (winner's id, band)."""
    (band, _), winner = element
    yield keeper_id(winner), band


class CompetingHashes:
    """(id, {"hashes", "bands"}) -> (hash, keeper key) for a document that won all its buckets."""

    def __init__(self, bands: int):
        self.bands = bands

    def __call__(self, element):
        _, grouped = element
        return competing_hashes(grouped["hashes"], grouped.get("bands", ()), self.bands)


def every_hash(element) -> Iterator[tuple[int, tuple[int, str]]]:
    """(id, (keeper key, hashes)) -> (hash, keeper key) for each distinct hash: near-dup off, all compete."""
    _, keyed = element
    return competing_hashes([keyed], (), 0)


def deduplicate(shuffles: Shuffles, docs, near_dup: tuple[int, float] | None):
    """The dedup joins for `docs`: (id, {"doc", "won", "bands"}), the input of DecideDuplicates.
    `near_dup` is (permutations, threshold), or None for exact paragraph dedup only (CC-100's recipe).
    Returns (joined, number of LSH bands: 0 when near-dup is off)."""
    hashed = shuffles.flat_map("HashParagraphs", docs, with_hashes)
    keyed = shuffles.flat_map("KeyedHashes", hashed, keyed_hashes)
    joined = {"doc": hashed}
    if near_dup:
        num_perm, threshold = near_dup
        bands = lsh_params(threshold, num_perm)[0]
        buckets = shuffles.flat_map("BandKeys", docs, BandKeys(num_perm, threshold))
        joined["bands"] = shuffles.flat_map(
            "BucketWinners", shuffles.smallest_per_key("SmallestInBucket", buckets), bucket_won)
        competing = shuffles.flat_map(
            "CompetingHashes", shuffles.join_by_id("JoinBandWins", {"hashes": keyed, "bands": joined["bands"]}),
            CompetingHashes(bands))
    else:
        bands = 0
        competing = shuffles.flat_map("AllHashes", keyed, every_hash)
    joined["won"] = shuffles.flat_map(
        "ParagraphWinners", shuffles.smallest_per_key("SmallestPerHash", competing), winner_id)
    return shuffles.join_by_id("Join", joined), bands


class DecideDuplicates(Stage):
    """(id, {"doc", "won", "bands"}) -> the document with the paragraphs it won, or, tagged
    NEAR_DUPLICATES, the document removed as a near-duplicate (for per-language statistics)."""

    namespace = DEDUP

    def __init__(self, bands: int):
        self.bands = bands

    def process(self, element):
        _, grouped = element
        # Every winner id is a document's, so "doc" is never empty.
        kept, near_duplicate = decide(grouped["doc"], grouped["won"], grouped.get("bands", ()), self.bands,
                                      self.count)
        if near_duplicate is not None:
            yield Tagged(NEAR_DUPLICATES, near_duplicate)
        elif kept is not None:
            yield kept
