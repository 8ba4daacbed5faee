"""Shared fixtures: paths to the bundled sample and the real broken WARCs, one pipeline run."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_WARC = ROOT / "sample" / "sample.warc.gz"
SAMPLE_WET = ROOT / "sample" / "sample.warc.wet.gz"
DATA = Path(__file__).resolve().parent / "data"


def read_corpus(output: Path):
    """(rows sorted by id, stats) of an xlmr-corpus output."""
    # exclude_invalid_files: the dataset card (README.md, PNGs) sits beside the partitions
    table = ds.dataset(str(output), format="parquet", partitioning="hive", exclude_invalid_files=True).to_table()
    rows = sorted(table.to_pylist(), key=lambda r: r["id"])
    stats = json.loads((output / "_stats.json").read_text())
    return rows, stats


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory):
    """One run of the whole pipeline over the sample WARC and WET (1 worker)."""
    from xlmr.pipeline.corpus import run

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


def train_flags(corpus, tokenizer, out, *extra) -> list[str]:
    """xlmr-train flags for a quick tiny-model run on CPU; `extra` come last and win."""
    return ["--data", str(corpus), "--tokenizer", str(tokenizer), "--output", str(out), "--model", "tiny",
            "--seq-len", "64", "--log-every", "1", "--eval-paragraphs", "20", *map(str, extra)]


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


def split_warc(source: Path, out_dir: Path, n_files: int, seed: int | None = None) -> list[Path]:
    """Deal the gzip members (records) of a WARC round-robin into n files, optionally shuffled."""
    import random

    from warcio.archiveiterator import ArchiveIterator

    data = source.read_bytes()
    with open(source, "rb") as f:
        iterator = ArchiveIterator(f)
        offsets = [iterator.offset for _ in iterator] + [len(data)]
    members = [data[a:b] for a, b in zip(offsets, offsets[1:])]
    if seed is not None:
        random.Random(seed).shuffle(members)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"part-{i}.warc.gz" for i in range(n_files)]
    for i, path in enumerate(paths):
        path.write_bytes(b"".join(members[i::n_files]))
    return paths
