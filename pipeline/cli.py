"""`xlmr-corpus`: the command line of the corpus pipeline."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from xlmr.common.argtypes import HelpFormatter, UsageError, non_negative_int, positive_int
from xlmr.common.corpus_layout import CARD_FILE, PLOT_FILES, STATS_FILE, shard_glob
from xlmr.common.corpus_reader import CorpusError
from xlmr.common.files import join

from .job import run
from .options import CorpusOptions
from .stats.corpus_stats import format_funnel, format_table
from .stats.report import write_report

EPILOG = """\
Any Apache Beam pipeline option is accepted as well, for example:
  --runner DirectRunner|DataflowRunner|PortableRunner|SparkRunner|FlinkRunner
  --direct_num_workers N --direct_running_mode in_memory|multi_threading|multi_processing
  --project P --region R --temp_location gs://... (Dataflow)

Under DataflowRunner the command waits for the job by default, printing its read counters
(files done, bytes) every --progress-interval seconds, then writes the dataset card. It ends
at submission instead, with exit status 0 and what it created, with:
  --no_wait_until_finish             submit the job, print its id and console page
  --template_location gs://.../T     write a classic template, run nothing
  --dry_run=True                     build and check the job, stage and submit nothing
then run xlmr-corpus report DIR once the job has finished.

Output: DIR/lang=<code>/part-PPPPP-NNNNN-of-MMMMM.parquet (zstd; shard N of M of part P), DIR/_stats.json,
DIR/_index/ (the dedup index), DIR/_parts/ (resume records), DIR/_SUCCESS, and the dataset card DIR/README.md
with its PNG plots.
Examples:
  xlmr-corpus --input sample/sample.warc.gz --output out/corpus
  xlmr-corpus report out/corpus        # rewrite the card (e.g. after a Dataflow run)
  xlmr-corpus lm download --languages de fr --output lm   # CCNet's models for --lm-models lm
  xlmr-corpus lm train --language sw --text sw-wiki.txt --output lm   # one of your own (needs KenLM's lmplz)
"""


def help_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xlmr-corpus",
        description="Build a CC-100-style corpus: CommonCrawl WARC/WET -> extracted, paragraph-deduplicated,\n"
        "language-identified per-language Parquet shards, on Apache Beam or Spark (--engine).",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    CorpusOptions._add_argparse_args(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["report"]:
        return report_main(argv[1:])
    if argv[:2] == ["lm", "download"]:
        return lm_download_main(argv[2:])
    if argv[:2] == ["lm", "train"]:
        return lm_train_main(argv[2:])
    if argv[:1] == ["lm"]:
        print("usage: xlmr-corpus lm download|train ... (--help after either says more)", file=sys.stderr)
        return 2
    if "-h" in argv or "--help" in argv:
        help_parser().print_help()
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        stats = run(argv)
    except UsageError as exc:
        print(f"xlmr-corpus: error: {exc}", file=sys.stderr)
        return 2
    if "launched" in stats:
        print(launch_summary(stats, argv))
        return 0
    output = stats["config"]["flags"]["output"]
    print(format_funnel(stats), end="\n\n")
    print(format_table(stats))
    print(f"\nshards: {join(output, shard_glob('<code>'))}")
    print(f"stats:  {join(output, STATS_FILE)}")
    if stats["config"]["flags"]["card"] == "on":
        print(f"card:   {join(output, CARD_FILE)} (with {', '.join(PLOT_FILES)})")
    else:
        print(f"card:   none (--card off); xlmr-corpus report {output} writes it")
    return 0


def launch_summary(launched: dict, argv: list[str]) -> str:
    """What a run that ended at submission created, and what to do once its job has run."""
    output = CorpusOptions(argv).output
    after = (f"When the job has finished: xlmr-corpus report {output} writes the dataset card "
             f"({STATS_FILE} is written by the job itself).")
    if "template" in launched:
        return (f"template: {launched['template']} (a classic Dataflow template; run it with gcloud dataflow jobs "
                f"run NAME --gcs-location {launched['template']} --region REGION). {after}")
    if "job_id" in launched:
        return (f"job: {launched['job_id']} submitted, not waited for; watch it at {launched['console']} "
                f"(counters read:files_done and read:bytes show its progress). {after}")
    return "dry run: the Dataflow job was built and checked, nothing was staged or submitted."


def _subcommand(name: str, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=f"xlmr-corpus {name}", description=description, formatter_class=HelpFormatter)


def _errors_reported(name: str, errors: tuple, work) -> int:
    """work(); an expected error is printed as the command's one-line error, with exit status 2."""
    try:
        work()
    except errors as exc:
        print(f"xlmr-corpus {name}: error: {exc}", file=sys.stderr)
        return 2
    return 0


