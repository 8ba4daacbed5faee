"""The `xlmr-corpus` job, assembled once for every engine: read -> extract -> repair -> quality ->
near-dup -> dedup paragraphs -> min length -> LID -> perplexity -> crawl tally -> write.

    files ─▶ ReadRecords (URL blocklist) ─▶ ExtractText ─▶ RepairText ─▶ FilterQuality
          ─▶ both dedups (dedup/deduplicate.py) ─▶ FilterMinChars ─▶ IdentifyLanguage ─▶ ScorePerplexity
          ─▶ TallyCrawls (documents per crawl)
          ─▶ shards, _stats.json, _SUCCESS (writers/parquet_shards.py) ─▶ the dataset card

RepairText and FilterQuality run unless `--recipe cc100` (or `--repair off`,
`--quality off`). The quality filters see each page whole, before dedup:
docs/pipeline.md measures why. ScorePerplexity (CCNet's language-model filter) runs
with `--lm-models`, on the text that is written, as CCNet scores after its dedup.

`run(argv)` is what the console script, the tests and the Dataflow template call. It
checks the flags and side files, lists the inputs, builds a `JobPlan` (the Stages and
settings, engine-free) and hands it to the Beam engine (engines/beam/) or, under
`--engine spark`, to the Spark engine (engines/spark/).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import uuid

from xlmr.common import files
from xlmr.common.argtypes import UsageError
from xlmr.common.corpus_layout import (CARD_FILE, PLOT_FILES, STATS_FILE, SUCCESS_FILE, TEMP_DIR, index_glob,
                                      language_dir)
from xlmr.common.corpus_reader import Corpus
from xlmr.common.language_codes import expand_languages

from .dedup.index import prior_files
from .extractors.extract_text import ExtractText
from .filters.filter_quality import FilterQuality
from .filters.language_id import IdentifyLanguage, LanguageOfRemoved, default_model_path
from .filters.length_filter import FilterMinChars
from .filters.perplexity import LanguageModels, ScorePerplexity
from .filters.quality_settings import Thresholds, load_thresholds
from .formatters.text_repair import RepairText
from .options import CorpusOptions, parse_options, runs_here
from .progress import ProgressMonitor
from .readers.http_reader import RetryPolicy
from .readers.inputs import crawl_manifest, expand_inputs, input_bytes
from .readers.read_records import ReadRecords
from .readers.url_blocklist import load_blocklist
from .stage import Stage
from .stats.crawls import TallyCrawls
from .stats.report import write_report

LIBRARIES = ("apache-beam", "trafilatura", "warcio", "fasttext-predict", "pyarrow", "ftfy", "pyicu-wheels",
             "ufal-kenlm", "sentencepiece",
             "xlmr-cc100")


class OutputExistsError(UsageError):
    pass


@dataclasses.dataclass
class JobPlan:
    """What either engine runs: the Stages around the dedups and where the output goes."""

    files: list[str]  # input files, listed at launch
    before_dedup: list[Stage]  # read first: file path -> RawRecord -> Document
    near_dup: tuple[int, float] | None  # (permutations, threshold), None: paragraph dedup only
    prior: dict[str, list[str]]  # earlier corpora's index files by kind (--dedup-against), listed at launch
    after_dedup: list[Stage]  # Document -> Document with lang
    removed: Stage  # a near-duplicate -> (lang, (1, characters)) for _stats.json
    output: str
    temp_dir: str  # where shards wait until every one is written
    shard_rows: int
    config: dict  # _stats.json's record of the run


@dataclasses.dataclass
class Resolved:
    """What `resolve` settled at launch, so that no worker reads or checks it again."""

    files: list[str]  # the input files
    thresholds: Thresholds | None  # the quality filters' (None under --quality off)
    models: LanguageModels | None  # the perplexity stage's (None without --lm-models)
    prior: dict[str, list[str]]  # earlier corpora's index files by kind (--dedup-against)


def plan_job(opts: CorpusOptions, resolved: Resolved, progress_dir: str | None = None) -> JobPlan:
    """The job for these options and what `resolve` found; `progress_dir` a local run's progress
    channel (progress.py)."""
    files_, thresholds = resolved.files, resolved.thresholds
    policy = RetryPolicy(max_retries=opts.http_retries, budget=opts.http_retry_budget)
    before = [ReadRecords(opts.max_html_bytes, policy, opts.url_blocklist, progress_dir),
              ExtractText(opts.extract_timeout, opts.extractor)]
    if opts.repair == "on":
        before.append(RepairText())
    if opts.quality != "off":
        before.append(FilterQuality(opts.lid_model, thresholds, opts.quality))
    after = [FilterMinChars(opts.min_chars),
             IdentifyLanguage(opts.lid_model, opts.lid_threshold, expand_languages(opts.languages))]
    if resolved.models:
        keep = frozenset() if opts.lm_filter == "off" else frozenset(opts.lm_filter.split(","))
        after.append(ScorePerplexity(resolved.models, keep))
    after.append(TallyCrawls())  # last: it counts what is written
    return JobPlan(
        files=files_, before_dedup=before,
        near_dup=(opts.near_dup_perm, opts.near_dup_threshold) if opts.near_dup == "on" else None,
        prior=resolved.prior,
        after_dedup=after, removed=LanguageOfRemoved(opts.lid_model, opts.lid_threshold),
        output=opts.output, temp_dir=files.join(opts.output, TEMP_DIR, uuid.uuid4().hex),
        shard_rows=opts.shard_rows, config=_config(opts, files_))


def prepare_output(output: str, overwrite: bool) -> None:
    """Refuse an output that holds results, or clear it with --overwrite."""
    patterns = (f"{language_dir('*')}/*", index_glob(), STATS_FILE, SUCCESS_FILE, CARD_FILE, *PLOT_FILES)
    existing = [path for pattern in patterns for path in files.glob(files.join(output, pattern))]
    if files.exists(files.join(output, TEMP_DIR)):
        existing.append(files.join(output, TEMP_DIR))
    if not existing:
        return
    if not overwrite:
        raise OutputExistsError(
            f"--output {output} already holds results ({len(existing)} files, e.g. {existing[0]}); "
            "pass --overwrite to replace them or choose another --output"
        )
    files.delete(*existing)


def _config(opts: CorpusOptions, files_: list[str]) -> dict:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    flags = opts.get_all_options(current_only=True)
    return {"flags": flags, "lid_model": opts.lid_model, "input_files": len(files_), "versions": versions}


def resolve(opts: CorpusOptions) -> Resolved:
    """Fill defaults that depend on the environment, check the side files; returns the input files,
    the quality thresholds and the language models. Raises ValueError naming the problem."""
    if opts.output:
        opts.output = files.absolute(opts.output)
    thresholds = None
    if opts.quality != "off":
        thresholds = load_thresholds(opts.quality_thresholds, lid176=opts.lid_model is None)
    if opts.url_blocklist:
        load_blocklist(opts.url_blocklist)  # unreadable: fail now, not in every worker
    # a missing or corrupt model: fail now, not on a worker hours in
    models = LanguageModels.checked(opts.lm_models, opts.lm_cutoffs) if opts.lm_models else None
    opts.lid_model = opts.lid_model or default_model_path()
    patterns = list(opts.input) + [crawl_manifest(crawl, opts.crawl_format) for crawl in opts.crawl]
    earlier = [files.absolute(d) for d in opts.dedup_against]
    if opts.output in earlier:
        raise UsageError(f"--dedup-against {opts.output} is --output itself; name the earlier corpora only")
    return Resolved(expand_inputs(patterns, opts.max_files), thresholds, models, prior_files(earlier))


def run(argv: list[str] | None = None, wait: bool = True) -> dict | None:
    """Run the job; when `wait`, write the dataset card (stats/report.py) unless --card off, and return
    `_stats.json`'s content. A Spark run always waits."""
    options = parse_options(argv)
    opts = options.view_as(CorpusOptions)
    resolved = resolve(opts)
    prepare_output(opts.output, opts.overwrite)
    if opts.engine == "spark":
        from .engines.spark.job import run_spark  # pyspark: only where the Spark engine runs

        run_spark(plan_job(opts, resolved), opts.spark_master, opts.conf)
    else:
        from .engines.beam.job import run_beam

        local = runs_here(options)
        monitor = (ProgressMonitor(len(resolved.files), input_bytes(resolved.files), opts.progress_interval)
                   if local and wait and opts.progress == "on" else contextlib.nullcontext())
        with monitor as progress_dir:
            run_beam(options, plan_job(opts, resolved, progress_dir), wait, quiet_workers=local)
        if not wait:
            return None
    if opts.card == "on":
        write_report(opts.output)
    return Corpus(opts.output, flag="--output").stats
