"""CCNet's language-model filter: its normalisation, its perplexity formula through kenlm, its buckets, and
the model directory checked before a job starts. The models are real and small, made here: SentencePiece
trained on the sample corpus's text, and an n-gram ARPA model of its pieces (helpers.write_arpa)."""

from __future__ import annotations

import math

import kenlm
import pytest
import sentencepiece

from helpers import read_corpus, write_arpa
from xlmr.common.argtypes import UsageError
from xlmr.pipeline.filters.perplexity import (ModelFiles, bucket, buckets_by_language, check_models, find_models,
                                              load_cutoffs, load_models, normalize_for_lm, perplexity, score)
from xlmr.pipeline.records import Document
from xlmr.pipeline.stage import DictCount


@pytest.fixture(scope="module")
def corpus_texts(sample_corpus):
    rows, _ = read_corpus(sample_corpus)
    texts = {}
    for row in rows:
        texts.setdefault(row["lang"], []).append(row["text"])
    return texts


@pytest.fixture
def models(lm_models):
    return lm_models


def test_normalisation_is_ccnets():
    """Lower case, accents off, digits to 0, CCNet's punctuation table, control characters (newlines too) out."""
    assert normalize_for_lm("  Ça coûte 12 €. «Vrai»!\nZweite Zeile — ja… ") == \
        'ca coute 00 €. "vrai"!zweite zeile  -  ja...'  # "—" is " - " in CCNet's table
    assert normalize_for_lm("（１２）：？") == "(00):?"  # a full-width digit is a digit first, as in CCNet
    assert normalize_for_lm("Ελληνικά ΆΈ") == "ελληνικα αε"
    assert normalize_for_lm(" \n ") == ""


def test_perplexity_is_ccnets_formula_through_kenlm(models, corpus_texts):
    """10 ** (-sum of log10 / (pieces + 1)) over the document as one line, recomputed here from kenlm's
    per-word scores (full_scores), which sum to the sentence score the stage uses."""
    sp = sentencepiece.SentencePieceProcessor(model_file=str(models / "de.sp.model"))
    lm = kenlm.Model(str(models / "de.arpa"))
    for text in corpus_texts["de"][:10] + ["Ein völlig anderer Satz, den das Modell nie sah: 1234 Äpfel."]:
        pieces = sp.encode_as_pieces(normalize_for_lm(text))
        words = list(lm.full_scores(" ".join(pieces)))
        assert len(words) == len(pieces) + 1  # every piece and the end of sentence
        expected = round(10 ** (-sum(log10 for log10, _, _ in words) / (len(pieces) + 1)), 1)
        assert perplexity(text, sp, lm) == expected
    seen = perplexity(corpus_texts["de"][0], sp, lm)
    unseen = perplexity("Ein völlig anderer Satz, den das Modell nie sah.", sp, lm)
    assert 1 < seen < unseen  # text the model was made from is the less surprising


def test_buckets_by_hand_picked_cutoffs_and_the_shipped_ones():
    assert [bucket(p, (100.0, 300.0)) for p in (99.9, 100.0, 299.9, 300.0, 5000)] == \
        ["head", "middle", "middle", "tail", "tail"]
    assert bucket(50.0, None) == "all"  # a language without cutoffs, as CCNet's PerplexityBucket
    shipped = load_cutoffs()
    assert len(shipped) == 48 and shipped["de"] == (370.0, 590.0) and shipped["en"] == (340.0, 520.0)
    assert all(head < tail for head, tail in shipped.values())


