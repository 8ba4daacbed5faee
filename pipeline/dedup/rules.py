"""The per-document half of both dedups, without Beam: who competes, who wins, what is kept.

Keeper rule: among documents that collide (a shared paragraph, a shared LSH bucket)
the smallest keeper key wins. The key is (tagged, id): a document that `--quality tag`
marked as failing a check loses to every untagged one, so the untagged documents of a
`tag` run keep exactly the text a `filter` run keeps; otherwise the smallest id wins.
Winners then depend only on keys, never on order, so any runner, bundling or worker
count gives the same corpus. An earlier corpus's claims (PRIOR) beat every document. The
shuffles that apply these rules are in deduplicate.py; every engine calls the same functions.

A document is a near-duplicate when it shares an LSH bucket with a smaller key, i.e.
when it does not win all of its `bands` buckets. Each distinct normalised paragraph
survives once: in the winning document among those containing it, at its first
position there.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Iterator, NamedTuple

from ..records import Document
from ..stage import PASSED, Count, no_count
from .hashing import paragraph_hash, split_paragraphs

# Counts the funnel reads (stats/corpus_stats.py)
DUPLICATE_RECORD_ID = "filtered:duplicate_record_id"
NEAR_DUPLICATE = "filtered:near_duplicate"

KeeperKey = tuple[int, str]  # (tagged by --quality tag, id): the smallest wins
# An earlier corpus's claim on a paragraph or bucket (--dedup-against, dedup/index.py): smaller than
# every document's key, so earlier corpora win.
PRIOR: KeeperKey = (-1, "")


def keeper_key(doc: Document) -> KeeperKey:
    return int(bool(doc.quality_drops)), doc.id


def keeper_id(key: KeeperKey) -> str:
    return key[1]


def hash_paragraphs(doc: Document) -> tuple[int, ...]:
    """The hash of each paragraph of `doc`, in order."""
    return tuple(paragraph_hash(p) for p in split_paragraphs(doc.text))


def won_all_bands(bands_won: Iterable[int], bands: int) -> bool:
    """Not a near-duplicate: the document is the smallest key in each of its `bands` buckets
    (always true when near-dup is off, bands = 0)."""
    return len(set(bands_won)) == bands


def competing_hashes(keyed_hashes: Iterable[tuple[KeeperKey, tuple[int, ...]]], bands_won: Iterable[int],
                     bands: int) -> Iterator[tuple[int, KeeperKey]]:
    """(hash, keeper key) for each distinct paragraph hash of a document that won all its `bands`
    buckets: paragraph winners are chosen among near-dup survivors only. `keyed_hashes` are the
    document's (keeper key, hashes) copies, identical for a record read twice."""
    competitor, hashes = next(iter(keyed_hashes))
    if won_all_bands(bands_won, bands):
        for h in set(hashes):
            yield h, competitor


def keep_paragraphs(
    doc: Document, hashes: tuple[int, ...], won: set[int], count: Count = no_count
) -> Document | None:
    """`doc` with only the paragraphs it won, each at its first position.

    Returns None when nothing is left. `won` is the set of hashes for which
    `doc` holds the smallest key.
    """
    paragraphs = split_paragraphs(doc.text)
    kept, seen = [], set()
    repeated = duplicates = duplicate_chars = 0  # counted once per document, not per paragraph
    for paragraph, h in zip(paragraphs, hashes):
        if h in seen:
            repeated += 1
        elif h not in won:
            duplicates += 1
            duplicate_chars += len(paragraph)
        else:
            kept.append(paragraph)
        seen.add(h)
    for name, n in (("filtered:repeated_in_document", repeated), ("filtered:duplicate_paragraph", duplicates),
                    ("duplicate_paragraph_chars", duplicate_chars), ("paragraphs_kept", len(kept))):
        if n:
            count(name, n)
    count("paragraphs_in", len(paragraphs))
    if not kept:
        count("filtered:no_paragraph_left")
        return None
    count(PASSED)
    return dataclasses.replace(doc, text="\n".join(kept), n_paragraphs_extracted=len(paragraphs))


class Decision(NamedTuple):
    kept: Document | None  # the document with the paragraphs it won; None if none is left
    near_duplicate: Document | None  # the removed document, for per-language statistics


def decide(copies: Iterable[tuple[Document, tuple[int, ...]]], won: Iterable[int], bands_won: Iterable[int],
           bands: int, count: Count = no_count) -> Decision:
    """The fate of one document id, given its (document, paragraph hashes) copies (never empty),
    the paragraph hashes and LSH bands it won."""
    copies = list(copies)
    if len(copies) > 1:
        # The same record read twice (overlapping inputs): keep one copy.
        count(DUPLICATE_RECORD_ID, len(copies) - 1)
    doc, hashes = min(copies, key=lambda c: (c[0].source, c[0].url))
    if not won_all_bands(bands_won, bands):
        count(NEAR_DUPLICATE)
        count("near_duplicate_chars", len(doc.text))
        return Decision(None, doc)
    return Decision(keep_paragraphs(doc, hashes, set(won), count), None)
