"""All three stages against gs:// on a real GCS-protocol server on loopback, in this process with the
environment a child process would be given."""

from __future__ import annotations

import json
import os

import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest

from xlmr.common.files import download

from gcs_peers import GcsPeers
from helpers import SAMPLE_WET, read_corpus, run_job, without_source

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gcs(quarter_warc):
    with GcsPeers() as peers, pytest.MonkeyPatch.context() as env:
        for name in set(os.environ) - set(peers.env):
            env.delenv(name)
        for name, value in peers.env.items():
            env.setenv(name, value)
        bucket = peers.client().bucket(peers.bucket)
        for path in (quarter_warc, SAMPLE_WET):  # a quarter of the sample: the route is the point
            bucket.blob(f"input/{path.name}").upload_from_filename(str(path))
        yield peers


def _run(main, *argv) -> None:
    assert main(list(map(str, argv))) == 0


def _arrow(gcs) -> pafs.GcsFileSystem:
    return pafs.GcsFileSystem(anonymous=True, scheme="http", endpoint_override=gcs.endpoint.split("//")[1])


def _names(gcs, prefix: str) -> set[str]:
    return {b.name[len(prefix):] for b in gcs.client().list_blobs(gcs.bucket, prefix=prefix)}


@pytest.fixture(scope="module")
def gcs_corpus(gcs):
    b = f"gs://{gcs.bucket}"
    run_job(["--input", f"{b}/input/*.gz", "--output", f"{b}/corpus", "--card", "on"])
    return f"{b}/corpus"


def test_corpus_from_and_to_gcs_equals_a_local_run(gcs, gcs_corpus, quarter_corpus):
    names = _names(gcs, "corpus/")
    assert {"_SUCCESS", "_stats.json", "README.md", "language_mix.png"} <= names  # with the dataset card
    assert any(n.endswith(".parquet") for n in names)
    assert not any(n.startswith("_temporary") for n in names)
    table = ds.dataset(f"{gcs.bucket}/corpus", filesystem=_arrow(gcs), format="parquet",
                       partitioning="hive", exclude_invalid_files=True).to_table()
    remote = sorted(without_source(table.to_pylist()), key=lambda r: r["id"])
    local, local_stats = read_corpus(quarter_corpus)
    assert remote == without_source(local)
    stats = json.loads(gcs.client().bucket(gcs.bucket).blob("corpus/_stats.json").download_as_bytes())
    assert stats["languages"] == local_stats["languages"]


def test_tokenizer_and_trainer_on_gcs_with_resume(gcs, gcs_corpus, tmp_path, capsys):
    from xlmr.tokenizer.cli import main as tokenizer
    from xlmr.trainer.cli import main as trainer

    b = f"gs://{gcs.bucket}"
    _run(tokenizer, "--corpus", gcs_corpus, "--output", f"{b}/tok", "--vocab-size", 3000,
         "--sentences", 1000)
    assert {"sentencepiece.bpe.model", "tokenizer.json", "sampling.json", "fertility.json"} <= _names(gcs, "tok/")
    encode = ["encode", "--corpus", gcs_corpus, "--tokenizer", f"{b}/tok", "--output", f"{b}/tokens", "--workers", 1]
    _run(tokenizer, *encode)
    names = _names(gcs, "tokens/")
    assert "manifest.json" in names and any(n.endswith(".ids.npy") for n in names)
    _run(tokenizer, *encode)  # the remote manifest read back: nothing left to encode
    assert "(0 encoded now" in capsys.readouterr().out
    train = ["--data", gcs_corpus, "--tokenizer", f"{b}/tok", "--output", f"{b}/model", "--model", "tiny",
             "--seq-len", 64, "--batch-size", 4, "--workers", 1, "--warmup", 1, "--save-every", 2,
             "--keep-checkpoints", 2, "--eval-every", 0, "--eval-paragraphs", 2, "--log-every", 1]
    assert trainer([*map(str, train), "--data", f"{b}/tokens", "--max-steps", "4"]) == 2  # mapped: local only
    assert "must be on local disk" in capsys.readouterr().err
    _run(trainer, *train, "--max-steps", 4)
    capsys.readouterr()
    _run(trainer, *train, "--max-steps", 6, "--resume")
    resumed = capsys.readouterr().out
    assert "resuming from" in resumed and "step 4" in resumed
    names = _names(gcs, "model/")
    assert {"checkpoints/step-4/COMPLETE", "checkpoints/step-6/COMPLETE", "checkpoints/step-6/rank-0.json",
            "checkpoints/step-6/model.safetensors", "final/model.safetensors", "final/tokenizer.json",
            "metrics.jsonl", "README.md", "training_curves.png"} <= names
    assert not any(n.startswith("checkpoints/step-2/") for n in names)  # keep 2
    records = [json.loads(line) for line in
               gcs.client().bucket(gcs.bucket).blob("model/metrics.jsonl").download_as_text().splitlines()]
    assert [r["step"] for r in records if r.get("event") == "train"] == [1, 2, 3, 4, 5, 6]

    from transformers import AutoModelForMaskedLM, AutoTokenizer

    final = tmp_path / "final"
    assert download(f"{b}/model/final", final)
    tokenizer = AutoTokenizer.from_pretrained(final)
    model = AutoModelForMaskedLM.from_pretrained(final)
    assert model(**tokenizer(["Hallo Welt"], return_tensors="pt")).logits.shape[-1] == len(tokenizer)
