"""How the corpus pipeline's cost grows with input size, with 1 and 2 workers.

Runs xlmr-corpus (FnApiRunner; 1 worker in_memory, 2 workers multi_processing)
on inputs of K x 187 pages for several K, each run in a fresh subprocess, and
fits wall time = fixed + docs / marginal_rate per configuration (least
squares). Linear cost shows as a good fit with constant marginal docs/s; the
fixed part (process start, imports, worker and sandbox start-up, model load)
is what a short run pays once. Also prints, per size, the whole-run ratio of
2 workers to 1, and the dedup work (paragraphs hashed per document).
Copies carry fresh record ids and identical text, so every paragraph of copy
k > 0 is a duplicate: the dedup shuffle sees all of them.

    .venv/bin/python bench/bench_scaling.py --copies 1 2 4 8
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from bench_pipeline import BENCH_DIR, REPO, build_input, child_command, time_child

CONFIGS = ("pipeline-1w", "pipeline-2w")


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """(fixed seconds, marginal docs/s) of wall = fixed + docs / rate."""
    slope, intercept = statistics.linear_regression([d for d, _ in points], [w for _, w in points])
    return intercept, 1 / slope


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 2, 4, 8], metavar="K",
                        help="input sizes, in copies of the sample's 187 pages (at least two)")
    parser.add_argument("--files", type=int, default=8, metavar="N", help="WARC files per input")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "out" / "scaling", metavar="DIR",
                        help="where inputs and outputs go")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the rows to PATH")
    args = parser.parse_args(argv)
    if len(set(args.copies)) < 2:
        parser.error("--copies needs at least two sizes")
    sample = REPO / "sample" / "sample.warc.gz"
    rows = []
    for k in sorted(set(args.copies)):
        files = build_input(sample, args.work_dir / f"input-{k}", args.files, k)
        row = {"copies": k}
        for config in CONFIGS:
            work = args.work_dir / f"run-{k}"  # child_command writes to work/output-<config>
            output = work / f"output-{config}"
            result = time_child(child_command(config, files, work))
            stats = json.loads((output / "_stats.json").read_text())
            row.update(docs=result["docs"], paragraphs=stats["counters"]["dedup:paragraphs_in"])
            row[config] = result["wall_s"]
            print(f"  {k} copies, {config}: {result['docs']} docs in {result['wall_s']:.2f}s "
                  f"({result['other_cpu_s']:.2f}s other cpu)", file=sys.stderr, flush=True)
        rows.append(row)

    print(f"{'copies':>6}{'docs':>7}{'par/doc':>9}{'1w s':>8}{'1w docs/s':>11}{'2w s':>8}{'2w docs/s':>11}"
          f"{'2w/1w':>7}")
    for r in rows:
        one, two = r["pipeline-1w"], r["pipeline-2w"]
        print(f"{r['copies']:>6}{r['docs']:>7}{r['paragraphs'] / r['docs']:>9.1f}{one:>8.2f}"
              f"{r['docs'] / one:>11.1f}{two:>8.2f}{r['docs'] / two:>11.1f}{one / two:>7.2f}")
    fits = {c: fit([(r["docs"], r[c]) for r in rows]) for c in CONFIGS}
    print("\nfit wall = fixed + docs / rate:")
    for config, (fixed, rate) in fits.items():
        print(f"  {config}: fixed {fixed:5.2f}s, marginal {rate:6.1f} docs/s")
    print(f"  marginal 2w / 1w: {fits['pipeline-2w'][1] / fits['pipeline-1w'][1]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "fits": fits}, indent=2))


if __name__ == "__main__":
    main()
