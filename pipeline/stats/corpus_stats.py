"""Per-language statistics: what each document adds, `_stats.json`, the funnel and the printed table.

The tokenizer and trainer sample languages from these numbers, so the engines sum
`document_stats` of the written documents themselves (a combiner: one small tuple per
language and bundle), not metrics.
"""

from __future__ import annotations

from ..dedup.rules import DUPLICATE_RECORD_ID, NEAR_DUPLICATE
from ..filters.filter_quality import ENTERED, FILTERED, LANGUAGE_TALLY_PREFIX, TAGGED, parse_language_tally
from ..filters.perplexity import LANGUAGE_TALLY_PREFIX as LM_TALLY_PREFIX
from ..filters.perplexity import NO_MODEL, buckets_by_language
from ..readers.warc import RECORDS
from ..records import Document
from .crawls import TALLY_PREFIX as CRAWL_TALLY_PREFIX
from .crawls import crawls_from_tallies
from ..stage import DEDUP, EXTRACT, LENGTH, LID, LM, PASSED, QUALITY, READ, REPAIR, counter_name

FIELDS = ("documents", "paragraphs", "characters", "bytes", "pii_spans")
QUALITY_ROW = "after quality filters"  # the funnel's row the quality checks are listed under


def document_stats(doc: Document) -> tuple[str, tuple[int, int, int, int, int]]:
    """(lang, (documents, paragraphs, characters, UTF-8 bytes, PII spans masked)) of one document."""
    return doc.lang, (1, doc.n_paragraphs, len(doc.text), len(doc.text.encode("utf-8")), doc.pii_spans)


def build_stats(
    lang_totals: dict[str, tuple], shards: dict[str, int], counters: dict[str, int],
    near_dups: dict[str, tuple[int, int]], index: dict[str, dict], config: dict,
) -> dict:
    """The content of `_stats.json`."""
    quality = quality_by_language({k: v for k, v in counters.items() if k.startswith(LANGUAGE_TALLY_PREFIX)})
    perplexity = buckets_by_language({k: v for k, v in counters.items() if k.startswith(LM_TALLY_PREFIX)})
    crawls = crawls_from_tallies({k: v for k, v in counters.items() if k.startswith(CRAWL_TALLY_PREFIX)})
    tallies = (LANGUAGE_TALLY_PREFIX, LM_TALLY_PREFIX, CRAWL_TALLY_PREFIX)
    counters = {k: v for k, v in counters.items() if not k.startswith(tallies)}
    languages = {
        lang: {**dict(zip(FIELDS, totals)), "shards": shards.get(lang, 0)}
        for lang, totals in sorted(lang_totals.items(), key=lambda kv: (-kv[1][2], kv[0]))
    }
    totals = {f: sum(v[f] for v in languages.values()) for f in FIELDS}
    return {
        "languages": languages,
        "totals": {**totals, "languages": len(languages)},
        "counters": dict(sorted(counters.items())),
        # the documents written per crawl (the dump column; "unknown" where no crawl is named)
        "crawls": crawls,
        # removed whole as near-duplicates, by the language LID gives them ("und": not confident)
        "near_duplicates": {
            lang: {"documents": d, "characters": c} for lang, (d, c) in sorted(near_dups.items())
        },
        # per language the quality thresholds were chosen for: what entered, what each check removed
        # (or tagged), each document under the first check it failed
        "quality": quality,
        # per language, the documents the language-model stage put in each bucket (before --lm-filter),
        # or passed unscored for want of a model; empty without --lm-models
        "perplexity_buckets": perplexity,
        # the dedup index (_index/, what --dedup-against reads): files, rows and bytes of each kind
        "index": index,
        "config": config,
    }


def quality_by_language(tallies: dict[str, int]) -> dict[str, dict]:
    """FilterQuality's per-language tallies -> {code: {documents, characters, removed: {check: ...}}}."""
    out: dict[str, dict] = {}
    for name, n in tallies.items():
        lang, check, chars = parse_language_tally(name)
        entry = out.setdefault(lang, {"documents": 0, "characters": 0, "removed": {}})
        field = "characters" if chars else "documents"
        if check == ENTERED:
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
    def c(namespace: str, name: str = PASSED) -> int:
        return counters.get(counter_name(namespace, name), 0)

    before_dedup = c(EXTRACT)
    # the language-model stage (only with --lm-models): scored and kept, or passed without a model
    scored = [counters[n] for n in (counter_name(LM, PASSED), counter_name(LM, f"{PASSED}:{NO_MODEL}")) if n in counters]
    optional = []
    for label, namespace in (("after text repair", REPAIR), (QUALITY_ROW, QUALITY)):
        if counter_name(namespace, PASSED) in counters:
            before_dedup = c(namespace)
            optional.append((label, before_dedup))
    return [
        ("records read", c(READ, RECORDS)),
        ("HTML 200 / WET text", c(READ)),
        ("extracted", c(EXTRACT)),
        *optional,
        ("after near-dup", before_dedup - c(DEDUP, DUPLICATE_RECORD_ID) - c(DEDUP, NEAR_DUPLICATE)),
        ("after paragraph dedup", c(DEDUP)),
        ("after min length", c(LENGTH)),
        ("after language ID", c(LID)),
        *([("after perplexity filter", sum(scored))] if scored else []),
    ]


def quality_checks(counters: dict[str, int]) -> list[tuple[str, int]]:
    """(check, documents it removed or tagged), largest first."""
    prefixes = (counter_name(QUALITY, FILTERED), counter_name(QUALITY, TAGGED))
    found = [(name.split(":", 2)[2], n) for name, n in counters.items() if name.startswith(prefixes)]
    return sorted(found, key=lambda kv: (-kv[1], kv[0]))


def format_funnel(stats: dict) -> str:
    """Documents left after each stage, one line each, with the quality checks under their stage."""
    counters = stats["counters"]
    tagged = any(name.startswith(counter_name(QUALITY, TAGGED)) for name in counters)
    lines = []
    for label, n in funnel(counters):
        lines.append(f"{label:<24}{n:>10,}")
        if label == QUALITY_ROW:
            verb = "tagged" if tagged else "removed"
            lines += [f"    {verb} by {check:<22}{k:>8,}" for check, k in quality_checks(counters)]
    return "\n".join(lines)
