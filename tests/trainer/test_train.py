"""xlmr-train end to end on CPU with the tiny model: learning, export, exact resume, --compile, failures, 2-rank DDP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from xlmr.trainer.cli import main

from helpers import train_flags

pytestmark = pytest.mark.slow


def _flags(corpus, tokenizer, out, *extra):
    """No held-out evaluation unless a test asks for one: the `trained` fixture's tests check it."""
    return train_flags(corpus, tokenizer, out, "--batch-size", 4, "--eval-every", 0, "--eval-paragraphs", 0, *extra)


def _records(out, event="train"):
    lines = (out / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r.get("event") == event]


def test_loss_falls_and_checkpoints_rotate(trained):
    losses = [r["loss"] for r in _records(trained)]
    assert len(losses) == 40
    assert all(r["tokens_per_s"] > 0 and 0 <= r["data_wait"] < 1 for r in _records(trained))
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.5
    assert sorted(p.name for p in (trained / "checkpoints").iterdir()) == ["step-30", "step-40"]
    state = json.loads((trained / "checkpoints" / "step-40" / "trainer_state.json").read_text())
    assert state["step"] == 40 and state["tokens"] == 40 * 8 * 64


def test_heldout_evaluation_per_language(trained):
    evals = _records(trained, "eval")
    assert [e["step"] for e in evals] == [20, 40]
    first, last = evals[0]["eval"], evals[1]["eval"]
    assert {"es", "de", "zh", "sw"} <= set(last)
    for lang, r in last.items():
        assert r["predicted"] > 0 and r["perplexity"] == pytest.approx(2.718281828 ** r["loss"], rel=1e-6)
    assert sum(r["loss"] for r in last.values()) < sum(r["loss"] for r in first.values())


def test_export_loads_in_transformers(trained):
    from transformers import AutoModelForMaskedLM, AutoTokenizer, XLMRobertaForSequenceClassification

    final = trained / "final"
    tokenizer = AutoTokenizer.from_pretrained(final)
    batch = tokenizer(["Alle Menschen sind frei.", "人人生而自由", "Kila mtu ana haki."], padding=True,
                      return_tensors="pt")
    mlm = AutoModelForMaskedLM.from_pretrained(final)
    assert mlm.config.vocab_size == len(tokenizer)
    assert mlm(**batch).logits.shape[-1] == len(tokenizer)
    classifier = XLMRobertaForSequenceClassification.from_pretrained(final, num_labels=3)
    with torch.no_grad():
        assert classifier(**batch).logits.shape == (3, 3)
    # the checkpoint is a transformers directory too, with the trained weights
    saved = AutoModelForMaskedLM.from_pretrained(trained / "checkpoints" / "step-40")
    assert torch.equal(saved.roberta.embeddings.word_embeddings.weight, mlm.roberta.embeddings.word_embeddings.weight)


def test_model_card_and_curves(trained, capsys):
    from xlmr.trainer.training_report import read_metrics

    card = (trained / "README.md").read_text()
    for name in ("training_curves.png", "validation_perplexity.png"):
        assert (trained / name).read_bytes().startswith(b"\x89PNG") and f"]({name})" in card
    _, train, evals = read_metrics(trained / "metrics.jsonl")
    assert f"{train[-1]['step']:,} steps of 40" in card and "pipeline_tag: fill-mask" in card
    for lang, r in evals[-1]["eval"].items():  # the card's table is the last evaluation
        assert f"| {r['loss']:.3f} | {r['perplexity']:.1f} |" in card, lang
    (trained / "training_curves.png").unlink()
    assert main(["report", str(trained)]) == 0
    assert (trained / "training_curves.png").exists() and "README.md" in capsys.readouterr().out


