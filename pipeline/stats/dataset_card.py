"""The corpus's dataset card: README.md in the Hugging Face format, numbers from `_stats.json`.

A YAML header (languages, one `configs` entry per language pointing at its
hive partition, so `load_dataset(DIR, "de")` reads one language), then the
per-language table with the α-sampling shares the tokenizer and trainer will
use, the drop funnel, the plots, how the corpus was made and how to load it.
"""

from __future__ import annotations

import json

from xlmr.common.alpha_sampling import sampling_probabilities
from xlmr.common.corpus_layout import (DOCUMENTS_PLOT, FUNNEL_PLOT, LID_PLOT, MIX_PLOT, PERPLEXITY_PLOT,
                                       QUALITY_PLOT, shard_glob)

from ..filters.perplexity import BUCKETS, NO_CUTOFFS, NO_MODEL
from .corpus_stats import funnel

PLOTS = {
    DOCUMENTS_PLOT: "Documents per language (log scale)",
    MIX_PLOT: "Language mix under α-sampling: α = 1 (proportional), 0.3 (XLM-R), 0 (uniform)",
    FUNNEL_PLOT: "Documents left after each stage",
    LID_PLOT: "fastText LID confidence of kept documents, per script family",
    QUALITY_PLOT: "Share of each language's documents removed by each quality check",
    PERPLEXITY_PLOT: "Perplexity of every scored document per language, with CCNet's bucket cutoffs",
}


def language_rows(stats: dict, alpha: float = 0.3) -> list[dict]:
    """Per language: the _stats.json totals, share of bytes, and paragraph shares at α = 1 and `alpha`."""
    languages = stats["languages"]
    sizes = {lang: s["paragraphs"] for lang, s in languages.items()}
    proportional = sampling_probabilities(sizes, 1.0) if any(sizes.values()) else {}
    smoothed = sampling_probabilities(sizes, alpha) if any(sizes.values()) else {}
    total_bytes = sum(s["bytes"] for s in languages.values()) or 1
    return [{
        "lang": lang, **{k: s[k] for k in ("documents", "paragraphs", "characters", "bytes")},
        "share": s["bytes"] / total_bytes,
        "share_alpha_1": proportional.get(lang, 0.0),
        "share_alpha": smoothed.get(lang, 0.0),
        "upsampling": smoothed.get(lang, 0.0) / proportional[lang] if proportional.get(lang) else 0.0,
    } for lang, s in languages.items()]


def _recipe(stats: dict) -> str:
    flags = stats["config"]["flags"]
    return "CC-100" if flags.get("recipe") == "cc100" else "cleaned"


def _quality_section(stats: dict) -> str:
    """Per check: documents and characters removed; per language: documents in, removed, PII masked."""
    quality = stats.get("quality") or {}
    if not quality:
        return "The quality stage was off for this run (`--quality off` or `--recipe cc100`)."
    tagged = stats["config"]["flags"].get("quality") == "tag"
    totals: dict[str, list[int]] = {}
    for entry in quality.values():
        for check, r in entry["removed"].items():
            t = totals.setdefault(check, [0, 0])
            t[0] += r["documents"]
            t[1] += r["characters"]
    verb = "tagged (kept, listed in `quality_drops`)" if tagged else "removed"
    checks = [f"| check | documents {verb} | characters |", "|---|---:|---:|"]
    checks += [f"| {check} | {d:,} | {c:,} |" for check, (d, c) in sorted(totals.items(), key=lambda kv: -kv[1][0])]
    languages = ["| language | documents in | removed | share | PII spans masked (kept text) |", "|---|---:|---:|---:|---:|"]
    pii = {lang: s.get("pii_spans", 0) for lang, s in stats["languages"].items()}
    for lang, entry in quality.items():
        removed = sum(r["documents"] for r in entry["removed"].values())
        share = removed / entry["documents"] if entry["documents"] else 0.0
        languages.append(f"| {lang} | {entry['documents']:,} | {removed:,} | {share:.1%} | {pii.get(lang, 0):,} |")
    return (f"FineWeb-2's per-language thresholds (Gopher repetition, FineWeb and Gopher quality checks), on each "
            f"page before dedup; a document counts under the first check it fails.\n\n{chr(10).join(checks)}"
            f"\n\nPer language the thresholds were chosen for:\n\n{chr(10).join(languages)}")


def _perplexity_section(stats: dict) -> str:
    """Per language: documents in each of CCNet's buckets (before --lm-filter), or passed for want of a model."""
    buckets = stats.get("perplexity_buckets") or {}
    flags = stats["config"]["flags"]
    if not flags.get("lm_models"):
        return ("The language-model stage was off for this run (no `--lm-models`): no perplexity, so not CC-100's "
                "filter in full (docs/pipeline.md says where CCNet's models come from).")
    kept = flags.get("lm_filter") or "off"
    names = (*BUCKETS, NO_CUTOFFS, NO_MODEL)
    table = ["| language | " + " | ".join(names) + " | perplexity p10 / p50 / p90 |", "|---|" + "---:|" * 6]
    for lang, b in buckets.items():
        q = b.get("quantiles")
        spread = f"{q['p10']:,} / {q['p50']:,} / {q['p90']:,}" if q else "–"
        table.append(f"| {lang} | " + " | ".join(f"{b.get(n, 0):,}" for n in names) + f" | {spread} |")
    return (f"CCNet's perplexity under each language's 5-gram KenLM model (`perplexity` column) and its bucket by "
            f"per-language percentiles (`lm_bucket`: head below the 30th, middle below the 60th, else tail; all "
            f"where the language has no cutoffs; no_model: passed unscored; quantiles of the scored documents, to "
            f"within 6%). Kept: "
            f"{'every bucket' if kept == 'off' else kept} (`--lm-filter`).\n\n{chr(10).join(table)}")


