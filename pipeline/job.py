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
import functools
import importlib.metadata
import uuid
from typing import Callable, Iterator

from xlmr.common import files
from xlmr.common.argtypes import UsageError
from xlmr.common.corpus_layout import (CARD_FILE, PARTS_DIR, PLOT_FILES, STATS_FILE, SUCCESS_FILE, TEMP_DIR,
                                      index_glob, shard_glob)
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
from .options import DRY_RUN, NO_WAIT, TEMPLATE, CorpusOptions, corpus_flags, launch_only, parse_options, runs_here
from .progress import ProgressMonitor
from .readers.http_reader import RetryPolicy
from .readers.inputs import crawl_manifest, expand_inputs, input_bytes
from .readers.read_records import ReadRecords
from .readers.url_blocklist import load_blocklist
from .stage import Stage
from .stats.crawls import TallyCrawls
from .stats.report import write_report
from .writers.parquet_shards import INDEX_KINDS
from .writers.parts import RunPlan, clear_part, committed, complete, run_id, runs, split_parts, start_run

LIBRARIES = ("apache-beam", "trafilatura", "warcio", "fasttext-predict", "pyarrow", "ftfy", "pyicu-wheels",
             "ufal-kenlm", "sentencepiece",
             "xlmr-cc100")


class OutputExistsError(UsageError):
    pass


@dataclasses.dataclass
class JobPlan:
    """What either engine runs: the Stages around the dedups and where the output goes."""

    files: list[str]  # this part's input files, listed at launch
    before_dedup: list[Stage]  # read first: file path -> RawRecord -> Document
    near_dup: tuple[int, float] | None  # (permutations, threshold), None: paragraph dedup only
    prior: dict[str, list[str]]  # index files by kind of the parts before this one and of --dedup-against
    after_dedup: list[Stage]  # Document -> Document with lang
    removed: Stage  # a near-duplicate -> (lang, (1, characters)) for _stats.json
    output: str
    temp_dir: str  # where shards wait until every one is written
    shard_rows: int
    config: dict  # _stats.json's record of the run
    part: int  # its number in DIR (writers/parts.py)
    last: bool  # the run's last part: its job writes _stats.json and _SUCCESS


@dataclasses.dataclass
class Resolved:
    """What `resolve` settled at launch, so that no worker reads or checks it again."""

    files: list[str]  # the input files
    thresholds: Thresholds | None  # the quality filters' (None under --quality off)
    models: LanguageModels | None  # the perplexity stage's (None without --lm-models)
    prior: dict[str, list[str]]  # earlier corpora's index files by kind (--dedup-against)


def plan_job(opts: CorpusOptions, resolved: Resolved, part: int = 0, last: bool = True,
             progress_dir: str | None = None) -> JobPlan:
    """The job of part `part` for these options and what `resolve` found (its files, and as prior
    what earlier corpora and parts hold); `progress_dir` a local run's progress channel (progress.py)."""
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
        shard_rows=opts.shard_rows, config=_config(opts, files_), part=part, last=last)


def prepare_output(opts: CorpusOptions, input_files: list[str]) -> tuple[RunPlan, Callable[[], None]]:
    """This run's plan in --output (writers/parts.py): a new one; its own, unfinished, to resume; or with
    --append, new parts after a finished corpus's. Refuses an output holding other results, or clears it
    with --overwrite. Returns the plan and what starts it in --output (writes the plan; with --append,
    removes the finished corpus's statistics and card), which part_plans calls once the engine asks for
    the first part: an engine that fails to start leaves --output as it was."""
    output = opts.output
    parts = split_parts(input_files, opts.part_files)
    plan_id = run_id(parts, shaping_flags(opts))
    if opts.overwrite:
        files.delete(*existing_results(output))
    finished = files.exists(files.join(output, SUCCESS_FILE))
    earlier = runs(output)
    own = next((plan for plan in earlier if plan.id == plan_id), None)
    if own and not finished:
        return own, _nothing  # the same command again: resume
    existing = existing_results(output)
    if existing and not opts.append:
        unfinished = (" It holds an unfinished run of other inputs or flags, which its own command resumes."
                      if earlier and not finished else "")
        raise OutputExistsError(
            f"--output {output} already holds results ({len(existing)} files, e.g. {existing[0]}); pass --overwrite "
            f"to replace them, --append to add these inputs to it as new parts, or choose another --output.{unfinished}")
    first = 0
    if existing:  # --append
        if not (earlier and finished):
            raise UsageError(f"--append: --output {output} is not a finished corpus: "
                             + ("its last run did not finish; rerun that command first" if earlier else
                                f"no {PARTS_DIR}/ or {SUCCESS_FILE}"))
        first = max(committed(output)) + 1
    plan = RunPlan(plan_id, first, parts)

    def begin() -> None:
        if existing:
            files.delete(*(files.join(output, name) for name in (STATS_FILE, SUCCESS_FILE, CARD_FILE, *PLOT_FILES)))
        start_run(output, plan)
    return plan, begin


