"""What `--dedup-against` costs as the earlier corpus grows: the index join, per prior page.

The realistic input (bench/realistic_input.py) is built once as the earlier corpus, to measure
its index's bytes and rows per kept document. Then the same input runs again, each run in a
fresh subprocess with one in-process worker, alternating:
- `plain`: no `--dedup-against`;
- `prior N`: `--dedup-against` an earlier corpus of N kept documents. Its index is that many
  documents' worth of rows, at the rows a document measured on the realistic corpus. The rows
  are random 64-bit hashes, which real rows are too, so they cost the join what real ones would.
  No document of this run matches them, so the run's own output stays the same and the
  difference is the join alone.

The slope of wall time and of peak resident memory over N gives the cost per prior document.
On one machine the local runner holds every shuffle in memory. On Dataflow the prior rows
are shuffle bytes instead (docs/dataflow.md turns them into the twelve-crawl plan).

    .venv/bin/python bench/bench_grow.py [--prior 0 20000 40000 80000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

import realistic_input  # noqa: E402  (bench/ is on sys.path when this script runs)
from job_child import job_flags, output_arguments, run_job  # noqa: E402


def synthetic_prior(real: Path, out: Path, documents: int, rows_per_document: dict[str, float]) -> Path:
    """A finished corpus directory holding only an index of `documents` documents' worth of random rows."""
    from xlmr.pipeline.dedup.index import index_row, write_index

    shutil.rmtree(out, ignore_errors=True)
    (out / "_index").mkdir(parents=True)
    rng = random.Random(documents)
    for kind, per_document in rows_per_document.items():
        n = round(documents * per_document)
        entries = ([rng.getrandbits(64) - 2**63 for _ in range(n)] if kind == "paragraphs"
                   else [(rng.randrange(16), rng.getrandbits(64) - 2**63) for _ in range(n)])
        write_index([index_row(kind, e) for e in entries], kind, str(out / "_index" / kind / "part-00000-00000-of-00001.parquet"))
    stats = json.loads((real / "_stats.json").read_text())
    (out / "_stats.json").write_text(json.dumps({**stats, "index": {}}))
    (out / "_SUCCESS").write_text("")
    return out


def slope(xs: list[float], ys: list[float]) -> float:
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prior", type=int, nargs="+", default=[0, 20_000, 40_000, 80_000],
                        help="earlier corpora's sizes, in kept documents (0: the plain run)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each size, alternating")
    parser.add_argument("--extractor", default="resiliparse",
                        help="the run's extractor: resiliparse keeps the plain run short; the join costs the same")
    output_arguments(parser)
    args = parser.parse_args(argv)

    inputs = realistic_input.build(args.work_dir / "realistic")
    with tempfile.TemporaryDirectory(dir=args.work_dir) as tmp:
        tmp = Path(tmp)
        real = run_job(job_flags(inputs, tmp / "real", "--extractor", args.extractor))
        per_doc = {kind: entry["rows"] / real["documents"] for kind, entry in real["index"].items()}
        bytes_per_doc = {kind: entry["bytes"] / real["documents"] for kind, entry in real["index"].items()}
        print(f"the realistic corpus: {real['documents']} documents; index rows a document "
              f"{', '.join(f'{k} {v:.1f}' for k, v in per_doc.items())}; bytes a document "
              f"{', '.join(f'{k} {v:.0f}' for k, v in bytes_per_doc.items())} "
              f"(total {sum(bytes_per_doc.values()):.0f})")
        priors = {n: synthetic_prior(tmp / "real", tmp / f"prior-{n}", n, per_doc) for n in args.prior if n}
        results: dict[int, list[dict]] = {n: [] for n in args.prior}
        for _ in range(args.repeat):
            for n in args.prior:
                extra = ["--dedup-against", str(priors[n])] if n else []
                results[n].append(run_job(job_flags(inputs, tmp / "out", "--extractor", args.extractor, *extra)))

    wall = {n: statistics.median(r["wall_s"] for r in rs) for n, rs in results.items()}
    rss = {n: statistics.median(r["max_rss_mb"] for r in rs) for n, rs in results.items()}
    base = min(args.prior)
    print(f"\n{'prior documents':>16}{'prior rows':>12}{'wall s':>9}{'ratio':>8}{'peak RSS MB':>13}")
    for n in args.prior:
        rows = round(n * sum(per_doc.values()))
        print(f"{n:>16,}{rows:>12,}{wall[n]:>9.1f}{wall[n] / wall[base]:>8.2f}{rss[n]:>13.0f}")
    xs = [float(n) for n in args.prior]
    time_slope, rss_slope = slope(xs, [wall[n] for n in args.prior]), slope(xs, [rss[n] for n in args.prior])
    rows_per_doc = sum(per_doc.values())
    print(f"\nper prior document: {time_slope * 1e6:.0f} us ({time_slope * 1e6 / rows_per_doc:.1f} us a row), "
          f"{rss_slope * 1024:.1f} kB of peak memory on the local runner; the plain run: "
          f"{wall[base] * 1e3 / real['documents']:.1f} ms a kept document")
    if args.json:
        args.json.write_text(json.dumps({"rows_per_document": per_doc, "bytes_per_document": bytes_per_doc,
                                         "results": {str(k): v for k, v in results.items()},
                                         "us_per_prior_document": time_slope * 1e6,
                                         "kb_per_prior_document": rss_slope * 1024}, indent=2) + "\n")


if __name__ == "__main__":
    main()
