"""MinHash signatures and LSH band keys of a document (datasketch-compatible), for near-duplicate detection.

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

Signatures are datasketch 2's `MinHash(num_perm, seed=1, scheme="affine32")`
over the shingle hashes, and bands and rows what its MinHashLSH chooses
(minimise 0.5 x false-positive + 0.5 x false-negative area), so
`threshold=0.8, num_perm=128` gives 9 bands of 13 rows: the tests hold both
equal to datasketch's own. They are computed here, in numpy, because importing
datasketch (it pulls in scipy) costs ~0.5 s in every worker process. The seed
and the permutation scheme are fixed, so every worker computes the same signature.
"""

from __future__ import annotations

import zlib

import numpy as np

from xlmr.common.scripts import is_spaceless

from .hashing import hash64, normalize_for_dedup

NGRAM = 5
SCRIPT_SAMPLE = 2000  # characters that decide words vs characters (one script per page, mostly)
SEED = 1
SCHEME = "affine32"  # datasketch 2's default scheme, the one computed here
_MASK32 = np.uint64(0xFFFFFFFF)
# Odd constants (from the golden ratio and murmur3) weighting each position of a 5-gram.
_POSITION_MULTIPLIERS = [np.uint64(c) for c in (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1)]


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(50)  # exact for these smooth integrands to ~1e-15


def _integral(f, lo: float, hi: float) -> float:
    s = (hi - lo) / 2 * _NODES + (hi + lo) / 2
    return (hi - lo) / 2 * float(np.dot(_WEIGHTS, f(s)))


def _error(threshold: float, bands: int, rows: int) -> float:
    """0.5 x false-positive area + 0.5 x false-negative area of `bands` bands of `rows` rows."""
    def miss(s):  # P(no band in common) at Jaccard similarity s
        return (1 - s**rows) ** bands

    return 0.5 * _integral(lambda s: 1 - miss(s), 0.0, threshold) + 0.5 * _integral(miss, threshold, 1.0)


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) as datasketch's MinHashLSH would choose them (its `_optimal_param`, weights 0.5/0.5):
    the first pair, in its search order, of least error."""
    pairs = [(bands, rows) for bands in range(1, num_perm + 1) for rows in range(1, num_perm // bands + 1)]
    return min(pairs, key=lambda pair: _error(threshold, *pair))


def permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations for SEED: odd multipliers a and offsets b, uint32."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def candidate_probability(jaccard: float, bands: int, rows: int) -> float:
    """P(two documents of this Jaccard similarity share at least one band)."""
    return 1.0 - (1.0 - jaccard**rows) ** bands


def shingle_hashes(text: str) -> np.ndarray:
    """The document's distinct shingles as 32-bit hashes (see the module docstring).

    Vectorised instead of hashing each shingle's bytes in Python (datasketch's
    default SHA-1 per shingle cost ~3 ms a page): tokens are hashed once
    (a word's CRC-32, a character's code point), and each 5-gram's hash is a
    fixed linear combination of its tokens' hashes mod 2^32. datasketch's
    affine32 scheme mixes every input hash with murmur3's finaliser before
    permuting, so this weak-looking combination is enough.
    """
    # Newlines first become spaces: normalisation deletes control characters.
    normalized = normalize_for_dedup(text.replace("\n", " "))
    if is_spaceless(normalized[:SCRIPT_SAMPLE]):
        codes = np.frombuffer(normalized.replace(" ", "").encode("utf-32-le"), dtype=np.uint32)
    else:
        words = normalized.split()
        codes = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint32, count=len(words))
    codes = codes.astype(np.uint64)
    n = min(NGRAM, len(codes))
    windows = np.zeros(len(codes) - n + 1, dtype=np.uint64)
    for k in range(n):
        windows = (windows + codes[k : len(codes) - n + 1 + k] * _POSITION_MULTIPLIERS[k]) & _MASK32
    return np.unique(windows).astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, which datasketch's affine32 scheme applies to every input hash."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


class Signer:
    """Computes signatures and band keys; holds the permutations (made once)."""

    CHUNK = 2048  # shingles permuted at a time: bounds the temporary to CHUNK x num_perm uint32

    def __init__(self, num_perm: int, threshold: float):
        self.bands, self.rows = lsh_params(threshold, num_perm)
        self._a, self._b = permutations(num_perm)

    def signature(self, text: str) -> np.ndarray:
        """What datasketch's `MinHash(num_perm, seed=SEED, scheme=SCHEME, hashfunc=int).update_batch(shingles)`
        gives (tested), without its per-shingle Python loop: min over shingles of a * fmix32(h) + b mod 2^32."""
        mixed = _fmix32(shingle_hashes(text))[:, None]
        return np.min([(chunk * self._a + self._b).min(axis=0)
                       for chunk in np.split(mixed, range(self.CHUNK, len(mixed), self.CHUNK))], axis=0)

    def band_keys(self, text: str) -> list[tuple[int, int]]:
        """(band index, 64-bit hash of the band's rows) for each band."""
        values = self.signature(text)
        rows = self.rows
        return [(band, hash64(values[band * rows : (band + 1) * rows].tobytes())) for band in range(self.bands)]
