"""Exact paragraph dedup across the whole input, by shuffles only (TFDS C4's design).

Each distinct normalised paragraph survives once: in the document with the
smallest id among those containing it, at its first position there. Steps:

1. per document, the hashes of its paragraphs           -> (doc id, (doc, hashes))
2. one (hash, doc id) per distinct hash in a document    -> CombinePerKey(min)
   picks the winner; combiner lifting keeps one id per hash per bundle, so a
   boilerplate line shared by millions of pages costs O(1) memory.
3. (winner id, hash) joined back to the documents with CoGroupByKey; a
   document's group holds at most its own paragraph count of hashes.

The winner depends only on ids, never on input order, bundling or workers.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

import apache_beam as beam

from .counters import Count, no_count
from .counting_dofn import COUNTS_TAG, CountingDoFn
from .paragraph_hash import paragraph_hash, split_paragraphs
from .records import Document


def hash_paragraphs(doc: Document) -> tuple[int, ...]:
    """The hash of each paragraph of `doc`, in order."""
    return tuple(paragraph_hash(p) for p in split_paragraphs(doc.text))


def keep_paragraphs(
    doc: Document, hashes: tuple[int, ...], won: set[int], count: Count = no_count
) -> Document | None:
    """`doc` with only the paragraphs it won, each at its first position.

    Returns None when nothing is left. `won` is the set of hashes for which
    `doc` holds the smallest id.
    """
    paragraphs = split_paragraphs(doc.text)
    kept, seen = [], set()
    for paragraph, h in zip(paragraphs, hashes):
        if h in seen:
            count("filtered:repeated_in_document")
        elif h not in won:
            count("filtered:duplicate_paragraph")
            count("duplicate_paragraph_chars", len(paragraph))
        else:
            kept.append(paragraph)
            count("paragraphs_kept")
        seen.add(h)
    count("paragraphs_in", len(paragraphs))
    if not kept:
        count("filtered:no_paragraph_left")
        return None
    count("passed")
    return dataclasses.replace(doc, text="\n".join(kept), n_paragraphs_extracted=len(paragraphs))


class _KeepWon(CountingDoFn):
    namespace = "dedup"

    def process(self, element: tuple[str, dict[str, Iterable]]):
        doc_id, grouped = element
        copies = list(grouped["doc"])  # never empty: every winner id is a document's
        if len(copies) > 1:
            # The same record read twice (overlapping inputs): keep one copy.
            self.count("filtered:duplicate_record_id", len(copies) - 1)
        doc, hashes = min(copies, key=lambda c: (c[0].source, c[0].url))
        result = keep_paragraphs(doc, hashes, set(grouped["won"]), self.count)
        if result is not None:
            yield result


class DeduplicateParagraphs(beam.PTransform):
    """PCollection[Document] -> PCollection[Document] with globally unique paragraphs.

    Also has a `counts` output of (name, n) drop counts.
    """

    def expand(self, docs):
        # (doc id, (doc, paragraph hashes))
        hashed = docs | "Hash" >> beam.Map(lambda d: (d.id, (d, hash_paragraphs(d))))
        # (hash, smallest doc id containing it)
        winners = (
            hashed
            | "HashToDoc" >> beam.FlatMap(lambda kv: ((h, kv[0]) for h in set(kv[1][1])))
            | "SmallestId" >> beam.CombinePerKey(min)
        )
        # (doc id, hash it won)
        won = winners | "ByWinner" >> beam.KvSwap()
        return (
            {"doc": hashed, "won": won}
            | "Join" >> beam.CoGroupByKey()
            | "KeepWon" >> beam.ParDo(_KeepWon()).with_outputs(COUNTS_TAG, main="docs")
        )
