"""The quality stage in the whole job on the sample: what it drops, tag vs filter, recipes, bad inputs."""

import contextlib
import json

import pytest

from helpers import SAMPLE_WARC, SAMPLE_WET, SPAM, read_corpus, run_job
from xlmr.pipeline.cli import main

pytestmark = pytest.mark.slow

ARTICLES = ["https://sample.invalid/newspaper4k/arabic_article.html", "https://sample.invalid/newspaper4k/"
            "spanish_article.html", "https://sample.invalid/newspaper4k/latvian_article.html",
            "https://sample.invalid/newspaper4k/burmese_article.html"]


def test_spam_is_dropped_and_named_articles_survive(sample_corpus):
    rows, stats = read_corpus(sample_corpus)
    urls = {r["url"] for r in rows}
    assert SPAM not in urls and set(ARTICLES) <= urls
    assert stats["quality"]["zh"]["removed"]["alpha_words"]["documents"] >= 1  # the spam page's check
    # every kept document carries its signals and passed every check
    assert all(r["quality"] is not None and r["quality_drops"] == [] for r in rows)
    assert all(r["quality"]["words"] >= 50 for r in rows)
    assert not any(line.startswith("|") for r in rows for line in r["text"].split("\n"))  # tables repaired


def test_quality_statistics_add_up(sample_corpus):
    _, stats = read_corpus(sample_corpus)
    c = stats["counters"]
    removed = {k.split(":", 2)[2]: n for k, n in c.items() if k.startswith("quality:filtered:")}
    assert sum(removed.values()) + c["quality:passed"] == c["repair:passed"] == c["extract:passed"]
    per_language = {}
    for entry in stats["quality"].values():
        for check, r in entry["removed"].items():
            per_language[check] = per_language.get(check, 0) + r["documents"]
        assert entry["characters"] >= sum(r["characters"] for r in entry["removed"].values())
    assert per_language == removed and len(removed) >= 5
    assert sum(e["documents"] for e in stats["quality"].values()) == c["quality:passed"] + sum(removed.values())
    assert c["dedup:passed"] + c.get("dedup:filtered:no_paragraph_left", 0) + c["dedup:filtered:near_duplicate"] \
        == c["quality:passed"]
    assert c["repair:pii:email"] >= 1 and c["repair:table_rows_rewritten"] > 100
    assert sum(s["pii_spans"] for s in stats["languages"].values()) >= 1


def test_tag_keeps_every_document_and_its_untagged_ones_are_what_filter_keeps(tmp_path, sample_corpus):
    run_job(["--input", str(SAMPLE_WARC), str(SAMPLE_WET), "--output", str(tmp_path / "tag"), "--quality", "tag"])
    tagged_rows, stats = read_corpus(tmp_path / "tag")
    kept, _ = read_corpus(sample_corpus)
    untagged = [r for r in tagged_rows if not r["quality_drops"]]
    assert [(r["id"], r["text"], r["lang"]) for r in untagged] == [(r["id"], r["text"], r["lang"]) for r in kept]
    tagged = [r for r in tagged_rows if r["quality_drops"]]
    assert SPAM in {r["url"] for r in tagged} and len(tagged) >= 20
    c = stats["counters"]
    assert c["quality:passed"] == c["extract:passed"] and not any(k.startswith("quality:filtered:") for k in c)
    assert sum(n for k, n in c.items() if k.startswith("quality:tagged:")) >= len(tagged)


