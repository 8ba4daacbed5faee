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
APOSTROPHES = "'’"


def _compounds(tokens: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Letters, a hyphen, letters, with nothing between them: one token."""
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(tokens):
        token, start, end = tokens[i]
        while (i + 2 < len(tokens) and tokens[i + 1][0] in HYPHENS and tokens[i + 1][1] == end
               and tokens[i + 2][1] == tokens[i + 1][2] and token[-1].isalpha() and tokens[i + 2][0][0].isalpha()):
            token, end = token + tokens[i + 1][0] + tokens[i + 2][0], tokens[i + 2][2]
            i += 2
        out.append((token, start, end))
        i += 1
    return out


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


class WordSplitter:
    """`split(text, lang) -> tokens`. Holds one ICU break iterator: one instance per thread."""

    def __init__(self):
        self._breaker = None

    def split(self, text: str, lang: str | None = None) -> list[str]:
        if self._breaker is None:  # made lazily: a BreakIterator does not pickle
            self._breaker = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
        breaker = self._breaker
        breaker.setText(text)
        tokens, start = [], breaker.first()
        for end in breaker:
            token = text[start:end]
            if not token.isspace():
                tokens.append((token.strip(), start, end))
            start = end
        if lang in WHOLE_COMPOUNDS:
            tokens = _compounds(tokens)
        words = [token for token, _, _ in tokens]
        if lang in ELISIONS:
            return [part for word in words for part in (_elided(word) if "'" in word or "’" in word else (word,))]
        if lang == "en":
            return [part for word in words for part in (_english_contraction(word) if "'" in word or "’" in word
                                                        else (word,))]
        return words

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self._breaker = None

