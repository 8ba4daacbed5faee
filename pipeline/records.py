"""The two record shapes every stage passes along: a raw WARC/WET record and a document."""

from __future__ import annotations

import dataclasses
import functools

# Texts at least this long are stored zstd-compressed when a Document is pickled.
COMPRESS_FROM = 512


@functools.cache
def _zstd():
    """pyarrow's zstd codec, level 1; imported on first use, so that the extraction
    child, which imports this module but never pickles a Document, does not pay for it."""
    import pyarrow as pa

    return pa.Codec("zstd", compression_level=1)


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
    dump: str | None = None  # the crawl it belongs to (readers/warc.py: Crawls), None when unknown


@dataclasses.dataclass(frozen=True)
class Document:
    """A page's text as it moves through dedup, language ID and writing.

    `text` holds paragraphs separated by "\\n". `lang` and `lang_score` are
    set by language identification; `quality` (every signal the quality filters
    measured, and `lang`, the language whose thresholds were applied) and
    `quality_drops` (the checks it failed, kept only under `--quality tag`) by
    the quality stage; `pii_spans` by text repair; `perplexity` and `lm_bucket` by
    the language-model stage (None without models for the language); `dump` the crawl of its record.
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
    perplexity: float | None = None
    lm_bucket: str | None = None
    dump: str | None = None

    @property
    def n_paragraphs(self) -> int:
        return self.text.count("\n") + 1

    def __reduce__(self):
        """Pickled as its field values, the text zstd-compressed (level 1).

        Beam pickles Documents at every shuffle (the dedup join, the writer's
        grouping), and a local runner holds each shuffle's input in memory: a
        page's text compresses ~2.5x in ~50 us (9 kB of UTF-8), and a tuple of
        values saves the field names pickle would repeat per document. On
        Dataflow the same bytes are the billed shuffle volume.
        """
        values = [getattr(self, f.name) for f in dataclasses.fields(self)]
        if len(self.text) >= COMPRESS_FROM:
            utf8 = self.text.encode("utf-8")
            values[_TEXT] = (len(utf8), _zstd().compress(utf8, asbytes=True))
        return _document, tuple(values)


_TEXT = [f.name for f in dataclasses.fields(Document)].index("text")


def _document(*values) -> Document:
    """A Document from Document.__reduce__'s values."""
    if isinstance(values[_TEXT], tuple):
        size, packed = values[_TEXT]
        text = _zstd().decompress(packed, decompressed_size=size, asbytes=True).decode("utf-8")
        values = (*values[:_TEXT], text, *values[_TEXT + 1:])
    return Document(*values)
