"""The dataset card and plots written at the end of a run, and the loaders the card promises."""

from __future__ import annotations

import re

import pytest
import yaml

from helpers import read_corpus
from xlmr.common.corpus_layout import PLOT_FILES

PNG = b"\x89PNG\r\n\x1a\n"


def _front_matter(text: str) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, "no YAML header"
    return yaml.safe_load(match.group(1))


def test_card_and_plots_are_written_with_the_run(sample_corpus):
    _, stats = read_corpus(sample_corpus)
    for name in PLOT_FILES:
        data = (sample_corpus / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 5_000, name  # a figure, not an empty canvas
    text = (sample_corpus / "README.md").read_text()
    header = _front_matter(text)
    assert header["language"] == list(stats["languages"])  # "no" stays Norwegian, not false
    configs = {c["config_name"]: c["data_files"] for c in header["configs"]}
    assert configs["all"] == "lang=*/*.parquet"
    assert all(configs[lang] == f"lang={lang}/*.parquet" for lang in stats["languages"])
    for lang, s in stats["languages"].items():  # the table's numbers are _stats.json's
        assert f"| {lang} | {s['documents']:,} | {s['paragraphs']:,} | {s['characters']:,} | {s['bytes']:,} |" in text
    for stage_count in (stats["counters"]["read:records"], stats["counters"]["lid:passed"]):
        assert f"| {stage_count:,} |" in text
    for name in PLOT_FILES:
        assert f"]({name})" in text


def test_alpha_columns_follow_the_formula(sample_corpus):
    from xlmr.pipeline.stats.dataset_card import language_rows
    from xlmr.common.alpha_sampling import sampling_probabilities

    _, stats = read_corpus(sample_corpus)
    rows = {r["lang"]: r for r in language_rows(stats, 0.3)}
    sizes = {lang: s["paragraphs"] for lang, s in stats["languages"].items()}
    expected = sampling_probabilities(sizes, 0.3)
    assert all(rows[lang]["share_alpha"] == pytest.approx(p) for lang, p in expected.items())
    smallest = min(sizes, key=sizes.get)
    assert rows[smallest]["upsampling"] > 1 > rows[max(sizes, key=sizes.get)]["upsampling"]


def test_report_command_rewrites_the_card(sample_corpus, tmp_path, capsys):
    import shutil

    from xlmr.pipeline.cli import main

    copy = tmp_path / "copy"
    shutil.copytree(sample_corpus, copy)
    for name in ("README.md", "funnel.png"):
        (copy / name).unlink()
    assert main(["report", str(copy)]) == 0
    assert (copy / "README.md").exists() and (copy / "funnel.png").exists()
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "has no _stats.json" in capsys.readouterr().err


def test_duckdb_reads_the_hive_partitions(sample_corpus):
    import duckdb

    _, stats = read_corpus(sample_corpus)
    counts = dict(duckdb.sql(
        f"SELECT lang, count(*) FROM read_parquet('{sample_corpus}/lang=*/*.parquet', hive_partitioning=true) "
        "GROUP BY lang").fetchall())
    assert counts == {lang: s["documents"] for lang, s in stats["languages"].items()}


def test_datasets_loads_all_and_one_language(sample_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets

    _, stats = read_corpus(sample_corpus)
    everything = datasets.load_dataset(str(sample_corpus), split="train", cache_dir=str(tmp_path / "cache"))
    assert everything.num_rows == stats["totals"]["documents"]  # the card's default config: all languages
    plain = datasets.load_dataset("parquet", data_files=f"{sample_corpus}/lang=*/*.parquet", split="train",
                                  cache_dir=str(tmp_path / "cache"))
    assert plain.num_rows == stats["totals"]["documents"]
    german = datasets.load_dataset(str(sample_corpus), "de", split="train", cache_dir=str(tmp_path / "cache"))
    assert german.num_rows == stats["languages"]["de"]["documents"]
    assert set(german["lang"]) == {"de"}
