"""Shared fixtures: one pipeline run over the sample, a tokenizer and a tiny model trained on it, the real
broken WARCs. Helpers that test modules import are in helpers.py."""

from __future__ import annotations

import gzip
import os
import shutil

import pytest

if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
    # Test processes run side by side, one per core (make test): a process, and the trainers and workers
    # it starts, computes on one thread, or OpenMP's spinning threads of each process fight for the cores.
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

from helpers import DATA, SAMPLE_WARC, SAMPLE_WET, train_flags


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory):
    """One run of the whole pipeline over the sample WARC and WET, with the default flags."""
    from helpers import run_job as run

    out = tmp_path_factory.mktemp("corpus") / "out"
    run(["--input", str(SAMPLE_WARC), str(SAMPLE_WET), "--output", str(out)])
    return out


@pytest.fixture(scope="session")
def sample_tokenizer(sample_corpus, tmp_path_factory):
    """(directory, run result) of an 8,000-piece tokenizer trained on the sample corpus."""
    from xlmr.tokenizer.cli import run

    out = tmp_path_factory.mktemp("tok") / "tok"
    result = run(["--corpus", str(sample_corpus), "--output", str(out), "--vocab-size", "8000",
                  "--sentences", "20000", "--heldout", "20"])
    return out, result


@pytest.fixture(scope="session")
def trained(sample_corpus, sample_tokenizer, tmp_path_factory):
    """OUT of a 40-step tiny-model run on the sample (final/ is the checkpoint xlmr-eval tests score)."""
    from xlmr.trainer.cli import main

    out = tmp_path_factory.mktemp("train") / "out"
    assert main(train_flags(sample_corpus, sample_tokenizer[0], out, "--max-steps", 40, "--warmup", 4,
                            "--save-every", 10, "--keep-checkpoints", 2, "--workers", 1, "--batch-size", 8,
                            "--eval-every", 20)) == 0
    return out


@pytest.fixture
def broken_files(tmp_path):
    """Real files cut or spoiled the ways downloads and crawls break."""
    whole = SAMPLE_WARC.read_bytes()[:300_000]  # cut inside a record
    spoiled = bytearray(whole)
    spoiled[150_000:150_050] = b"\0" * 50  # inside a gzip member in the middle
    files = {
        "truncated_gzip.warc.gz": whole,
        "corrupt_member.warc.gz": bytes(spoiled),
        "empty.warc.gz": b"",
        "not_a_warc.warc.gz": gzip.compress(b"<html>this is not a WARC file</html>\n" * 20),
        "plain_text.warc": b"hello, not a warc\n" * 20,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    for name in ("resiliparse_clipped.warc.gz", "resiliparse_clueweb09-ja_quirk.warc.gz",
                 "warcio_example-iana.org-chunked.warc", "warcio_example.warc.gz"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path
