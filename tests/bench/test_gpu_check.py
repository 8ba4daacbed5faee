"""bench/gpu_check.sh, the trainer's device check, run on CPU with the tiny model so that it keeps working:
as it runs on a machine without a GPU when no flag asks for a device or a size."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import pytest

from helpers import ROOT, bench_module

pytestmark = pytest.mark.slow

COLUMNS = {"mode", "batch", "tokens_per_s", "tflops", "mfu", "peak_memory_gib", "data_wait", "workers_needed",
           "step_s", "first_step_s", "graphs"}


def _gpu_check():
    return bench_module("gpu_check")


def test_without_a_gpu_the_check_says_so_and_prints_and_writes_every_column_of_the_cpu_run(
        sample_corpus, sample_tokenizer, tmp_path):
    """No --device, --model, --seq-len, --max-batch or --steps, and no GPU (hidden if there is one): the
    small CPU configuration, said at the start and at the end, instead of base at 512 tokens."""
    out = tmp_path / "check.json"
    flags = ["--warmup-steps", "1", "--workers", "1", "--head-batch", "2", "--loader-seconds", "0.5",
             "--peak-tflops", "0.5", "--data", str(sample_corpus), "--tokenizer", str(sample_tokenizer),
             "--work-dir", str(tmp_path), "--json", str(out)]
    proc = subprocess.run(["bash", str(ROOT / "bench" / "gpu_check.sh"), *flags], capture_output=True, text=True,
                          env={**os.environ, "PYTHON": sys.executable, "CUDA_VISIBLE_DEVICES": ""}, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "gpu_check: no GPU found" in proc.stderr and "meant for a GPU" in proc.stderr
    assert "--model tiny --device cpu --seq-len 64 --max-batch 2 --steps 2" in proc.stderr
    assert proc.stdout.rstrip().splitlines()[-1].startswith("No GPU was found")
    assert "not what a GPU does" in proc.stdout
    result = json.loads(out.read_text())
    assert result["no_gpu"] and result["device"].startswith("CPU")
    assert (result["model"], result["seq_len"], result["precision"]) == ("tiny", 64, "fp32")
    assert [len(result["tried"][mode]["rows"]) for mode in ("eager", "compile")] == [1, 1]
    assert [r["mode"] for r in result["rows"]] == ["eager", "compile"]
    for row in result["rows"]:
        assert row.keys() == COLUMNS and row["batch"] == 2
        assert row["tokens_per_s"] > 0 and row["peak_memory_gib"] > 0 and 0 <= row["data_wait"] < 1
        assert row["mfu"] == pytest.approx(row["tflops"] / 0.5) and row["workers_needed"] >= 1
    # compiled once, and not again over the steps: their masked counts differ, the encoder's shapes do not
    assert [r["graphs"] for r in result["rows"]] == [0, 1]
    assert result["loader"]["tokens_per_s"] > 0 and result["loader"]["vocab_size"] == len(
        json.loads((sample_tokenizer / "tokenizer.json").read_text())["model"]["vocab"])
    assert all(result["head"][h]["peak_gib"] > 0 and result["head"][h]["step_s"] > 0 for h in ("dense", "chunked"))
    for heading in ("micro-batch", "tokens/s", "MFU", "peak memory", "data wait", "workers needed"):
        assert heading in proc.stdout
    help_text = subprocess.run(["bash", str(ROOT / "bench" / "gpu_check.sh"), "--help"], capture_output=True,
                               text=True, env={**os.environ, "PYTHON": sys.executable}).stdout
    assert "--peak-tflops" in help_text and "Without a GPU" in help_text


def _flags(**given) -> argparse.Namespace:
    """gpu_check's sizing flags as argparse leaves them: None where not passed."""
    return argparse.Namespace(**{"device": "auto", "model": None, "seq_len": None, "min_batch": None,
                                 "max_batch": None, "steps": None, **given})


def _sizes(args) -> tuple:
    return args.device, args.model, args.seq_len, args.min_batch, args.max_batch, args.steps


def test_no_gpu_and_no_device_asked_for_falls_back_to_the_small_cpu_run_and_says_so():
    resolve = _gpu_check().resolve
    args = _flags()
    message = resolve(args, missing=lambda: "no CUDA device here")
    assert _sizes(args) == ("cpu", "tiny", 64, 2, 2, 2) and args.no_gpu == "no CUDA device here"
    assert "no GPU found" in message and "meant for a GPU" in message and "not GPU ones" in message
    assert "--model tiny --device cpu --seq-len 64 --max-batch 2 --steps 2" in message
    args = _flags(seq_len=128, min_batch=1)  # what is passed wins; the rest is the CPU configuration
    assert resolve(args, missing=lambda: "none") and _sizes(args) == ("cpu", "tiny", 128, 1, 2, 2)


