"""The transfer task: are two paragraphs consecutive in the declaration, or from different places?

Labels follow from the parallel text itself, so the same pairs exist in every
language with nothing hand-labelled. English paragraph indices are split in two
ranges: classifiers train on pairs inside the first (English only) and are
tested on pairs inside the second, in every language, English included — the
test pairs never share a paragraph with the training pairs. Each anchor
paragraph i gives one positive (i, i+1) and one negative (i, j) with j drawn
from the same range away from i's neighbours, so a test set is balanced and
chance is 50% (reported per language, as a paragraph missing from a language's
alignment drops its pairs there).
"""

from __future__ import annotations

import random

from xlmr.trainer.masking import derive_seed

Pair = tuple[int, int, int]  # (first paragraph index, second, label: 1 consecutive, 0 not)


def split(n: int, train_share: float) -> tuple[range, range]:
    """(train, test) ranges of the n English paragraph indices."""
    cut = round(n * train_share)
    return range(0, cut), range(cut, n)


def pairs(indices: range, seed) -> list[Pair]:
    """One positive and one negative per anchor; the same `seed` gives the same pairs."""
    out = []
    for i in indices[:-1]:
        rng = random.Random(derive_seed(seed, i))
        out.append((i, i + 1, 1))
        out.append((i, rng.choice([j for j in indices if abs(j - i) > 1]), 0))
    return out


def examples(chosen: list[Pair], paragraphs: list[str | None]) -> list[tuple[str, str, int]]:
    """(first text, second text, label) for the pairs whose paragraphs both exist in this language."""
    return [(paragraphs[a], paragraphs[b], label) for a, b, label in chosen
            if paragraphs[a] is not None and paragraphs[b] is not None]


def majority_share(chosen: list[tuple[str, str, int]]) -> float:
    """The accuracy of always answering the more frequent label: the chance level of a test set."""
    positives = sum(label for *_, label in chosen)
    return max(positives, len(chosen) - positives) / len(chosen)