def _crawls_section(stats: dict) -> str:
    """Documents and characters per crawl (the `dump` column)."""
    crawls = stats.get("crawls") or {}
    table = ["| crawl (`dump`) | documents | characters |", "|---|---:|---:|"]
    table += [f"| {dump} | {c['documents']:,} | {c['characters']:,} |" for dump, c in crawls.items()]
    return ("Each document's crawl is its WARC's warcinfo `isPartOf`, else the crawl ID in the file's path "
            f"(unknown where neither names one).\n\n{chr(10).join(table)}")


def _yaml_header(stats: dict) -> str:
    langs = list(stats["languages"])
    lines = ["---", f"pretty_name: xlmr-corpus output ({_recipe(stats)} recipe)", "language:"]
    lines += [f"- \"{lang}\"" for lang in langs]  # quoted: YAML 1.1 reads a bare no as false
    lines += ["license: other", "license_name: commoncrawl-terms-of-use",
              "license_link: https://commoncrawl.org/terms-of-use",
              "task_categories:", "- fill-mask", "- text-generation", "configs:",
              "- config_name: all", "  default: true", f"  data_files: \"{shard_glob()}\""]
    for lang in langs:
        lines += [f"- config_name: \"{lang}\"", f"  data_files: \"{shard_glob(lang)}\""]
    return "\n".join(lines + ["---"])


def card(stats: dict, alpha: float = 0.3) -> str:
    totals = stats["totals"]
    rows = language_rows(stats, alpha)
    table = ["| language | documents | paragraphs | characters | UTF-8 bytes | share of bytes "
             f"| share α = 1 | share α = {alpha:g} | upsampling |", "|---|" + "---:|" * 8]
    table += [f"| {r['lang']} | {r['documents']:,} | {r['paragraphs']:,} | {r['characters']:,} | {r['bytes']:,} "
              f"| {r['share']:.2%} | {r['share_alpha_1']:.2%} | {r['share_alpha']:.2%} | {r['upsampling']:.2f}× |"
              for r in rows]
    stages = ["| stage | documents left |", "|---|---:|"]
    stages += [f"| {label} | {n:,} |" for label, n in funnel(stats["counters"])]
    config = stats["config"]
    flags = {k: v for k, v in sorted(config["flags"].items()) if v not in (None, [], False)}
    plots = "\n\n".join(f"![{title}]({name})" for name, title in PLOTS.items())
    return f"""{_yaml_header(stats)}

# Multilingual web text in {totals['languages']} languages, {_recipe(stats)} recipe

{totals['documents']:,} documents, {totals['paragraphs']:,} paragraphs, {totals['characters']:,} characters
({totals['bytes'] / 1e6:,.1f} MB of UTF-8) made by `xlmr-corpus` from {config['input_files']:,} CommonCrawl
file(s): main text extracted with {config['flags'].get('extractor', 'trafilatura')}, repaired (ftfy, table rows, e-mail and IP addresses masked) and
filtered with FineWeb-2's per-language quality thresholds unless the recipe is CC-100, near-duplicate
documents and duplicate paragraphs removed (CCNet normalisation), language identified with fastText lid.176
(kept above the threshold). The flags below say which stages ran.

## Languages

Sizes are from `_stats.json`. The α columns are each language's share of *paragraphs drawn*
when sampling with p_i ∝ n_i^α (n_i = paragraphs), as `xlmr-tokenizer` and `xlmr-train` do;
upsampling = share at α = {alpha:g} / share at α = 1 (above 1: the language's text is repeated).

{chr(10).join(table)}

## Crawls

{_crawls_section(stats)}

## What each stage removed

{chr(10).join(stages)}

## Quality filters

{_quality_section(stats)}

## Language-model filter (perplexity)

{_perplexity_section(stats)}

## Plots

{plots}

## How it was made

- flags: `{json.dumps(flags, ensure_ascii=False)}`
- LID model: `{config['lid_model']}`
- libraries: {', '.join(f'{k} {v}' for k, v in config['versions'].items())}
- input files: {config['input_files']:,}

## Loading

```python
from datasets import load_dataset
ds = load_dataset("path/to/this/dir")        # every language (the default config)
ds = load_dataset("path/to/this/dir", "de")  # one language (a config per language)
```

```sql
SELECT lang, count(*) FROM read_parquet('DIR/{shard_glob()}', hive_partitioning = true) GROUP BY lang;
```

Columns: id (WARC-Record-ID), url, date, text (paragraphs joined by newlines), lang, lang_score,
n_paragraphs, n_paragraphs_extracted, n_chars, source, quality (a struct of every signal the quality filters
measured, and the language whose thresholds applied), quality_drops (the checks failed; non-empty only under
`--quality tag`), perplexity and lm_bucket (null without a language model). To re-filter with stricter
values, e.g.:

```sql
SELECT * FROM read_parquet('DIR/{shard_glob()}', hive_partitioning = true)
WHERE quality.dup_line_frac < 0.1 AND quality.line_punct_frac > 0.3;
-- or by perplexity: WHERE lm_bucket = 'head'
```

## Licence

The text comes from CommonCrawl, which distributes it under its
[terms of use](https://commoncrawl.org/terms-of-use); the pages themselves remain their
authors'. This card and the processing code are Apache-2.0.
"""