def test_cc100_recipe_is_the_papers_pipeline_and_flags_override_it(tmp_path):
    off = run_job(["--input", str(SAMPLE_WARC), str(SAMPLE_WET), "--output", str(tmp_path / "cc100"),
               "--recipe", "cc100"])
    on = run_job(["--input", str(SAMPLE_WARC), str(SAMPLE_WET), "--output", str(tmp_path / "cc100-near-dup"),
              "--recipe", "cc100", "--near-dup", "on"])
    rows, _ = read_corpus(tmp_path / "cc100")
    c = off["counters"]
    assert {k: off["config"]["flags"][k] for k in ("near_dup", "repair", "quality")} == \
        {"near_dup": "off", "repair": "off", "quality": "off"}
    assert not any(k.startswith(("repair:", "quality:")) for k in c) and off["quality"] == {}
    assert len(rows) == 169 and all(r["quality"] is None and r["quality_drops"] is None for r in rows)
    # the counts of `--near-dup off` before the quality stage existed (its output was the same 169 rows)
    assert {k: c[k] for k in ("dedup:filtered:duplicate_paragraph", "dedup:filtered:repeated_in_document",
                              "dedup:passed", "length:passed", "lid:passed")} == \
        {"dedup:filtered:duplicate_paragraph": 49, "dedup:filtered:repeated_in_document": 285,
         "dedup:passed": 187, "length:passed": 178, "lid:passed": 169}
    assert off["near_duplicates"] == {} and "dedup:filtered:near_duplicate" not in c
    assert c["dedup:passed"] + c.get("dedup:filtered:no_paragraph_left", 0) == c["extract:passed"]
    # the sample holds an exact copy (a BBC zh article, twice) and two templated gallery
    # pages (en, Jaccard 0.75): near-dup removes one of each whole, without it only their repeated paragraphs go
    assert on["near_duplicates"] == {"en": {"documents": 1, "characters": 626},
                                     "zh": {"documents": 1, "characters": 711}}
    assert on["counters"]["dedup:filtered:duplicate_paragraph"] < c["dedup:filtered:duplicate_paragraph"]


def test_blocklisted_pages_are_skipped_before_extraction(tmp_path):
    (tmp_path / "domains").write_text("0pointer.de\nwikipedia.org\n")
    stats = run_job(["--input", str(SAMPLE_WET), "--output", str(tmp_path / "out"), "--recipe", "cc100",
                 "--min-chars", "0", "--url-blocklist", str(tmp_path / "domains")])
    rows, _ = read_corpus(tmp_path / "out")
    assert stats["counters"]["read:filtered:url_blocklist"] == 3  # two 0pointer.de pages, an.wikipedia.org
    assert stats["counters"]["read:passed"] == 1 and [r["url"] for r in rows] == [
        "http://0x20.be/Special:WhatLinksHere/Thread:Talk:Gentse_feesten/foo"]


@pytest.mark.parametrize("extra, problem", [
    (["--quality", "strict"], "argument --quality: invalid choice: 'strict' (choose from 'filter', 'tag', 'off')"),
    (["--recipe", "c4"], "invalid choice: 'c4' (choose from 'cleaned', 'cc100')"),
    (["--quality-thresholds", "{dir}/table.json"], "unknown key 'dup_line'; did you mean 'dup_line_frac'?"),
    (["--quality-thresholds", "{dir}/langs.json"], "lid.176 never emits 'xx'"),
    (["--url-blocklist", "{dir}/missing.txt"], "--url-blocklist {dir}/missing.txt: cannot read it"),
])
def test_bad_side_inputs_fail_before_the_job_starts(tmp_path, capsys, extra, problem):
    (tmp_path / "table.json").write_text(json.dumps({"languages": {"de": {"dup_line": 0.3}}}))
    (tmp_path / "langs.json").write_text(json.dumps({"languages": {"xx": {}}}))
    out = tmp_path / "out"
    args = ["--input", str(SAMPLE_WET), "--output", str(out)] + [a.format(dir=tmp_path) for a in extra]
    # argparse's choices exit with status 2; the side files are checked by run(), main returns 2
    with pytest.raises(SystemExit) if extra[0] in ("--quality", "--recipe") else contextlib.nullcontext():
        assert main(args) == 2
    assert problem.format(dir=tmp_path) in capsys.readouterr().err
    assert not out.exists()

