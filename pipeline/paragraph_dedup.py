"""Exact paragraph dedup, the per-document part: hash the paragraphs, keep those won.

Each distinct normalised paragraph survives once: in the document with the
smallest id among those containing it, at its first position there. The
shuffles that pick the winners are in deduplicate.py.
"""

from __future__ import annotations

import dataclasses

from .counters import Count, no_count
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
