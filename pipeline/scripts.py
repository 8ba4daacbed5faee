"""Which texts are written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan)."""

from __future__ import annotations

import re

_SPACELESS = re.compile(
    r"[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
_LETTER = re.compile(r"[^\W\d_]")


def is_spaceless(text: str) -> bool:
    """Whether most letters are of scripts written without spaces between words."""
    letters = len(_LETTER.findall(text))
    return letters > 0 and len(_SPACELESS.findall(text)) > letters / 2
