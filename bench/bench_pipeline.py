"""Throughput and peak memory of the corpus pipeline beside a bare loop and datatrove, same input.

Inputs (--input):
  realistic  (default) ~2,800 distinct pages in 20+ languages: Debian's multilingual
             documentation packages wrapped as CommonCrawl-style WARCs, plus the sample's
             real CommonCrawl pages (bench/realistic_input.py). Like a crawl, nearly every
             page is distinct, so every page goes through every stage.
  copies     the sample's 187 pages repeated --copies times under fresh record IDs: a
             dedup-heavy case (11 of 12 pages are copies, which dedup removes after
             extraction, before the later stages).
Each input's duplicate rate (responses whose body equals an earlier one's) is printed.

Configs, each in a fresh Python subprocess (interpreter start, imports and model loads
counted alike):
  bare          the same per-record work without Beam, in one process: read_records ->
                html_to_text in-process (no sandbox) -> repair_text -> lid.176 -> the quality
                filters of that language -> keep; no dedup, no writing
  bare-extract  read -> extract -> lid.176 only: the loop datatrove's pipeline matches
  pipeline-1w   xlmr-corpus's run() with its defaults (recipe cleaned: repair, quality
                filters, near-dup and paragraph dedup, Parquet, the card), 1 worker
  pipeline-2w   the same, 2 workers (multi_processing)
  near-dup-off  pipeline-1w with --near-dup off: the cost of MinHash near-dup removal
  quality-off   pipeline-1w with --quality off --repair off: the cost of those stages
  cc100-1w      pipeline-1w with --recipe cc100 (paragraph dedup only): the closest to
                datatrove's work
  sandbox-off   pipeline-1w with --extract-timeout 0 (trafilatura in-process, no time
                limit): the cost of the extraction sandbox
  spark-2       pipeline-2w's work on Spark: --engine spark --spark-master local[2]
  datatrove-1   datatrove 0.10.1: WarcReader -> Trafilatura (same version and settings)
  datatrove-2   -> LanguageFilter(lid.176, same model file) -> ParquetWriter, 1 and 2 tasks
                (bench/datatrove_peer.py builds its venv; no dedup, no repair, no filters)

The table shows each config's wall time, pages/s, the time inside the child, the CPU time
of its process tree, the CPU the rest of the machine used meanwhile (high = disturbed),
and the peak resident memory of its whole process tree (driver, workers, sandboxes,
summed; sampled every 0.2 s). With --repeat R the configs run in turn R times and the
medians are reported.

Run from the repository root:

    .venv/bin/python bench/bench_pipeline.py                        # realistic input, every config
    .venv/bin/python bench/bench_pipeline.py --repeat 3 --json bench/out/realistic.json
    .venv/bin/python bench/bench_pipeline.py --input copies --only bare pipeline-1w pipeline-2w
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
import threading
import time
import uuid
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import WARCWriter

import datatrove_peer
import realistic_input

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
RESULT_PREFIX = "BENCH_RESULT "
ID_NAMESPACE = uuid.UUID("6f1d7c1e-3a52-4c1b-9d0e-4b1f2a7c9e30")
_ONE = ["--direct_num_workers", "1"]
CONFIGS = {  # name: (label, kind, flags)
    "bare": ("bare loop, same work", "bare", None),
    "bare-extract": ("bare loop, extract + LID", "bare-extract", None),
    "pipeline-1w": ("xlmr-corpus, 1 worker", "pipeline", _ONE),
    "pipeline-2w": ("xlmr-corpus, 2 workers", "pipeline", ["--direct_num_workers", "2"]),
    "near-dup-off": ("1 worker, --near-dup off", "pipeline", [*_ONE, "--near-dup", "off"]),
    "quality-off": ("1 worker, quality+repair off", "pipeline", [*_ONE, "--quality", "off", "--repair", "off"]),
    "cc100-1w": ("1 worker, --recipe cc100", "pipeline", [*_ONE, "--recipe", "cc100"]),
    "sandbox-off": ("1 worker, --extract-timeout 0", "pipeline", [*_ONE, "--extract-timeout", "0"]),
    "spark-2": ("xlmr-corpus --engine spark, local[2]", "pipeline",
                ["--engine", "spark", "--spark-master", "local[2]", "--conf", "spark.ui.enabled=false"]),
    "datatrove-1": ("datatrove 0.10.1, 1 task", "datatrove", 1),
    "datatrove-2": ("datatrove 0.10.1, 2 tasks", "datatrove", 2),
}
RATIOS = (  # (name, numerator, denominator, goal)
    ("1 worker / bare loop (same work)", "pipeline-1w", "bare", 0.90),
    ("2 workers / 1 worker", "pipeline-2w", "pipeline-1w", 1.8),
    ("1 worker / datatrove 1 task", "pipeline-1w", "datatrove-1", 1.2),
    ("2 workers / datatrove 2 tasks", "pipeline-2w", "datatrove-2", 1.2),
    ("Spark local[2] / Beam 2 workers", "spark-2", "pipeline-2w", 0.9),
    ("cc100 1 worker / datatrove 1 task", "cc100-1w", "datatrove-1", None),
    ("bare (same work) / bare-extract", "bare", "bare-extract", None),
    ("datatrove 1 task / bare-extract", "datatrove-1", "bare-extract", None),
    ("near-dup on / off (1 worker)", "pipeline-1w", "near-dup-off", None),
    ("quality on / off (1 worker)", "pipeline-1w", "quality-off", None),
    ("sandbox on / off (1 worker)", "pipeline-1w", "sandbox-off", None),
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


def reusable_input(input_dir: Path, params: dict) -> list[Path] | None:
    """The files of an input built before in `input_dir` with the same `params` (its build.json), or None."""
    meta_path = input_dir / "build.json"
    if not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    paths = [input_dir / name for name in meta["files"]]
    if meta["params"] != params or not all(p.exists() for p in paths):
        return None
    print(f"input: reusing {input_dir} (same parameters)")
    return paths


def prepare_copies(args) -> list[Path]:
    """The copies input's files: reused when built with the same parameters, else (re)built."""
    input_dir = args.work_dir / "copies"
    meta_path = input_dir / "build.json"
    params = {"sample_sha256": _sha256(args.sample), "files": args.files, "copies": args.copies}
    paths = reusable_input(input_dir, params)
    if paths:
        return paths
    start = time.perf_counter()
    paths = build_input(args.sample, input_dir, args.files, args.copies)
    meta_path.write_text(json.dumps({"params": params, "files": [p.name for p in paths]}, indent=2))
    print(f"input: built {len(paths)} files in {input_dir} ({time.perf_counter() - start:.1f}s)")
    return paths


