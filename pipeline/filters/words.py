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
`split_into_words` returns them.
"""

from __future__ import annotations

import icu

# A "symbol" character: punctuation, symbols and control characters (Unicode P*, S*,
# Cc). A token made only of these is a symbol word; digits and letters are not.
SYMBOLS = frozenset(icu.UnicodeSet("[[:P:][:S:][:Cc:]]"))
# Sentence-final marks of every script (Unicode's Sentence_Terminal property: . ! ? । ။ ። 。 ！ ？ ...);
# datatrove's hand-made list of ~159 marks covers the same ground. No … : ; or quotes.
TERMINAL_PUNCTUATION = frozenset(icu.UnicodeSet("[:Sentence_Terminal:]"))


class WordSplitter:
    """`split(text) -> tokens`. Holds one ICU break iterator: one instance per thread."""

    def __init__(self):
        self._breaker = None

    def split(self, text: str) -> list[str]:
        if self._breaker is None:  # made lazily: a BreakIterator does not pickle
            self._breaker = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
        breaker = self._breaker
        breaker.setText(text)
        words, start = [], breaker.first()
        for end in breaker:
            token = text[start:end]
            if not token.isspace():
                words.append(token.strip())
            start = end
        return words

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self._breaker = None

