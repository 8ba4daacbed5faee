"""The curse-of-multilinguality picture: accuracy per language, languages sorted by their share of the corpus."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from .eval_report import corpus_shares, lookup, order  # noqa: E402

# (task, key, panel title); each panel has the checkpoint and its random twin
PANELS = (
    ("retrieval", "to_en", "retrieval top-1, x→en"),
    ("mlm", "accuracy", "masked-token accuracy (held-out corpus)"),
    ("transfer", "accuracy", "consecutive-paragraph pairs, classifier fine-tuned on English"),
)


def accuracy_by_language(report: dict, path: Path) -> bool:
    """Draws the figure; False (nothing written) when no task has a per-language result."""
    shares = corpus_shares(report)
    langs = order(list(report["languages"]), shares)
    panels = [p for p in PANELS if any(lookup(report["checkpoint"], p[0], lang, p[1]) is not None for lang in langs)]
    if not panels:
        return False
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(7.0, 0.22 * len(langs) + 2), 2.6 * len(panels) + 0.6),
                             sharex=True, squeeze=False)
    x = range(len(langs))
    for ax, (task, key, title) in zip(axes[:, 0], panels):
        for name, style in (("checkpoint", dict(color="#4C72B0", marker="o")),
                            ("random", dict(color="#999999", marker="x", linestyle="--"))):
            values = [lookup(report[name], task, lang, key) for lang in langs]
            ax.plot(x, [float("nan") if v is None else v for v in values], label=name, markersize=4, **style)
        if task == "transfer":
            ax.axhline(report["chance"]["transfer"], color="#C44E52", linewidth=0.8, label="chance")
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("accuracy")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(fontsize=8, loc="upper right")
    bottom = axes[-1, 0]
    bottom.set_xticks(list(x))
    bottom.set_xticklabels(langs, rotation=90, fontsize=7)
    bottom.set_xlabel("language, largest share of the training corpus first" if shares
                      else "language (no corpus given: by code)")
    fig.suptitle(f"{report['model']} (layer {report['layer']} for retrieval)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
