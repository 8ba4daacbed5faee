"""xlmr-eval on a tiny checkpoint trained in this session: every language, sane numbers, chance baselines."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest
import torch

from xlmr.evaluation import pair_task
from xlmr.evaluation.cli import main
from xlmr.evaluation.embeddings import default_layer, mean_pooled
from xlmr.evaluation.parallel_set import PIVOT, load
from xlmr.evaluation.retrieval import top1_accuracy

from helpers import read_corpus


def test_top1_accuracy_counts_translations_found():
    keys = torch.eye(4) + 0.1
    assert top1_accuracy(keys, keys) == 1.0
    assert top1_accuracy(keys[[1, 0, 2, 3]], keys) == 0.5  # rows 0 and 1 find each other's translation
    assert top1_accuracy(-keys, keys) < 1.0


def test_pairs_are_balanced_disjoint_and_reproducible():
    train, test = pair_task.split(60, 0.6)
    assert (train, test) == (range(0, 36), range(36, 60))
    chosen = pair_task.anchors(test, 7)
    assert chosen == pair_task.anchors(test, 7) and chosen != pair_task.anchors(test, 8)
    assert len(chosen) == len(test) - 1
    for i, following, other in chosen:
        assert following == i + 1 and other in test and abs(other - i) > 1
    texts = [f"p{i}" for i in range(60)]
    items = pair_task.examples(chosen, texts)
    assert sum(label for *_, label in items) == len(items) / 2 == len(chosen)
    assert all(b == f"p{int(a[1:]) + 1}" for a, b, label in items if label)
    texts[40] = None  # a paragraph the alignment missed drops both pairs of every anchor that uses it
    fewer = pair_task.examples(chosen, texts)
    assert all("p40" not in (a, b) for a, b, _ in fewer) and len(fewer) < len(items)
    assert sum(label for *_, label in fewer) == len(fewer) / 2  # still balanced: chance stays 0.5


def test_default_layer_follows_xtreme():
    assert [default_layer(n) for n in (2, 12, 24)] == [2, 7, 13]


@pytest.fixture(scope="module")
def evaluated(trained, tmp_path_factory):
    """(OUT, report, printed table) of xlmr-eval on the session's tiny checkpoint; the corpus and the
    held-out settings come from the training run's metrics.jsonl."""
    out = tmp_path_factory.mktemp("eval") / "eval"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        # 64 tokens a paragraph (pair), the length the tiny model trained at, not 256: a fraction of the cost
        assert main(["--model", str(trained / "final"), "--output", str(out), "--epochs", "3", "--lr", "1e-4",
                     "--max-length", "64"]) == 0
    return out, json.loads((out / "eval.json").read_text()), printed.getvalue()


def test_report_has_every_language(evaluated, sample_corpus, trained):
    _, report, _ = evaluated
    _, stats = read_corpus(sample_corpus)
    corpus = set(stats["languages"])
    assert set(report["languages"]) == corpus
    parallel = set(load().languages())
    assert corpus <= parallel  # the shipped set covers every language of the sample
    start = json.loads((trained / "metrics.jsonl").read_text().splitlines()[0])
    heldout = set(start["heldout_sequences"])  # the languages big enough to hold text out
    for name in ("checkpoint", "random"):
        results = report[name]
        assert set(results["retrieval"]) == corpus - {PIVOT}
        assert set(results["transfer"]["languages"]) == corpus
        # a language whose one short held-out sequence drew no mask has no masked-LM figure
        assert set(results["mlm"]) <= heldout
        assert all(start["heldout_sequences"][lang] <= 1 for lang in heldout - set(results["mlm"]))
    shares = [report["languages"][lang]["corpus_share"] for lang in corpus]
    assert sum(shares) == pytest.approx(1.0)


def _accuracies(results: dict):
    for r in results["retrieval"].values():
        yield from (r["to_en"], r["from_en"], r["chance"])
    for r in results["mlm"].values():
        yield r["accuracy"]
    transfer = results["transfer"]
    yield transfer["train_accuracy"]
    for r in transfer["languages"].values():
        yield r["accuracy"]


def test_accuracies_are_shares_and_gaps_are_to_english(evaluated):
    _, report, _ = evaluated
    for name in ("checkpoint", "random"):
        assert all(0.0 <= a <= 1.0 for a in _accuracies(report[name]))
        transfer = report[name]["transfer"]["languages"]
        assert transfer[PIVOT]["gap"] == 0.0
        for r in transfer.values():
            assert r["gap"] == pytest.approx(transfer[PIVOT]["accuracy"] - r["accuracy"])
            assert r["n"] >= 30 and r["n"] % 2 == 0


