"""Spark beside Beam: throughput on the realistic input, and peak memory as the input grows.

1. Throughput: `--engine spark --spark-master local[2]` and the Beam DirectRunner with 2
   workers (multi_processing) on the realistic input (bench/realistic_input.py), in turn,
   --repeat times; medians and the ratio Spark / Beam (goal >= 0.9: the per-record work is
   the same functions).
2. Memory: both again on K copies of that input (--scale, default 1 4 8): copy k > 0 of
   each file gets fresh record ids, so every copy is a distinct record that every stage
   and both dedup shuffles carry (paragraph dedup then keeps one copy's text). Reported:
   peak resident memory of each run's whole process tree (driver, JVM, workers,
   sandboxes), and its growth per page between the smallest and largest input.

Each run is a fresh subprocess (bench_pipeline.time_child). Run from the repository root:

    .venv/bin/python bench/bench_spark.py --repeat 3 --scale 1 4 8 --json bench/out/spark.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import realistic_input
from bench_pipeline import (BENCH_DIR, REPO, _CopyingWriter, _copy_of, _write, child_command, read_sample,
                            time_child)

CONFIGS = ("pipeline-2w", "spark-2")


def scaled_input(files: list[Path], out_dir: Path, copies: int) -> list[Path]:
    """`copies` copies of each file, copy k > 0 under fresh record ids; built once per size."""
    if copies == 1:
        return files
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for path in files:
        warcinfo, units = read_sample(path)
        for k in range(copies):
            target = out_dir / f"{path.name.removesuffix('.warc.gz')}-copy{k}.warc.gz"
            paths.append(target)
            if target.exists():
                continue
            partial = target.with_suffix(".partial")
            with open(partial, "wb") as handle:
                writer = _CopyingWriter(handle, gzip=True)
                for headers, block in warcinfo + [record for unit in units for record in _copy_of(unit, k)]:
                    _write(writer, headers, block)
            partial.rename(target)
    return paths


def run(config: str, files: list[Path], work: Path) -> dict:
    result = time_child(child_command(config, files, work))
    print(f"  {config:<12} {len(files):>3} files {result['docs']:>6} pages {result['wall_s']:7.1f}s "
          f"{result['peak_rss_mb']:7.0f} MB peak {result['other_cpu_s']:6.1f}s other cpu", file=sys.stderr, flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, metavar="R", help="throughput runs of each engine")
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 4, 8], metavar="K",
                        help="input sizes for the memory table, in copies of the realistic input")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "out", metavar="DIR",
                        help="where the inputs and outputs go")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the results to PATH")
    args = parser.parse_args(argv)
    files = realistic_input.build(args.work_dir / "realistic", 8, REPO / "sample" / "sample.warc.gz")

    print(f"throughput, realistic input, {args.repeat} runs each:", file=sys.stderr)
    runs = {config: [] for config in CONFIGS}
    for _ in range(args.repeat):
        for config in CONFIGS:
            runs[config].append(run(config, files, args.work_dir / "spark-bench"))
    medians = {c: statistics.median(r["wall_s"] for r in rs) for c, rs in runs.items()}
    pages = runs["pipeline-2w"][0]["docs"]

    print("memory by input size:", file=sys.stderr)
    memory = []
    for k in sorted(set(args.scale)):
        scaled = scaled_input(files, args.work_dir / f"realistic-x{k}", k)
        row = {"copies": k}
        for config in CONFIGS:
            result = run(config, scaled, args.work_dir / "spark-bench")
            row.update({"pages": result["docs"], f"{config}_mb": result["peak_rss_mb"],
                        f"{config}_s": result["wall_s"]})
        memory.append(row)

    print(f"\nthroughput (median of {args.repeat}, {pages} pages):")
    for config in CONFIGS:
        print(f"  {config:<12} {medians[config]:7.1f}s  {pages / medians[config]:6.1f} pages/s")
    ratio = medians["pipeline-2w"] / medians["spark-2"]
    print(f"  Spark / Beam throughput: {ratio:.2f} (goal >= 0.90)")
    print(f"\n{'copies':>6}{'pages':>8}{'Beam MB':>9}{'Spark MB':>10}{'Beam s':>8}{'Spark s':>9}")
    for r in memory:
        print(f"{r['copies']:>6}{r['pages']:>8}{r['pipeline-2w_mb']:>9.0f}{r['spark-2_mb']:>10.0f}"
              f"{r['pipeline-2w_s']:>8.1f}{r['spark-2_s']:>9.1f}")
    slopes = {}
    if len(memory) > 1:
        first, last = memory[0], memory[-1]
        for config in CONFIGS:
            slopes[config] = (last[f"{config}_mb"] - first[f"{config}_mb"]) * 1e3 / (last["pages"] - first["pages"])
            print(f"  {config}: {slopes[config]:.1f} kB more peak memory per page")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "medians": medians, "ratio": ratio, "memory": memory,
                                         "kb_per_page": slopes}, indent=2))


if __name__ == "__main__":
    main()
