"""Portability: the pipeline through Beam's portable job API (what the Spark and Flink runners use)."""

from __future__ import annotations

import pytest

from helpers import SAMPLE_WET, read_corpus

pytestmark = pytest.mark.slow


def test_portable_runner_with_a_local_job_service_equals_the_default_runner(quarter_warc, quarter_corpus, tmp_path):
    """`--job_endpoint embed` starts Beam's in-SDK job service; LOOPBACK runs the SDK workers in this
    process. The job goes through the same job API, pipeline proto and Fn API as on Spark or Flink."""
    from xlmr.pipeline.job import run

    out = tmp_path / "portable"
    run(["--input", str(quarter_warc), str(SAMPLE_WET), "--output", str(out), "--runner", "PortableRunner",
         "--job_endpoint", "embed", "--environment_type", "LOOPBACK"])
    rows, stats = read_corpus(out)
    expected_rows, expected_stats = read_corpus(quarter_corpus)
    assert rows == expected_rows
    assert stats["languages"] == expected_stats["languages"]
    assert stats["counters"] == expected_stats["counters"]
