"""The per-record stages: thin wiring around the pure functions, for any engine.

Each is a `Stage` (counters.py) counting under its own namespace (read, extract, repair,
quality, length, lid). Beam runs them as DoFns with a `counts` output (counting_dofn.py),
Spark once per partition (spark_job.py). Models and child processes are created in
`setup`, once per instance on a worker, never per record or bundle.
"""

from __future__ import annotations

import dataclasses
import functools
import logging

from .counters import Stage
from .extract_text import html_to_text, to_document
from .http_reader import DownloadFailed, RetryPolicy
from .inputs import open_input
from .language_id import LanguageIdentifier, identify
from .length_filter import long_enough
from .progress import ProgressFile
from .quality_filters import assess
from .quality_settings import Thresholds
from .records import Document, RawRecord
from .sandbox import Sandbox, SandboxTimeout
from .text_repair import repair_text
from .url_blocklist import is_blocked, load_blocklist
from .warc_reader import read_records
from .words import WordSplitter

log = logging.getLogger(__name__)


class ReadRecords(Stage):
    """file path -> RawRecord for each HTML 200 response / WET conversion."""

    namespace = "read"

    def __init__(self, max_payload_bytes: int, http_policy: RetryPolicy = RetryPolicy(),
                 url_blocklist: str | None = None, progress_dir: str | None = None):
        self.max_payload_bytes = max_payload_bytes
        self.http_policy = http_policy
        self.url_blocklist = url_blocklist
        self.progress_dir = progress_dir  # a local run's progress channel (progress.py)

    def setup(self):
        self._blocked = None
        if self.url_blocklist:
            self._blocked = functools.partial(is_blocked, domains=load_blocklist(self.url_blocklist))
        self._progress = ProgressFile(self.progress_dir) if self.progress_dir else None

    def process(self, path: str):
        self.count("files")
        try:
            stream = open_input(path, self.http_policy)
        except Exception as exc:  # missing file, no credentials...
            self.count("filtered:unopenable_file")
            log.warning("%s: cannot open, %s: %s", path, type(exc).__name__, exc)
            self._file_done()
            return
        read = 0  # bytes of this file read so far, as stored (compressed): the progress measure
        try:
            with stream:
                for record in read_records(stream, path, self.max_payload_bytes, self.count, self._blocked):
                    self._advance(record.offset - read, pages=1)
                    read = record.offset
                    yield record
                self._advance(_position(stream, read) - read, pages=0)
        except DownloadFailed as exc:
            # The records read before the failure are kept; the rest of the file is lost.
            self.count("filtered:download_failed")
            log.error("%s", exc)
        self._file_done()

    def _file_done(self) -> None:
        self.count("files_done")
        if self._progress:
            self._progress.progress.files_done += 1
            self._progress.flush()

    def _advance(self, n: int, pages: int) -> None:
        """`n` more bytes read and `pages` more records passed on: a counter, and the local progress."""
        self.count("bytes", n)
        if self._progress:
            self._progress.progress.bytes += n
            self._progress.progress.pages += pages
            self._progress.update()


def _position(stream, default: int) -> int:
    """Where `stream` is (its end, once read through), or `default` when it cannot tell."""
    try:
        return stream.tell()
    except (OSError, ValueError):
        return default


_FAILED = object()


class ExtractText(Stage):
    """RawRecord -> Document: trafilatura on HTML (time-limited), WET text as is."""

    namespace = "extract"

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


class RepairText(Stage):
    """Document -> Document with mojibake fixed, table rows readable, e-mail and IP addresses masked."""

    namespace = "repair"

    def process(self, doc: Document):
        text, pii_spans = repair_text(doc.text, self.count)
        if not text.strip():  # a page that was nothing but empty table rows
            self.count("filtered:no_text")
            return
        self.count("passed")
        yield dataclasses.replace(doc, text=text, pii_spans=pii_spans)


class FilterQuality(Stage):
    """Document -> Document with its quality signals; dropped (`filter`) or tagged (`tag`) when a check fails.

    The thresholds are those of the language lid.176 gives the text the filters
    see (the whole page, before paragraph dedup; the LID stage decides again on
    the deduplicated text). Each document is attributed to the first check it
    fails, so the per-check counts add up; `quality_drops` lists them all.
    Per language, `lang:<code>:in` and `lang:<code>:<check>` count documents and
    `...:chars` their characters, for `_stats.json` (not as metrics).
    """

    namespace = "quality"

    def __init__(self, model_path: str | None, thresholds: Thresholds, mode: str):
        self.model_path, self.thresholds, self.mode = model_path, thresholds, mode

    def setup(self):
        self._identifier = LanguageIdentifier(self.model_path)
        self._words = WordSplitter()

    def process(self, doc: Document):
        lang, score = self._identifier.predict(doc.text)
        settings = self.thresholds.for_language(lang)
        if settings is None:
            self.count("unfiltered_language")
            self.count("passed")
            yield dataclasses.replace(doc, lang=lang, lang_score=score)
            return
        try:
            signals, failed = assess(doc.text, settings, self._words.split)
        except Exception as exc:  # a filter that raises on some text costs that text only
            self.count("filtered:filter_error")
            log.warning("%s: quality filters failed, %s: %s", doc.url, type(exc).__name__, exc)
            return
        chars = len(doc.text)
        self.tally(f"lang:{lang}:in")
        self.tally(f"lang:{lang}:in:chars", chars)
        if failed:
            self.tally(f"lang:{lang}:{failed[0]}")
            self.tally(f"lang:{lang}:{failed[0]}:chars", chars)
            if self.mode == "filter":
                self.count(f"filtered:{failed[0]}")
                return
            self.count(f"tagged:{failed[0]}")
        self.count("passed")
        # lang and lang_score: the LID stage reuses them when dedup leaves the text whole
        yield dataclasses.replace(doc, quality={**signals, "lang": lang}, quality_drops=tuple(failed),
                                  lang=lang, lang_score=score)


class FilterMinChars(Stage):
    namespace = "length"

    def __init__(self, min_chars: int):
        self.min_chars = min_chars

    def process(self, doc: Document):
        if long_enough(doc, self.min_chars, self.count):
            yield doc


class IdentifyLanguage(Stage):
    """Document -> Document with `lang`, kept when confident and wanted."""

    namespace = "lid"

    def __init__(self, model_path: str | None, threshold: float, languages: frozenset[str]):
        self.model_path, self.threshold, self.languages = model_path, threshold, languages

    def setup(self):
        self._identifier = LanguageIdentifier(self.model_path)

    def process(self, doc: Document):
        labelled = identify(doc, self._identifier, self.threshold, self.languages, self.count)
        if labelled is not None:
            yield labelled


class LanguageOfRemoved(Stage):
    """Document -> (lang, (1, characters)) for statistics of removed documents.

    Identified on the first PREFIX characters (fastText's cost is linear in
    the text, and a statistic needs no more); "und" when the model is not
    confident (same threshold as the LID stage).
    """

    PREFIX = 1000

    def __init__(self, model_path: str | None, threshold: float):
        self.model_path, self.threshold = model_path, threshold

    def setup(self):
        self._identifier = LanguageIdentifier(self.model_path)

    def process(self, doc: Document):
        lang, score = self._identifier.predict(doc.text[: self.PREFIX])
        yield (lang if score > self.threshold else "und"), (1, len(doc.text))
