"""MinHash signatures and LSH band keys of a document (datasketch), for near-duplicate detection.

Shingles are taken from the whole text normalised as for paragraph dedup
(CCNet's `normalize_for_dedup`, lines joined by spaces):
- word 5-grams for text written with spaces;
- character 5-grams when most letters belong to scripts written without
  spaces (Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan). A Chinese word
  averages 1.5-2 characters, so one edited word breaks about as large a share
  of a page's character 5-grams as it breaks of an English page's word
  5-grams: the same threshold then means about the same amount of editing.
  Shorter n would also match unrelated pages on common character runs.
A text shorter than n tokens is one shingle.

Bands and rows come from datasketch's own `_optimal_param` (what MinHashLSH
uses: minimise 0.5 x false-positive + 0.5 x false-negative area), so
`threshold=0.8, num_perm=128` gives 9 bands of 13 rows. The seed and the
permutation scheme are fixed, so every worker computes the same signature.
"""

from __future__ import annotations

import re

import numpy as np
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from .hashing import hash64
from .normalize import normalize_for_dedup

NGRAM = 5
SEED = 1
SCHEME = "affine32"  # datasketch 2's default, pinned so an upgrade cannot change signatures
_SPACELESS = re.compile(
    r"[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
_LETTER = re.compile(r"[^\W\d_]")


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) as datasketch's MinHashLSH would choose them."""
    return _optimal_param(threshold, num_perm, 0.5, 0.5)


def candidate_probability(jaccard: float, bands: int, rows: int) -> float:
    """P(two documents of this Jaccard similarity share at least one band)."""
    return 1.0 - (1.0 - jaccard**rows) ** bands


def is_spaceless(text: str) -> bool:
    """Whether most letters are of scripts written without spaces between words."""
    letters = len(_LETTER.findall(text))
    return letters > 0 and len(_SPACELESS.findall(text)) > letters / 2


def shingles(text: str) -> set[bytes]:
    """The document's shingles (see the module docstring), UTF-8 encoded."""
    normalized = " ".join(normalize_for_dedup(line) for line in text.split("\n"))
    if is_spaceless(normalized):
        units, joiner = list(normalized.replace(" ", "")), ""
    else:
        units, joiner = normalized.split(), " "
    if len(units) <= NGRAM:
        return {joiner.join(units).encode("utf-8")}
    return {joiner.join(units[i : i + NGRAM]).encode("utf-8") for i in range(len(units) - NGRAM + 1)}


class Signer:
    """Computes signatures and band keys; holds the permutations (made once)."""

    def __init__(self, num_perm: int, threshold: float):
        self.num_perm = num_perm
        self.bands, self.rows = lsh_params(threshold, num_perm)
        self._permutations = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME).permutations

    def signature(self, text: str) -> np.ndarray:
        minhash = MinHash(num_perm=self.num_perm, seed=SEED, scheme=SCHEME, permutations=self._permutations)
        minhash.update_batch(list(shingles(text)))
        return minhash.hashvalues

    def band_keys(self, text: str) -> list[tuple[int, int]]:
        """(band index, 64-bit hash of the band's rows) for each band."""
        values = self.signature(text)
        rows = self.rows
        return [(band, hash64(values[band * rows : (band + 1) * rows].tobytes())) for band in range(self.bands)]
