"""Per-language statistics: the combiner, `_stats.json`, and the printed table.

The tokenizer and trainer sample languages from these numbers, so they are
computed from the written documents themselves by a combiner (one small
tuple per language and bundle), not from metrics.
"""

from __future__ import annotations

import apache_beam as beam

from .records import Document

FIELDS = ("documents", "paragraphs", "characters", "bytes")


def document_stats(doc: Document) -> tuple[str, tuple[int, int, int, int]]:
    """(lang, (documents, paragraphs, characters, UTF-8 bytes)) of one document."""
    return doc.lang, (1, doc.n_paragraphs, len(doc.text), len(doc.text.encode("utf-8")))


class LanguageStats(beam.PTransform):
    """PCollection[Document] -> PCollection[(lang, (documents, paragraphs, characters, bytes))]."""

    def expand(self, docs):
        return (
            docs
            | "PerDocument" >> beam.Map(document_stats)
            | "SumPerLanguage" >> beam.CombinePerKey(beam.combiners.TupleCombineFn(sum, sum, sum, sum))
        )


def build_stats(
    lang_totals: dict[str, tuple], shards: dict[str, int], counters: dict[str, int],
    near_dups: dict[str, tuple[int, int]], config: dict,
) -> dict:
    """The content of `_stats.json`."""
    languages = {
        lang: {**dict(zip(FIELDS, totals)), "shards": shards.get(lang, 0)}
        for lang, totals in sorted(lang_totals.items(), key=lambda kv: (-kv[1][2], kv[0]))
    }
    totals = {f: sum(v[f] for v in languages.values()) for f in FIELDS}
    return {
        "languages": languages,
        "totals": {**totals, "languages": len(languages)},
        "counters": dict(sorted(counters.items())),
        # removed whole as near-duplicates, by the language LID gives them ("und": not confident)
        "near_duplicates": {
            lang: {"documents": d, "characters": c} for lang, (d, c) in sorted(near_dups.items())
        },
        "config": config,
    }


def format_table(stats: dict) -> str:
    """A fixed-width per-language table, largest first, with shares of characters."""
    total_chars = stats["totals"]["characters"] or 1
    header = f"{'lang':<10}{'documents':>11}{'paragraphs':>12}{'characters':>14}{'bytes':>14}{'share':>8}"
    lines = [header, "-" * len(header)]
    for lang, s in stats["languages"].items():
        lines.append(
            f"{lang:<10}{s['documents']:>11,}{s['paragraphs']:>12,}{s['characters']:>14,}"
            f"{s['bytes']:>14,}{s['characters'] / total_chars:>8.1%}"
        )
    t = stats["totals"]
    lines.append("-" * len(header))
    lines.append(
        f"{'total':<10}{t['documents']:>11,}{t['paragraphs']:>12,}{t['characters']:>14,}{t['bytes']:>14,}"
        f"{'':>8}"
    )
    return "\n".join(lines)


def funnel(counters: dict[str, int]) -> list[tuple[str, int]]:
    """(stage, documents left after it), in stage order."""
    c = lambda name: counters.get(name, 0)  # noqa: E731
    extracted = c("extract:passed")
    return [
        ("records read", c("read:records")),
        ("HTML 200 / WET text", c("read:passed")),
        ("extracted", extracted),
        ("after near-dup", extracted - c("dedup:filtered:duplicate_record_id") - c("dedup:filtered:near_duplicate")),
        ("after paragraph dedup", c("dedup:passed")),
        ("after min length", c("length:passed")),
        ("after language ID", c("lid:passed")),
    ]


def format_funnel(stats: dict) -> str:
    """Documents left after each stage, one line each."""
    return "\n".join(f"{label:<24}{n:>10,}" for label, n in funnel(stats["counters"]))
