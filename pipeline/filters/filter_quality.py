"""`FilterQuality`, the Stage of FineWeb-2's quality filters, and the names of its per-language tallies."""

from __future__ import annotations

import dataclasses
import logging

from ..records import Document
from ..stage import PASSED, QUALITY, Stage, counter_name
from .language_id import LanguageIdentifier
from .quality_filters import assess
from .quality_settings import Thresholds
from .words import WordSplitter

log = logging.getLogger(__name__)

FILTERED, TAGGED = "filtered:", "tagged:"  # the count of a check that dropped, or (--quality tag) tagged, a document
ENTERED = "in"  # a language's tally of the documents the filters judged
_LANGUAGE = "lang:"
LANGUAGE_TALLY_PREFIX = counter_name(QUALITY, _LANGUAGE)


def language_tally(lang: str, check: str, chars: bool = False) -> str:
    """The tally of `lang`'s documents (or their characters) that `check` removed, or that entered (ENTERED)."""
    return f"{_LANGUAGE}{lang}:{check}" + (":chars" if chars else "")


def parse_language_tally(name: str) -> tuple[str, str, bool]:
    """(lang, check, whether it counts characters) of a tally's full counter name."""
    lang, check, *chars = name[len(LANGUAGE_TALLY_PREFIX):].split(":")
    return lang, check, bool(chars)


class FilterQuality(Stage):
    """Document -> Document with its quality signals; dropped (`filter`) or tagged (`tag`) when a check fails.

    The thresholds are those of the language lid.176 gives the text the filters
    see (the whole page, before paragraph dedup; the LID stage decides again on
    the deduplicated text). Each document is attributed to the first check it
    fails, so the per-check counts add up; `quality_drops` lists them all.
    Per language, `language_tally` names count documents and their characters, for
    `_stats.json` (not as metrics).
    """

    namespace = QUALITY

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
            self.count(PASSED)
            yield dataclasses.replace(doc, lang=lang, lang_score=score)
            return
        try:
            signals, failed = assess(doc.text, settings, self._words.split, lang)
        except Exception as exc:  # a filter that raises on some text costs that text only
            self.count("filtered:filter_error")
            log.warning("%s: quality filters failed, %s: %s", doc.url, type(exc).__name__, exc)
            return
        chars = len(doc.text)
        self.tally(language_tally(lang, ENTERED))
        self.tally(language_tally(lang, ENTERED, chars=True), chars)
        if failed:
            self.tally(language_tally(lang, failed[0]))
            self.tally(language_tally(lang, failed[0], chars=True), chars)
            if self.mode == "filter":
                self.count(FILTERED + failed[0])
                return
            self.count(TAGGED + failed[0])
        self.count(PASSED)
        # lang and lang_score: the LID stage reuses them when dedup leaves the text whole
        yield dataclasses.replace(doc, quality={**signals, "lang": lang}, quality_drops=tuple(failed),
                                  lang=lang, lang_score=score)