def test_resume_repeats_the_uninterrupted_run(sample_corpus, sample_tokenizer, tmp_path):
    """Two dataloader workers and a checkpoint after 3 batches: the resumed loader must start from worker 1."""
    common = ("--max-steps", 7, "--warmup", 2, "--save-every", 3, "--workers", 2)
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    assert main(_flags(sample_corpus, sample_tokenizer, whole, *common)) == 0
    shutil.copytree(whole / "checkpoints" / "step-3", resumed / "checkpoints" / "step-3")
    assert main(_flags(sample_corpus, sample_tokenizer, resumed, *common, "--resume")) == 0
    expected = [(r["step"], r["loss"], r["grad_norm"]) for r in _records(whole)][3:]
    assert [(r["step"], r["loss"], r["grad_norm"]) for r in _records(resumed)] == expected
    a = AutoModel_weights(whole / "final")
    b = AutoModel_weights(resumed / "final")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_compile_matches_eager_and_resumes_exactly(sample_corpus, sample_tokenizer, tmp_path, monkeypatch):
    """--compile: the losses of eager over 4 steps, one compiled graph for all of them, and a resume
    from step 2 that repeats the uninterrupted compiled run bit for bit.

    Two settings, neither of them the trainer's, make the comparisons exact enough to mean
    something: inductor draws dropout masks from its own generator (fallback_random: from
    eager's), and on CPU it sums the embedding gradient from several threads in any order
    (deterministic algorithms: in one). Without them compiled losses are ~1e-3 from eager's
    (other dropout masks) and two compiled runs ~1e-7 apart, resumed or not (docs/training.md)."""
    import torch._inductor.config
    from torch._dynamo.utils import counters

    monkeypatch.setattr(torch._inductor.config, "fallback_random", True)
    common = ("--max-steps", 4, "--warmup", 1, "--save-every", 2, "--workers", 0)
    eager, whole, resumed = tmp_path / "eager", tmp_path / "whole", tmp_path / "resumed"
    graphs = counters["stats"]["unique_graphs"]
    torch.use_deterministic_algorithms(True)
    try:
        assert main(_flags(sample_corpus, sample_tokenizer, eager, *common)) == 0
        assert main(_flags(sample_corpus, sample_tokenizer, whole, *common, "--compile")) == 0
        shutil.copytree(whole / "checkpoints" / "step-2", resumed / "checkpoints" / "step-2")
        assert main(_flags(sample_corpus, sample_tokenizer, resumed, *common, "--compile", "--resume")) == 0
    finally:
        torch.use_deterministic_algorithms(False)
    # once: not again for another number of masked positions, nor for the resumed run's new model
    assert counters["stats"]["unique_graphs"] - graphs == 1
    compiled = [(r["step"], r["loss"], r["grad_norm"]) for r in _records(whole)]
    for (step, loss, norm), r in zip(compiled, _records(eager)):
        assert step == r["step"] and loss == pytest.approx(r["loss"], rel=1e-6)
        assert norm == pytest.approx(r["grad_norm"], rel=1e-5)
    assert [(r["step"], r["loss"], r["grad_norm"]) for r in _records(resumed)] == compiled[2:]
    a, b = AutoModel_weights(whole / "final"), AutoModel_weights(resumed / "final")
    assert all(torch.equal(a[k], b[k]) for k in a)


def AutoModel_weights(path):
    from safetensors.torch import load_file

    return load_file(path / "model.safetensors")


def test_refusals(trained, sample_corpus, sample_tokenizer, tmp_path, capsys):
    tok = sample_tokenizer
    assert main(_flags(sample_corpus, tok, trained, "--max-steps", 50, "--warmup", 4)) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main(_flags(sample_corpus, tok, trained, "--max-steps", 50, "--warmup", 4, "--resume",
                       "--model", "base")) == 2
    err = capsys.readouterr().err
    assert "hidden_size 128 in the checkpoint, 768 from the flags" in err
    # same size, two pieces swapped: another vocabulary
    other = tmp_path / "other-tok"
    shutil.copytree(tok, other)
    spec = json.loads((other / "tokenizer.json").read_text())
    pieces = spec["model"]["vocab"]
    pieces[100], pieces[101] = pieces[101], pieces[100]
    (other / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False))
    assert main(_flags(sample_corpus, other, trained, "--max-steps", 50, "--warmup", 4, "--resume")) == 2
    assert "the tokenizer's pieces differ" in capsys.readouterr().err
    assert main(_flags(sample_corpus, sample_corpus, tmp_path / "x", "--max-steps", 5, "--warmup", 1)) == 2
    assert "not an xlmr-tokenizer output" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(_flags(sample_corpus, tok, tmp_path / "y", "--max-steps", 5, "--warmup", 5))
    assert "--warmup 5 is not below --max-steps 5" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(_flags(sample_corpus, tok, tmp_path / "y", "--seq-len", 1024))
    assert "1024 is outside [8, 512]" in capsys.readouterr().err


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(sample_corpus, sample_tokenizer, tmp_path, capsys):
    out = tmp_path / "nan"
    # Adam's steps are about lr in size: at 1e30 the weights overflow LayerNorm's variance on the next forward.
    flags = _flags(sample_corpus, sample_tokenizer, out, "--max-steps", 6, "--warmup", 0, "--lr", 1e30,
                   "--save-every", 1, "--workers", 0)
    assert main(flags) == 3
    err = capsys.readouterr().err
    assert "loss is nan at step 2; the update was not applied" in err and "step-1" in err
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["step-1"]


