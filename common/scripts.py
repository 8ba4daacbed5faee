"""Scripts: which texts are written without spaces between words, and which script family a text is in."""

from __future__ import annotations

import collections
import re
import unicodedata

_SPACELESS = re.compile(
    r"[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
_LETTER = re.compile(r"[^\W\d_]")


def is_spaceless(text: str) -> bool:
    """Whether most letters are of scripts written without spaces between words."""
    letters = len(_LETTER.findall(text))
    return letters > 0 and len(_SPACELESS.findall(text)) > letters / 2


# First word of a letter's Unicode name -> the family it is reported under.
_FAMILIES = {
    "LATIN": "Latin", "CYRILLIC": "Cyrillic", "GREEK": "Greek", "ARABIC": "Arabic", "HEBREW": "Hebrew",
    "CJK": "CJK", "HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK",
    "DEVANAGARI": "Indic", "BENGALI": "Indic", "GURMUKHI": "Indic", "GUJARATI": "Indic", "ORIYA": "Indic",
    "TAMIL": "Indic", "TELUGU": "Indic", "KANNADA": "Indic", "MALAYALAM": "Indic", "SINHALA": "Indic",
    "THAI": "Southeast Asian", "LAO": "Southeast Asian", "KHMER": "Southeast Asian", "MYANMAR": "Southeast Asian",
}


def script_family(text: str, sample: int = 2000) -> str:
    """The script family most letters of `text` (its first `sample` characters) belong to, or "Other"."""
    counts = collections.Counter(
        _FAMILIES.get(unicodedata.name(ch, "?").split(" ")[0], "Other") for ch in _LETTER.findall(text[:sample]))
    return counts.most_common(1)[0][0] if counts else "Other"
