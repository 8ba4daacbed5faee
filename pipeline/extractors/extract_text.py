"""`ExtractText`, the Stage that turns a RawRecord into a Document: trafilatura on HTML, bounded
in time by a child process (sandbox.py); WET text as it is."""

from __future__ import annotations

import logging

from ..records import Document, RawRecord
from ..stage import EXTRACT, PASSED, Count, Stage, no_count
from .sandbox import Sandbox, SandboxTimeout
from .trafilatura import html_to_text

log = logging.getLogger(__name__)


def to_document(record: RawRecord, text: str | None, count: Count = no_count) -> Document | None:
    """A Document from a record and its extracted text (None: nothing to keep)."""
    if not text or not text.strip():
        count("filtered:no_text")
        return None
    count(PASSED)
    return Document(id=record.id, url=record.url, date=record.date, source=record.source, text=text)


_FAILED = object()


class ExtractText(Stage):
    """RawRecord -> Document: trafilatura on HTML (time-limited), WET text as is."""

    namespace = EXTRACT

    def __init__(self, timeout: float):
        self.timeout = timeout

    def setup(self):
        if self.timeout > 0:
            self._html_to_text = Sandbox(html_to_text, self.timeout)
            self._html_to_text.start()
        else:
            self._html_to_text = html_to_text

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
        try:
            text, charset_rule = self._html_to_text(record.payload, record.content_type, record.url)
        except SandboxTimeout:
            self.count("filtered:timeout")
            log.warning("%s@%s: extraction took over %gs, skipped", record.source, record.offset, self.timeout)
            return _FAILED
        except Exception as exc:  # trafilatura/lxml on a hostile page, or the child died
            self.count("filtered:extraction_error")
            log.warning("%s@%s: extraction failed, %s", record.source, record.offset, exc)
            return _FAILED
        self.count(f"charset:{charset_rule}")
        return text
