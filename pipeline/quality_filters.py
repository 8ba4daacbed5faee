"""FineWeb-2's heuristic quality filters as pure functions: measure a text, then judge it.

`measure(text, words, stopwords)` computes every signal once (the Parquet
`quality` column keeps them, so a corpus can be re-filtered without a rerun);
`failures(signals, settings)` names the checks a language's thresholds fail, in
datatrove's order: Gopher repetition, FineWeb quality, Gopher quality.
Definitions follow datatrove (Rae et al. 2021 table A1 for Gopher; FineWeb's
line heuristics), with FineWeb-2's settings: paragraph checks, the duplicated-line
character fraction and the short-line check are off.

As in datatrove, a Gopher threshold of 0 (or None) switches its check off, while
the FineWeb thresholds compare literally (line_punct_thr 0 never drops); here
None switches any check off.
"""

from __future__ import annotations

import collections
import itertools
import re

from .quality_settings import LanguageSettings
from .words import SYMBOLS, TERMINAL_PUNCTUATION

TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)

# Every signal, in the order of the Parquet struct; ints are counts, the rest fractions or ratios.
SIGNALS = (
    "chars", "dup_line_frac", *(f"top_{n}_gram_frac" for n in TOP_NGRAMS), *(f"dup_{n}_gram_frac" for n in DUP_NGRAMS),
    "lines", "line_punct_frac", "char_dup_frac", "new_line_ratio",
    "words", "avg_word_length", "hash_ratio", "ellipsis_ratio", "bullet_lines_frac", "ellipsis_lines_frac",
    "alpha_words_frac", "stop_words",
)
INT_SIGNALS = ("chars", "lines", "words", "stop_words")

# Every check that can drop a document, in the order they are applied.
CHECKS = (
    "dup_line_frac", *(f"top_{n}_gram" for n in TOP_NGRAMS), *(f"dup_{n}_gram" for n in DUP_NGRAMS),
    "empty", "line_punct", "char_dup", "new_line_ratio",
    "min_words", "max_words", "min_avg_word_length", "max_avg_word_length", "hash_ratio", "ellipsis_ratio",
    "bullet_lines", "ellipsis_lines", "alpha_words", "stop_words",
)

_NEWLINES = re.compile(r"\n+")


def _duplicates(elements) -> tuple[int, int]:
    """(elements equal to an earlier one, their characters): first occurrences never count."""
    seen: set[str] = set()
    count = chars = 0
    for element in elements:
        if element in seen:
            count += 1
            chars += len(element)
        else:
            seen.add(element)
    return count, chars


def _ngrams(words: list[str], n: int) -> list[tuple[str, ...]]:
    return list(zip(*(itertools.islice(words, i, None) for i in range(n))))


def top_ngram_chars(words: list[str], n: int) -> int:
    """Characters of the most frequent word n-gram (joined by spaces) times its count; 0 under n words."""
    if len(words) < n:
        return 0
    gram, count = collections.Counter(_ngrams(words, n)).most_common(1)[0]
    return (sum(map(len, gram)) + n - 1) * count


def duplicated_ngram_chars(words: list[str], n: int) -> int:
    """Characters of word n-grams seen before, scanning left to right and jumping past each repeat.

    Only positions whose n-gram occurs more than once can count, so the scan visits
    those alone (the others only fill `seen` with n-grams that never come back).
    """
    grams = _ngrams(words, n)
    counts = collections.Counter(grams)
    if len(counts) == len(grams):  # no n-gram repeats
        return 0
    repeated = itertools.compress(range(len(grams)), map((1).__lt__, map(counts.__getitem__, grams)))
    ends = list(itertools.accumulate(map(len, words), initial=0))  # ends[i]: characters of words[:i]
    seen: set[tuple[str, ...]] = set()
    chars = resume = 0
    for i in repeated:
        if i < resume:
            continue  # inside the repeat just counted
        gram = grams[i]
        if gram in seen:
            chars += ends[i + n] - ends[i]
            resume = i + n
        else:
            seen.add(gram)
    return chars


def _frac(a: float, b: float) -> float:
    return a / b if b else 0.0