def report_main(argv: list[str]) -> int:
    parser = _subcommand("report", "(Re)write the dataset card DIR/README.md and its plots from an xlmr-corpus output.")
    parser.add_argument("output", metavar="DIR", help="an xlmr-corpus output, local or gs://")
    args = parser.parse_args(argv)
    return _errors_reported("report", (CorpusError,), lambda: print(f"card: {write_report(args.output)}"))


def lm_download_main(argv: list[str]) -> int:
    from .filters.lm_download import CCNET_MODELS, ccnet_languages, download
    from .readers.http_reader import DownloadFailed, RetryPolicy

    parser = _subcommand("lm download", "Fetch CCNet's language models (<lang>.sp.model, <lang>.arpa.bin) into DIR "
                         "for --lm-models: resumed where an earlier run stopped, each file checked to load before "
                         "it takes its name.")
    parser.add_argument("--languages", nargs="+", required=True, metavar="CODE",
                        help=f"languages to fetch, or all (CCNet's: {' '.join(ccnet_languages())})")
    parser.add_argument("--output", required=True, type=Path, metavar="DIR", help="local directory to fill")
    parser.add_argument("--base-url", default=CCNET_MODELS, metavar="URL",
                        help="where the files are: URL/<lang>.sp.model and URL/<lang>.arpa.bin (a mirror)")
    parser.add_argument("--http-retries", type=non_negative_int, default=10, metavar="N",
                        help="failures in a row retried with back-off, resuming by Range, before giving up")
    args = parser.parse_args(argv)
    languages = ccnet_languages() if args.languages == ["all"] else [c for a in args.languages for c in a.split(",")]

    def work():
        download(languages, args.output, args.base_url, RetryPolicy(max_retries=args.http_retries))
        print(f"models: {args.output} (xlmr-corpus --lm-models {args.output})")
    return _errors_reported("lm download", (UsageError, DownloadFailed), work)


def lm_train_main(argv: list[str]) -> int:
    from .filters.lm_train import train

    parser = _subcommand("lm train", "Train a language model in CCNet's layout, as CCNet trained its own: "
                         "SentencePiece, then KenLM's lmplz and build_binary (built from KenLM's sources, on PATH).")
    parser.add_argument("--language", required=True, metavar="CODE", help="the language code the files are named by")
    parser.add_argument("--text", nargs="+", required=True, type=Path, metavar="FILE",
                        help="UTF-8 text, a paragraph a line (CCNet used the language's Wikipedia)")
    parser.add_argument("--output", required=True, type=Path, metavar="DIR",
                        help="where <lang>.sp.model and <lang>.arpa.bin go (a --lm-models directory)")
    parser.add_argument("--vocab-size", type=positive_int, default=65_536, metavar="N",
                        help="SentencePiece pieces (CCNet's: 65,536)")
    parser.add_argument("--order", type=positive_int, default=5, metavar="N", help="n-gram order (CCNet's: 5)")
    parser.add_argument("--max-lines", type=positive_int, default=1_000_000, metavar="N",
                        help="lines of --text to train on at most")
    args = parser.parse_args(argv)
    return _errors_reported("lm train", (UsageError,), lambda: train(
        args.language, args.text, args.output, args.vocab_size, args.order, args.max_lines))


if __name__ == "__main__":
    sys.exit(main())
