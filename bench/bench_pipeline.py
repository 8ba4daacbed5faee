"""Throughput of the corpus pipeline against a bare loop, on the same WARC input.

Measures documents per second (input HTML records / wall time) of three ways to
process the same files, side by side:

  bare        one process, no Beam pipeline, no dedup: read_records ->
              html_to_text (in-process, no sandbox) ->
              LanguageIdentifier().predict on every non-empty text
  pipeline-1w xlmr-corpus's run() on the DirectRunner, 1 worker (in_memory):
              extraction sandbox, paragraph dedup, Parquet writing included
  pipeline-2w the same with 2 workers (multi_processing)
  near-dup-off  pipeline-1w with --near-dup off, for the cost of MinHash
              near-duplicate removal
  quality-off pipeline-1w with --quality off --repair off, for the cost of text
              repair and the quality filters (which see every page, copies included:
              they run before dedup)

Each one runs in a fresh Python subprocess, so interpreter start, imports and
the LID model load are counted the same way for all three. The table shows
that process's wall time and, beside it, the time measured inside the child
(from before its first project import to the end), the CPU time of its
process tree, and the CPU time the rest of the machine used meanwhile (a high
value means a disturbed timing). With
--repeat R the three run in turn R times and the medians are reported.

The input is built once under WORK_DIR/input from sample/sample.warc.gz: every
response with its request and metadata records, round-robin over --files gzip
WARC files, repeated --copies times with fresh uuid5 WARC-Record-IDs (record
blocks, hence payloads, byte-identical). Copies have identical text, so the
pipeline's dedup drops them after extraction; the bare loop keeps them.

Run from the repository root:

    .venv/bin/python bench/bench_pipeline.py                      # defaults
    .venv/bin/python bench/bench_pipeline.py --repeat 3 --json bench/out/result.json
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import WARCWriter

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
RESULT_PREFIX = "BENCH_RESULT "
ID_NAMESPACE = uuid.UUID("6f1d7c1e-3a52-4c1b-9d0e-4b1f2a7c9e30")
CONFIGS = {
    "bare": ("bare loop, 1 process", None),
    "pipeline-1w": ("xlmr-corpus, 1 worker", ["--direct_num_workers", "1", "--direct_running_mode", "in_memory"]),
    "pipeline-2w": ("xlmr-corpus, 2 workers", ["--direct_num_workers", "2", "--direct_running_mode", "multi_processing"]),
    "near-dup-off": ("1 worker, --near-dup off", ["--direct_num_workers", "1", "--direct_running_mode", "in_memory",
                                                  "--near-dup", "off"]),
    "quality-off": ("1 worker, --quality off --repair off", ["--direct_num_workers", "1", "--direct_running_mode",
                                                             "in_memory", "--quality", "off", "--repair", "off"]),
}
RATIOS = (  # (name, numerator, denominator, goal)
    ("pipeline-1w / bare", "pipeline-1w", "bare", 0.85),
    ("pipeline-2w / pipeline-1w", "pipeline-2w", "pipeline-1w", 1.6),
    ("pipeline-2w / bare", "pipeline-2w", "bare", None),
    ("near-dup on / off (1 worker)", "pipeline-1w", "near-dup-off", 0.85),
    ("quality on / off (1 worker)", "pipeline-1w", "quality-off", 0.95),
)


# ---------------------------------------------------------------- input build


class _CopyingWriter(WARCWriter):
    """Writes record blocks as given; adds a missing block digest, never a payload digest.

    Records are read without HTTP parsing, so warcio would otherwise add a
    payload digest computed over the whole block to the 33 CC records that
    have none.
    """

    def ensure_digest(self, record, block=True, payload=True):
        super().ensure_digest(record, block=block, payload=False)


def read_sample(path: Path) -> tuple[list, list[list]]:
    """(warcinfo records, units): a unit is a response with its request and metadata records.

    Each record is (headers, block bytes). Records linked to no response (the
    sample's last request) are left out.
    """
    warcinfo, records = [], []
    with open(path, "rb") as f:
        for record in ArchiveIterator(f, no_record_parse=True):
            item = (record.rec_headers, record.raw_stream.read())
            (warcinfo if record.rec_type == "warcinfo" else records).append(item)
    units = {h.get_header("WARC-Record-ID"): [] for h, _ in records if _rec_type(h) == "response"}
    by_request = {h.get_header("WARC-Concurrent-To"): h.get_header("WARC-Record-ID") for h, _ in records
                  if _rec_type(h) == "response"}
    for headers, block in records:
        record_id, linked = headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Concurrent-To")
        response_id = record_id if record_id in units else linked if linked in units else by_request.get(record_id)
        if response_id is not None:
            units[response_id].append((headers, block))
    return warcinfo, list(units.values())


def _rec_type(headers) -> str:
    return headers.get_header("WARC-Type")


def _fresh_id(record_id: str, tag: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(ID_NAMESPACE, record_id + tag)}>"


def _renamed(headers, renames: dict[str, str]):
    """A copy of WARC `headers` with record IDs (own and Concurrent-To) mapped through `renames`."""
    copy = type(headers)(headers.statusline, list(headers.headers), headers.protocol)
    for name in ("WARC-Record-ID", "WARC-Concurrent-To"):
        value = copy.get_header(name)
        if value in renames:
            copy.replace_header(name, renames[value])
    return copy


def _write(writer: WARCWriter, headers, block: bytes) -> None:
    record = ArcWarcRecord("warc", _rec_type(headers), headers, io.BytesIO(block), None,
                           headers.get_header("Content-Type"), len(block))
    writer.write_record(record)


def _copy_of(unit: list, copy: int) -> list:
    """Copy 0 is the unit as is; copy k > 0 gets fresh, deterministic record IDs."""
    if copy == 0:
        return unit
    renames = {h.get_header("WARC-Record-ID"): _fresh_id(h.get_header("WARC-Record-ID"), f"#copy{copy}")
               for h, _ in unit}
    return [(_renamed(h, renames), block) for h, block in unit]


def build_input(sample: Path, input_dir: Path, n_files: int, copies: int) -> list[Path]:
    """Write `n_files` gzip WARC files; unit i of the repeated sequence goes to file i mod n_files."""
    warcinfo, units = read_sample(sample)
    input_dir.mkdir(parents=True, exist_ok=True)
    for old in input_dir.glob("*.warc.gz"):
        old.unlink()
    paths = [input_dir / f"bench-{i:02d}-of-{n_files:02d}.warc.gz" for i in range(n_files)]
    handles = [open(p, "wb") for p in paths]
    try:
        writers = [_CopyingWriter(h, gzip=True) for h in handles]
        for i, writer in enumerate(writers):
            renames = {h.get_header("WARC-Record-ID"): _fresh_id(h.get_header("WARC-Record-ID"), f"#file{i}")
                       for h, _ in warcinfo} if i else {}
            for headers, block in warcinfo:
                _write(writer, _renamed(headers, renames), block)
        sequence = (_copy_of(unit, k) for k in range(copies) for unit in units)
        for i, unit in enumerate(sequence):
            for headers, block in unit:
                _write(writers[i % n_files], headers, block)
    finally:
        for h in handles:
            h.close()
    return paths


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare_input(args) -> list[Path]:
    """The input files: reused when built with the same parameters, else (re)built."""
    input_dir = args.work_dir / "input"
    meta_path = input_dir / "build.json"
    if args.skip_build:
        if not meta_path.exists():
            sys.exit(f"--skip-build: no input in {input_dir}; run once without it")
        meta = json.loads(meta_path.read_text())
        print(f"input: reusing {input_dir} as is (--skip-build; built with {meta['params']})")
        return [input_dir / name for name in meta["files"]]
    params = {"sample_sha256": _sha256(args.sample), "files": args.files, "copies": args.copies}
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        paths = [input_dir / name for name in meta["files"]]
        if meta["params"] == params and all(p.exists() for p in paths):
            print(f"input: reusing {input_dir} (same parameters)")
            return paths
    start = time.perf_counter()
    paths = build_input(args.sample, input_dir, args.files, args.copies)
    meta_path.write_text(json.dumps({"params": params, "files": [p.name for p in paths]}, indent=2))
    print(f"input: built {len(paths)} files in {input_dir} ({time.perf_counter() - start:.1f}s)")
    return paths


# ------------------------------------------------------------ timed children


def bare_loop(files: list[str]) -> dict:
    """The work without Beam: read, extract in-process, identify the language."""
    from xlmr.pipeline.extract_text import html_to_text
    from xlmr.pipeline.inputs import open_input
    from xlmr.pipeline.language_id import LanguageIdentifier
    from xlmr.pipeline.warc_reader import read_records

    identifier = LanguageIdentifier()
    docs = texts = 0
    for path in files:
        with open_input(path) as stream:
            for record in read_records(stream, path, 2 * 1024 * 1024):
                if record.is_text:
                    continue
                docs += 1
                text, _ = html_to_text(record.payload, record.content_type, record.url)
                if text:
                    texts += 1
                    identifier.predict(text)
    return {"docs": docs, "texts": texts}


def pipeline_run(argv: list[str]) -> dict:
    """xlmr-corpus's run(argv) (FnApiRunner, as its default); docs are the HTML records it read."""
    from xlmr.pipeline.corpus import run

    stats = run(argv)
    return {"docs": stats["counters"]["read:passed"], "kept": stats["totals"]["documents"]}


def child_main() -> None:
    """Entry point of a timed child: `bare FILE...` or `pipeline ARG...`; prints one result line."""
    start = time.perf_counter()
    kind, argv = sys.argv[1], sys.argv[2:]
    result = bare_loop(argv) if kind == "bare" else pipeline_run(argv)
    result["inner_s"] = time.perf_counter() - start
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def child_command(config: str, files: list[Path], output: Path) -> list[str]:
    code = f"import sys; sys.path.insert(0, {str(BENCH_DIR)!r}); import bench_pipeline; bench_pipeline.child_main()"
    paths = [str(p) for p in files]
    if config == "bare":
        return [sys.executable, "-c", code, "bare", *paths]
    flags = CONFIGS[config][1]
    return [sys.executable, "-c", code, "pipeline", "--input", *paths, "--output", str(output), "--overwrite", *flags]


def _children_cpu_s() -> float:
    """CPU seconds of the waited-for children of this process (and theirs), so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat; NaN elsewhere."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return float("nan")
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def time_child(command: list[str]) -> dict:
    """Run one child; its result plus wall time, its CPU time and the rest of the machine's."""
    start, cpu, busy = time.perf_counter(), _children_cpu_s(), _machine_busy_s()
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
    cpu, busy = _children_cpu_s() - cpu, _machine_busy_s() - busy
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        sys.exit(f"child failed (exit {proc.returncode}): {' '.join(command[:4])} ...")
    return {**json.loads(lines[-1][len(RESULT_PREFIX):]), "wall_s": wall, "cpu_s": cpu, "other_cpu_s": busy - cpu}


def measure(files: list[Path], work_dir: Path, repeat: int, configs: list[str]) -> dict[str, list[dict]]:
    """Every config `repeat` times, in turn (bare, 1 worker, 2 workers, bare, ...)."""
    runs: dict[str, list[dict]] = {config: [] for config in configs}
    for r in range(repeat):
        for config in configs:
            result = time_child(child_command(config, files, work_dir / f"output-{config}"))
            runs[config].append(result)
            print(f"  repeat {r + 1}/{repeat} {config:<12} {result['docs']} docs {result['wall_s']:7.2f}s wall "
                  f"{result['inner_s']:7.2f}s in child {result['cpu_s']:7.2f}s cpu "
                  f"{result['other_cpu_s']:6.2f}s other cpu", flush=True)
    return runs


# -------------------------------------------------------------------- report


def summarise(runs: dict[str, list[dict]]) -> dict:
    summary = {}
    for config, results in runs.items():
        docs = {r["docs"] for r in results}
        if len(docs) != 1:
            sys.exit(f"{config}: the doc count changed between repeats: {sorted(docs)}")
        n = docs.pop()
        medians = {key: statistics.median(r[key] for r in results)
                   for key in ("wall_s", "inner_s", "cpu_s", "other_cpu_s")}
        summary[config] = {"docs": n, **medians, "docs_per_s": n / medians["wall_s"],
                           "docs_per_s_inner": n / medians["inner_s"], "runs": results}
    return summary


def ratios(summary: dict) -> list[dict]:
    return [
        {"name": name, "goal": goal,
         "wall": summary[num]["docs_per_s"] / summary[den]["docs_per_s"],
         "inner": summary[num]["docs_per_s_inner"] / summary[den]["docs_per_s_inner"]}
        for name, num, den, goal in RATIOS if num in summary and den in summary
    ]


def print_report(summary: dict, ratio_rows: list[dict], repeat: int) -> None:
    print(f"\nmedian of {repeat} run(s); each config in a fresh subprocess (interpreter start, imports "
          "and LID model load included).\n'in child': from before the first project import to the end, "
          "inside that process. 'cpu': CPU seconds of its\nprocess tree. 'other cpu': CPU seconds the "
          "rest of the machine used meanwhile (high = disturbed timing).\n")
    print(f"{'config':<14}{'':<24}{'docs':>6}{'wall s':>9}{'docs/s':>9}{'in child s':>12}"
          f"{'docs/s':>9}{'cpu s':>8}{'other cpu s':>13}")
    for config, s in summary.items():
        print(f"{config:<14}{CONFIGS[config][0]:<24}{s['docs']:>6}{s['wall_s']:>9.2f}"
              f"{s['docs_per_s']:>9.1f}{s['inner_s']:>12.2f}{s['docs_per_s_inner']:>9.1f}{s['cpu_s']:>8.2f}"
              f"{s['other_cpu_s']:>13.2f}")
    print(f"\n{'ratio (docs/s)':<30}{'wall':>7}{'in child':>10}   goal")
    for row in ratio_rows:
        goal = "" if row["goal"] is None else f">= {row['goal']:.2f}  {'met' if row['wall'] >= row['goal'] else 'MISSED'}"
        print(f"{row['name']:<30}{row['wall']:>7.2f}{row['inner']:>10.2f}   {goal}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark xlmr-corpus (FnApiRunner, 1 and 2 workers) against a bare "
        "read -> extract -> LID loop on the same input; prints docs/s and their ratios.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--copies", type=int, default=12, metavar="K",
                        help="repeat every response K times (fresh record IDs): K x 187 pages")
    parser.add_argument("--files", type=int, default=8, metavar="N",
                        help="spread the responses round-robin over N gzip WARC files")
    parser.add_argument("--repeat", type=int, default=1, metavar="R",
                        help="run the three configs in turn R times and report medians")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "out", metavar="DIR",
                        help="where the input (DIR/input) and the pipeline outputs go")
    parser.add_argument("--sample", type=Path, default=REPO / "sample" / "sample.warc.gz", metavar="WARC",
                        help="the WARC the input is built from")
    parser.add_argument("--skip-build", action="store_true",
                        help="use DIR/input as it is, without checking its parameters or the sample")
    parser.add_argument("--only", nargs="+", choices=tuple(CONFIGS), default=list(CONFIGS), metavar="CONFIG",
                        help=f"run only these configs ({', '.join(CONFIGS)}); ratios need both of theirs")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="also write parameters, every run, medians and ratios to PATH")
    args = parser.parse_args(argv)
    for name in ("copies", "files", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    args.work_dir = args.work_dir.resolve()
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    files = prepare_input(args)
    print(f"timing {len(files)} files, {os.cpu_count()} CPUs, python {sys.executable}")
    summary = summarise(measure(files, args.work_dir, args.repeat, args.only))
    ratio_rows = ratios(summary)
    print_report(summary, ratio_rows, args.repeat)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "params": {"copies": args.copies, "files": args.files, "repeat": args.repeat,
                       "input": [str(p) for p in files], "cpus": os.cpu_count()},
            "results": summary, "ratios": ratio_rows,
        }, indent=2))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
