"""CommonCrawl over HTTP: retries, backoff and Range resumption against a misbehaving loopback server."""

from __future__ import annotations

import json

import pytest

from xlmr.pipeline.readers.http_reader import DownloadFailed, RetryingHttpReader, RetryPolicy, open_url

from flaky_http import FlakyServer
from helpers import SAMPLE_WARC, SAMPLE_WET, read_corpus, without_source

FAST = RetryPolicy(max_retries=5, budget=10, initial_delay=0.001, max_delay=0.01, timeout=5)


@pytest.fixture
def server():
    with FlakyServer({"sample.warc.gz": SAMPLE_WARC}) as s:
        yield s


def test_throttling_and_cuts_are_retried_and_resumed_by_range(server):
    data = SAMPLE_WARC.read_bytes()
    server.plans["sample.warc.gz"] = [503, 429, "cut", "cut", "ignore-range", "slow"]
    with open_url(server.url("sample.warc.gz"), FAST) as f:
        assert f.read() == data
    ranges = [r for _, r, _ in server.requests]
    first_cut = len(data) // 3
    second_cut = first_cut + (len(data) - first_cut) // 3
    assert ranges == [None, None, None, f"bytes={first_cut}-", f"bytes={second_cut}-"]


def test_a_stalled_response_times_out_and_resumes(server):
    server.plans["sample.warc.gz"] = ["stall"]
    server.stall_seconds = 1.0
    policy = RetryPolicy(max_retries=3, budget=10, initial_delay=0.001, timeout=0.3)
    reader = RetryingHttpReader(server.url("sample.warc.gz"), policy)
    assert reader.read() == SAMPLE_WARC.read_bytes()
    assert reader.retries == 1


def test_persistent_throttling_gives_up_with_the_url(server):
    server.plans["sample.warc.gz"] = [503] * 20
    with pytest.raises(DownloadFailed, match=r"sample\.warc\.gz: gave up at byte 0 after 6 retries"):
        open_url(server.url("sample.warc.gz"), FAST).read()
    assert len(server.requests) == 6


def test_not_found_is_not_retried(server):
    with pytest.raises(DownloadFailed, match="HTTP 404"):
        open_url(server.url("missing.warc.gz"), FAST).read()
    assert len(server.requests) == 1


def test_backoff_is_jittered_exponential_and_capped():
    import random

    policy = RetryPolicy(initial_delay=1.0, max_delay=60.0)
    rng = random.Random(0)
    for failures in range(1, 12):
        cap = min(60.0, 2 ** (failures - 1))
        delays = [policy.delay(failures, rng) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays) and max(delays) > cap / 2


@pytest.mark.slow
def test_corpus_over_flaky_http_equals_a_clean_read(server, quarter_warc, quarter_corpus, tmp_path):
    """A quarter of the sample WARC served with failures of every kind, beside the sample WET read locally:
    the corpus the clean local read of both gives (but for the source column)."""
    from helpers import run_job as run

    server.files["quarter.warc.gz"] = quarter_warc.read_bytes()
    server.plans["quarter.warc.gz"] = [503, "cut", 429, "slow", "cut", "ignore-range", "cut"]
    server.plans["gone.warc.gz"] = [503] * 50
    server.files["gone.warc.gz"] = b""
    run(["--input", server.url("quarter.warc.gz"), server.url("gone.warc.gz"), str(SAMPLE_WET),
         "--output", str(tmp_path / "flaky"), "--http-retries", "2", "--http-retry-budget", "30"])
    clean, clean_stats = read_corpus(quarter_corpus)
    flaky, flaky_stats = read_corpus(tmp_path / "flaky")
    assert without_source(flaky) == without_source(clean) and len(clean) > 30
    assert flaky_stats["languages"] == clean_stats["languages"]
    counters = json.dumps(flaky_stats)
    assert '"read:filtered:download_failed": 1' in counters
