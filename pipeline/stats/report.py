"""`xlmr-corpus report DIR`: the dataset card (README.md) and its plots, written into DIR.

The pipeline calls this at the end of every run it waits for; the command
regenerates the card for any output, local or gs:// (a Dataflow run, which
the launcher does not wait for, gets its card this way).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from xlmr.common.corpus_layout import (CARD_FILE, DOCUMENTS_PLOT, FUNNEL_PLOT, LID_PLOT, MIX_PLOT,
                                       PERPLEXITY_PLOT, QUALITY_PLOT)
from xlmr.common.corpus_reader import Corpus
from xlmr.common.files import join, local_output
from xlmr.common.scripts import script_family

from ..filters.perplexity import load_cutoffs
from .dataset_card import card


def lid_scores(corpus: Corpus, per_language: int) -> dict[str, list[float]]:
    """lang_score of up to `per_language` documents per language (its first shard), by script family."""
    scores: dict[str, list[float]] = {}
    for lang in corpus.languages():
        shards = corpus.shards(lang)
        if not shards:
            continue
        with pq.ParquetFile(shards[0], filesystem=corpus.fs) as parquet:
            # The first rows only: a crawl's row group holds far more text than the sample needs.
            table = next(parquet.iter_batches(batch_size=per_language, columns=["text", "lang_score"]))
        texts, values = table.column("text").to_pylist(), table.column("lang_score").to_pylist()
        family = script_family(" ".join(t[:200] for t in texts[:20]))
        scores.setdefault(family, []).extend(values)
    return scores


def write_report(output: str, per_language: int = 500) -> Path | str:
    """Write README.md and the PNGs into `output`; returns where the card is."""
    from . import corpus_plots  # matplotlib: imported by the run that writes a card, not by every worker

    corpus = Corpus(output, flag="DIR")
    stats = corpus.stats
    threshold = stats["config"]["flags"].get("lid_threshold", 0.5)
    scores = lid_scores(corpus, per_language)
    with local_output(output) as out:
        corpus_plots.documents_per_language(stats, out / DOCUMENTS_PLOT)
        corpus_plots.language_mix(stats, out / MIX_PLOT)
        corpus_plots.stage_funnel(stats, out / FUNNEL_PLOT)
        corpus_plots.lid_confidence(scores, threshold, out / LID_PLOT)
        corpus_plots.quality_removals(stats, out / QUALITY_PLOT)
        flags = stats["config"]["flags"]
        cutoffs = load_cutoffs(flags.get("lm_cutoffs")) if flags.get("lm_models") else {}
        corpus_plots.perplexity_distributions(stats, cutoffs, out / PERPLEXITY_PLOT)
        (out / CARD_FILE).write_text(card(stats), encoding="utf-8")
    return join(output.rstrip("/"), CARD_FILE)
