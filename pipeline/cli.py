"""`xlmr-corpus`: the command line of the corpus pipeline."""

from __future__ import annotations

import argparse
import logging
import sys

from apache_beam.io.filesystems import FileSystems

from .corpus import OutputExistsError, run
from .corpus_stats import format_funnel, format_table
from .options import CorpusOptions

EPILOG = """\
Any Apache Beam pipeline option is accepted as well, for example:
  --runner DirectRunner|DataflowRunner|PortableRunner|SparkRunner|FlinkRunner
  --direct_num_workers N --direct_running_mode in_memory|multi_threading|multi_processing
  --project P --region R --temp_location gs://... (Dataflow)

Output: DIR/lang=<code>/part-NNNNN-of-MMMMM.parquet (zstd), DIR/_stats.json, DIR/_SUCCESS.
Example:
  xlmr-corpus --input sample/sample.warc.gz --output out/corpus
"""


def help_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xlmr-corpus",
        description="Build a CC-100-style corpus: CommonCrawl WARC/WET -> extracted, paragraph-"
        "deduplicated, language-identified per-language Parquet shards (Apache Beam).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    CorpusOptions._add_argparse_args(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "-h" in argv or "--help" in argv:
        help_parser().print_help()
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        stats = run(argv)
    except (OutputExistsError, FileNotFoundError, ValueError) as exc:
        print(f"xlmr-corpus: error: {exc}", file=sys.stderr)
        return 2
    output = stats["config"]["flags"]["output"]
    print(format_funnel(stats), end="\n\n")
    print(format_table(stats))
    print(f"\nshards: {FileSystems.join(output, 'lang=<code>')}/*.parquet")
    print(f"stats:  {FileSystems.join(output, '_stats.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
