"""The corpus job on Beam: a JobPlan's Stages as DoFns, both dedups as shuffles, then WriteCorpus.

    files ─Reshuffle─▶ ReadRecords ─▶ ExtractText ─▶ RepairText ─▶ FilterQuality
          ─▶ Deduplicate ─▶ FilterMinChars ─▶ IdentifyLanguage ─▶ WriteCorpus
    every stage's counts ─▶ SumCounts ──────────────────────────┐
    near-duplicates ─▶ LanguageOfNearDups ─▶ SumNearDups ────────┴▶ WriteCorpus's _stats.json
    hashes and buckets won ─▶ WriteCorpus's _index/
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Callable, Iterable

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import GoogleCloudOptions
from apache_beam.portability.api import beam_fn_api_pb2
from apache_beam.runners.runner import PipelineState
from google.protobuf import text_format

from ...dedup.deduplicate import NEAR_DUPLICATES
from ...progress import ReaderProgress, format_line
from ...stage import PASSED, READ
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


def run_beam(options, plans: Iterable, wait: bool, quiet_workers: bool = False,
             follow: Callable | None = None):
    """Run each of `plans` (a part each, made as the one before commits) as a pipeline on the options'
    runner, waiting for each to finish when `wait` (job.py lets a run that does not wait have one
    part), through `follow(result)` when given (a job elsewhere: its progress). `quiet_workers`: a
    local run, whose worker processes log through Beam's worker log channel. Returns the last
    part's PipelineResult."""
    if quiet_workers:
        _quiet_local_workers()
    anonymous_on_emulator()
    result = None
    for plan in plans:
        pipeline = beam.Pipeline(options=options)
        build_pipeline(pipeline, plan)
        result = pipeline.run()
        if wait:
            (follow or _wait)(result)
    return result


def anonymous_on_emulator() -> None:
    """On a GCS emulator (STORAGE_EMULATOR_HOST) with no Google credentials, tell Beam at once what its
    own credential look-up finds after ~20 s of retries, each logged with a traceback: none, so Beam
    connects anonymously, as the emulator expects. Beam has no public switch for this; the one place
    it is set is here, and tests/pipeline/engines/test_dataflow.py fails if a Beam upgrade breaks it."""
    if not os.environ.get("STORAGE_EMULATOR_HOST"):
        return
    import google.auth
    from apache_beam.internal.gcp import auth

    try:
        google.auth.default()
    except google.auth.exceptions.DefaultCredentialsError:
        with auth._Credentials._credentials_lock:
            if not auth._Credentials._credentials_init:
                auth._Credentials._credentials, auth._Credentials._credentials_init = None, True
                logging.getLogger(__name__).info("GCS emulator at %s, no Google credentials: connecting anonymously",
                                                 os.environ["STORAGE_EMULATOR_HOST"])


def _wait(result) -> None:
    result.wait_until_finish()


def follow_job(result, files: int, total_bytes: int | None, interval: float) -> None:
    """Wait for a job that runs elsewhere (Dataflow), with a progress line from its read counters every
    `interval` seconds, as a local run shows from its workers."""
    started = time.monotonic()
    while True:
        state = result.wait_until_finish(duration=int(interval * 1000))
        print(f"{state}: {format_line(read_progress(result), files, total_bytes, time.monotonic() - started)}",
              file=sys.stderr, flush=True)
        if state and PipelineState.is_terminal(state):
            return


def read_progress(result) -> ReaderProgress:
    """Files done, bytes and pages read so far, from the job's `read` counters (summed over steps;
    committed where the runner has them, else attempted)."""
    totals: dict[str, int] = {}
    for counter in result.metrics().query(MetricsFilter().with_namespace(READ))["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        totals[counter.key.metric.name] = totals.get(counter.key.metric.name, 0) + (value or 0)
    return ReaderProgress(files_done=totals.get("files_done", 0), bytes=totals.get("bytes", 0),
                          pages=totals.get(PASSED, 0))


WORKER_LOGS = "apache_beam.runners.portability.local_job_service"  # where local worker processes' logs arrive


class WorkerLogLines(logging.Filter):
    """Local worker processes' log records as one plain line each: Beam logs each as 'Worker: %s' of
    its LogEntry protobuf in text form (severity, timestamp, message, instruction and transform ids,
    log location), which this parses back to keep the message and where it was logged. Drops the
    warning every worker forwards at start-up, about Dataflow's staged main session, which a local
    run neither has nor needs. tests/pipeline/engines/test_beam.py fails if Beam's form changes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != "Worker: %s" or len(record.args or ()) != 1:
            return True
        try:
            entry = text_format.Parse(str(record.args[0]), beam_fn_api_pb2.LogEntry())
        except text_format.ParseError:
            return True
        if "No semi_persistent_directory found" in entry.message:
            return False
        record.msg, record.args = "worker: %s (%s)", (entry.message, entry.log_location or "?")
        return True


def _quiet_local_workers() -> None:
    logger = logging.getLogger(WORKER_LOGS)
    if not any(isinstance(f, WorkerLogLines) for f in logger.filters):
        logger.addFilter(WorkerLogLines())


def launched(options, launch: str, submitted) -> dict:
    """What a run that does not wait created: {"launched": why (options.launch_only), and the template's
    path, or the job's id and its Dataflow console page for `submitted`, the result of a job submitted}."""
    google = options.view_as(GoogleCloudOptions)
    out = {"launched": launch}
    if google.template_location:
        out["template"] = google.template_location
    elif submitted is not None:
        out["job_id"] = submitted.job_id()
        out["console"] = (f"https://console.cloud.google.com/dataflow/jobs/{google.region}/{out['job_id']}"
                          f"?project={google.project}")
    return out
