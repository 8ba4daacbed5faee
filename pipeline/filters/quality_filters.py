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

import itertools
import re

import numpy as np

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


class WordNgrams:
    """Exact ranks of a text's word n-grams, for n = 2, 3, ... in turn (`advance()` from words).

    Equal n-grams get equal ranks: an n-gram's rank is that of the pair (rank of
    its first n-1 words, id of its last word), so counting, finding the first of
    the most frequent and spotting repeats are numpy sorts over integers instead
    of Python tuples of strings (about 4x faster on a page of 1,200 words). No
    hashing, hence no collisions: the results are those of the plain definitions.
    """

    def __init__(self, words: list[str]):
        # a word's id: the position of its first occurrence (so ids < len(words))
        first_at: dict[str, int] = {}
        self.ids = np.fromiter(map(first_at.setdefault, words, range(len(words))), dtype=np.int64,
                               count=len(words))
        self.vocabulary = max(len(words), 1)
        # ends[i]: characters of words[:i]
        self.ends = np.concatenate(([0], np.cumsum(np.fromiter(map(len, words), dtype=np.int64, count=len(words)))))
        self.n, self.ranks = 1, self.ids

    def advance(self) -> bool:
        """Move on to (n+1)-grams; False (and no move) when the text has fewer words than that."""
        if len(self.ids) <= self.n:
            return False
        pairs = self.ranks[:-1] * self.vocabulary + self.ids[self.n:]
        _, self.first, self.ranks, self.counts = np.unique(pairs, return_index=True, return_inverse=True,
                                                            return_counts=True)
        self.n += 1
        return True

    def top_chars(self) -> int:
        """Characters of the most frequent n-gram (joined by spaces; the first to appear among equals)
        times its count."""
        top = self.counts.max()
        start = int(self.first[self.counts == top].min())
        return (int(self.ends[start + self.n] - self.ends[start]) + self.n - 1) * int(top)

    def duplicated_chars(self) -> int:
        """Characters of n-grams seen before, scanning left to right and jumping past each repeat.

        Only positions whose n-gram occurs more than once can count, so the scan visits
        those alone.
        """
        repeated = np.flatnonzero(self.counts[self.ranks] > 1)
        if not len(repeated):
            return 0
        ranks, ends, n = self.ranks.tolist(), self.ends.tolist(), self.n
        seen: set[int] = set()
        chars = resume = 0
        for i in repeated.tolist():
            if i < resume:
                continue  # inside the repeat just counted
            if ranks[i] in seen:
                chars += ends[i + n] - ends[i]
                resume = i + n
            else:
                seen.add(ranks[i])
        return chars


def _ngrams_of(words: list[str], n: int) -> WordNgrams | None:
    grams = WordNgrams(words)
    while grams.n < n:
        if not grams.advance():
            return None
    return grams


def top_ngram_chars(words: list[str], n: int) -> int:
    """Characters of the most frequent word n-gram (joined by spaces) times its count; 0 under n words."""
    grams = _ngrams_of(words, n)
    return grams.top_chars() if grams else 0


def duplicated_ngram_chars(words: list[str], n: int) -> int:
    """Characters of word n-grams seen before (WordNgrams.duplicated_chars); 0 under n words."""
    grams = _ngrams_of(words, n)
    return grams.duplicated_chars() if grams else 0


def _frac(a: float, b: float) -> float:
    return a / b if b else 0.0


def measure(text: str, words: list[str], stopwords: frozenset[str]) -> dict[str, float | int]:
    """Every signal of `text` (`words`: its tokens, punctuation included)."""
    length = len(text)
    signals: dict[str, float | int] = {"chars": length}
    # Gopher repetition: lines of the unstripped text, split on runs of newlines
    lines = _NEWLINES.split(text)
    signals["dup_line_frac"] = _frac(_duplicates(lines)[0], len(lines))
    grams = WordNgrams(words)  # TOP_NGRAMS then DUP_NGRAMS: n = 2, 3, ..., 10 in turn
    repeats = True  # a repeated n-gram holds a repeated shorter one: none at 5, none beyond
    for n in (*TOP_NGRAMS, *DUP_NGRAMS):
        present = repeats and grams.advance()
        if n in TOP_NGRAMS:
            signals[f"top_{n}_gram_frac"] = _frac(grams.top_chars() if present else 0, length)
        else:
            chars = grams.duplicated_chars() if present else 0
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
    content_words = list(itertools.filterfalse(SYMBOLS.issuperset, words))  # a character that is not a symbol
    signals["words"] = len(content_words)
    signals["avg_word_length"] = _frac(sum(map(len, content_words)), len(content_words))
    signals["hash_ratio"] = _frac(text.count("#"), len(words))
    signals["ellipsis_ratio"] = _frac(text.count("...") + text.count("…"), len(words))
    all_lines = text.splitlines()
    signals["bullet_lines_frac"] = _frac(sum(line.lstrip().startswith(("•", "-")) for line in all_lines),
                                         len(all_lines))
    signals["ellipsis_lines_frac"] = _frac(sum(line.rstrip().endswith(("...", "…")) for line in all_lines),
                                           len(all_lines))
    # a word with a letter: all letters (the cheap test, true of most), or some
    not_all_alpha = list(itertools.filterfalse(str.isalpha, words))
    alpha = len(words) - len(not_all_alpha) + sum(1 for w in not_all_alpha if any(map(str.isalpha, w)))
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


def assess(text: str, settings: LanguageSettings, split_words, lang: str | None = None
           ) -> tuple[dict[str, float | int], list[str]]:
    """(signals, failed checks) of `text` under one language's settings; `split_words(text, lang)` gives its words."""
    signals = measure(text, split_words(text, lang), settings.stopwords)
    return signals, failures(signals, settings)