def test_a_gpu_gets_the_check_proper_and_an_explicit_cpu_run_no_message():
    resolve = _gpu_check().resolve
    args = _flags()
    assert resolve(args, missing=lambda: None) is None
    assert _sizes(args) == ("cuda", "base", 512, 32, 1024, 10) and args.no_gpu is None

    def unasked():
        raise AssertionError("--device cpu needs no look for a GPU")
    args = _flags(device="cpu", model="base")
    assert resolve(args, missing=unasked) is None
    assert _sizes(args) == ("cpu", "base", 64, 2, 2, 2) and args.no_gpu is None


def test_device_cuda_without_one_and_an_empty_sweep_stop_with_status_2(capsys):
    resolve = _gpu_check().resolve
    with pytest.raises(SystemExit) as stop:
        resolve(_flags(device="cuda"), missing=lambda: "this torch is built without CUDA")
    assert stop.value.code == 2 and "--device cpu" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        resolve(_flags(device="cpu", min_batch=4), missing=lambda: None)
    assert stop.value.code == 2 and "--min-batch 4 is above --max-batch 2" in capsys.readouterr().err


def test_a_part_killed_or_out_of_memory_is_told_with_the_flags_that_shrink_it():
    gpu_check = _gpu_check()
    train = {"device": "cpu", "model": "base", "seq_len": 512, "batches": [32, 64, 128]}
    killed = gpu_check.failure("train", train, -9, "")
    assert "killed (signal 9" in killed and "for want of memory" in killed
    assert all(flag in killed for flag in ("--max-batch", "32, 64, 128", "--seq-len (now 512)", "--model tiny"))
    head = gpu_check.failure("head", {**train, "batch": 32}, gpu_check.OUT_OF_MEMORY, "")
    assert "ran out of memory" in head and "--head-batch (now 32)" in head
    assert "failed (exit status 1); its output:\nboom" in gpu_check.failure("loader", train, 1, "boom")


def test_on_cpu_a_part_asking_for_more_than_the_memory_available_gets_an_out_of_memory_error():
    """_limit_memory, as each CPU part sets it: torch's allocation fails, as on a GPU, instead of the kernel
    killing the process once the machine's memory runs out."""
    script = f"""
import importlib.util, torch
spec = importlib.util.spec_from_file_location("gpu_check", {str(ROOT / "bench" / "gpu_check.py")!r})
gpu_check = importlib.util.module_from_spec(spec); spec.loader.exec_module(gpu_check)
limit = gpu_check._limit_memory()
assert limit and limit <= gpu_check._meminfo("MemAvailable")
try:
    torch.empty(limit, dtype=torch.uint8)
except RuntimeError as exc:
    assert gpu_check._out_of_memory(exc), exc
    print("out of memory")
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "out of memory", proc.stderr[-3000:]


def test_the_check_makes_its_inputs_from_what_the_project_ships(sample_corpus, sample_tokenizer, tmp_path):
    """The UDHR corpus in xlmr-corpus's layout, and a tokenizer widened with the text's frequent pieces."""
    from transformers import AutoTokenizer

    from xlmr.common.corpus_reader import Corpus, select_languages

    gpu_check = _gpu_check()
    corpus = Corpus(str(gpu_check.build_corpus(tmp_path / "udhr")))
    sizes = select_languages(corpus, [])
    assert len(sizes) == 88 and sum(sizes.values()) > 4000
    assert sum(len(t.split("\n")) for t in [*corpus.paragraphs("de", 0)]) == sizes["de"]

    original = AutoTokenizer.from_pretrained(sample_tokenizer)
    gpu_check.widen(sample_tokenizer, tmp_path / "wide", 12_000, sample_corpus)
    wide = AutoTokenizer.from_pretrained(tmp_path / "wide")
    assert len(wide) == 12_000 and wide.mask_token_id == 11_999 and wide.convert_ids_to_tokens(11_999) == "<mask>"
    kept = original.get_vocab()
    del kept["<mask>"]
    widened = wide.get_vocab()
    assert all(widened[piece] == i for piece, i in kept.items())  # the trained pieces keep their ids
    text = "Alle Menschen sind frei und gleich an Würde und Rechten geboren."
    ids = wide(text)["input_ids"]
    assert max(ids) > len(kept) and len(ids) < len(original(text)["input_ids"])  # longer pieces, fewer tokens