def test_the_stage_scores_keeps_its_buckets_and_passes_languages_without_a_model(models, corpus_texts):
    found = find_models(str(models))
    assert set(found) == {"de", "es"} and found["de"] == ModelFiles(str(models / "de.sp.model"),
                                                                     str(models / "de.arpa"))
    docs = [Document(id=f"{lang}{i}", url="", date="", source="", text=text, lang=lang)
            for lang in ("de", "es", "fr") for i, text in enumerate(corpus_texts[lang][:6])]
    sp, lm = load_models(found["de"])
    values = sorted(perplexity(d.text, sp, lm) for d in docs if d.lang == "de")
    cutoffs = {"de": (values[2], values[4])}  # two head, two middle, two tail; es has no cutoffs
    counts = DictCount()
    kept = [s for d in docs if (s := score(d, found, cutoffs, frozenset({"head", "middle"}), counts, counts))]
    by_lang = {lang: [d.lm_bucket for d in kept if d.lang == lang] for lang in ("de", "es", "fr")}
    assert sorted(by_lang["de"]) == ["head", "head", "middle", "middle"]
    assert by_lang["es"] == ["all"] * 6 and by_lang["fr"] == [None] * 6
    assert all(d.perplexity is None for d in kept if d.lang == "fr")
    assert counts["filtered:tail"] == 2 and counts["passed"] == 10 and counts["passed:no_model"] == 6
    tallies = {f"lm:{k}": v for k, v in counts.items() if k.startswith("lang:")}
    by_language = buckets_by_language(tallies)
    quantiles = by_language["de"].pop("quantiles")
    assert set(by_language["es"].pop("quantiles")) == {"p10", "p25", "p50", "p75", "p90"}
    histogram = {int(i): n for i, n in by_language["de"].pop("histogram").items()}
    assert sum(histogram.values()) == 6 and by_language["es"].pop("histogram")
    for value in values:  # bin i holds [10^(i/40), 10^((i+1)/40))
        assert any(10 ** (i / 40) <= value < 10 ** ((i + 1) / 40) for i in histogram)
    assert by_language == {"de": {"head": 2, "middle": 2, "tail": 2}, "es": {"all": 6}, "fr": {"no_model": 6}}
    # the median of six is the third value, within its bin's 6%
    assert quantiles["p50"] == pytest.approx(values[2], rel=0.03) and quantiles["p10"] <= quantiles["p90"]
    assert load_models(found["de"]) == (sp, lm)  # once a process


def test_a_missing_or_corrupt_model_is_named_before_the_job(models, tmp_path):
    assert set(check_models(str(models))) == {"de", "es"}
    with pytest.raises(UsageError, match="no models there; expected CCNet's layout"):
        check_models(str(tmp_path))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "de.sp.model").write_bytes((models / "de.sp.model").read_bytes())
    with pytest.raises(UsageError, match=r"de.sp.model has no de.arpa.bin \(or de.arpa\) beside it"):
        check_models(str(broken))
    (broken / "de.arpa.bin").write_bytes(b"<html>a proxy's error page</html>")
    with pytest.raises(UsageError, match=r"de.arpa.bin: not a KenLM model .* starts with b\"<html>"):
        check_models(str(broken))
    (broken / "de.arpa.bin").unlink()
    (broken / "de.arpa").write_bytes((models / "de.arpa").read_bytes())
    (broken / "de.sp.model").write_bytes(b"\x00" * 100)
    with pytest.raises(UsageError, match="de.sp.model: not a SentencePiece model"):
        check_models(str(broken))


@pytest.mark.parametrize("order", [2, 3])
def test_write_arpa_is_a_normalised_model(models, corpus_texts, tmp_path, order):
    """The test and benchmark models are proper distributions: over the vocabulary and </s>, after any
    context (none, <s>, one token, two), the probabilities sum to 1 (within six printed decimals)."""
    sp = sentencepiece.SentencePieceProcessor(model_file=str(models / "es.sp.model"))
    arpa = tmp_path / "es.arpa"
    write_arpa([sp.encode_as_pieces(normalize_for_lm(t)) for t in corpus_texts["es"]], arpa, order)
    lm = kenlm.Model(str(arpa))
    assert lm.order == order
    vocab = [line.split("\t")[1] for line in arpa.read_text().split("\\2-grams:")[0].splitlines()
             if line.count("\t") >= 1 and line.split("\t")[1] not in ("<s>", "<unk>")]
    for context in ([], ["<s>"], ["▁de"], ["▁de", "▁la"]):
        state = kenlm.State()
        if context[:1] == ["<s>"]:
            lm.BeginSentenceWrite(state)
        else:
            lm.NullContextWrite(state)
        for word in context[context[:1] == ["<s>"]:]:
            out = kenlm.State()
            lm.BaseScore(state, word, out)
            state = out
        total = sum(10 ** lm.BaseScore(state, w, kenlm.State()) for w in vocab)
        assert math.isclose(total, 1.0, abs_tol=2e-3), (context, total)