def test_torchrun_two_ranks_gloo(sample_corpus, sample_tokenizer, tmp_path):
    out = tmp_path / "ddp"
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    flags = _flags(sample_corpus, sample_tokenizer, out, "--max-steps", 6, "--warmup", 2, "--save-every", 6,
                   "--grad-accum", 2, "--workers", 0, "--eval-every", 6, "--eval-paragraphs", 2)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([torchrun, "--standalone", "--nproc-per-node", "2", "-m", "xlmr.trainer", *flags],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    start = [r for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if r.get("event") == "start"]
    assert start[0]["world"] == 2
    records = _records(out)
    # global batch = 4 sequences x 2 micro-batches x 2 ranks; the ranks' gradient norms agreed at every step
    assert records[-1]["tokens"] == 6 * 4 * 2 * 2 * 64
    assert records[-1]["loss"] < records[0]["loss"]
    step = out / "checkpoints" / "step-6"
    readers = [set(json.loads((step / f"rank-{r}.json").read_text())["readers"]) for r in (0, 1)]
    assert readers == [{"0"}, {"1"}]
    assert _records(out, "eval")[-1]["eval"]


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_paths_train(precision, sample_corpus, sample_tokenizer, tmp_path):
    """bf16 autocast, and fp16 with its gradient scaler (saved and restored with the checkpoint)."""
    out = tmp_path / precision
    flags = _flags(sample_corpus, sample_tokenizer, out, "--max-steps", 4, "--warmup", 1, "--save-every", 2,
                   "--workers", 0, "--precision", precision, "--eval-paragraphs", 2)
    assert main(flags) == 0
    shutil.rmtree(out / "checkpoints" / "step-4")
    assert main(flags + ["--resume"]) == 0  # from step-2, scaler state included
    losses = [r["loss"] for r in _records(out)]
    assert len(losses) == 4 and all(0 < x < 20 for x in losses)
    scaler = torch.load(out / "checkpoints" / "step-4" / "scheduler.pt", weights_only=True)["scaler"]
    assert (scaler is not None) == (precision == "fp16")


def test_token_shards_train_as_the_text_and_resume_exactly_after_sigkill(sample_corpus, sample_tokens,
                                                                         sample_tokenizer, tmp_path):
    """The token path (xlmr-tokenizer encode, then --data TOK) gives the text path's losses, gradient norms
    and weights, step for step; a run on it SIGKILLed after its step-10 checkpoint resumes (--resume) to
    bit-identical weights."""
    common = ("--max-steps", 24, "--warmup", 2, "--save-every", 10, "--workers", 2, "--keep-checkpoints", 5)
    text, tokens, killed = tmp_path / "text", tmp_path / "tokens", tmp_path / "killed"
    assert main(_flags(sample_corpus, sample_tokenizer, text, *common)) == 0
    assert main(_flags(sample_tokens, sample_tokenizer, tokens, *common)) == 0
    curve = lambda out: [(r["step"], r["loss"], r["grad_norm"]) for r in _records(out)]  # noqa: E731
    assert curve(tokens) == curve(text) and len(curve(text)) == 24
    whole = AutoModel_weights(tokens / "final")
    assert all(torch.equal(whole[k], v) for k, v in AutoModel_weights(text / "final").items())

    child = subprocess.Popen([sys.executable, "-m", "xlmr.trainer", *map(str, _flags(
        sample_tokens, sample_tokenizer, killed, *common))], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not (killed / "checkpoints" / "step-10").exists():
        assert child.poll() is None and time.monotonic() < deadline, child.stderr.read()[-2000:]
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not (killed / "final").exists(), "the run finished before it was killed"
    assert main(_flags(sample_tokens, sample_tokenizer, killed, *common, "--resume")) == 0
    resumed = AutoModel_weights(killed / "final")
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)
    assert curve(killed) == curve(tokens)
