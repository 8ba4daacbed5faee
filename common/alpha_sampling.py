"""XLM's exponentially smoothed language sampling: p_i = n_i^α / Σ_j n_j^α.

α = 1 samples in proportion to size, α = 0 uniformly; XLM-R uses α = 0.3,
which lifts low-resource languages (and repeats their text) at the expense of
the largest. n_i is a language's number of paragraphs in `_stats.json`: the
unit XLM counts (sentences) and the unit drawn here, so that p_i is exactly
the share of drawn paragraphs. The trainer samples with the same function.
"""

from __future__ import annotations


def sampling_probabilities(sizes: dict[str, float], alpha: float) -> dict[str, float]:
    """p_i for each language with n_i > 0 (languages of size 0 get 0)."""
    if alpha < 0:
        raise ValueError(f"alpha {alpha} is negative; expected 0 (uniform) to 1 (proportional), XLM-R uses 0.3")
    weights = {lang: (n**alpha if n > 0 else 0.0) for lang, n in sizes.items()}
    total = sum(weights.values())
    if total == 0:
        raise ValueError("every language has size 0: nothing to sample")
    return {lang: w / total for lang, w in weights.items()}


def allocate(total: int, probabilities: dict[str, float]) -> dict[str, int]:
    """Split `total` draws by `probabilities`, summing exactly (largest remainder, ties by code)."""
    exact = {lang: total * p for lang, p in probabilities.items()}
    counts = {lang: int(x) for lang, x in exact.items()}
    by_remainder = sorted(exact, key=lambda lang: (-(exact[lang] - counts[lang]), lang))
    for lang in by_remainder[: total - sum(counts.values())]:
        counts[lang] += 1
    return counts