def test_the_cc100_recipe_with_models_scores_filters_and_reports(models, sample_corpus, tmp_path):
    """xlmr-corpus --recipe cc100 --lm-models DIR --lm-cutoffs FILE on the sample: de scored with cutoffs that
    split its documents (what a user with a model of their own gives), es with a model but no cutoffs (bucket
    all, kept), every other language passed unscored; de's tail dropped; counted per language."""
    import json

    from helpers import SAMPLE_WARC, run_job
    from xlmr.pipeline.stats.corpus_stats import format_funnel
    from xlmr.pipeline.stats.dataset_card import card

    found = find_models(str(models))
    rows_before, _ = read_corpus(sample_corpus)
    values = sorted(perplexity(r["text"], *load_models(found["de"])) for r in rows_before if r["lang"] == "de")
    head, tail = values[len(values) // 3], values[2 * len(values) // 3]
    cutoffs = tmp_path / "cutoff.csv"
    cutoffs.write_text(",de\n" + "".join(f"{p},{head if p <= 30 else tail}\n" for p in range(0, 101, 10)))
    out = tmp_path / "out"
    stats = run_job(["--input", str(SAMPLE_WARC), "--output", str(out), "--recipe", "cc100",
                     "--lm-models", str(models), "--lm-cutoffs", str(cutoffs)])
    assert stats["config"]["flags"]["lm_filter"] == "head,middle"
    rows, _ = read_corpus(out)
    for row in rows:
        if row["lang"] in found:
            value = perplexity(row["text"], *load_models(found[row["lang"]]))
            assert row["perplexity"] == pytest.approx(value, rel=1e-6)  # float32 in Parquet
            expected = bucket(value, (head, tail)) if row["lang"] == "de" else "all"
            assert row["lm_bucket"] == expected != "tail"
        else:
            assert row["perplexity"] is None and row["lm_bucket"] is None
    buckets = stats["perplexity_buckets"]
    kept_de = [row["lm_bucket"] for row in rows if row["lang"] == "de"]
    de = {k: v for k, v in buckets["de"].items() if k not in ("quantiles", "histogram")}
    assert de == {"head": kept_de.count("head"), "middle": kept_de.count("middle"), "tail": de["tail"]}
    assert min(de.values()) > 0 and set(buckets["de"]["quantiles"]) == {"p10", "p25", "p50", "p75", "p90"}
    assert buckets["de"]["quantiles"]["p10"] < head < tail < buckets["de"]["quantiles"]["p90"]
    assert sum(buckets["de"]["histogram"].values()) == sum(de.values())  # every scored document, the tail too
    assert set(buckets["es"]) == {"all", "quantiles", "histogram"} and set(buckets) == {row["lang"] for row in rows} | {"de"}
    assert all(set(b) == {"no_model"} for lang, b in buckets.items() if lang not in found)
    counters = stats["counters"]
    assert counters["lm:filtered:tail"] == de["tail"] > 0
    documents = sum(v for b in buckets.values() for k, v in b.items() if k not in ("quantiles", "histogram"))
    assert counters["lid:passed"] == documents == len(rows) + de["tail"]
    assert f"after perplexity filter {len(rows)}" in " ".join(format_funnel(stats).split())
    assert json.loads((out / "_stats.json").read_text())["perplexity_buckets"] == buckets
    text = card(stats)
    assert f"| de | {de['head']} | {de['middle']} | {de['tail']} | 0 | 0 | {buckets['de']['quantiles']['p10']:,}" in text
    assert "Kept: head,middle" in text
    assert "The language-model stage was off" in card({**stats, "config": {**stats["config"], "flags": {}}})
    # the card's plot: a panel per scored language, de's with its two cutoffs
    from xlmr.pipeline.stats.corpus_plots import perplexity_distributions

    perplexity_distributions(stats, {"de": (head, tail)}, tmp_path / "perplexity.png")
    assert (tmp_path / "perplexity.png").read_bytes().startswith(b"\x89PNG")
