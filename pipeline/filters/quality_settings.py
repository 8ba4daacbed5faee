"""Per-language quality thresholds: FineWeb-2's published table, loaded and checked.

`data/quality_thresholds.json` (provenance in `data/PROVENANCE.md`) holds, per
lid.176 code, the values FineWeb-2 fitted for that language (`languages`), and a
`default` entry for languages it has no values for. An entry names only what
differs from FineWeb-2's pipeline-wide settings (`FIXED`); null turns a check off.
`--quality-thresholds FILE` takes a table of the same shape.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from importlib import resources

from xlmr.common import files
from xlmr.common.argtypes import UsageError
from xlmr.common.language_codes import CC100_LANGUAGES, LID176_LABELS, LID176_RENAMES, _CODE_SHAPE

DEFAULT_TABLE = "quality_thresholds.json"

# fineweb-2-pipeline.py's settings that are not in the per-language YAML, plus
# datatrove's defaults it keeps. The per-language keys have datatrove's defaults here.
FIXED = {
    "dup_line_frac": 0.3,
    "top_n_grams": ((2, 0.20), (3, 0.18), (4, 0.16)),
    "dup_n_grams": ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)),
    "min_doc_words": 50,
    "max_doc_words": 100_000,
    "min_avg_word_length": 3,
    "max_avg_word_length": 10,
    "max_symbol_word_ratio": 0.1,
    "max_bullet_lines_ratio": 0.9,
    "max_ellipsis_lines_ratio": 0.3,
    "max_non_alpha_words_ratio": 0.8,
    "stopwords": (),
    "min_stop_words": 2,
    "line_punct_thr": 0.12,
    "char_duplicates_ratio": 0.1,
    "new_line_ratio": 0.3,
}
# In the table for provenance, not used: FineWeb-2's config name, and its GlotLID
# confidence threshold, which does not transfer to lid.176's probabilities.
IGNORED = ("config", "language_score")


class ThresholdError(UsageError):
    """A threshold table that cannot be used; the message names the entry and what would be right."""


@dataclasses.dataclass(frozen=True)
class LanguageSettings:
    """The thresholds for one language. None: that check is off."""

    dup_line_frac: float | None
    top_n_grams: tuple[tuple[int, float], ...]
    dup_n_grams: tuple[tuple[int, float], ...]
    min_doc_words: int | None
    max_doc_words: int | None
    min_avg_word_length: float | None
    max_avg_word_length: float | None
    max_symbol_word_ratio: float | None
    max_bullet_lines_ratio: float | None
    max_ellipsis_lines_ratio: float | None
    max_non_alpha_words_ratio: float | None
    stopwords: frozenset[str]
    min_stop_words: int | None
    line_punct_thr: float | None
    char_duplicates_ratio: float | None
    new_line_ratio: float | None


_NGRAM_SIZES = {"top_n_grams": range(2, 5), "dup_n_grams": range(5, 11)}


def _number(where: str, key: str, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ThresholdError(f"{where}: {key} = {value!r}; expected a number >= 0, or null to turn the check off")
    return value


def _ngrams(where: str, key: str, value) -> tuple[tuple[int, float], ...]:
    if value is None:
        return ()
    sizes = _NGRAM_SIZES[key]
    shape = f"a list of [n, fraction] pairs with n in {sizes.start}..{sizes.stop - 1}"
    if not isinstance(value, (list, tuple)):
        raise ThresholdError(f"{where}: {key} = {value!r}; expected {shape}")
    pairs = []
    for pair in value:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[0] in sizes):
            raise ThresholdError(f"{where}: {key} holds {pair!r}; expected {shape}")
        pairs.append((int(pair[0]), _number(where, f"{key}[{pair[0]}]", pair[1])))
    return tuple(pairs)


def settings_from(entry: dict, where: str) -> LanguageSettings:
    """One table entry on top of FIXED; raises ThresholdError naming `where`."""
    if not isinstance(entry, dict):
        raise ThresholdError(f"{where}: expected an object of thresholds, got {type(entry).__name__}")
    unknown = sorted(set(entry) - set(FIXED) - set(IGNORED))
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(FIXED), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(FIXED)}"
        raise ThresholdError(f"{where}: unknown key {unknown[0]!r}{hint}")
    values = {**FIXED, **{k: v for k, v in entry.items() if k not in IGNORED}}
    stopwords = values["stopwords"] or ()
    if not isinstance(stopwords, (list, tuple)) or not all(isinstance(w, str) for w in stopwords):
        raise ThresholdError(f"{where}: stopwords must be a list of strings")
    fields = {}
    for key, value in values.items():
        if key in _NGRAM_SIZES:
            fields[key] = _ngrams(where, key, value)
        elif key == "stopwords":
            fields[key] = frozenset(stopwords)
        else:
            fields[key] = _number(where, key, value)
    return LanguageSettings(**fields)


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """Settings per language code (lid.176's, and GlotLID's label for each FineWeb-2 config),
    and for every other language (`default`; None: not filtered)."""

    languages: dict[str, LanguageSettings]
    default: LanguageSettings | None

    def for_language(self, lang: str) -> LanguageSettings | None:
        return self.languages.get(lang, self.default)


def parse_table(table, source: str, lid176: bool = True) -> Thresholds:
    """A decoded JSON table -> Thresholds; raises ThresholdError on anything malformed."""
    if not isinstance(table, dict) or not isinstance(table.get("languages"), dict):
        raise ThresholdError(f"{source}: expected a JSON object with a \"languages\" object mapping "
                             "language codes to thresholds (see the shipped quality_thresholds.json)")
    # CC-100's ha, om and xh are not lid.176 labels but are in FineWeb-2's table (for GlotLID runs)
    known = {LID176_RENAMES.get(x, x) for x in LID176_LABELS} | CC100_LANGUAGES
    languages, by_label = {}, {}
    for code, entry in table["languages"].items():
        if not isinstance(code, str) or not _CODE_SHAPE.match(code):
            raise ThresholdError(f"{source}: {code!r} is not a language code; expected e.g. de, zh or eng_Latn")
        if lid176 and code not in known:
            close = difflib.get_close_matches(code, sorted(known), n=3)
            hint = f" (close: {', '.join(close)})" if close else ""
            raise ThresholdError(f"{source}: lid.176 never emits {code!r}{hint}; use its codes as written in "
                                 "_stats.json, or pass --lid-model with a model that emits it")
        languages[code] = settings_from(entry, f"{source}: languages.{code}")
        if isinstance(entry.get("config"), str) and _CODE_SHAPE.match(entry["config"]):
            by_label[entry["config"]] = languages[code]  # FineWeb-2's name is GlotLID's label: deu_Latn
    default = table.get("default")
    default = None if default is None else settings_from(default, f"{source}: default")
    return Thresholds({**by_label, **languages}, default)


def load_thresholds(path: str | None = None, lid176: bool = True) -> Thresholds:
    """The shipped table, or the one at `path` (local, gs:// or s3://)."""
    if path is None:
        text = resources.files("xlmr.pipeline.data").joinpath(DEFAULT_TABLE).read_text(encoding="utf-8")
        source = DEFAULT_TABLE
    else:
        try:
            text = files.read_text(path)
        except Exception as exc:
            raise ThresholdError(f"--quality-thresholds {path}: cannot read it ({type(exc).__name__}: {exc})") from exc
        source = f"--quality-thresholds {path}"
    try:
        table = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ThresholdError(f"{source}: not valid JSON ({exc})") from exc
    return parse_table(table, source, lid176)
