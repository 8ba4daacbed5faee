"""The report: per-language rows of both models, averages, and the printed table."""

from __future__ import annotations

from statistics import mean

from .parallel_set import PIVOT

MODELS = ("checkpoint", "random")


def lookup(results: dict, task: str, lang: str, key: str):
    table = results.get(task, {})
    if task == "transfer":
        table = table.get("languages", {})
    return table.get(lang, {}).get(key)


def averages(results: dict) -> dict:
    """Means over the languages other than English (for which retrieval and transfer gap are trivial)."""
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


def format_table(report: dict) -> str:
    shares = {lang: info["corpus_share"] for lang, info in report["languages"].items()
              if info.get("corpus_share") is not None}
    ck, rnd = report["checkpoint"], report["random"]

    def cell(results, task, lang, key, width, fmt):
        value = lookup(results, task, lang, key)
        return f"{format(value, fmt) if value is not None else '-':>{width}}"

    header = (f"{'lang':<6}{'share%':>7} | {'x->en':>6}{'en->x':>6}{'rand':>6} | {'mlm acc':>8}{'rand':>6}"
              f"{'ppl':>9} | {'pairs':>6}{'gap':>7}{'rand':>6}{'n':>4}")
    lines = [header, "-" * len(header)]
    rows = order(list(report["languages"]), shares)
    for lang in rows:
        share = shares.get(lang)
        lines.append(
            f"{lang:<6}{(f'{100 * share:.2f}' if share is not None else '-'):>7} | "
            f"{cell(ck, 'retrieval', lang, 'to_en', 6, '.3f')}{cell(ck, 'retrieval', lang, 'from_en', 6, '.3f')}"
            f"{cell(rnd, 'retrieval', lang, 'to_en', 6, '.3f')} | "
            f"{cell(ck, 'mlm', lang, 'accuracy', 8, '.3f')}{cell(rnd, 'mlm', lang, 'accuracy', 6, '.3f')}"
            f"{cell(ck, 'mlm', lang, 'perplexity', 9, '.1f')} | "
            f"{cell(ck, 'transfer', lang, 'accuracy', 6, '.3f')}{cell(ck, 'transfer', lang, 'gap', 7, '+.3f')}"
            f"{cell(rnd, 'transfer', lang, 'accuracy', 6, '.3f')}{cell(ck, 'transfer', lang, 'n', 4, 'd')}")
    lines.append("-" * len(header))
    for name in MODELS:
        avg = report["average"][name]
        parts = [f"{key} {value:+.3f}" if key.endswith("gap") else f"{key} {value:.3f}" for key, value in avg.items()]
        lines.append(f"average ({name}, languages other than en): " + ", ".join(parts))
    chance = report["chance"]
    levels = {"retrieval": f"retrieval 1/n of the aligned paragraphs ({chance['retrieval']})",
              "mlm": f"masked token 1/vocabulary ({chance['mlm']:.2g})",
              "transfer": f"pairs {chance['transfer']} (balanced)"}
    lines.append("chance: " + ", ".join(levels[task] for task in report["tasks"])
                 + "; rand = a randomly initialised model of the same shape")
    return "\n".join(lines)
