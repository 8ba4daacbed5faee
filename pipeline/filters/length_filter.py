"""CCNet's length filter: documents under `min_chars` after dedup are dropped."""

from __future__ import annotations

from ..records import Document
from ..stage import LENGTH, PASSED, Count, Stage, no_count


def long_enough(doc: Document, min_chars: int, count: Count = no_count) -> bool:
    if len(doc.text) < min_chars:
        count("filtered:too_short")
        return False
    count(PASSED)
    return True


class FilterMinChars(Stage):
    namespace = LENGTH

    def __init__(self, min_chars: int):
        self.min_chars = min_chars

    def process(self, doc: Document):
        if long_enough(doc, self.min_chars, self.count):
            yield doc