def prepare_input(args) -> list[Path]:
    if args.input == "copies":
        return prepare_copies(args)
    return realistic_input.build(args.work_dir / "realistic", args.files, args.sample)


# ------------------------------------------------------------ timed children


def bare_loop(files: list[str], same_work: bool) -> dict:
    """The per-record work without Beam: read, extract in-process, (repair, quality filters,) LID."""
    from xlmr.pipeline.extractors.trafilatura import html_to_text
    from xlmr.pipeline.readers.inputs import open_input
    from xlmr.pipeline.filters.language_id import LanguageIdentifier
    from xlmr.pipeline.filters.quality_filters import assess
    from xlmr.pipeline.filters.quality_settings import load_thresholds
    from xlmr.pipeline.formatters.text_repair import repair_text
    from xlmr.pipeline.readers.warc import read_records
    from xlmr.pipeline.filters.words import WordSplitter

    identifier = LanguageIdentifier()
    thresholds, words = load_thresholds(None, lid176=True), WordSplitter()
    docs = texts = kept = 0
    for path in files:
        with open_input(path) as stream:
            for record in read_records(stream, path, 2 * 1024 * 1024):
                docs += 1
                text = (record.payload.decode("utf-8", errors="replace") if record.is_text
                        else html_to_text(record.payload, record.content_type, record.url)[0])
                if not text or not text.strip():
                    continue
                texts += 1
                if not same_work:
                    identifier.predict(text)
                    continue
                text = repair_text(text)[0]
                lang, _ = identifier.predict(text)
                settings = thresholds.for_language(lang)
                kept += settings is None or not assess(text, settings, words.split)[1]
    return {"docs": docs, "texts": texts, "kept": kept}


def pipeline_run(argv: list[str]) -> dict:
    """xlmr-corpus's run(argv) (FnApiRunner, as its default); docs are the HTML records it read."""
    from xlmr.pipeline.job import run

    stats = run(argv)
    return {"docs": stats["counters"]["read:passed"], "kept": stats["totals"]["documents"]}


def child_main() -> None:
    """Entry point of a timed child: `bare|bare-extract FILE...` or `pipeline ARG...`; prints one result line."""
    start = time.perf_counter()
    kind, argv = sys.argv[1], sys.argv[2:]
    result = pipeline_run(argv) if kind == "pipeline" else bare_loop(argv, same_work=kind == "bare")
    result["inner_s"] = time.perf_counter() - start
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def child_command(config: str, files: list[Path], work_dir: Path) -> list[str]:
    _, kind, flags = CONFIGS[config]
    output = work_dir / f"output-{config}"
    if kind == "datatrove":
        return datatrove_peer.command(work_dir, files, output, flags)
    code = f"import sys; sys.path.insert(0, {str(BENCH_DIR)!r}); import bench_pipeline; bench_pipeline.child_main()"
    paths = [str(p) for p in files]
    if kind != "pipeline":
        return [sys.executable, "-c", code, kind, *paths]
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


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and all its descendants, summed (Linux /proc; 0 elsewhere)."""
    children: dict[int, list[int]] = {}
    rss = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))  # fields[1]: ppid
        rss[int(entry)] = int(fields[21]) * page  # fields[21]: rss in pages
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


class _PeakRss(threading.Thread):
    """Samples a process tree's summed RSS every 0.2 s until stopped; `.peak` holds the maximum."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.peak = max(self.peak, _tree_rss_bytes(self.pid))


