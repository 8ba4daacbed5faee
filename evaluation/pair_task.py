"""The transfer task: are two paragraphs consecutive in the declaration, or from different places?

Labels follow from the parallel text itself, so the same pairs exist in every
language with nothing hand-labelled. English paragraph indices are split in two
ranges: classifiers train on pairs inside the first (English only) and are
tested on pairs inside the second, in every language, English included — the
test pairs never share a paragraph with the training pairs. Each anchor
paragraph i gives one positive (i, i+1) and one negative (i, j) with j drawn
from the same range away from i's neighbours. A language lacking any of the
three paragraphs loses both pairs of that anchor, so every test set stays
balanced and chance is 50%.
"""

from __future__ import annotations

import random

from xlmr.trainer.masking import derive_seed

CHANCE = 0.5
Anchor = tuple[int, int, int]  # (paragraph i, i + 1, a paragraph j away from i)


def split(n: int, train_share: float) -> tuple[range, range]:
    """(train, test) ranges of the n English paragraph indices."""
    cut = round(n * train_share)
    return range(0, cut), range(cut, n)


def anchors(indices: range, seed) -> list[Anchor]:
    """One anchor per paragraph but the last; the same `seed` gives the same negatives."""
    return [(i, i + 1, random.Random(derive_seed(seed, i)).choice([j for j in indices if abs(j - i) > 1]))
            for i in indices[:-1]]


def examples(chosen: list[Anchor], paragraphs: list[str | None]) -> list[tuple[str, str, int]]:
    """(first text, second text, label: 1 consecutive, 0 not), a positive and a negative per anchor
    whose three paragraphs this language has."""
    out = []
    for i, following, other in chosen:
        if None not in (paragraphs[i], paragraphs[following], paragraphs[other]):
            out += [(paragraphs[i], paragraphs[following], 1), (paragraphs[i], paragraphs[other], 0)]
    return out
