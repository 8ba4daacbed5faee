"""`xlmr-corpus report DIR`: the dataset card (README.md) and its plots, written into DIR.

The pipeline calls this at the end of every run it waits for; the command
regenerates the card for any output, local or gs:// (a Dataflow run, which
the launcher does not wait for, gets its card this way).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from .dataset_card import card
from .remote_files import from_uri, local_output
from .scripts import script_family


def lid_scores(fs, root: str, languages: list[str], per_language: int) -> dict[str, list[float]]:
    """lang_score of up to `per_language` documents per language (its first shard), by script family."""
    scores: dict[str, list[float]] = {}
    for lang in languages:
        selector = pafs.FileSelector(f"{root}/lang={lang}", allow_not_found=True)
        shards = sorted(i.path for i in fs.get_file_info(selector) if i.path.endswith(".parquet"))
        if not shards:
            continue
        with fs.open_input_file(shards[0]) as f:
            # The first rows only: a crawl's row group holds far more text than the sample needs.
            table = next(pq.ParquetFile(f).iter_batches(batch_size=per_language, columns=["text", "lang_score"]))
        texts, values = table.column("text").to_pylist(), table.column("lang_score").to_pylist()
        family = script_family(" ".join(t[:200] for t in texts[:20]))
        scores.setdefault(family, []).extend(values)
    return scores


def write_report(output: str, per_language: int = 500) -> Path | str:
    """Write README.md and the PNGs into `output`; returns where the card is."""
    from . import corpus_plots  # matplotlib: imported by the run that writes a card, not by every worker

    fs, root = from_uri(output)
    with fs.open_input_stream(f"{root}/_stats.json") as f:
        stats = json.loads(f.read().decode("utf-8"))
    threshold = stats["config"]["flags"].get("lid_threshold", 0.5)
    scores = lid_scores(fs, root, list(stats["languages"]), per_language)
    with local_output(output) as out:
        corpus_plots.documents_per_language(stats, out / "documents_per_language.png")
        corpus_plots.language_mix(stats, out / "language_mix.png")
        corpus_plots.stage_funnel(stats, out / "funnel.png")
        corpus_plots.lid_confidence(scores, threshold, out / "lid_confidence.png")
        corpus_plots.quality_removals(stats, out / "quality_removals.png")
        (out / "README.md").write_text(card(stats), encoding="utf-8")
    return f"{output.rstrip('/')}/README.md"
