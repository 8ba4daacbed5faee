"""Main text of an HTML page with trafilatura, and RawRecord -> Document.

Settings (datatrove's, minus its LRU dedup): `favor_precision=True` drops
borderline boilerplate, comments are left out, tables kept, and
trafilatura's own `deduplicate` stays off because its cache is per process
(results would depend on which worker saw a page first); dedup is a stage of
its own here.
"""

from __future__ import annotations

import trafilatura

from .charset import decode_html
from .counters import Count, no_count
from .records import Document, RawRecord


def html_to_text(html: bytes, content_type: str, url: str) -> tuple[str | None, str]:
    """(main text or None, which charset rule decided). Paragraphs are lines."""
    page, how = decode_html(html, content_type)
    text = trafilatura.extract(
        page,
        url=url or None,
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
        with_metadata=False,
        output_format="txt",
    )
    return text, how


def to_document(record: RawRecord, text: str | None, count: Count = no_count) -> Document | None:
    """A Document from a record and its extracted text (None: nothing to keep)."""
    if not text or not text.strip():
        count("filtered:no_text")
        return None
    count("passed")
    return Document(id=record.id, url=record.url, date=record.date, source=record.source, text=text)
