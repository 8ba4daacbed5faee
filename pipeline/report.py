"""`xlmr-corpus report DIR`: the dataset card (README.md) and its plots, written into DIR.

The pipeline calls this at the end of every run it waits for; the command
regenerates the card for any output, local or gs:// (a Dataflow run, which
the launcher does not wait for, gets its card this way).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from xlmr.common.corpus_reader import Corpus
from xlmr.common.remote_files import local_output
from xlmr.common.scripts import script_family

from .dataset_card import card


def lid_scores(corpus: Corpus, per_language: int) -> dict[str, list[float]]:
    """lang_score of up to `per_language` documents per language (its first shard), by script family."""
    scores: dict[str, list[float]] = {}
    for lang in corpus.languages():
        shards = corpus.shards(lang)
        if not shards:
            continue
        with corpus.fs.open_input_file(shards[0]) as f:
            # The first rows only: a crawl's row group holds far more text than the sample needs.
            table = next(pq.ParquetFile(f).iter_batches(batch_size=per_language, columns=["text", "lang_score"]))
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
        corpus_plots.documents_per_language(stats, out / "documents_per_language.png")
        corpus_plots.language_mix(stats, out / "language_mix.png")
        corpus_plots.stage_funnel(stats, out / "funnel.png")
        corpus_plots.lid_confidence(scores, threshold, out / "lid_confidence.png")
        corpus_plots.quality_removals(stats, out / "quality_removals.png")
        (out / "README.md").write_text(card(stats), encoding="utf-8")
    return f"{output.rstrip('/')}/README.md"
