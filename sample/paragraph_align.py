"""Gale & Church (1993) length-based alignment of parallel paragraphs.

Translations of one text do not split it into the same paragraphs: one merges
two, splits one or leaves one out, so line i of one language is not line i of
another (the UDHR's German has 59 lines to the English 60, one behind before
article 1). Gale and Church's method aligns such text from character lengths
alone, with no dictionary and for any script, because a translation's length
is close to a constant multiple of its source's. It is the classic method for
text known to say the same thing in the same order.

Three changes make it hold on the paragraphs of the UDHR in about 90
languages (each is explained where it is made): a paragraph left out costs its prior
only, up to MAX_MERGE paragraphs may merge into one, and length deviations are
measured in source characters. `one_to_one` also keeps only the beads whose
posterior probability is at least MIN_POSTERIOR, as Moore (2002) keeps only
confident beads from his length-based pass.

W. A. Gale and K. W. Church, "A Program for Aligning Sentences in Bilingual
Corpora", Computational Linguistics 19(1):75-102, 1993.
R. C. Moore, "Fast and Accurate Sentence Alignment of Bilingual Corpora",
AMTA 2002.
"""

from __future__ import annotations

import math
from itertools import accumulate

Bead = tuple[tuple[int, ...], tuple[int, ...]]

# P(bead type), keyed (source count, target count): the paper's Table 5.
PRIORS = {
    (1, 1): 0.89,
    (1, 0): 0.0099,
    (0, 1): 0.0099,
    (2, 1): 0.089,
    (1, 2): 0.089,
    (2, 2): 0.011,
}
# Some translations run several paragraphs into one (the UDHR's Malayalam
# has the seven "Whereas" paragraphs as one): without these bead types the
# search pairs the wrong paragraphs until it finds its way back. They are
# rarer than any of the paper's.
MAX_MERGE = 10
MERGE_PRIOR = 0.001
BEAD_PRIORS = PRIORS | {
    bead: MERGE_PRIOR for k in range(3, MAX_MERGE + 1) for bead in ((k, 1), (1, k))
}
# s²: variance of the length deviation per source character (the paper's estimate).
VARIANCE = 6.8
# A 1-1 bead is kept when it is likelier than not over all alignments.
MIN_POSTERIOR = 0.5
# Above this, erfc underflows to 0; its asymptotic form takes over.
_ERFC_LIMIT = 25.0


def _log_tail(delta: float) -> float:
    """log P(|Z| >= |delta|) for a standard normal Z: the paper's P(delta | match)."""
    x = abs(delta) / math.sqrt(2)
    if x < _ERFC_LIMIT:
        return math.log(math.erfc(x))
    return -x * x - math.log(x * math.sqrt(math.pi))


def _match_cost(source_length: int, target_length: int, ratio: float) -> float:
    """-log P(delta | match) for paragraphs of these lengths."""
    # The target length in source characters. s² was estimated on languages
    # whose characters carry about as much as English ones; a Chinese character
    # carries about four, so raw Chinese deviations are a quarter of the size
    # and any two lengths would look like a match.
    target = target_length / ratio
    # The mean of both lengths, as in the paper's program, so that the
    # variance does not rest on one side alone.
    mean = (source_length + target) / 2
    delta = (target - source_length) / math.sqrt(VARIANCE * mean) if mean else 0.0
    return -_log_tail(delta)


