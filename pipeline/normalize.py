"""CCNet's `normalize_for_dedup`: the key under which two paragraphs count as the same.

strip, lowercase, every Unicode digit -> "0", then delete CCNet's set of
unicode punctuation and the C0/C1 control characters. `normalize_for_dedup`
is one `str.translate`; `slow_normalize_for_dedup` follows CCNet's regex steps
literally and the tests hold the two equal.
"""

from __future__ import annotations

import re
import sys
import unicodedata

# cc_net/text_normalizer.py UNICODE_PUNCT keys: the characters it deletes for dedup.
UNICODE_PUNCT = "，。、„”“«»１」「《》´∶：？！（）；–—．～’…━〈〉【】％►"
CONTROL_CHARS = "".join(map(chr, [*range(0x00, 0x20), *range(0x7F, 0xA0)]))

_DIGIT_RE = re.compile(r"\d")
_DELETE_RE = re.compile("[" + re.escape(UNICODE_PUNCT + CONTROL_CHARS) + "]")


def _translation_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(c): None for c in UNICODE_PUNCT + CONTROL_CHARS}
    # Digits win over deletion ("１" is both), as in CCNet where digits go first.
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp)) == "Nd":
            table[cp] = "0"
    return table


_TABLE = _translation_table()


def normalize_for_dedup(paragraph: str) -> str:
    """Fast path: one translate over the stripped, lowercased paragraph."""
    return paragraph.strip().lower().translate(_TABLE)


def slow_normalize_for_dedup(paragraph: str) -> str:
    """Reference: CCNet's steps one by one (used by the tests only)."""
    paragraph = paragraph.strip()
    if not paragraph:
        return paragraph
    paragraph = paragraph.lower()
    paragraph = _DIGIT_RE.sub("0", paragraph)
    return _DELETE_RE.sub("", paragraph)
