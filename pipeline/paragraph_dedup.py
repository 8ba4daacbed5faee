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
    count("passed")
    return dataclasses.replace(doc, text="\n".join(kept), n_paragraphs_extracted=len(paragraphs))
