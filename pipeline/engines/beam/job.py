"""The corpus job on Beam: a JobPlan's Stages as DoFns, both dedups as shuffles, then WriteCorpus.

    files ─Reshuffle─▶ ReadRecords ─▶ ExtractText ─▶ RepairText ─▶ FilterQuality
          ─▶ Deduplicate ─▶ FilterMinChars ─▶ IdentifyLanguage ─▶ WriteCorpus
    every stage's counts ─▶ SumCounts ──────────────────────────┐
    near-duplicates ─▶ LanguageOfNearDups ─▶ SumNearDups ────────┴▶ WriteCorpus's _stats.json
    hashes and buckets won ─▶ WriteCorpus's _index/
"""

from __future__ import annotations

import logging
from typing import Iterable

import apache_beam as beam

from ...dedup.deduplicate import NEAR_DUPLICATES
from .dedup import INDEX, MAIN, Deduplicate
from .stage_dofn import COUNTS_TAG, StageDoFn, apply_stage
from .write import WriteCorpus


def build_pipeline(p: beam.Pipeline, plan):
    """Add the job of `plan` (job.py's JobPlan) to `p`; returns the final stats' one-element PCollection."""
    counts = []
    # file paths, spread over workers before any record is read
    pcoll = p | "ListFiles" >> beam.Create(plan.files) | "SpreadFiles" >> beam.Reshuffle()
    for stage in plan.before_dedup:  # RawRecord, then Document
        result = apply_stage(pcoll, stage)
        pcoll = result.main
        counts.append(result[COUNTS_TAG])
    # near-copies gone, fewer paragraphs
    deduped = pcoll | "Deduplicate" >> Deduplicate(plan.near_dup, plan.prior)
    counts.append(deduped[COUNTS_TAG])
    pcoll = deduped[MAIN]
    for stage in plan.after_dedup:  # Document with lang
        result = apply_stage(pcoll, stage)
        pcoll = result.main
        counts.append(result[COUNTS_TAG])
    counters = counts | "AllCounts" >> beam.Flatten() | "SumCounts" >> beam.CombinePerKey(sum)
    near_dups = (  # (lang, (documents, characters)) removed as near-duplicates
        deduped[NEAR_DUPLICATES]
        | "LanguageOfNearDups" >> beam.ParDo(StageDoFn(plan.removed))
        | "SumNearDups" >> beam.CombinePerKey(beam.combiners.TupleCombineFn(sum, sum))
    )
    index = {name[len(INDEX):]: entries for name, entries in deduped.items() if name.startswith(INDEX)}
    write = WriteCorpus(plan, counters, near_dups, index)
    return pcoll | "WriteCorpus" >> write


def run_beam(options, plans: Iterable, wait: bool, quiet_workers: bool = False) -> None:
    """Run each of `plans` (a part each, made as the one before commits) as a pipeline on the options'
    runner, waiting for each to finish when `wait` (job.py lets a run that does not wait have one
    part). `quiet_workers`: a local run, whose worker processes forward a warning meant for Dataflow."""
    if quiet_workers:
        _quiet_local_workers()
    for plan in plans:
        pipeline = beam.Pipeline(options=options)
        build_pipeline(pipeline, plan)
        result = pipeline.run()
        if wait:
            result.wait_until_finish()


class _DropWorkerNoise(logging.Filter):
    """Drops the warning every local worker process forwards at start-up: it is about
    Dataflow's staged main session, which a local run neither has nor needs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "No semi_persistent_directory found" not in record.getMessage()


def _quiet_local_workers() -> None:
    logger = logging.getLogger("apache_beam.runners.portability.local_job_service")
    if not any(isinstance(f, _DropWorkerNoise) for f in logger.filters):
        logger.addFilter(_DropWorkerNoise())
