"""Words for the quality filters: ICU word boundaries, one rule for every script.

FineWeb-2 split words with a per-language tokenizer (spaCy, Stanza, IndicNLP,
jieba, pythainlp, khmer-nltk, laonlp, pyidaungsu, Kiwi, ...), and its thresholds
were fitted on those words. Here every language goes through ICU's word break
iterator (UAX #29, with ICU's dictionaries for Han and kana, Thai, Lao, Khmer and
Myanmar): one dependency of 18 MB that splits the spaceless scripts into
dictionary words, splits punctuation off as tokens the way spaCy does, and keeps
Indic combining vowel signs inside their words (Python's `\\w` would not).
docs/pipeline.md says where its words differ from FineWeb-2's and which checks
are off because of it.

Tokens are the non-whitespace segments, punctuation included, as datatrove's
`split_into_words` returns them. Two rules of spaCy's blank tokenizers (FineWeb-2's
for most languages) are followed where ICU differs, because they move the
alphabetic-words fraction across FineWeb-2's thresholds on ordinary pages: in
the languages of WHOLE_COMPOUNDS a hyphenated compound is one word ("Jean-Paul"),
and in those of ELISIONS an elided article or pronoun is a word of its own
("l'" "homme"; English "do" "n't"). Measured against datatrove's own tokenizers
in bench/quality_agreement.py.
"""

from __future__ import annotations

import bisect
import re

import icu

# A "symbol" character: punctuation, symbols and control characters (Unicode P*, S*,
# Cc). A token made only of these is a symbol word; digits and letters are not.
SYMBOLS = frozenset(icu.UnicodeSet("[[:P:][:S:][:Cc:]]"))
# Sentence-final marks of every script (Unicode's Sentence_Terminal property: . ! ? । ။ ። 。 ！ ？ ...);
# datatrove's hand-made list of ~159 marks covers the same ground. No … : ; or quotes.
TERMINAL_PUNCTUATION = frozenset(icu.UnicodeSet("[:Sentence_Terminal:]"))


# spaCy keeps "Jean-Paul" one token in these languages' blank tokenizers (elsewhere it splits the
# hyphen off, as ICU does); read from spaCy 3.8's per-language infix rules
WHOLE_COMPOUNDS = frozenset("ca da de el es fi fr hu it ky lb nb nl no pt ro sr sv tt".split())
# ... and splits after an apostrophe inside a word ("l'homme" -> "l'" "homme") in these
ELISIONS = frozenset("ca fr it".split())
HYPHENS = frozenset("-‐")
_HYPHEN = re.compile("[" + re.escape("".join(sorted(HYPHENS))) + "]")
APOSTROPHES = "'’"


def _compounds(text: str, segments: list[str], ends: list[int]) -> list[str]:
    """ICU's segments of `text` (spaces are segments of their own, so neighbours touch; `ends`: where each
    ends) with each run of letters, hyphen, letters joined into one."""
    joins = []
    for match in _HYPHEN.finditer(text):  # a scan in C: a page has far fewer hyphens than segments
        at = match.start()
        if 0 < at < len(text) - 1 and text[at - 1].isalpha() and text[at + 1].isalpha():
            i = bisect.bisect_right(ends, at)  # the segment holding the hyphen
            if segments[i] in HYPHENS:
                joins.append(i)
    out, done, j = [], 0, 0
    while j < len(joins):
        first, last = joins[j] - 1, joins[j] + 1
        while j + 1 < len(joins) and joins[j + 1] == last + 1:  # a chain: Leslie-Clio-Album
            j += 1
            last = joins[j] + 1
        out += segments[done:first]
        out.append("".join(segments[first:last + 1]))
        done, j = last + 1, j + 1
    return out + segments[done:]


def _elided(token: str) -> list[str]:
    """"l'homme" -> ["l'", "homme"]: a split after each apostrophe between letters."""
    parts, start = [], 0
    for i in range(1, len(token) - 1):
        if token[i] in APOSTROPHES and token[i - 1].isalpha() and token[i + 1].isalpha():
            parts.append(token[start:i + 1])
            start = i + 1
    return parts + [token[start:]]


def _english_contraction(token: str) -> list[str]:
    """spaCy's English rules: "don't" -> ["do", "n't"], "it's" -> ["it", "'s"]."""
    lower = token.lower().replace("’", "'")
    for suffix in ("n't", "'s"):
        if lower.endswith(suffix) and len(token) > len(suffix):
            return [token[:-len(suffix)], token[-len(suffix):]]
    return [token]


# how a word with an apostrophe splits, per language
_APOSTROPHE_SPLITS = {**dict.fromkeys(ELISIONS, _elided), "en": _english_contraction}


class WordSplitter:
    """`split(text, lang) -> tokens`. Holds one ICU break iterator: one instance per thread."""

    def __init__(self):
        self._breaker = None

    def split(self, text: str, lang: str | None = None) -> list[str]:
        if self._breaker is None:  # made lazily: a BreakIterator does not pickle
            self._breaker = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
        breaker = self._breaker
        breaker.setText(text)
        ends = list(breaker)
        segments = [text[start:end] for start, end in zip([0, *ends], ends)]
        if lang in WHOLE_COMPOUNDS:
            segments = _compounds(text, segments, ends)
        words = [segment.strip() for segment in segments if not segment.isspace()]
        split_word = _APOSTROPHE_SPLITS.get(lang)
        if split_word is None or (APOSTROPHES[0] not in text and APOSTROPHES[1] not in text):
            return words
        return [part for word in words
                for part in (split_word(word) if APOSTROPHES[0] in word or APOSTROPHES[1] in word else (word,))]

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self._breaker = None

