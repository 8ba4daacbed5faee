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
"docs" below are pages: the HTML records a config read.

Configs, each in a fresh Python subprocess (interpreter start, imports and model loads
counted alike). Both extraction routes (--extractor) have a bare loop and pipeline runs:
  bare            the same per-record work without Beam, in one process: read_records ->
                  the binary-page check -> html_to_text("trafilatura") in-process (no
                  sandbox) -> repair_text -> lid.176 -> the quality filters of that
                  language -> keep; no dedup, no writing
  bare-rp         the same with html_to_text("resiliparse")
  bare-extract    read -> extract (trafilatura) -> lid.176 only: the loop that
                  `--peer-work extract-lid` matches
  pipeline-1w     xlmr-corpus's run() with its defaults (trafilatura, recipe cleaned:
                  repair, quality filters, near-dup and paragraph dedup, Parquet, the
                  card), 1 worker
  pipeline-2w     the same, 2 workers (multi_processing)
  pipeline-1w-rp  pipeline-1w with --extractor resiliparse
  pipeline-2w-rp  pipeline-2w with --extractor resiliparse
  near-dup-off    pipeline-1w with --near-dup off: the cost of MinHash near-dup removal
  quality-off     pipeline-1w with --quality off --repair off: the cost of those stages
  cc100-1w        pipeline-1w with --recipe cc100 (paragraph dedup only)
  sandbox-off     pipeline-1w with --extract-timeout 0 (trafilatura in-process, no time
                  limit): the cost of the extraction sandbox
  spark-2         pipeline-2w's work on Spark: --engine spark --spark-master local[2]
  datatrove-1     datatrove 0.10.1 (bench/datatrove_peer.py builds its venv), 1 and 2
  datatrove-2     tasks: WarcReader -> Trafilatura (same version and settings) ->
                  LanguageFilter(lid.176, same model file) -> FTFYFormatter -> PIIFormatter
                  -> GopherRepetition, FineWebQuality, GopherQuality filters (datatrove's
                  defaults, English tokenizer and stop words for every page) -> ParquetWriter:
                  the bare loop's work, no dedup. --peer-work extract-lid drops the repair
                  and filter blocks (the older peer). datatrove_peer.py's docstring lists
                  what differs.

Marginal cost (--marginal, the default; --no-marginal for whole runs only): a whole run's
time is fixed costs (interpreter start, imports, model loads, Beam's start-up, the card)
plus a cost per page, and only the latter grows with a crawl. So every config also runs
on the first quarter of the input files (2 of 8: a subset of the pages), next to its
run on all of them in the same round, and per config:
  marginal ms/doc  (t_all - t_part) / (docs_all - docs_part), and docs/s = 1000 / that
  fixed s          t_part - that slope x docs_part: what a run costs on no input
each for the child's wall time (measured around it, as the whole-run table), the time
inside it, and the CPU time of its process tree. With --repeat R, the medians of the R
slopes (and of the R fixed times). The ratios below are then of marginal docs/s, the
fixed seconds of numerator and denominator beside them; with --no-marginal, of whole-run
docs/s. Going by wall time, as the goals are judged; the cpu column (docs per CPU
second) says whether a ratio comes from using more cores or from doing less work.

Goals, on the wall column:
  rp 1 worker / rp bare loop          >= 0.85  the resiliparse route's own overhead
  rp 1 worker / datatrove 1 task      >= 3.0   per core, the full peer
  rp 2 workers / rp 1 worker          >= 1.8
  1 worker / bare loop (trafilatura)  >= 0.92
  2 workers / 1 worker (trafilatura)  >= 1.8
  1 worker / datatrove 1 task, 2 workers / datatrove 2 tasks >= 1.2; Spark / Beam >= 0.9;
  the rest are informational.

The whole-run table shows each config's wall time, docs/s, the time inside the child, the
CPU time of its process tree, the CPU the rest of the machine used meanwhile (high =
disturbed), the peak resident memory of its whole process tree (driver, workers,
sandboxes, summed; sampled every 0.2 s) and that peak per doc, all on the full input.
For datatrove it also prints each block's own time (datatrove's stats) and what each
filter dropped. With --repeat R the configs run in turn R times and the medians are
reported.