def _nothing() -> None:
    pass


def existing_results(output: str) -> list[str]:
    patterns = (shard_glob(), index_glob(), f"{PARTS_DIR}/*", STATS_FILE, SUCCESS_FILE, CARD_FILE, *PLOT_FILES)
    existing = [path for pattern in patterns for path in files.glob(files.join(output, pattern))]
    if files.exists(files.join(output, TEMP_DIR)):
        existing.append(files.join(output, TEMP_DIR))
    return existing


# Flags that change how a run goes, not the corpus it makes: a rerun may change them and still resume.
NOT_SHAPING = {"input", "crawl", "crawl_format", "max_files", "output", "overwrite", "append", "progress",
               "progress_interval", "card", "engine", "spark_master", "conf"}


def shaping_flags(opts: CorpusOptions) -> dict:
    """The flags a resumed run must share with the run it resumes (its files are in its parts)."""
    return {action.dest: getattr(opts, action.dest) for action in corpus_flags() if action.dest not in NOT_SHAPING}


def part_plans(opts: CorpusOptions, resolved: Resolved, run_plan: RunPlan, begin: Callable[[], None],
               progress_dir: str | None = None) -> Iterator[JobPlan]:
    """The JobPlan of each part not yet committed, made when the engine asks for it, after the part
    before it has committed: each is deduplicated against the index of every part before it. `begin`
    (prepare_output's) runs before the first."""
    begin()
    done, last = committed(opts.output), run_plan.numbers()[-1]
    for number, part_files in zip(run_plan.numbers(), run_plan.parts):
        if number in done:
            continue
        clear_part(opts.output, number)
        prior = {kind: resolved.prior.get(kind, []) + files.glob(files.join(opts.output, index_glob(kind)))
                 for kind in INDEX_KINDS}
        yield plan_job(opts, dataclasses.replace(resolved, files=part_files, prior=prior), number, number == last,
                       progress_dir)


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


def run(argv: list[str] | None = None, wait: bool = True) -> dict:
    """Run the job, part by part (writers/parts.py). When it waits, write the dataset card
    (stats/report.py) unless --card off, and return `_stats.json`'s content. A run that ends at
    submission (`wait` False, as the Flex Template launcher runs it, or `launch_only`) returns
    what it launched instead (`launched`). A Spark run always waits."""
    options = parse_options(argv)
    opts = options.view_as(CorpusOptions)
    resolved = resolve(opts)
    # only a job that runs elsewhere can end at its submission
    launch = launch_only(options) if opts.engine == "beam" and not runs_here(options) else None
    wait = wait and launch is None
    if not wait and len(split_parts(resolved.files, opts.part_files)) > 1:
        raise UsageError("--part-files: a run of several parts waits for each before the next starts; "
                         "launch it from a machine that waits, or without --part-files")
    run_plan, begin = prepare_output(opts, resolved.files)
    if launch in (TEMPLATE, DRY_RUN):  # they run nothing now: the output stays as it is
        begin = _nothing
    to_read = [f for number, part in zip(run_plan.numbers(), run_plan.parts)
               if number not in committed(opts.output) for f in part]
    if opts.engine == "spark":
        from .engines.spark.job import run_spark  # pyspark: only where the Spark engine runs

        run_spark(part_plans(opts, resolved, run_plan, begin), opts.spark_master, opts.conf)
    else:
        from .engines.beam.job import follow_job, launched, run_beam

        local, progress = runs_here(options), opts.progress == "on" and wait
        monitor = (ProgressMonitor(len(to_read), input_bytes(to_read), opts.progress_interval)
                   if local and progress else contextlib.nullcontext())
        follow = (functools.partial(follow_job, files=len(to_read), total_bytes=input_bytes(to_read),
                                    interval=opts.progress_interval) if progress and not local else None)
        with monitor as progress_dir:
            result = run_beam(options, part_plans(opts, resolved, run_plan, begin, progress_dir), wait,
                              quiet_workers=local, follow=follow)
        if not wait:
            launch = launch or NO_WAIT
            return launched(options, launch, result if launch == NO_WAIT else None)
    if not files.exists(files.join(opts.output, SUCCESS_FILE)):
        complete(opts.output)  # every part was committed before a kill let the last one finish
    if opts.card == "on":
        write_report(opts.output)
    return Corpus(opts.output, flag="--output").stats
