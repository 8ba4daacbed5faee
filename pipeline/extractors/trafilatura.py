"""Main text of an HTML page with trafilatura.

Settings (datatrove's, minus its LRU dedup): `favor_precision=True` drops
borderline boilerplate, comments are left out, tables kept, and
trafilatura's own `deduplicate` stays off because its cache is per process
(results would depend on which worker saw a page first); dedup is a stage of
its own here.
"""

from __future__ import annotations

import trafilatura

from .charset import decode_html


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
