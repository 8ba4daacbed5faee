"""The `xlmr-corpus` job: read -> extract -> repair -> quality -> near-dup -> dedup paragraphs -> min length
-> LID -> write.

    files  ──Reshuffle──▶ ReadRecords (URL blocklist) ─▶ ExtractText ─▶ RepairText ─▶ FilterQuality
           ─▶ Deduplicate (near-dup documents, then paragraphs) ─▶ FilterMinChars ─▶ IdentifyLanguage
           ─▶ WriteCorpus (shards, _stats.json, _SUCCESS)

RepairText and FilterQuality run unless `--recipe cc100` (or `--repair off`,
`--quality off`). The quality filters see each page whole, before dedup:
docs/pipeline.md measures why.

`run(argv)` is what the console script, the tests and the Dataflow template call; `--engine spark`
runs the same stages on Spark (spark_job.py).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import os
import uuid

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import StandardOptions

from xlmr.common.argtypes import UsageError
from xlmr.common.corpus_layout import STATS_FILE, SUCCESS_FILE, TEMP_DIR, language_dir
from xlmr.common.corpus_reader import Corpus
from xlmr.common.language_codes import expand_languages

from .counters import Stage
from .counting_dofn import COUNTS_TAG, StageDoFn
from .http_reader import RetryPolicy
from .inputs import crawl_manifest, expand_inputs, input_bytes
from .language_id import default_model_path
from .options import CorpusOptions, is_local, parse_options
from .progress import ProgressMonitor
from .quality_settings import Thresholds, load_thresholds
from .report import write_report
from .deduplicate import NEAR_DUPLICATES_TAG, Deduplicate
from .shard_writer import WriteCorpus
from .stages import (ExtractText, FilterMinChars, FilterQuality, IdentifyLanguage, LanguageOfRemoved,
                     ReadRecords, RepairText)
from .url_blocklist import load_blocklist

LIBRARIES = ("apache-beam", "trafilatura", "warcio", "fasttext-predict", "pyarrow", "ftfy", "pyicu-wheels",
             "xlmr-cc100")


class OutputExistsError(UsageError):
    pass


def http_policy(opts: CorpusOptions) -> RetryPolicy:
    return RetryPolicy(max_retries=opts.http_retries, budget=opts.http_retry_budget)


def _stage(pcoll, stage: Stage):
    """Apply a Stage, labelled with its class name; returns (main output, counts output)."""
    result = pcoll | type(stage).__name__ >> beam.ParDo(StageDoFn(stage)).with_outputs(COUNTS_TAG, main="main")
    return result.main, result[COUNTS_TAG]


def job_stages(opts: CorpusOptions, thresholds: Thresholds | None = None, progress_dir: str | None = None):
    """The per-record stages of the job, for either engine: (before dedup, read first; after
    dedup; the near-duplicates' language statistics)."""
    before = [ReadRecords(opts.max_html_bytes, http_policy(opts), opts.url_blocklist, progress_dir),
              ExtractText(opts.extract_timeout)]
    if opts.repair == "on":
        before.append(RepairText())
    if opts.quality != "off":
        before.append(FilterQuality(opts.lid_model, thresholds, opts.quality))
    after = [FilterMinChars(opts.min_chars),
             IdentifyLanguage(opts.lid_model, opts.lid_threshold, expand_languages(opts.languages))]
    return before, after, LanguageOfRemoved(opts.lid_model, opts.lid_threshold)


def near_dup_settings(opts: CorpusOptions) -> tuple[int, float] | None:
    return (opts.near_dup_perm, opts.near_dup_threshold) if opts.near_dup == "on" else None


def build_pipeline(p: beam.Pipeline, opts: CorpusOptions, files: list[str], temp_dir: str, config: dict,
                   thresholds: Thresholds | None = None, progress_dir: str | None = None):
    """Add the corpus job to `p`; returns the one-element PCollection of the final stats.

    `thresholds` are the quality filters' (needed unless --quality off); `progress_dir`
    is a local run's progress channel (progress.py).
    """
    before, after, removed = job_stages(opts, thresholds, progress_dir)
    counts = []
    # file paths, spread over workers before any record is read
    pcoll = p | "ListFiles" >> beam.Create(files) | "SpreadFiles" >> beam.Reshuffle()
    for stage in before:  # RawRecord, then Document
        pcoll, c = _stage(pcoll, stage)
        counts.append(c)
    deduped = pcoll | "Deduplicate" >> Deduplicate(near_dup_settings(opts))  # near-copies gone, fewer paragraphs
    counts.append(deduped[COUNTS_TAG])
    pcoll = deduped.docs
    for stage in after:  # Document with lang
        pcoll, c = _stage(pcoll, stage)
        counts.append(c)
    counters = counts | "AllCounts" >> beam.Flatten() | "SumCounts" >> beam.CombinePerKey(sum)
    near_dups = (  # (lang, (documents, characters)) removed as near-duplicates
        deduped[NEAR_DUPLICATES_TAG]
        | "LanguageOfNearDups" >> beam.ParDo(StageDoFn(removed))
        | "SumNearDups" >> beam.CombinePerKey(beam.combiners.TupleCombineFn(sum, sum))
    )
    write = WriteCorpus(opts.output, temp_dir, opts.shard_rows, counters, near_dups, config)
    return pcoll | "WriteCorpus" >> write


def prepare_output(output: str, overwrite: bool) -> None:
    """Refuse an output that holds results, or clear it with --overwrite."""
    existing = [
        m.path
        for pattern in (f"{language_dir('*')}/*", STATS_FILE, SUCCESS_FILE, TEMP_DIR, "README.md", "*.png")
        for m in FileSystems.match([FileSystems.join(output, pattern)])[0].metadata_list
    ]
    if not existing:
        return
    if not overwrite:
        raise OutputExistsError(
            f"--output {output} already holds results ({len(existing)} files, e.g. {existing[0]}); "
            "pass --overwrite to replace them or choose another --output"
        )
    FileSystems.delete(existing)


def _config(opts: CorpusOptions, files: list[str]) -> dict:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    flags = opts.get_all_options(current_only=True)
    return {"flags": flags, "lid_model": opts.lid_model, "input_files": len(files), "versions": versions}


def resolve(opts: CorpusOptions) -> tuple[list[str], Thresholds | None]:
    """Fill defaults that depend on the environment, check the side files; returns the input
    files and the quality thresholds (None under --quality off). Raises ValueError naming the problem."""
    if opts.output and "://" not in opts.output:
        opts.output = os.path.abspath(opts.output)
    thresholds = None
    if opts.quality != "off":
        thresholds = load_thresholds(opts.quality_thresholds, lid176=opts.lid_model is None)
    if opts.url_blocklist:
        load_blocklist(opts.url_blocklist)  # unreadable: fail now, not in every worker
    opts.lid_model = opts.lid_model or default_model_path()
    patterns = list(opts.input) + ([crawl_manifest(opts.crawl, opts.crawl_format)] if opts.crawl else [])
    files = expand_inputs(patterns, opts.max_files)
    # absolute: a worker (a Spark executor above all) need not share this process's directory
    return [f if "://" in f else os.path.abspath(f) for f in files], thresholds


def run(argv: list[str] | None = None, wait: bool = True) -> dict | None:
    """Run the job; when `wait`, write the dataset card (report.py) and return `_stats.json`'s content.
    A Spark run always waits."""
    options = parse_options(argv)
    opts = options.view_as(CorpusOptions)
    files, thresholds = resolve(opts)
    prepare_output(opts.output, opts.overwrite)
    temp_dir = FileSystems.join(opts.output, TEMP_DIR, uuid.uuid4().hex)
    if opts.engine == "spark":
        from .spark_job import run_spark  # pyspark: only where the Spark engine runs

        run_spark(opts, files, temp_dir, _config(opts, files), *job_stages(opts, thresholds))
    elif not _run_beam(options, opts, files, temp_dir, thresholds, wait):
        return None
    write_report(opts.output)
    return Corpus(opts.output, flag="--output").stats


def _run_beam(options, opts: CorpusOptions, files: list[str], temp_dir: str, thresholds: Thresholds | None,
              wait: bool) -> bool:
    """The job on Beam's runner; returns whether it waited for the job to finish."""
    local = is_local(options.view_as(StandardOptions).runner)
    if local:
        _quiet_local_workers()
    monitor = (ProgressMonitor(len(files), input_bytes(files), opts.progress_interval)
               if local and wait and opts.progress == "on" else contextlib.nullcontext())
    with monitor as progress_dir:
        pipeline = beam.Pipeline(options=options)
        build_pipeline(pipeline, opts, files, temp_dir, _config(opts, files), thresholds, progress_dir)
        result = pipeline.run()
        if wait:
            result.wait_until_finish()
    return wait


class _DropWorkerNoise(logging.Filter):
    """Drops the warning every local worker process forwards at start-up: it is about
    Dataflow's staged main session, which a local run neither has nor needs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "No semi_persistent_directory found" not in record.getMessage()


def _quiet_local_workers() -> None:
    logger = logging.getLogger("apache_beam.runners.portability.local_job_service")
    if not any(isinstance(f, _DropWorkerNoise) for f in logger.filters):
        logger.addFilter(_DropWorkerNoise())
