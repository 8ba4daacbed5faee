"""Both dedups, described once for every engine: what is keyed, what is combined, what is joined.

    docs ─▶ (id, (doc, paragraph hashes))                                 HashParagraphs
    near-dup on:
      docs ─▶ ((band, hash of its rows), keeper key)                      BandKeys
        + earlier corpora's buckets ─▶ ((band, key), PRIOR)               Prior/bands
           ─▶ smallest keeper key per bucket ─▶ (id, band won)            SmallestInBucket, BucketWinners
      join by id: keeper key + hashes, bands won
           ─▶ (hash, keeper key) if the document won all its bands        CompetingHashes
    near-dup off: (hash, keeper key) for every document                   AllHashes
    + earlier corpora's paragraphs ─▶ (hash, PRIOR)                       Prior/paragraphs
    ─▶ smallest keeper key per hash ─▶ (id, hash won)                     SmallestPerHash, ParagraphWinners
    join by id: doc + hashes won + bands won ─▶ DecideDuplicates (a Stage): kept | near-duplicate
    the hashes and buckets this run's documents won ─▶ this corpus's index (dedup/index.py)

An engine supplies `Shuffles`, five operations on its collections (Beam: FlatMap,
CombinePerKey, CoGroupByKey, Flatten, files read by a FlatMap; Spark: flatMap, reduceByKey,
a tagged groupByKey, union, parallelize + flatMap), and runs
`DecideDuplicates` as it runs every Stage. Near-duplicates go first, and whole: after
paragraph dedup a near-copy would survive as fragments. Paragraph winners are chosen among
near-dup survivors only, or a removed near-copy could win a paragraph and take it from the
document that stays. The first join carries hashes, not text; only the last moves the
documents, and each of its groups holds one document and at most its own number of hashes
and bands. The per-document rules are rules.py's.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple, Protocol

from ..records import Document
from ..stage import DEDUP, Stage, Tagged
from .index import BANDS, PARAGRAPHS, prior_bands, prior_paragraphs
from .minhash import Signer, lsh_params
from .rules import PRIOR, competing_hashes, decide, hash_paragraphs, keeper_id, keeper_key

NEAR_DUPLICATES = "near_duplicates"  # DecideDuplicates' side output: the removed documents


class Shuffles(Protocol):
    """What an engine supplies; `label` names the step (Beam's transform label)."""

    def flat_map(self, label: str, collection, fn): ...

    def smallest_per_key(self, label: str, collection):
        """(key, value) -> (key, the smallest value of that key), combined before the shuffle."""

    def join_by_id(self, label: str, collections: dict):
        """(id, value) collections -> (id, {name: [values of that id]}) for every id in any."""

    def union(self, label: str, collections: list):
        """One collection of every element of `collections`."""

    def read_files(self, label: str, paths: list[str], fn):
        """A collection of fn(path)'s outputs for each path, the paths spread over workers."""


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
    """(key, winner's keeper key) -> (winner's id, key): what the winner won (nothing for an earlier corpus's)."""
    key, winner = element
    if winner != PRIOR:
        yield keeper_id(winner), key


def bucket_won(element) -> Iterator[tuple[str, int]]:
    """((band, hash), winner's keeper key) -> (winner's id, band)."""
    (band, _), winner = element
    if winner != PRIOR:
        yield keeper_id(winner), band


def won_here(element) -> Iterator:
    """(key, winner's keeper key) -> key, when this run's document won it: this corpus's index entry."""
    key, winner = element
    if winner != PRIOR:
        yield key


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


_PRIOR_CLAIMS = {PARAGRAPHS: prior_paragraphs, BANDS: prior_bands}


def _smallest_claims(shuffles: Shuffles, label: str, kind: str, claims, prior: dict[str, list[str]]):
    """(key, the smallest keeper key) among `claims` and the earlier corpora's claims of `kind` (PRIOR)."""
    if prior.get(kind):
        earlier = shuffles.read_files(f"Prior/{kind}", prior[kind], _PRIOR_CLAIMS[kind])
        claims = shuffles.union(f"WithPrior/{kind}", [claims, earlier])
    return shuffles.smallest_per_key(label, claims)


class Dedup(NamedTuple):
    joined: object  # (id, {"doc", "won", "bands"}): DecideDuplicates' input
    bands: int  # LSH bands a document must all win; 0 when near-dup is off
    index: dict  # {PARAGRAPHS: hashes won, BANDS: (band, key) buckets won}: this corpus's index


def deduplicate(shuffles: Shuffles, docs, near_dup: tuple[int, float] | None,
                prior: dict[str, list[str]] | None = None) -> Dedup:
    """The dedup joins for `docs`. `near_dup` is (permutations, threshold), or None for exact paragraph
    dedup only (CC-100's recipe); `prior` the index files of earlier corpora by kind (index.prior_files),
    whose claims win."""
    prior = prior or {}
    hashed = shuffles.flat_map("HashParagraphs", docs, with_hashes)
    keyed = shuffles.flat_map("KeyedHashes", hashed, keyed_hashes)
    joined = {"doc": hashed}
    index = {}
    if near_dup:
        num_perm, threshold = near_dup
        bands = lsh_params(threshold, num_perm)[0]
        buckets = shuffles.flat_map("BandKeys", docs, BandKeys(num_perm, threshold))
        bucket_winners = _smallest_claims(shuffles, "SmallestInBucket", BANDS, buckets, prior)
        joined["bands"] = shuffles.flat_map("BucketWinners", bucket_winners, bucket_won)
        index[BANDS] = shuffles.flat_map("IndexBands", bucket_winners, won_here)
        competing = shuffles.flat_map(
            "CompetingHashes", shuffles.join_by_id("JoinBandWins", {"hashes": keyed, "bands": joined["bands"]}),
            CompetingHashes(bands))
    else:
        bands = 0
        competing = shuffles.flat_map("AllHashes", keyed, every_hash)
    hash_winners = _smallest_claims(shuffles, "SmallestPerHash", PARAGRAPHS, competing, prior)
    joined["won"] = shuffles.flat_map("ParagraphWinners", hash_winners, winner_id)
    index[PARAGRAPHS] = shuffles.flat_map("IndexParagraphs", hash_winners, won_here)
    return Dedup(shuffles.join_by_id("Join", joined), bands, index)


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
