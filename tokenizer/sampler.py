"""Drawing the tokenizer's training paragraphs: α-sampled per language, streamed, reproducible.

Per language (n paragraphs in `_stats.json`): the first `heldout` paragraphs of
its seeded stream are held out for the fertility report; of the remaining
n' = n - heldout, a quota q = p_i x total is drawn in one pass: every
paragraph q // n' times (upsampling, as XLM-R repeats small languages), plus
q mod n' more chosen by selection sampling (Knuth's Algorithm S: exactly that
many, uniformly, O(1) memory).
"""

from __future__ import annotations

import dataclasses
import random
from typing import Callable, Iterator

from xlmr.common.alpha_sampling import allocate, sampling_probabilities
from xlmr.common.corpus_reader import Corpus


@dataclasses.dataclass
class LanguagePlan:
    lang: str
    paragraphs: int  # n_i in _stats.json
    probability: float  # p_i at the chosen alpha
    proportional: float  # p_i at alpha = 1, for comparison
    requested: int  # paragraphs to draw
    heldout: int  # first paragraphs of the stream, kept out of training
    drawn: int = 0

    @property
    def available(self) -> int:
        return self.paragraphs - self.heldout

    @property
    def upsampling(self) -> float:
        """How many times each available paragraph is used, on average (> 1: repeated)."""
        return self.requested / self.available if self.available else 0.0


def make_plan(sizes: dict[str, int], total: int, alpha: float, heldout: int) -> list[LanguagePlan]:
    """One plan per language, largest first. `heldout` is capped at a tenth of a language."""
    probabilities = sampling_probabilities(sizes, alpha)
    proportional = sampling_probabilities(sizes, 1.0)
    requested = allocate(total, probabilities)
    plans = [
        LanguagePlan(lang, n, probabilities[lang], proportional[lang], requested[lang], min(heldout, n // 10))
        for lang, n in sizes.items()
    ]
    return sorted(plans, key=lambda p: (-p.paragraphs, p.lang))


def draw(
    corpus: Corpus, plan: LanguagePlan, seed: int, heldout_sink: list[str], tick: Callable[[int], None]
) -> Iterator[tuple[str, int]]:
    """Yield (paragraph, times drawn) for the language; fills `heldout_sink`; counts into `plan.drawn`.

    Repeats come as a count, not as copies: SentencePiece takes them as a
    frequency (TSV input), and its suffix array slows down badly on repeated text.
    """
    stream = corpus.paragraphs(plan.lang, seed)
    if plan.heldout:
        for paragraph in stream:
            heldout_sink.append(paragraph)
            if len(heldout_sink) == plan.heldout:
                break
    repeats, extra = divmod(plan.requested, plan.available) if plan.available else (0, 0)
    rng = random.Random(f"{seed}:{plan.lang}:select")
    left = plan.available
    for paragraph in stream:
        copies = repeats
        if extra and rng.random() * left < extra:  # Algorithm S
            copies += 1
            extra -= 1
        left -= 1
        if copies:
            yield paragraph, copies
            plan.drawn += copies
            tick(copies)