def test_random_baseline_is_near_chance(evaluated):
    _, report, _ = evaluated
    vocab = round(1 / report["chance"]["mlm"])
    for r in report["random"]["mlm"].values():
        assert r["accuracy"] < 0.01  # chance is 1/8,000
        assert r["perplexity"] > vocab / 2  # an untrained head spreads its bet over the whole vocabulary
    transfer = [r["accuracy"] for r in report["random"]["transfer"]["languages"].values()]
    assert abs(sum(transfer) / len(transfer) - 0.5) < 0.1
    # A random encoder still retrieves a little above 1/n: mean pooling keeps shared tokens (digits,
    # names) and, through the averaged position embeddings, the length, which translations share.
    # Far from what alignment gives (XLM-R base finds 57% of Tatoeba's translations, XTREME).
    retrieval = report["random"]["retrieval"].values()
    assert sum(r["to_en"] for r in retrieval) / len(retrieval) < 0.15
    assert sum(r["chance"] for r in retrieval) / len(retrieval) == pytest.approx(1 / 57, rel=0.1)


def test_masked_lm_numbers_are_the_trainers(evaluated, trained):
    """The same held-out sequences and masks as xlmr-train's last evaluation: the same loss."""
    _, report, _ = evaluated
    last = [json.loads(line) for line in (trained / "metrics.jsonl").read_text().splitlines()
            if json.loads(line).get("event") == "eval"][-1]["eval"]
    for lang, r in report["checkpoint"]["mlm"].items():
        assert r["predicted"] == last[lang]["predicted"]
        assert r["loss"] == pytest.approx(last[lang]["loss"], rel=1e-5)
        assert r["accuracy"] == pytest.approx(last[lang]["accuracy"], abs=1e-9 + 2 / r["predicted"])


