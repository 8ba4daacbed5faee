"""Shared fixtures: one pipeline run over the sample, a tokenizer and a tiny model trained on it, the real
broken WARCs. Helpers that test modules import are in helpers.py."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
    # Test processes run side by side, one per core (make test): a process, and the trainers and workers
    # it starts, computes on one thread, or OpenMP's spinning threads of each process fight for the cores.
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

from helpers import BROKEN_RUN_FLAGS, DATA, SAMPLE_WARC, SAMPLE_WET, quarter_of_sample, train_flags


def _built_once(tmp_path_factory, name: str, build) -> Path:
    """`build(path)` run once for the whole test run: under xdist the test processes share one
    directory, and the first to ask builds while the others wait on its lock, as pytest-xdist's
    documentation recommends for session fixtures. Tests only read what is built here."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's directory, above each process's own
    out, done = root / name, root / f"{name}.done"
    with FileLock(str(root / f"{name}.lock")):
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)  # a build that failed in another process
            build(out)
            done.touch()
    return out


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory):
    """One run of the whole pipeline over the sample WARC and WET, with the default flags (and the card)."""
    from helpers import run_job as run

    return _built_once(tmp_path_factory, "sample-corpus",
                       lambda out: run(["--input", str(SAMPLE_WARC), str(SAMPLE_WET), "--output", str(out),
                                            "--card", "on"]))


@pytest.fixture(scope="session")
def sample_pages(tmp_path_factory) -> list[tuple[str, str]]:
    """(url, text) of each sample WARC page trafilatura keeps, as the extraction stage gives it."""
    import json

    from xlmr.pipeline.extractors.trafilatura import html_to_text
    from xlmr.pipeline.readers.warc import read_records

    def extract(out: Path):
        pages = []
        with open(SAMPLE_WARC, "rb") as f:
            for record in read_records(f, "sample", 2_000_000):
                text, _ = html_to_text(record.payload, record.content_type, record.url)
                if text:
                    pages.append((record.url, text))
        out.mkdir()
        (out / "pages.json").write_text(json.dumps(pages, ensure_ascii=False))

    return [tuple(page) for page in json.loads(
        (_built_once(tmp_path_factory, "sample-pages", extract) / "pages.json").read_text())]


@pytest.fixture(scope="session")
def quarter_warc(tmp_path_factory) -> Path:
    """A quarter of the sample WARC (helpers.quarter_of_sample): for tests of how a job reads, runs and writes,
    whose point is the same corpus by another route, not the sample's every page."""
    return _built_once(tmp_path_factory, "quarter", lambda out: quarter_of_sample(out / "quarter.warc.gz")
                       ) / "quarter.warc.gz"


@pytest.fixture(scope="session")
def quarter_corpus(quarter_warc, tmp_path_factory):
    """The default job over the quarter WARC and the sample WET: what the other routes must equal."""
    from helpers import run_job as run

    return _built_once(tmp_path_factory, "quarter-corpus",
                       lambda out: run(["--input", str(quarter_warc), str(SAMPLE_WET), "--output", str(out)]))


@pytest.fixture(scope="session")
def grown_corpus(tmp_path_factory) -> Path:
    """The sample grown in two runs: ROOT/a.warc.gz and b.warc.gz (helpers.halves_of_sample), ROOT/a the
    corpus of the first, ROOT/b of the second with --dedup-against ROOT/a (Beam, the default recipe)."""
    from helpers import halves_of_sample, run_job

    def build(out):
        a, b = halves_of_sample(out)
        run_job(["--input", str(a), "--output", str(out / "a")])
        run_job(["--input", str(b), "--output", str(out / "b"), "--dedup-against", str(out / "a")])
    return _built_once(tmp_path_factory, "grown", build)


@pytest.fixture(scope="session")
def parted_corpus(quarter_warc, tmp_path_factory) -> Path:
    """ROOT/in: the quarter of the sample split into 3 files; ROOT/out: their corpus in 3 parts
    (--part-files 1), uninterrupted: what a killed and resumed run must equal."""
    from helpers import run_job, split_warc

    def build(out):
        inputs = split_warc(quarter_warc, out / "in", 3)
        run_job(["--input", *map(str, inputs), "--output", str(out / "out"), "--part-files", "1"])
    return _built_once(tmp_path_factory, "parted", build)


@pytest.fixture(scope="session")
def sample_tokenizer(sample_corpus, tmp_path_factory):
    """An 8,000-piece tokenizer trained on the sample corpus."""
    from xlmr.tokenizer.cli import run

    return _built_once(tmp_path_factory, "sample-tokenizer", lambda out: run([
        "--corpus", str(sample_corpus), "--output", str(out), "--vocab-size", "8000", "--sentences", "20000",
        "--heldout", "20"]))


@pytest.fixture(scope="session")
def lm_models(sample_corpus, tmp_path_factory):
    """CCNet's layout for de and es, small and real: SentencePiece trained on the sample corpus's text of
    each, and a bigram ARPA model of its pieces (helpers.write_lm_models)."""
    from helpers import read_corpus, write_lm_models

    def build(out):
        rows, _ = read_corpus(sample_corpus)
        write_lm_models({lang: [r["text"] for r in rows if r["lang"] == lang] for lang in ("de", "es")}, out)
    return _built_once(tmp_path_factory, "lm-models", build)


@pytest.fixture(scope="session")
def sample_tokens(sample_corpus, sample_tokenizer, tmp_path_factory):
    """The sample corpus encoded by the sample tokenizer (xlmr-tokenizer encode): the trainer's token path."""
    from xlmr.tokenizer.encode import encode_corpus

    return _built_once(tmp_path_factory, "sample-tokens",
                       lambda out: encode_corpus(str(sample_corpus), str(sample_tokenizer), str(out), workers=2))


@pytest.fixture(scope="session")
def trained(sample_tokens, sample_tokenizer, tmp_path_factory):
    """OUT of a 40-step tiny-model run on the sample's token shards, as `make demo` trains (final/ is the
    checkpoint xlmr-eval tests score; its run's --data is the token directory)."""
    from xlmr.trainer.cli import main

    def train(out):
        assert main(train_flags(sample_tokens, sample_tokenizer, out, "--max-steps", 40, "--warmup", 4,
                                "--save-every", 10, "--keep-checkpoints", 2, "--workers", 1, "--batch-size", 8,
                                "--eval-every", 20)) == 0
    return _built_once(tmp_path_factory, "trained", train)


def _write_broken_files(out: Path) -> None:
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
    out.mkdir(parents=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    for name in ("resiliparse_clipped.warc.gz", "resiliparse_clueweb09-ja_quirk.warc.gz",
                 "warcio_example-iana.org-chunked.warc", "warcio_example.warc.gz"):
        shutil.copy(DATA / name, out / name)


@pytest.fixture(scope="session")
def broken_files(tmp_path_factory):
    """Real files cut or spoiled the ways downloads and crawls break."""
    return _built_once(tmp_path_factory, "broken-files", _write_broken_files)


@pytest.fixture(scope="session")
def broken_corpus(broken_files, tmp_path_factory):
    """The broken files and the sample WET through the pipeline on Beam, with BROKEN_RUN_FLAGS."""
    from helpers import run_job as run

    return _built_once(tmp_path_factory, "broken-corpus", lambda out: run([
        "--input", str(broken_files / "*"), str(SAMPLE_WET), "--output", str(out), *BROKEN_RUN_FLAGS]))
