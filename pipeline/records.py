"""The two record shapes every stage passes along: a raw WARC/WET record and a document."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class RawRecord:
    """One WARC `response` or WET `conversion` record, before extraction.

    `payload` is the HTTP body with transfer and content encodings undone
    (HTML bytes in the page's own charset), or the UTF-8 text of a WET record.
    """

    id: str  # WARC-Record-ID, e.g. "<urn:uuid:...>"
    url: str  # WARC-Target-URI
    date: str  # WARC-Date as written in the record
    source: str  # the input file it came from
    offset: int  # byte offset of the record in that (compressed) file
    payload: bytes
    content_type: str = ""  # HTTP Content-Type header, "" when absent
    is_text: bool = False  # True for WET: payload is already extracted text


@dataclasses.dataclass(frozen=True)
class Document:
    """A page's text as it moves through dedup, language ID and writing.

    `text` holds paragraphs separated by "\\n". `lang` and `lang_score` are
    set by language identification; `quality` (every signal the quality filters
    measured, and `lang`, the language whose thresholds were applied) and
    `quality_drops` (the checks it failed, kept only under `--quality tag`) by
    the quality stage; `pii_spans` by text repair.
    """

    id: str
    url: str
    date: str
    source: str
    text: str
    n_paragraphs_extracted: int = 0  # paragraphs before dedup (cc_net's original_nlines)
    lang: str = ""
    lang_score: float = 0.0
    quality: dict | None = dataclasses.field(default=None, hash=False)
    quality_drops: tuple[str, ...] = ()
    pii_spans: int = 0

    @property
    def n_paragraphs(self) -> int:
        return self.text.count("\n") + 1