def time_child(command: list[str]) -> dict:
    """Run one child; its result plus wall time, its CPU time, the rest of the machine's, and peak RSS."""
    start, cpu, busy = time.perf_counter(), _children_cpu_s(), _machine_busy_s()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = _PeakRss(proc.pid)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    cpu, busy = _children_cpu_s() - cpu, _machine_busy_s() - busy
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(stdout[-4000:] + stderr[-4000:])
        sys.exit(f"child failed (exit {proc.returncode}): {' '.join(command[:4])} ...")
    return {**json.loads(lines[-1][len(RESULT_PREFIX):]), "wall_s": wall, "cpu_s": cpu,
            "other_cpu_s": busy - cpu, "peak_rss_mb": sampler.peak / 1e6}


def measure(files: list[Path], work_dir: Path, repeat: int, configs: list[str]) -> dict[str, list[dict]]:
    """Every config `repeat` times, in turn (bare, 1 worker, 2 workers, ..., bare, ...)."""
    runs: dict[str, list[dict]] = {config: [] for config in configs}
    for r in range(repeat):
        for config in configs:
            result = time_child(child_command(config, files, work_dir))
            runs[config].append(result)
            print(f"  repeat {r + 1}/{repeat} {config:<13} {result['docs']} docs {result['wall_s']:7.2f}s wall "
                  f"{result['inner_s']:7.2f}s in child {result['cpu_s']:7.2f}s cpu "
                  f"{result['other_cpu_s']:6.2f}s other cpu {result['peak_rss_mb']:7.0f} MB peak", flush=True)
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
                   for key in ("wall_s", "inner_s", "cpu_s", "other_cpu_s", "peak_rss_mb")}
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


def print_report(summary: dict, ratio_rows: list[dict], repeat: int, duplicates: dict) -> None:
    print(f"\ninput: {duplicates['responses']} HTML responses, {duplicates['distinct_payloads']} distinct "
          f"(duplicate rate {duplicates['duplicate_rate']:.1%})")
    print(f"median of {repeat} run(s); each config in a fresh subprocess (interpreter start, imports "
          "and model loads included).\n'in child': from before the first project import to the end, "
          "inside that process. 'cpu': CPU seconds of its\nprocess tree. 'other cpu': CPU seconds the "
          "rest of the machine used meanwhile (high = disturbed timing).\n'peak MB': the most resident "
          "memory of its process tree at once (driver, workers, sandboxes).\n")
    print(f"{'config':<14}{'':<30}{'docs':>6}{'wall s':>9}{'docs/s':>9}{'in child s':>12}"
          f"{'docs/s':>9}{'cpu s':>8}{'other cpu s':>13}{'peak MB':>9}")
    for config, s in summary.items():
        print(f"{config:<14}{CONFIGS[config][0]:<30}{s['docs']:>6}{s['wall_s']:>9.2f}"
              f"{s['docs_per_s']:>9.1f}{s['inner_s']:>12.2f}{s['docs_per_s_inner']:>9.1f}{s['cpu_s']:>8.2f}"
              f"{s['other_cpu_s']:>13.2f}{s['peak_rss_mb']:>9.0f}")
    print(f"\n{'ratio (docs/s)':<36}{'wall':>7}{'in child':>10}   goal")
    for row in ratio_rows:
        goal = "" if row["goal"] is None else f">= {row['goal']:.2f}  {'met' if row['wall'] >= row['goal'] else 'MISSED'}"
        print(f"{row['name']:<36}{row['wall']:>7.2f}{row['inner']:>10.2f}   {goal}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark xlmr-corpus (1 and 2 workers) beside a bare loop and datatrove on the same "
        "input; prints pages/s, peak memory and their ratios.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--input", choices=("realistic", "copies"), default="realistic",
                        help="distinct pages (Debian docs + the sample), or the sample's pages copied --copies times")
    parser.add_argument("--copies", type=int, default=12, metavar="K",
                        help="copies input: repeat every response K times (fresh record IDs): K x 187 pages")
    parser.add_argument("--files", type=int, default=8, metavar="N",
                        help="spread the pages round-robin over N gzip WARC files")
    parser.add_argument("--repeat", type=int, default=1, metavar="R",
                        help="run the configs in turn R times and report medians")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "out", metavar="DIR",
                        help="where the inputs (DIR/realistic, DIR/copies), the datatrove venv and the outputs go")
    parser.add_argument("--sample", type=Path, default=REPO / "sample" / "sample.warc.gz", metavar="WARC",
                        help="the sample WARC: the copies input, and the real CC pages of the realistic one")
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
    duplicates = realistic_input.duplicate_rate(files)
    print(f"timing {len(files)} files, {os.cpu_count()} CPUs, python {sys.executable}")
    summary = summarise(measure(files, args.work_dir, args.repeat, args.only))
    ratio_rows = ratios(summary)
    print_report(summary, ratio_rows, args.repeat, duplicates)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "params": {"input": args.input, "copies": args.copies, "files": args.files, "repeat": args.repeat,
                       "paths": [str(p) for p in files], "cpus": os.cpu_count(), "duplicates": duplicates},
            "results": summary, "ratios": ratio_rows,
        }, indent=2))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
