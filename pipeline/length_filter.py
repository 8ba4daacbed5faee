"""CCNet's length filter: documents under `min_chars` after dedup are dropped."""

from __future__ import annotations

from .counters import Count, no_count
from .records import Document


def long_enough(doc: Document, min_chars: int, count: Count = no_count) -> bool:
    if len(doc.text) < min_chars:
        count("filtered:too_short")
        return False
    count("passed")
    return True
