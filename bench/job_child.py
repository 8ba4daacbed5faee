"""One xlmr-corpus job in a fresh process, for the benchmarks that time whole jobs side by side
(bench_lm.py, bench_grow.py): interpreter start, imports and model loads count the same for all.

    .venv/bin/python bench/job_child.py FLAGS...   # prints wall_s, documents, pages, index, max_rss_mb as JSON
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def job_flags(inputs: list[Path], output: Path, *extra: str) -> list[str]:
    """One in-process worker (so the process is the worker), no card, no progress, output replaced."""
    return ["--input", *map(str, inputs), "--output", str(output), "--overwrite", "--card", "off",
            "--progress", "off", "--direct_num_workers", "1", *extra]


def run_job(argv: list[str]) -> dict:
    """The job of `argv` in a fresh process; what it printed."""
    out = subprocess.run([sys.executable, __file__, *argv], cwd=REPO, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"job failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--work-dir", type=Path, default=REPO / "bench" / "out", help="inputs and outputs go here")
    parser.add_argument("--json", type=Path, help="also write the figures here")


def main(argv: list[str]) -> None:
    from xlmr.pipeline.job import run

    start = time.perf_counter()
    stats = run(argv)
    print(json.dumps({"wall_s": time.perf_counter() - start, "documents": stats["totals"]["documents"],
                      "pages": stats["counters"]["read:passed"],  # HTML 200 responses and WET texts
                      "index": stats["index"],
                      "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main(sys.argv[1:])
