"""`ExtractText`, the Stage that turns a RawRecord into a Document: the chosen extractor on HTML
(trafilatura or resiliparse), bounded in time by a child process (sandbox.py); WET text as it is."""

from __future__ import annotations

import importlib
import logging

from ..records import Document, RawRecord
from ..stage import EXTRACT, PASSED, Count, Stage, no_count
from . import EXTRACTORS
from .charset import BOMS
from .sandbox import Sandbox, SandboxTimeout

log = logging.getLogger(__name__)


def to_document(record: RawRecord, text: str | None, count: Count = no_count) -> Document | None:
    """A Document from a record and its extracted text (None: nothing to keep)."""
    if not text or not text.strip():
        count("filtered:no_text")
        return None
    count(PASSED)
    return Document(id=record.id, url=record.url, date=record.date, source=record.source, text=text,
                    dump=record.dump)


_FAILED = object()


_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\f\r\x1b")
_BOM_BYTES = tuple(bom for bom, _ in BOMS)  # charset.py's byte-order marks


def looks_binary(payload: bytes, sample: int = 4096) -> bool:
    """Binary served as HTML (an image, a PDF, an archive): over a tenth of the first bytes are control
    characters that no text has. trafilatura finds no text in such a page, resiliparse returns it as
    noise, so it is refused before either runs. UTF-16 (NUL bytes, but a BOM) is text."""
    head = payload[:sample]
    if not head or head.startswith(_BOM_BYTES):
        return False
    return len(head) - len(head.translate(None, _CONTROL)) > len(head) / 10


def html_to_text(extractor: str):
    """The named extractor's function (EXTRACTORS)."""
    return importlib.import_module(EXTRACTORS[extractor]).html_to_text


class ExtractText(Stage):
    """RawRecord -> Document: the extractor on HTML (time-limited), WET text as is."""

    namespace = EXTRACT

    def __init__(self, timeout: float, extractor: str = "trafilatura"):
        if extractor not in EXTRACTORS:
            raise ValueError(f"extractor {extractor!r}: expected one of {', '.join(EXTRACTORS)}")
        self.timeout, self.extractor = timeout, extractor

    def setup(self):
        extract = html_to_text(self.extractor)
        if self.timeout > 0:
            self._html_to_text = Sandbox(extract, self.timeout)
            self._html_to_text.start()
        else:
            self._html_to_text = extract

    def teardown(self):
        if isinstance(self._html_to_text, Sandbox):
            self._html_to_text.close()

    def process(self, record: RawRecord):
        if record.is_text:
            text = record.payload.decode("utf-8", errors="replace")
        else:
            text = self._extract(record)
            if text is _FAILED:
                return
        doc = to_document(record, text, self.count)
        if doc is not None:
            yield doc

    def _extract(self, record: RawRecord):
        """The page's text, None if it has none, or _FAILED (counted)."""
        if looks_binary(record.payload):
            self.count("filtered:binary")
            return _FAILED
        try:
            text, charset_rule = self._html_to_text(record.payload, record.content_type, record.url)
        except SandboxTimeout:
            self.count("filtered:timeout")
            log.warning("%s@%s: extraction took over %gs, skipped", record.source, record.offset, self.timeout)
            return _FAILED
        except Exception as exc:  # the extractor on a hostile page, or the child died
            self.count("filtered:extraction_error")
            log.warning("%s@%s: extraction failed, %s", record.source, record.offset, exc)
            return _FAILED
        self.count(f"charset:{charset_rule}")
        return text
