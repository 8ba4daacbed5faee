"""`xlmr-corpus`: the command line of the corpus pipeline."""

from __future__ import annotations

import argparse
import logging
import sys

from xlmr.common.argtypes import HelpFormatter, UsageError
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

Output: DIR/lang=<code>/part-NNNNN-of-MMMMM.parquet (zstd), DIR/_stats.json, DIR/_SUCCESS,
and the dataset card DIR/README.md with its PNG plots.
Examples:
  xlmr-corpus --input sample/sample.warc.gz --output out/corpus
  xlmr-corpus report out/corpus        # rewrite the card (e.g. after a Dataflow run)
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
    if "-h" in argv or "--help" in argv:
        help_parser().print_help()
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        stats = run(argv)
    except UsageError as exc:
        print(f"xlmr-corpus: error: {exc}", file=sys.stderr)
        return 2
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


def report_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="xlmr-corpus report",
        description="(Re)write the dataset card DIR/README.md and its plots from an xlmr-corpus output.")
    parser.add_argument("output", metavar="DIR", help="an xlmr-corpus output, local or gs://")
    args = parser.parse_args(argv)
    try:
        path = write_report(args.output)
    except CorpusError as exc:
        print(f"xlmr-corpus report: error: {exc}", file=sys.stderr)
        return 2
    print(f"card: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
