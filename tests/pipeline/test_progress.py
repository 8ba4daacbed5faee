"""Progress of a local run, and every core by default."""

from __future__ import annotations

import os

import pytest

from helpers import SAMPLE_WARC, SAMPLE_WET, split_warc
from xlmr.pipeline.options import parse_options
from xlmr.pipeline.progress import ProgressFile, ReaderProgress, format_line, read_all


def test_reader_files_add_up(tmp_path):
    a, b = ProgressFile(str(tmp_path)), ProgressFile(str(tmp_path))
    a.progress = ReaderProgress(files_done=1, bytes=300, pages=10, started=100.0)
    b.progress = ReaderProgress(files_done=2, bytes=700, pages=5, started=90.0)
    a.flush()
    b.flush()
    (tmp_path / "junk.json.tmp").write_text("{")  # a file being replaced is skipped
    assert read_all(str(tmp_path)) == ReaderProgress(files_done=3, bytes=1000, pages=15, started=90.0)


def test_progress_line_and_eta():
    p = ReaderProgress(files_done=1, bytes=250_000_000, pages=1000, started=0.0)
    assert format_line(p, 4, 1_000_000_000, 100.0) == \
        "1/4 files, 1,000 pages (10.0/s), 25% of 1.0 GB, ETA 0:05:00"
    # without sizes (http inputs) the ETA is from files
    assert format_line(p, 4, None, 100.0) == "1/4 files, 1,000 pages (10.0/s), ETA 0:05:00"
    assert "ETA" not in format_line(ReaderProgress(4, 10, 10, 0.0), 4, 10, 5.0)


@pytest.mark.parametrize("argv, workers, mode", [
    ([], os.cpu_count(), "multi_processing" if os.cpu_count() > 1 else "in_memory"),
    (["--direct_num_workers", "1"], 1, "in_memory"),
    (["--direct_num_workers=3"], 3, "multi_processing"),
    (["--direct_num_workers", "2", "--direct_running_mode", "multi_threading"], 2, "multi_threading"),
])
def test_every_core_by_default(argv, workers, mode):
    options = parse_options(["--input", "x", "--output", "y", *argv]).get_all_options()
    assert (options["direct_num_workers"], options["direct_running_mode"]) == (workers, mode)


@pytest.mark.slow
def test_a_run_reports_progress_and_no_worker_noise(tmp_path, capfd):
    """A quarter of the sample: what is checked is the lines, not the pages."""
    from xlmr.pipeline.job import run

    part = split_warc(SAMPLE_WARC, tmp_path / "parts", 4)[0]
    stats = run(["--input", str(part), str(SAMPLE_WET), "--output", str(tmp_path / "out"),
                 "--direct_num_workers", "2", "--progress-interval", "1", "--near-dup", "off", "--quality", "off"])
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("progress:")]
    pages = stats["counters"]["read:passed"]
    assert 40 < pages < 191
    assert any(line.startswith(f"progress: 2/2 files, {pages} pages") for line in lines), err[-2000:]
    assert "every file read" in lines[-1]
    assert "semi_persistent_directory" not in err
