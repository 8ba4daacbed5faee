"""The paragraph hash: 64 bits of BLAKE2b over the normalised paragraph.

64 bits as CCNet; at 10^10 distinct paragraphs the expected number of
colliding pairs is about 3 (n^2 / 2^65), each costing one paragraph.
"""

from __future__ import annotations

from .hashing import hash64
from .normalize import normalize_for_dedup


def paragraph_hash(paragraph: str) -> int:
    """Hash of `paragraph` under CCNet's dedup normalisation."""
    return hash64(normalize_for_dedup(paragraph).encode("utf-8"))


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs are the non-empty lines of the text, stripped."""
    return [line for line in (raw.strip() for raw in text.split("\n")) if line]
