"""bench/gpu_check.sh, the trainer's device check, run on CPU with the tiny model so that it keeps working."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from helpers import ROOT

pytestmark = pytest.mark.slow

COLUMNS = {"mode", "batch", "tokens_per_s", "tflops", "mfu", "peak_memory_gib", "data_wait", "workers_needed",
           "step_s", "first_step_s", "graphs"}


def _gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "bench" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_check_on_cpu_prints_and_writes_every_column(sample_corpus, sample_tokenizer, tmp_path):
    out = tmp_path / "check.json"
    flags = ["--model", "tiny", "--device", "cpu", "--seq-len", "64", "--min-batch", "2", "--max-batch", "2",
             "--steps", "2", "--warmup-steps", "1", "--workers", "1", "--head-batch", "2", "--loader-seconds", "0.5",
             "--peak-tflops", "0.5", "--data", str(sample_corpus), "--tokenizer", str(sample_tokenizer[0]),
             "--work-dir", str(tmp_path), "--json", str(out)]
    proc = subprocess.run(["bash", str(ROOT / "bench" / "gpu_check.sh"), *flags], capture_output=True, text=True,
                          env={**os.environ, "PYTHON": sys.executable}, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert [r["mode"] for r in result["rows"]] == ["eager", "compile"]
    for row in result["rows"]:
        assert row.keys() == COLUMNS and row["batch"] == 2
        assert row["tokens_per_s"] > 0 and row["peak_memory_gib"] > 0 and 0 <= row["data_wait"] < 1
        assert row["mfu"] == pytest.approx(row["tflops"] / 0.5) and row["workers_needed"] >= 1
    # compiled once, and not again over the steps: their masked counts differ, the encoder's shapes do not
    assert [r["graphs"] for r in result["rows"]] == [0, 1]
    assert result["loader"]["tokens_per_s"] > 0 and result["loader"]["vocab_size"] == len(
        json.loads((sample_tokenizer[0] / "tokenizer.json").read_text())["model"]["vocab"])
    assert all(result["head"][h]["peak_gib"] > 0 and result["head"][h]["step_s"] > 0 for h in ("dense", "chunked"))
    for heading in ("micro-batch", "tokens/s", "MFU", "peak memory", "data wait", "workers needed"):
        assert heading in proc.stdout
    assert "--peak-tflops" in subprocess.run(["bash", str(ROOT / "bench" / "gpu_check.sh"), "--help"],
                                             capture_output=True, text=True, env={**os.environ, "PYTHON": sys.executable}).stdout


def test_the_check_makes_its_inputs_from_what_the_project_ships(sample_corpus, sample_tokenizer, tmp_path):
    """The UDHR corpus in xlmr-corpus's layout, and a tokenizer widened with the text's frequent pieces."""
    from transformers import AutoTokenizer

    from xlmr.common.corpus_reader import Corpus, select_languages

    gpu_check = _gpu_check()
    corpus = Corpus(str(gpu_check.build_corpus(tmp_path / "udhr")))
    sizes = select_languages(corpus, [])
    assert len(sizes) == 88 and sum(sizes.values()) > 4000
    assert sum(len(t.split("\n")) for t in [*corpus.paragraphs("de", 0)]) == sizes["de"]

    original = AutoTokenizer.from_pretrained(sample_tokenizer[0])
    gpu_check.widen(sample_tokenizer[0], tmp_path / "wide", 12_000, sample_corpus)
    wide = AutoTokenizer.from_pretrained(tmp_path / "wide")
    assert len(wide) == 12_000 and wide.mask_token_id == 11_999 and wide.convert_ids_to_tokens(11_999) == "<mask>"
    kept = original.get_vocab()
    del kept["<mask>"]
    widened = wide.get_vocab()
    assert all(widened[piece] == i for piece, i in kept.items())  # the trained pieces keep their ids
    text = "Alle Menschen sind frei und gleich an Würde und Rechten geboren."
    ids = wide(text)["input_ids"]
    assert max(ids) > len(kept) and len(ids) < len(original(text)["input_ids"])  # longer pieces, fewer tokens