def measure(text: str, words: list[str], stopwords: frozenset[str]) -> dict[str, float | int]:
    """Every signal of `text` (`words`: its tokens, punctuation included)."""
    length = len(text)
    signals: dict[str, float | int] = {"chars": length}
    # Gopher repetition: lines of the unstripped text, split on runs of newlines
    lines = _NEWLINES.split(text)
    signals["dup_line_frac"] = _frac(_duplicates(lines)[0], len(lines))
    for n in TOP_NGRAMS:
        signals[f"top_{n}_gram_frac"] = _frac(top_ngram_chars(words, n), length)
    repeats = True  # a repeated n-gram holds a repeated shorter one: none at 5, none beyond
    for n in DUP_NGRAMS:
        chars = duplicated_ngram_chars(words, n) if repeats else 0
        repeats = chars > 0
        signals[f"dup_{n}_gram_frac"] = _frac(chars, length)
    # FineWeb quality: the non-blank lines, untrimmed
    content_lines = [line for line in text.split("\n") if line.strip()]
    punctuated = sum(line[-1] in TERMINAL_PUNCTUATION for line in content_lines)
    signals["lines"] = len(content_lines)
    signals["line_punct_frac"] = _frac(punctuated, len(content_lines))
    signals["char_dup_frac"] = _frac(_duplicates(content_lines)[1], length - text.count("\n"))
    signals["new_line_ratio"] = _frac(text.count("\n"), len(words))
    # Gopher quality
    content_words = [w for w in words if not SYMBOLS.issuperset(w)]  # a character that is not a symbol
    signals["words"] = len(content_words)
    signals["avg_word_length"] = _frac(sum(map(len, content_words)), len(content_words))
    signals["hash_ratio"] = _frac(text.count("#"), len(words))
    signals["ellipsis_ratio"] = _frac(text.count("...") + text.count("…"), len(words))
    all_lines = text.splitlines()
    signals["bullet_lines_frac"] = _frac(sum(line.lstrip().startswith(("•", "-")) for line in all_lines),
                                         len(all_lines))
    signals["ellipsis_lines_frac"] = _frac(sum(line.rstrip().endswith(("...", "…")) for line in all_lines),
                                           len(all_lines))
    alpha = sum(1 for w in words if w.isalpha() or any(ch.isalpha() for ch in w))  # the first test is the cheap one
    signals["alpha_words_frac"] = _frac(alpha, len(words))
    signals["stop_words"] = len(stopwords.intersection(words))
    return signals


def failures(signals: dict[str, float | int], s: LanguageSettings) -> list[str]:
    """The CHECKS that `signals` fail under `s`, in order (empty: keep)."""
    failed = []

    def above(check: str, value, limit, literal: bool = False):
        if limit is not None and (literal or limit) and value > limit:
            failed.append(check)

    above("dup_line_frac", signals["dup_line_frac"], s.dup_line_frac)
    for n, limit in s.top_n_grams:
        above(f"top_{n}_gram", signals[f"top_{n}_gram_frac"], limit)
    for n, limit in s.dup_n_grams:
        above(f"dup_{n}_gram", signals[f"dup_{n}_gram_frac"], limit)
    if not signals["lines"]:
        failed.append("empty")
    elif s.line_punct_thr is not None and signals["line_punct_frac"] < s.line_punct_thr:
        failed.append("line_punct")
    above("char_dup", signals["char_dup_frac"], s.char_duplicates_ratio, literal=True)
    above("new_line_ratio", signals["new_line_ratio"], s.new_line_ratio, literal=True)
    if s.min_doc_words and signals["words"] < s.min_doc_words:
        failed.append("min_words")
    above("max_words", signals["words"], s.max_doc_words)
    if s.min_avg_word_length and signals["avg_word_length"] < s.min_avg_word_length:
        failed.append("min_avg_word_length")
    above("max_avg_word_length", signals["avg_word_length"], s.max_avg_word_length)
    above("hash_ratio", signals["hash_ratio"], s.max_symbol_word_ratio)
    above("ellipsis_ratio", signals["ellipsis_ratio"], s.max_symbol_word_ratio)
    above("bullet_lines", signals["bullet_lines_frac"], s.max_bullet_lines_ratio)
    above("ellipsis_lines", signals["ellipsis_lines_frac"], s.max_ellipsis_lines_ratio)
    if s.max_non_alpha_words_ratio and signals["alpha_words_frac"] < s.max_non_alpha_words_ratio:
        failed.append("alpha_words")
    if s.stopwords and s.min_stop_words and signals["stop_words"] < s.min_stop_words:
        failed.append("stop_words")
    return failed


def assess(text: str, settings: LanguageSettings, split_words) -> tuple[dict[str, float | int], list[str]]:
    """(signals, failed checks) of `text` under one language's settings."""
    signals = measure(text, split_words(text), settings.stopwords)
    return signals, failures(signals, settings)