def _bead_costs(
    source_lengths: list[int], target_lengths: list[int],
) -> dict[tuple[int, int, int, int], float]:
    """{(i, j, di, dj): -log P} of the bead of source paragraphs i-di..i-1 and target j-dj..j-1."""
    total_source, total_target = sum(source_lengths), sum(target_lengths)
    # c, the expected target characters per source character.
    ratio = total_target / total_source if total_source and total_target else 1.0
    source_ends = [0, *accumulate(source_lengths)]
    target_ends = [0, *accumulate(target_lengths)]
    costs = {}
    for i in range(len(source_lengths) + 1):
        for j in range(len(target_lengths) + 1):
            for (di, dj), prior in BEAD_PRIORS.items():
                if di > i or dj > j:
                    continue
                cost = -math.log(prior)
                # The paper scores a paragraph left out as matched to an empty
                # one, which for 200 characters is a 1e-14 event: the search
                # then merges it into a neighbour and pairs the paragraphs after
                # it wrongly. A translation leaves a paragraph out whatever its length.
                if di and dj:
                    cost += _match_cost(
                        source_ends[i] - source_ends[i - di], target_ends[j] - target_ends[j - dj], ratio,
                    )
                costs[i, j, di, dj] = cost
    return costs


def _log_sum_exp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def _scored_beads(source_lengths: list[int], target_lengths: list[int]) -> list[tuple[Bead, float]]:
    """The likeliest alignment (Viterbi), each bead with its posterior probability."""
    n, m = len(source_lengths), len(target_lengths)
    costs = _bead_costs(source_lengths, target_lengths)
    # best: cost of the cheapest alignment of the first i and j paragraphs;
    # forward: log of the summed probability of all of them.
    best = [[math.inf] * (m + 1) for _ in range(n + 1)]
    step = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    forward = [[-math.inf] * (m + 1) for _ in range(n + 1)]
    best[0][0] = forward[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if i == j == 0:
                continue
            terms = []
            for di, dj in BEAD_PRIORS:
                if di > i or dj > j:
                    continue
                cost = costs[i, j, di, dj]
                if best[i - di][j - dj] + cost < best[i][j]:
                    best[i][j], step[i][j] = best[i - di][j - dj] + cost, (di, dj)
                terms.append(forward[i - di][j - dj] - cost)
            forward[i][j] = _log_sum_exp(terms)
    # backward: log of the summed probability of all alignments of the rest.
    backward = [[-math.inf] * (m + 1) for _ in range(n + 1)]
    backward[n][m] = 0.0
    for i in range(n, -1, -1):
        for j in range(m, -1, -1):
            terms = [
                backward[i + di][j + dj] - costs[i + di, j + dj, di, dj]
                for di, dj in BEAD_PRIORS
                if i + di <= n and j + dj <= m
            ]
            if (i, j) != (n, m):
                backward[i][j] = _log_sum_exp(terms)
    scored = []
    i, j = n, m
    while i or j:
        di, dj = step[i][j]
        log_posterior = forward[i - di][j - dj] - costs[i, j, di, dj] + backward[i][j] - forward[n][m]
        scored.append(((tuple(range(i - di, i)), tuple(range(j - dj, j))), math.exp(log_posterior)))
        i, j = i - di, j - dj
    return scored[::-1]


def align(source_lengths: list[int], target_lengths: list[int]) -> list[Bead]:
    """The likeliest sequence of beads covering both sides, in order.

    Each bead is (source indices, target indices), of a type in BEAD_PRIORS.
    c, the expected target characters per source character, is the ratio of
    the totals, so a script that packs more into a character (Han, kana)
    aligns as well as one that does not.
    """
    return [bead for bead, _ in _scored_beads(source_lengths, target_lengths)]


def one_to_one(source_texts: list[str], target_texts: list[str]) -> dict[int, str]:
    """{source index: target text} for the confident 1-1 beads.

    Merged, split and unmatched paragraphs are left out (their text is not the
    translation of one source paragraph), and so are 1-1 beads with a
    posterior under MIN_POSTERIOR: where lengths leave the alignment open
    (two short paragraphs side by side), a wrong pair is as likely as a right one.
    """
    scored = _scored_beads([len(t) for t in source_texts], [len(t) for t in target_texts])
    return {
        src[0]: target_texts[tgt[0]]
        for (src, tgt), posterior in scored
        if len(src) == len(tgt) == 1 and posterior >= MIN_POSTERIOR
    }