Run from the repository root:

    .venv/bin/python bench/bench_pipeline.py                        # realistic input, every config
    .venv/bin/python bench/bench_pipeline.py --repeat 3 --json bench/out/realistic.json
    .venv/bin/python bench/bench_pipeline.py --only bare-rp pipeline-1w-rp pipeline-2w-rp datatrove-1
    .venv/bin/python bench/bench_pipeline.py --input copies --no-marginal --only bare pipeline-1w
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
_ONE, _TWO = ["--direct_num_workers", "1"], ["--direct_num_workers", "2"]
_RP = ["--extractor", "resiliparse"]
CONFIGS = {  # name: (label, kind, the extractor (bare kinds), flags (pipeline) or tasks (datatrove))
    "bare": ("bare loop, same work", "bare", "trafilatura"),
    "bare-rp": ("bare loop, same work, resiliparse", "bare", "resiliparse"),
    "bare-extract": ("bare loop, extract + LID", "bare-extract", "trafilatura"),
    "pipeline-1w": ("xlmr-corpus, 1 worker", "pipeline", _ONE),
    "pipeline-2w": ("xlmr-corpus, 2 workers", "pipeline", _TWO),
    "pipeline-1w-rp": ("1 worker, --extractor resiliparse", "pipeline", [*_ONE, *_RP]),
    "pipeline-2w-rp": ("2 workers, --extractor resiliparse", "pipeline", [*_TWO, *_RP]),
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
    ("rp 1 worker / rp bare loop", "pipeline-1w-rp", "bare-rp", 0.85),
    ("rp 1 worker / datatrove 1 task", "pipeline-1w-rp", "datatrove-1", 3.0),
    ("rp 2 workers / rp 1 worker", "pipeline-2w-rp", "pipeline-1w-rp", 1.8),
    ("1 worker / bare loop (same work)", "pipeline-1w", "bare", 0.92),
    ("2 workers / 1 worker", "pipeline-2w", "pipeline-1w", 1.8),
    ("1 worker / datatrove 1 task", "pipeline-1w", "datatrove-1", 1.2),
    ("2 workers / datatrove 2 tasks", "pipeline-2w", "datatrove-2", 1.2),
    ("Spark local[2] / Beam 2 workers", "spark-2", "pipeline-2w", 0.9),
    ("rp 2 workers / datatrove 2 tasks", "pipeline-2w-rp", "datatrove-2", None),
    ("rp bare loop / bare loop", "bare-rp", "bare", None),
    ("cc100 1 worker / datatrove 1 task", "cc100-1w", "datatrove-1", None),
    ("bare (same work) / bare-extract", "bare", "bare-extract", None),
    ("datatrove 1 task / bare (same work)", "datatrove-1", "bare", None),
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


def bare_loop(extractor: str, files: list[str], same_work: bool) -> dict:
    """The per-record work without Beam: read, extract in-process, (repair, quality filters,) LID."""
    from xlmr.pipeline.extractors.extract_text import html_to_text, looks_binary
    from xlmr.pipeline.readers.inputs import open_input
    from xlmr.pipeline.filters.language_id import LanguageIdentifier
    from xlmr.pipeline.filters.quality_filters import assess
    from xlmr.pipeline.filters.quality_settings import load_thresholds
    from xlmr.pipeline.formatters.text_repair import repair_text
    from xlmr.pipeline.readers.warc import read_records
    from xlmr.pipeline.filters.words import WordSplitter

    extract, identifier = html_to_text(extractor), LanguageIdentifier()
    thresholds, words = load_thresholds(None, lid176=True), WordSplitter()
    docs = texts = kept = 0
    for path in files:
        with open_input(path) as stream:
            for record in read_records(stream, path, 2 * 1024 * 1024):
                docs += 1
                if record.is_text:
                    text = record.payload.decode("utf-8", errors="replace")
                elif looks_binary(record.payload):
                    continue
                else:
                    text = extract(record.payload, record.content_type, record.url)[0]
                if not text or not text.strip():
                    continue
                texts += 1
                if not same_work:
                    identifier.predict(text)
                    continue
                text = repair_text(text)[0]
                lang, _ = identifier.predict(text)
                settings = thresholds.for_language(lang)
                kept += settings is None or not assess(text, settings, words.split, lang)[1]
    return {"docs": docs, "texts": texts, "kept": kept}


def pipeline_run(argv: list[str]) -> dict:
    """xlmr-corpus's run(argv) (FnApiRunner, as its default); docs are the HTML records it read."""
    from xlmr.pipeline.job import run

    stats = run(argv)
    return {"docs": stats["counters"]["read:passed"], "kept": stats["totals"]["documents"]}


def child_main() -> None:
    """Entry point of a timed child: `bare|bare-extract EXTRACTOR FILE...` or `pipeline ARG...`; prints one
    result line."""
    start = time.perf_counter()
    kind, argv = sys.argv[1], sys.argv[2:]
    result = pipeline_run(argv) if kind == "pipeline" else bare_loop(argv[0], argv[1:], same_work=kind == "bare")
    result["inner_s"] = time.perf_counter() - start
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def child_command(config: str, files: list[Path], work_dir: Path, peer_work: str) -> list[str]:
    _, kind, arg = CONFIGS[config]
    output = work_dir / f"output-{config}"
    if kind == "datatrove":
        return datatrove_peer.command(work_dir, files, output, arg, peer_work)
    code = f"import sys; sys.path.insert(0, {str(BENCH_DIR)!r}); import bench_pipeline; bench_pipeline.child_main()"
    paths = [str(p) for p in files]
    if kind != "pipeline":
        return [sys.executable, "-c", code, kind, arg, *paths]
    return [sys.executable, "-c", code, "pipeline", "--input", *paths, "--output", str(output), "--overwrite", *arg]


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


def measure(inputs: dict[str, list[Path]], work_dir: Path, repeat: int, configs: list[str],
            peer_work: str) -> dict[str, dict[str, list[dict]]]:
    """Every config on every input (`part`, then `all`) `repeat` times, in turn (bare part, bare all,
    1 worker part, ..., bare part, ...): runs[config][input] lists one result per round."""
    runs = {config: {name: [] for name in inputs} for config in configs}
    for r in range(repeat):
        for config in configs:
            for name, files in inputs.items():
                result = time_child(child_command(config, files, work_dir, peer_work))
                runs[config][name].append(result)
                print(f"  repeat {r + 1}/{repeat} {config:<15}{name:<5}{result['docs']:>5} docs "
                      f"{result['wall_s']:7.2f}s wall {result['inner_s']:7.2f}s in child {result['cpu_s']:7.2f}s cpu "
                      f"{result['other_cpu_s']:6.2f}s other cpu {result['peak_rss_mb']:7.0f} MB peak", flush=True)
    return runs


# -------------------------------------------------------------------- report

TIMES = {"wall": "wall_s", "inner": "inner_s", "cpu": "cpu_s"}  # the times rates and ratios are taken on


def _docs(config: str, name: str, results: list[dict]) -> int:
    docs = {r["docs"] for r in results}
    if len(docs) != 1:
        sys.exit(f"{config} ({name} input): the doc count changed between repeats: {sorted(docs)}")
    return docs.pop()


def marginal(config: str, part: list[dict], full: list[dict]) -> dict:
    """Per time (TIMES): the median over rounds of the slope between the part and the full run (ms per
    page) and of the fixed seconds (the part run's time less slope x its pages)."""
    n_part, n_all = _docs(config, "part", part), _docs(config, "all", full)
    if n_all <= n_part:
        sys.exit(f"{config}: the part input has {n_part} docs, all of it {n_all}: no slope")
    result = {"docs_part": n_part}
    for timing, key in TIMES.items():
        slopes = [(a[key] - p[key]) / (n_all - n_part) for p, a in zip(part, full)]
        fixed = [p[key] - slope * n_part for p, slope in zip(part, slopes)]
        result[timing] = {"ms_per_doc": 1000 * statistics.median(slopes), "fixed_s": statistics.median(fixed),
                            "part_s": statistics.median(p[key] for p in part)}
    return result


def _rate(ms_per_doc: float) -> float:
    return 1000 / ms_per_doc if ms_per_doc > 0 else float("nan")  # a negative slope: timing noise


def summarise(runs: dict[str, dict[str, list[dict]]]) -> dict:
    """Per config: medians of the full-input runs, and with a part input the marginal costs; `rates`
    (docs/s per TIMES, marginal when there is a part input) are what the ratios divide."""
    summary = {}
    for config, results in runs.items():
        full = results["all"]
        n = _docs(config, "all", full)
        medians = {key: statistics.median(r[key] for r in full)
                   for key in (*TIMES.values(), "other_cpu_s", "peak_rss_mb")}
        entry = {"docs": n, **medians, "peak_kb_per_doc": 1000 * medians["peak_rss_mb"] / n,
                 "rates": {timing: n / medians[key] for timing, key in TIMES.items()}, "runs": results}
        if "part" in results:
            entry["marginal"] = marginal(config, results["part"], full)
            entry["rates"] = {timing: _rate(entry["marginal"][timing]["ms_per_doc"]) for timing in TIMES}
        summary[config] = entry
    return summary


def ratios(summary: dict) -> list[dict]:
    rows = []
    for name, num, den, goal in RATIOS:
        if num in summary and den in summary:
            row = {"name": name, "numerator": num, "denominator": den, "goal": goal,
                   **{m: summary[num]["rates"][m] / summary[den]["rates"][m] for m in TIMES}}
            if "marginal" in summary[num]:
                row["fixed_s"] = [summary[c]["marginal"]["wall"]["fixed_s"] for c in (num, den)]
            rows.append(row)
    return rows


def print_report(summary: dict, ratio_rows: list[dict], repeat: int, duplicates: dict, inputs: dict) -> None:
    print(f"\ninput: {duplicates['responses']} HTML responses, {duplicates['distinct_payloads']} distinct "
          f"(duplicate rate {duplicates['duplicate_rate']:.1%})")
    print(f"median of {repeat} run(s); each config in a fresh subprocess (interpreter start, imports "
          "and model loads included).\n'in child': from before the first project import to the end, "
          "inside that process. 'cpu': CPU seconds of its\nprocess tree. 'other cpu': CPU seconds the "
          "rest of the machine used meanwhile (high = disturbed timing).\n'peak MB': the most resident "
          "memory of its process tree at once (driver, workers, sandboxes); 'KB/doc': that / docs.\n")
    print(f"whole runs on all {len(inputs['all'])} files:")
    print(f"{'config':<16}{'':<36}{'docs':>6}{'wall s':>9}{'docs/s':>9}{'in child s':>12}"
          f"{'docs/s':>9}{'cpu s':>8}{'other cpu s':>13}{'peak MB':>9}{'KB/doc':>8}")
    for config, s in summary.items():
        print(f"{config:<16}{CONFIGS[config][0]:<36}{s['docs']:>6}{s['wall_s']:>9.2f}"
              f"{s['docs'] / s['wall_s']:>9.1f}{s['inner_s']:>12.2f}{s['docs'] / s['inner_s']:>9.1f}"
              f"{s['cpu_s']:>8.2f}{s['other_cpu_s']:>13.2f}{s['peak_rss_mb']:>9.0f}{s['peak_kb_per_doc']:>8.0f}")
    for config, s in summary.items():
        last = s["runs"]["all"][-1]
        if "step_s" in last:
            print(f"{config}, last run: seconds per block (all tasks) {last['step_s']}; dropped {last['dropped']}")
    has_marginal = "marginal" in next(iter(summary.values()))
    if has_marginal:
        print(f"\nmarginal cost per doc: (t_all - t_part) / (docs_all - docs_part), the part input being the "
              f"first {len(inputs['part'])} of {len(inputs['all'])} files;\nfixed s = t_part - that x docs_part "
              "(interpreter, imports, model loads, start-up, the card: what a run costs on no input).")
        print(f"{'config':<16}{'docs part':>10}{'wall s part':>12}{'ms/doc':>8}{'docs/s':>8}{'fixed s':>9}"
              f"{'in child ms/doc':>16}{'cpu ms/doc':>11}{'cpu docs/s':>11}{'cpu fixed s':>12}")
        for config, s in summary.items():
            m = s["marginal"]
            print(f"{config:<16}{m['docs_part']:>10}{m['wall']['part_s']:>12.2f}{m['wall']['ms_per_doc']:>8.2f}"
                  f"{s['rates']['wall']:>8.1f}{m['wall']['fixed_s']:>9.2f}{m['inner']['ms_per_doc']:>16.2f}"
                  f"{m['cpu']['ms_per_doc']:>11.2f}{s['rates']['cpu']:>11.1f}{m['cpu']['fixed_s']:>12.2f}")
    basis = "marginal docs/s" if has_marginal else "docs/s"
    print(f"\n{'ratio (' + basis + ')':<38}{'wall':>7}{'in child':>10}{'cpu':>7}   {'goal':<18}"
          f"{'fixed s (num, den)' if has_marginal else ''}".rstrip())
    for row in ratio_rows:
        goal = "" if row["goal"] is None else f">= {row['goal']:.2f}  {'met' if row['wall'] >= row['goal'] else 'MISSED'}"
        fixed = f"{row['fixed_s'][0]:7.2f} {row['fixed_s'][1]:7.2f}" if "fixed_s" in row else ""
        line = f"{row['name']:<38}{row['wall']:>7.2f}{row['inner']:>10.2f}{row['cpu']:>7.2f}   {goal:<18}{fixed}"
        print(line.rstrip())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark xlmr-corpus (1 and 2 workers, trafilatura and resiliparse) beside a bare loop and "
        "datatrove on the same input; prints marginal and whole-run docs/s, peak memory and their ratios.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--input", choices=("realistic", "copies"), default="realistic",
                        help="distinct pages (Debian docs + the sample), or the sample's pages copied --copies times")
    parser.add_argument("--copies", type=int, default=12, metavar="K",
                        help="copies input: repeat every response K times (fresh record IDs): K x 187 pages")
    parser.add_argument("--files", type=int, default=8, metavar="N",
                        help="spread the pages round-robin over N gzip WARC files")
    parser.add_argument("--marginal", action=argparse.BooleanOptionalAction, default=True,
                        help="also run every config on the first quarter of the files, and report the marginal "
                        "cost per doc and the fixed seconds; ratios are then on marginal docs/s")
    parser.add_argument("--repeat", type=int, default=1, metavar="R",
                        help="run the configs in turn R times and report medians")
    parser.add_argument("--peer-work", choices=datatrove_peer.WORKS, default="full",
                        help="datatrove configs: the full per-record work, or extract + LID only (the older peer)")
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
    if args.marginal and args.files < 2:
        parser.error("--marginal needs --files 2 or more (a part of the files and all of them)")
    args.work_dir = args.work_dir.resolve()
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    files = prepare_input(args)
    duplicates = realistic_input.duplicate_rate(files)
    # by files, so the part's pages are a subset of all the pages
    inputs = {"part": files[:max(1, len(files) // 4)], "all": files} if args.marginal else {"all": files}
    part = f" (and the first {len(inputs['part'])} alone)" if "part" in inputs else ""
    print(f"timing {len(files)} files{part}, {os.cpu_count()} CPUs, python {sys.executable}")
    summary = summarise(measure(inputs, args.work_dir, args.repeat, args.only, args.peer_work))
    ratio_rows = ratios(summary)
    print_report(summary, ratio_rows, args.repeat, duplicates, inputs)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "params": {"input": args.input, "copies": args.copies, "files": args.files, "repeat": args.repeat,
                       "marginal": args.marginal, "peer_work": args.peer_work,
                       "paths": {name: [str(p) for p in paths] for name, paths in inputs.items()},
                       "cpus": os.cpu_count(), "duplicates": duplicates},
            "results": summary, "ratios": ratio_rows,
        }, indent=2))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
