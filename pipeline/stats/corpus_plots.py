"""The dataset card's figures (matplotlib, non-interactive): sizes, the α mix, the funnel, LID confidence,
quality removals and perplexity."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from xlmr.common.alpha_sampling import sampling_probabilities  # noqa: E402

from ..filters.perplexity import BINS_PER_DECADE  # noqa: E402
from .corpus_stats import funnel  # noqa: E402


def _height(n: int) -> float:
    return max(3.0, 0.22 * n + 1.2)


def _panels(n: int):
    """A figure of n small panels, three a row (one wide one when n is 0, for a message)."""
    if not n:
        return plt.subplots(1, 1, figsize=(9.0, 2.2), squeeze=False)
    cols = min(3, n)
    rows = -(-n // cols)
    return plt.subplots(rows, cols, figsize=(3.6 * cols, 2.6 * rows), squeeze=False)


def _save_panels(fig, axes, used: int, title: str, path: Path) -> None:
    for ax in list(axes.flat)[used:]:  # a message, if any, stays: axis("off") hides the frame only
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def documents_per_language(stats: dict, path: Path) -> None:
    langs = sorted(stats["languages"], key=lambda lang: stats["languages"][lang]["documents"])
    fig, ax = plt.subplots(figsize=(7, _height(len(langs))))
    ax.barh(langs, [stats["languages"][lang]["documents"] for lang in langs], color="#4C72B0")
    ax.set_xscale("log")
    ax.set_xlabel("documents (log scale)")
    ax.set_title(f"Documents per language ({len(langs)} languages)")
    ax.margins(y=0.01)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def language_mix(stats: dict, path: Path, alphas=(1.0, 0.3, 0.0)) -> None:
    """Each language's share of drawn paragraphs at each α, side by side (log scale)."""
    sizes = {lang: s["paragraphs"] for lang, s in stats["languages"].items() if s["paragraphs"]}
    langs = sorted(sizes, key=sizes.get)
    fig, ax = plt.subplots(figsize=(8, _height(len(langs)) * 1.4))
    width = 0.8 / len(alphas)
    if not langs:
        ax.text(0.5, 0.5, "no language has any paragraph", ha="center", transform=ax.transAxes)
    for i, alpha in enumerate(alphas if langs else ()):
        shares = sampling_probabilities(sizes, alpha)
        ax.barh([j + (i - (len(alphas) - 1) / 2) * width for j in range(len(langs))],
                [100 * shares[lang] for lang in langs], height=width, label=f"α = {alpha:g}")
    ax.set_yticks(range(len(langs)), langs)
    if langs:
        ax.set_xscale("log")
        ax.legend(loc="lower right")
    ax.set_xlabel("share of sampled paragraphs, % (log scale)")
    ax.set_title("Language mix: α = 1 proportional, 0.3 XLM-R, 0 uniform")
    ax.margins(y=0.01)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def stage_funnel(stats: dict, path: Path) -> None:
    stages = funnel(stats["counters"])
    fig, ax = plt.subplots(figsize=(7, 3.6))
    labels, counts = [s for s, _ in stages][::-1], [n for _, n in stages][::-1]
    ax.barh(labels, counts, color="#55A868")
    for y, n in enumerate(counts):
        ax.text(n, y, f" {n:,}", va="center", fontsize=8)
    ax.set_xlabel("documents (records for the first stage)")
    ax.set_title("What each stage keeps")
    ax.set_xlim(0, max(counts + [1]) * 1.18)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def lid_confidence(scores: dict[str, list[float]], threshold: float, path: Path) -> None:
    """Histograms of the top LID probability of kept documents, one panel per script family."""
    families = sorted(scores, key=lambda f: -len(scores[f])) or ["(none)"]
    fig, axes = _panels(len(families))
    for ax, family in zip(axes.flat, families):
        values = scores.get(family, [])
        # One artist per panel (stairs), not one bar patch per bin (hist): a third of the card's time otherwise.
        counts, edges = np.histogram(values, bins=np.linspace(threshold, 1.0, 21))
        ax.stairs(counts, edges, fill=True, color="#C44E52")
        ax.set_title(f"{family} ({len(values):,} documents)", fontsize=9)
        ax.set_xlabel("top LID probability")
        ax.set_ylabel("documents")
    _save_panels(fig, axes, len(families), "fastText lid.176 confidence of kept documents", path)


def quality_removals(stats: dict, path: Path) -> None:
    """Share of each language's documents removed (or tagged) by each quality check: a heatmap."""
    quality = {lang: q for lang, q in stats.get("quality", {}).items() if q["documents"]}
    checks = sorted({c for q in quality.values() for c in q["removed"]},
                    key=lambda c: -sum(q["removed"].get(c, {}).get("documents", 0) for q in quality.values()))
    langs = sorted(quality, key=lambda lang: -quality[lang]["documents"])
    fig, ax = plt.subplots(figsize=(max(5.0, 0.45 * len(checks) + 2.5), _height(len(langs))))
    if not checks:
        ax.text(0.5, 0.5, "no document failed a quality check" if quality else "quality stage off",
                ha="center", transform=ax.transAxes)
        ax.axis("off")
    else:
        rates = np.array([[quality[lang]["removed"].get(c, {}).get("documents", 0) / quality[lang]["documents"]
                           for c in checks] for lang in langs])
        image = ax.imshow(100 * rates, aspect="auto", cmap="Reds", vmin=0)
        ax.set_xticks(range(len(checks)), checks, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(langs)), [f"{lang} ({quality[lang]['documents']:,})" for lang in langs], fontsize=8)
        fig.colorbar(image, ax=ax, label="% of the language's documents")
    ax.set_title("Removed by each quality check (first failed), per language")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def perplexity_distributions(stats: dict, cutoffs: dict[str, tuple[float, float]], path: Path,
                             most: int = 12) -> None:
    """Per language (the `most` with the most scored documents): how perplexity spreads over every scored
    document, the buckets --lm-filter dropped included, with the language's head | middle | tail cutoffs."""
    scored = {lang: b["histogram"] for lang, b in (stats.get("perplexity_buckets") or {}).items()
              if b.get("histogram")}
    langs = sorted(scored, key=lambda lang: -sum(scored[lang].values()))[:most]
    fig, axes = _panels(len(langs))
    if not langs:
        axes[0, 0].text(0.5, 0.5, "no document scored: no --lm-models, or none for the corpus's languages",
                        ha="center", transform=axes[0, 0].transAxes, fontsize=8)
    for ax, lang in zip(axes.flat, langs):
        bins = {int(i): n for i, n in scored[lang].items()}
        first, last = min(bins), max(bins)
        counts = [bins.get(i, 0) for i in range(first, last + 1)]
        ax.stairs(counts, 10 ** (np.arange(first, last + 2) / BINS_PER_DECADE), fill=True, color="#8172B2")
        for cutoff in cutoffs.get(lang, ()):
            ax.axvline(cutoff, color="black", linestyle="--", linewidth=0.8)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # a span under a decade labels every tick
        ax.set_title(f"{lang} ({sum(counts):,} documents)", fontsize=9)
        ax.set_xlabel("perplexity")
        ax.set_ylabel("documents")
    _save_panels(fig, axes, len(langs), "Perplexity under CCNet's language models (dashed: head | middle | tail "
                 "cutoffs)", path)
