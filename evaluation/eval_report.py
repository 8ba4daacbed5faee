"""The report: per-language rows of both models, averages, and the printed table."""

from __future__ import annotations

from statistics import mean

from .parallel_set import PIVOT

MODELS = ("checkpoint", "random")
# Below this on its own English training pairs, a classifier learned nothing to transfer.
FITTED = 0.6


def lookup(results: dict, task: str, lang: str, key: str):
    table = results.get(task, {})
    if task == "transfer":
        table = table.get("languages", {})
    return table.get(lang, {}).get(key)


def corpus_shares(report: dict) -> dict[str, float]:
    return {lang: info["corpus_share"] for lang, info in report["languages"].items()
            if info.get("corpus_share") is not None}


def averages(results: dict) -> dict:
    """Means over languages; English is left out of retrieval and transfer, where it is the pivot."""
    out = {}
    retrieval = [r for lang, r in results.get("retrieval", {}).items() if lang != PIVOT]
    if retrieval:
        out["retrieval_to_en"] = mean(r["to_en"] for r in retrieval)
        out["retrieval_from_en"] = mean(r["from_en"] for r in retrieval)
    if results.get("mlm"):
        out["mlm_accuracy"] = mean(r["accuracy"] for r in results["mlm"].values())
    transfer = results.get("transfer", {}).get("languages", {})
    others = [r for lang, r in transfer.items() if lang != PIVOT]
    if others:
        out["transfer_accuracy"] = mean(r["accuracy"] for r in others)
        if PIVOT in transfer:
            out["transfer_en"] = transfer[PIVOT]["accuracy"]
            out["transfer_gap"] = mean(r["gap"] for r in others)
    return out


def order(languages: list[str], shares: dict[str, float]) -> list[str]:
    """Largest share of the training corpus first; languages the corpus lacks last, by code."""
    return sorted(languages, key=lambda lang: (-shares.get(lang, -1.0), lang))


def _cell(results: dict, task: str, lang: str, key: str, width: int, fmt: str) -> str:
    value = lookup(results, task, lang, key)
    return f"{format(value, fmt) if value is not None else '-':>{width}}"


def format_table(report: dict) -> str:
    shares = corpus_shares(report)
    ck, rnd = report["checkpoint"], report["random"]
    header = (f"{'lang':<6}{'share%':>7} | {'x->en':>6}{'en->x':>6}{'rand':>6} | {'mlm acc':>8}{'rand':>6}"
              f"{'ppl':>9} | {'pairs':>6}{'gap':>7}{'rand':>6}{'n':>4}")
    lines = [header, "-" * len(header)]
    for lang in order(list(report["languages"]), shares):
        share = f"{100 * shares[lang]:.2f}" if lang in shares else "-"
        lines.append(
            f"{lang:<6}{share:>7} | "
            f"{_cell(ck, 'retrieval', lang, 'to_en', 6, '.3f')}{_cell(ck, 'retrieval', lang, 'from_en', 6, '.3f')}"
            f"{_cell(rnd, 'retrieval', lang, 'to_en', 6, '.3f')} | "
            f"{_cell(ck, 'mlm', lang, 'accuracy', 8, '.3f')}{_cell(rnd, 'mlm', lang, 'accuracy', 6, '.3f')}"
            f"{_cell(ck, 'mlm', lang, 'perplexity', 9, '.1f')} | "
            f"{_cell(ck, 'transfer', lang, 'accuracy', 6, '.3f')}{_cell(ck, 'transfer', lang, 'gap', 7, '+.3f')}"
            f"{_cell(rnd, 'transfer', lang, 'accuracy', 6, '.3f')}{_cell(ck, 'transfer', lang, 'n', 4, 'd')}")
    lines.append("-" * len(header))
    for name in MODELS:
        parts = [f"{key} {value:+.3f}" if key.endswith("gap") else f"{key} {value:.3f}"
                 for key, value in report["average"][name].items()]
        lines.append(f"average ({name}; en left out of retrieval and transfer): " + ", ".join(parts))
    fitted = ck.get("transfer", {}).get("train_accuracy")
    if fitted is not None and fitted < FITTED:
        lines.append(f"note: the classifier fits its own English training pairs at {fitted:.2f} only: its transfer "
                     "numbers are at chance by construction (more --epochs, a higher --lr or a better-trained "
                     "checkpoint)")
    chance = report["chance"]
    levels = {"retrieval": f"retrieval 1/n of the aligned paragraphs ({chance['retrieval']})",
              "mlm": f"masked token 1/vocabulary ({chance['mlm']:.2g}; copying the input scores ~0.1, the "
                     "share of masked tokens left unchanged)",
              "transfer": f"pairs {chance['transfer']} (balanced)"}
    lines.append("chance: " + ", ".join(levels[task] for task in report["tasks"])
                 + "; rand = a randomly initialised model of the same shape")
    return "\n".join(lines)
