"""Progress of a local run: files done / total, pages read, pages per second, ETA.

A local Beam runner reports metrics only when the job ends, so the readers
report through a side channel instead: each `ReadRecords` instance rewrites one
small JSON file in a directory the driver made (at most once a second, atomically),
and a thread in the driver sums them and shows a tqdm bar on a terminal, or a log
line every `interval` seconds otherwise. The ETA is from bytes read against the
input's bytes (compressed, as stored), which tracks work better than files when
files differ in size. On Dataflow the same figures are the `read` counters
(`files_done`, `bytes`, `passed`) in the job's UI; this module is not used there.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field

WRITE_EVERY_S = 1.0


@dataclass
class ReaderProgress:
    """What one reader has done so far: files finished, bytes read in all its files, pages passed on,
    and when (time.time()) it read its first byte: rates and the ETA leave out start-up."""

    files_done: int = 0
    bytes: int = 0
    pages: int = 0
    started: float | None = None


class ProgressFile:
    """The worker side: `update()` after each record, `flush()` when a file ends."""

    def __init__(self, directory: str):
        self.path = os.path.join(directory, f"{uuid.uuid4().hex}.json")
        self.progress = ReaderProgress()
        self._written = 0.0

    def update(self) -> None:
        if self.progress.started is None:
            self.progress.started = time.time()
        if time.monotonic() - self._written >= WRITE_EVERY_S:
            self.flush()

    def flush(self) -> None:
        tmp = self.path + ".tmp"
        try:
            with open(tmp, "w") as f:
                json.dump(asdict(self.progress), f)
            os.replace(tmp, self.path)
        except OSError:  # the driver has finished and removed the directory: nothing to report to
            pass
        self._written = time.monotonic()


def read_all(directory: str) -> ReaderProgress:
    """The sum over every reader's file (a file being replaced is simply read next time)."""
    total = ReaderProgress()
    for name in os.listdir(directory):
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(directory, name)) as f:
                part = json.load(f)
        except (OSError, ValueError):
            continue
        total.files_done += part["files_done"]
        total.bytes += part["bytes"]
        total.pages += part["pages"]
        if part["started"] is not None:
            total.started = min(part["started"], total.started or part["started"])
    return total


def format_line(p: ReaderProgress, files: int, total_bytes: int | None, elapsed: float) -> str:
    """One progress line, e.g. '3/8 files, 1,234 pages (41.2/s), 37% of 1.2 GB, ETA 0:02:10'.

    Without the input's size (http inputs), the ETA is from files done.
    """
    rate = p.pages / elapsed if elapsed > 0 else 0.0
    line = f"{p.files_done}/{files} files, {p.pages:,} pages ({rate:.1f}/s)"
    if total_bytes:
        share = min(p.bytes / total_bytes, 1.0)
        line += f", {share:.0%} of {_size(total_bytes)}"
    else:
        share = p.files_done / files if files else 1.0
    if 0 < share < 1:
        line += f", ETA {_clock(elapsed * (1 - share) / share)}"
    return line


def _size(n: float) -> str:
    unit = "B"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000:
            break
        n /= 1000
    return f"{n:.1f} {unit}"


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


@dataclass
class ProgressMonitor:
    """The driver side: `with ProgressMonitor(files, total_bytes, interval) as directory:` runs the job.

    `interval` is seconds between log lines when stderr is not a terminal; on a
    terminal a tqdm bar is redrawn twice a second.
    """

    files: int
    total_bytes: int | None
    interval: float
    bar: bool = field(default_factory=lambda: sys.stderr.isatty())

    def __enter__(self) -> str:
        self._dir = tempfile.mkdtemp(prefix="xlmr-progress-")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xlmr-progress", daemon=True)
        self._thread.start()
        return self._dir

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for name in os.listdir(self._dir):
            os.unlink(os.path.join(self._dir, name))
        os.rmdir(self._dir)

    def _run(self) -> None:
        if self.bar:
            from tqdm import tqdm

            with tqdm(total=self.total_bytes or None, unit="B", unit_scale=True, file=sys.stderr,
                      desc="reading", dynamic_ncols=True) as bar:
                while not self._stop.wait(0.5):
                    self._draw(bar)
                self._draw(bar)
            return
        while not self._stop.wait(self.interval):
            p = read_all(self._dir)
            line = (format_line(p, self.files, self.total_bytes, self._elapsed(p)) if p.started is not None
                    else f"0/{self.files} files, the workers are starting")
            print(f"progress: {line}", file=sys.stderr, flush=True)
            if p.files_done >= self.files:  # the rest (dedup, LID, writing) has no bytes to count
                print("progress: every file read; deduplication, LID and writing go on", file=sys.stderr, flush=True)
                return

    @staticmethod
    def _elapsed(p: ReaderProgress) -> float:
        return time.time() - p.started if p.started is not None else 0.0

    def _draw(self, bar) -> None:
        p = read_all(self._dir)
        bar.n = p.bytes
        elapsed = self._elapsed(p)
        bar.set_postfix_str(f"{p.files_done}/{self.files} files, {p.pages:,} pages "
                            f"({p.pages / elapsed if elapsed else 0:.1f}/s)", refresh=False)
        bar.refresh()
