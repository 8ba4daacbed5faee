"""Per-language statistics: the combiner, `_stats.json`, and the printed table.

The tokenizer and trainer sample languages from these numbers, so they are
computed from the written documents themselves by a combiner (one small
tuple per language and bundle), not from metrics.
"""

from __future__ import annotations

import apache_beam as beam

from .records import Document

FIELDS = ("documents", "paragraphs", "characters", "bytes", "pii_spans")
QUALITY_PREFIX = "quality:lang:"  # FilterQuality's per-language tallies


def document_stats(doc: Document) -> tuple[str, tuple[int, int, int, int, int]]:
    """(lang, (documents, paragraphs, characters, UTF-8 bytes, PII spans masked)) of one document."""
    return doc.lang, (1, doc.n_paragraphs, len(doc.text), len(doc.text.encode("utf-8")), doc.pii_spans)


class LanguageStats(beam.PTransform):
    """PCollection[Document] -> PCollection[(lang, (documents, paragraphs, characters, bytes))]."""

    def expand(self, docs):
        return (
            docs
            | "PerDocument" >> beam.Map(document_stats)
            | "SumPerLanguage" >> beam.CombinePerKey(beam.combiners.TupleCombineFn(*[sum] * len(FIELDS)))
        )


def build_stats(
    lang_totals: dict[str, tuple], shards: dict[str, int], counters: dict[str, int],
    near_dups: dict[str, tuple[int, int]], config: dict,
) -> dict:
    """The content of `_stats.json`."""
    quality = quality_by_language({k: v for k, v in counters.items() if k.startswith(QUALITY_PREFIX)})
    counters = {k: v for k, v in counters.items() if not k.startswith(QUALITY_PREFIX)}
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
        # per language the quality thresholds were chosen for: what entered, what each check removed
        # (or tagged), each document under the first check it failed
        "quality": quality,
        "config": config,
    }


def quality_by_language(tallies: dict[str, int]) -> dict[str, dict]:
    """`quality:lang:<code>:<check>[:chars]` tallies -> {code: {documents, characters, removed: {check: ...}}}."""
    out: dict[str, dict] = {}
    for name, n in tallies.items():
        lang, check, *chars = name[len(QUALITY_PREFIX):].split(":")
        entry = out.setdefault(lang, {"documents": 0, "characters": 0, "removed": {}})
        field = "characters" if chars else "documents"
        if check == "in":
            entry[field] += n
        else:
            entry["removed"].setdefault(check, {"documents": 0, "characters": 0})[field] += n
    for entry in out.values():
        entry["removed"] = dict(sorted(entry["removed"].items(), key=lambda kv: -kv[1]["documents"]))
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["documents"]))


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
    """(stage, documents left after it), in stage order; repair and quality only when they ran."""
    c = lambda name: counters.get(name, 0)  # noqa: E731
    before_dedup = c("extract:passed")
    optional = []
    for label, name in (("after text repair", "repair:passed"), ("after quality filters", "quality:passed")):
        if name in counters:
            before_dedup = c(name)
            optional.append((label, before_dedup))
    return [
        ("records read", c("read:records")),
        ("HTML 200 / WET text", c("read:passed")),
        ("extracted", c("extract:passed")),
        *optional,
        ("after near-dup", before_dedup - c("dedup:filtered:duplicate_record_id") - c("dedup:filtered:near_duplicate")),
        ("after paragraph dedup", c("dedup:passed")),
        ("after min length", c("length:passed")),
        ("after language ID", c("lid:passed")),
    ]


def quality_checks(counters: dict[str, int]) -> list[tuple[str, int]]:
    """(check, documents it removed or tagged), largest first."""
    prefixes = ("quality:filtered:", "quality:tagged:")
    found = [(name.split(":", 2)[2], n) for name, n in counters.items() if name.startswith(prefixes)]
    return sorted(found, key=lambda kv: (-kv[1], kv[0]))


def format_funnel(stats: dict) -> str:
    """Documents left after each stage, one line each, with the quality checks under their stage."""
    counters = stats["counters"]
    tagged = any(name.startswith("quality:tagged:") for name in counters)
    lines = []
    for label, n in funnel(counters):
        lines.append(f"{label:<24}{n:>10,}")
        if label == "after quality filters":
            verb = "tagged" if tagged else "removed"
            lines += [f"    {verb} by {check:<22}{k:>8,}" for check, k in quality_checks(counters)]
    return "\n".join(lines)
