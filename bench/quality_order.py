"""Where the quality filters go: before paragraph dedup (what xlmr-corpus does) or after LID and dedup.

Runs the pipeline twice on the same input and compares what each order keeps:

- before: the default job (repair, filters on each whole page, then near-dup,
  paragraph dedup, min length, LID);
- after: the same job with `--quality off`, then the same filters applied to each
  written document (its deduplicated text, thresholds of its final language).

A document dropped after dedup takes with it the paragraphs it won, which
their other copies lost to it; a document dropped before dedup never competes.
Printed: documents and characters kept by each order, the documents both keep
and how many characters each gives them, and what only one order keeps.

    python bench/quality_order.py [--input FILES...] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import collections
import tempfile
from pathlib import Path

import pyarrow.dataset as ds

from xlmr.pipeline.job import run
from xlmr.pipeline.filters.quality_filters import assess
from xlmr.pipeline.filters.quality_settings import load_thresholds
from xlmr.pipeline.filters.words import WordSplitter

REPO = Path(__file__).resolve().parent.parent


def rows(output: Path) -> dict[str, dict]:
    table = ds.dataset(str(output), format="parquet", partitioning="hive", exclude_invalid_files=True).to_table(
        columns=["id", "url", "text", "lang"])
    return {r["id"]: r for r in table.to_pylist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", nargs="+", default=[str(REPO / "sample" / "sample.warc.gz"),
                                                       str(REPO / "sample" / "sample.warc.wet.gz")])
    parser.add_argument("--work-dir", type=Path, default=None)
    args = parser.parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="quality-order-"))
    run(["--input", *args.input, "--output", str(work / "before"), "--overwrite"])
    run(["--input", *args.input, "--output", str(work / "unfiltered"), "--overwrite", "--quality", "off"])
    before = rows(work / "before")
    thresholds, words = load_thresholds(), WordSplitter()
    after, dropped = {}, collections.Counter()
    for doc_id, r in rows(work / "unfiltered").items():
        settings = thresholds.for_language(r["lang"])
        failed = assess(r["text"], settings, words.split, r["lang"])[1] if settings else []
        if failed:
            dropped[failed[0]] += 1
        else:
            after[doc_id] = r
    chars = lambda docs, ids: sum(len(docs[i]["text"]) for i in ids)  # noqa: E731
    both = before.keys() & after.keys()
    print(f"{'':34}{'documents':>10}{'characters':>12}")
    print(f"{'filters before dedup (default)':34}{len(before):>10,}{chars(before, before):>12,}")
    print(f"{'filters after LID and dedup':34}{len(after):>10,}{chars(after, after):>12,}")
    print(f"{'kept by both: text before':34}{len(both):>10,}{chars(before, both):>12,}")
    print(f"{'kept by both: text after':34}{len(both):>10,}{chars(after, both):>12,}")
    print(f"{'kept only before':34}{len(before.keys() - both):>10,}{chars(before, before.keys() - both):>12,}")
    print(f"{'kept only after':34}{len(after.keys() - both):>10,}{chars(after, after.keys() - both):>12,}")
    print("checks dropping after dedup:", dict(dropped.most_common()))
    for doc_id in sorted(after.keys() - both)[:5]:
        print("  only after:", after[doc_id]["url"])


if __name__ == "__main__":
    main()