def test_table_json_and_plot(evaluated):
    out, report, printed = evaluated
    for lang in report["languages"]:
        assert any(line.startswith(f"{lang} ") for line in printed.splitlines())
    assert "average (checkpoint" in printed and "average (random" in printed and "chance:" in printed
    assert set(report["average"]["checkpoint"]) >= {"retrieval_to_en", "retrieval_from_en", "mlm_accuracy",
                                                    "transfer_accuracy", "transfer_en", "transfer_gap"}
    assert report["layer"] == 2 and report["settings"]["seq_len"] == 64  # from the training run
    assert report["settings"]["heldout_paragraphs"] == 20
    assert (out / "accuracy_by_language.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_embeddings_are_deterministic(trained):
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    final = trained / "final"
    tokenizer = AutoTokenizer.from_pretrained(final)
    _, texts, english = load().aligned("de")
    texts = texts[:20] + english[:20]

    def embed(batch_size):
        model = AutoModelForMaskedLM.from_pretrained(final)
        return mean_pooled(model.base_model, tokenizer, texts, 2, batch_size=batch_size, max_length=128,
                           device=torch.device("cpu"))

    first = embed(8)
    assert first.shape == (40, 128) and torch.isfinite(first).all()
    assert torch.equal(first, embed(8))  # a fresh load, the same vectors bit for bit
    assert torch.allclose(first, embed(3), atol=1e-5)  # other batches pad differently: rounding only


def test_finetuning_fits_its_training_pairs(trained):
    """The fine-tuning loop itself learns: a fixed set of English pairs is fitted, from near chance."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from xlmr.evaluation.finetune import accuracy, classifier_from, finetune

    final = trained / "final"
    tokenizer = AutoTokenizer.from_pretrained(final)
    english = load().paragraphs[PIVOT]
    items = pair_task.examples(pair_task.anchors(range(0, 13), 0), english)
    model = classifier_from(AutoModelForMaskedLM.from_pretrained(final))
    losses = finetune(model, tokenizer, lambda epoch: list(items), epochs=20, batch_size=4, lr=2e-3,
                      max_length=64, seed=0)
    assert losses[-1] < losses[0] / 2
    assert accuracy(model, tokenizer, items, batch_size=32, max_length=64) >= 0.9


def test_refusals(trained, tmp_path, capsys):
    final = str(trained / "final")
    cases = [
        (["--layer", "3"], "--layer 3: the model has 2 layers"),
        (["--languages", "xx"], "--languages xx: not in the parallel set or the training corpus; known: af ar"),
    ]
    for extra, message in cases:
        assert main(["--model", final, "--output", str(tmp_path / "o"), *extra]) == 2
        assert message in capsys.readouterr().err
    assert main(["--model", str(tmp_path), "--output", str(tmp_path / "o")]) == 2
    assert "has no config.json: expected a Hugging Face checkpoint" in capsys.readouterr().err
    # A checkpoint without its training run beside it: the masked-LM task needs --data.
    alone = tmp_path / "alone"
    shutil.copytree(final, alone)
    assert main(["--model", str(alone), "--output", str(tmp_path / "o"), "--tasks", "mlm"]) == 2
    assert "--tasks mlm needs --data" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--model", final, "--output", str(tmp_path / "o"), "--train-share", "0.95"])
    assert "argument --train-share: 0.95 is outside [0.1, 0.9]" in capsys.readouterr().err


def test_published_layout_with_flags(evaluated, trained, sample_corpus, tmp_path):
    """A checkpoint laid out as published XLM-R is (sentencepiece.bpe.model, no tokenizer.json, no
    training run beside it) scores the same once --data and the held-out settings are given."""
    published = tmp_path / "xlm-roberta-like"
    published.mkdir()
    for name in ("config.json", "model.safetensors", "tokenizer_config.json"):
        shutil.copy(trained / "final" / name, published)
    start = json.loads((trained / "metrics.jsonl").read_text().splitlines()[0])["args"]
    shutil.copy(Path(start["tokenizer"]) / "sentencepiece.bpe.model", published)
    out = tmp_path / "eval"
    assert main(["--model", str(published), "--output", str(out), "--tasks", "mlm", "--data", str(sample_corpus),
                 "--heldout-paragraphs", "20", "--seq-len", "64"]) == 0
    mlm = json.loads((out / "eval.json").read_text())["checkpoint"]["mlm"]
    assert mlm.keys() == evaluated[1]["checkpoint"]["mlm"].keys()
    for lang, r in mlm.items():
        assert r["loss"] == pytest.approx(evaluated[1]["checkpoint"]["mlm"][lang]["loss"], rel=1e-5)


def test_a_checkpoint_directory_evaluates_on_its_own(evaluated, trained, tmp_path):
    """OUT/checkpoints/step-N carries its tokenizer; at the last step it scores what final/ scores."""
    out = tmp_path / "eval"
    assert main(["--model", str(trained / "checkpoints" / "step-40"), "--output", str(out), "--tasks", "mlm"]) == 0
    mlm = json.loads((out / "eval.json").read_text())["checkpoint"]["mlm"]
    assert mlm == evaluated[1]["checkpoint"]["mlm"]


def test_training_run_paths_resolve_where_it_ran(trained, tmp_path, monkeypatch):
    from xlmr.evaluation.training_run import find

    monkeypatch.chdir(tmp_path)  # not where the run was started
    run = find(str(trained / "checkpoints" / "step-40"))
    assert run.out == str(trained) and run.cwd
    assert Path(run.resolve(run.args["data"])).is_dir()
    # Absolute and remote paths stay as they are.
    assert run.resolve("gs://b/corpus") == "gs://b/corpus" and run.resolve("/abs/c") == "/abs/c"


def test_parallel_languages_beyond_the_corpus_and_more_refusals(trained, tmp_path, capsys):
    final, out = str(trained / "final"), str(tmp_path / "o")
    assert main(["--model", final, "--output", out, "--tasks", "retrieval", "--languages", "af"]) == 0
    report = json.loads((tmp_path / "o" / "eval.json").read_text())
    assert set(report["checkpoint"]["retrieval"]) == {"af"} and report["languages"]["af"]["corpus_share"] is None
    cases = [
        (["--tasks", "mlm", "--languages", "nl"], "no held-out text"),  # nl is too small to hold text out
        (["--languages", "en"], "need a language besides en"),
    ]
    if not torch.cuda.is_available():
        cases.append((["--device", "cuda"], "--device cuda: no CUDA device"))
    for extra, message in cases:
        assert main(["--model", final, "--output", out, *extra]) == 2
        assert message in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert main(["--model", final, "--output", str(tmp_path / "file")]) == 2
    assert "is a file: expected a directory" in capsys.readouterr().err
