"""The whole `xlmr-corpus` job on the bundled sample: output contract, dedup invariants, determinism."""

import collections
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from helpers import (NEAR_DUPLICATES, SAMPLE_WARC, SAMPLE_WET, corpus_files, kill_after_first_part, read_corpus,
                     run_job, split_warc)
from xlmr.common.argtypes import UsageError
from xlmr.common.corpus_reader import Corpus
from xlmr.pipeline.dedup.hashing import paragraph_hash
from xlmr.pipeline.dedup.index import read_index
from xlmr.pipeline.job import OutputExistsError
from xlmr.pipeline.writers.parquet_shards import SCHEMA

pytestmark = pytest.mark.slow


def test_output_layout_and_schema(sample_corpus):
    files = sorted(p.relative_to(sample_corpus).as_posix() for p in sample_corpus.rglob("*") if p.is_file())
    assert [f for f in files if "/" not in f] == sorted(["_SUCCESS", "_stats.json", "README.md",  # + the card's
        "documents_per_language.png", "funnel.png", "language_mix.png", "lid_confidence.png",
        "quality_removals.png", "perplexity.png"])  # plots
    shards = [f for f in files if f.startswith("lang=")]
    assert shards and all(re.fullmatch(r"lang=[a-z_A-Z]+/part-00000-\d{5}-of-\d{5}\.parquet", f) for f in shards)
    assert [f for f in files if "/" in f and f not in shards] == [  # one part: the run's plan, the part's record
        "_index/bands/part-00000-00000-of-00001.parquet", "_index/paragraphs/part-00000-00000-of-00001.parquet",
        "_parts/part-00000.json", "_parts/run-00000.json"]
    schema = pq.read_schema(sample_corpus / shards[0])
    assert schema.names == SCHEMA.names and schema.types == SCHEMA.types
    assert pq.ParquetFile(sample_corpus / shards[0]).metadata.row_group(0).column(0).compression == "ZSTD"
    assert not (sample_corpus / "_temporary").exists()


def test_stats_match_the_shards(sample_corpus):
    rows, stats = read_corpus(sample_corpus)
    by_lang = collections.defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        t = by_lang[r["lang"]]
        t[0] += 1
        t[1] += r["n_paragraphs"]
        t[2] += r["n_chars"]
        t[3] += len(r["text"].encode())
    assert {lang: [s["documents"], s["paragraphs"], s["characters"], s["bytes"]]
            for lang, s in stats["languages"].items()} == dict(by_lang)
    assert len(stats["languages"]) >= 15
    assert stats["totals"]["documents"] == len(rows)
    by_crawl = collections.Counter(r["dump"] or "unknown" for r in rows)
    assert set(by_crawl) == {"xlmr-sample", "CC-MAIN-2020-34", "unknown"}  # the WET's records name no warcinfo
    assert {dump: c["documents"] for dump, c in stats["crawls"].items()} == by_crawl
    assert sum(c["characters"] for c in stats["crawls"].values()) == stats["totals"]["characters"]


def test_every_kept_document_meets_the_recipe(sample_corpus):
    rows, stats = read_corpus(sample_corpus)
    assert all(r["lang_score"] > 0.5 and r["n_chars"] >= 300 for r in rows)
    assert all(r["n_paragraphs"] == len(r["text"].split("\n")) <= r["n_paragraphs_extracted"] for r in rows)
    assert all(r["id"].startswith("<urn:uuid:") and r["source"].endswith(".gz") for r in rows)
    c = stats["counters"]
    # the funnel adds up: every record is passed on or dropped for one counted reason
    assert c["read:passed"] == 187 + 4
    assert c["extract:passed"] + c.get("extract:filtered:no_text", 0) == c["read:passed"]
    assert c["repair:passed"] + c.get("repair:filtered:no_text", 0) == c["extract:passed"]
    quality_drops = sum(n for k, n in c.items() if k.startswith("quality:filtered:"))
    assert c["quality:passed"] + quality_drops == c["repair:passed"]
    assert c["dedup:passed"] + c.get("dedup:filtered:no_paragraph_left", 0) + c["dedup:filtered:near_duplicate"] \
        == c["quality:passed"]
    assert sum(v["documents"] for v in stats["near_duplicates"].values()) == c["dedup:filtered:near_duplicate"]
    assert c["length:passed"] + c.get("length:filtered:too_short", 0) == c["dedup:passed"]
    assert c["lid:passed"] + c["lid:filtered:below_threshold"] == c["length:passed"]
    assert c["lid:passed"] == len(rows)


def test_no_two_output_paragraphs_share_a_hash(sample_corpus):
    rows, stats = read_corpus(sample_corpus)
    hashes = [paragraph_hash(p) for r in rows for p in r["text"].split("\n")]
    assert len(hashes) == len(set(hashes))
    # the sample has real repeats (49 across pages without the quality stage; most were on pages it drops)
    assert stats["counters"]["dedup:filtered:duplicate_paragraph"] >= 1


def test_non_utf8_pages_come_out_readable(sample_corpus):
    rows, _ = read_corpus(sample_corpus)
    by_url = {r["url"]: r for r in rows}
    assert "пожарной безопасности" in by_url["http://01spb.ru/company/"]["text"]
    assert by_url["http://01spb.ru/company/"]["lang"] == "ru"
    assert not any("\ufffd" in r["text"] for r in rows if r["lang"] in ("ru", "zh", "ja"))


def content(output):
    rows, _ = read_corpus(output)
    return [(r["id"], r["text"], r["lang"]) for r in rows]


def test_same_output_with_two_workers_and_shuffled_input(tmp_path, quarter_warc, quarter_corpus):
    """The quarter holds the sample's near-duplicate pair: which page keeps it must not depend on the order
    of files or workers."""
    shuffled = split_warc(quarter_warc, tmp_path / "shuffled", 4, seed=7)[::-1]
    run_job(["--input", str(SAMPLE_WET), *map(str, shuffled), "--output", str(tmp_path / "two"),
             "--direct_num_workers", "2", "--direct_running_mode", "multi_processing"])
    assert content(tmp_path / "two") == content(quarter_corpus)
    assert read_corpus(quarter_corpus)[1]["counters"]["dedup:filtered:near_duplicate"] == 1


def test_broken_inputs_are_counted_and_the_rest_kept(broken_corpus):
    rows, stats = read_corpus(broken_corpus)
    c = stats["counters"]
    assert c["read:files"] == 10
    assert c["read:filtered:not_warc"] == 2 and c["read:filtered:empty_file"] == 1
    assert c["read:filtered:truncated_record"] >= 3 and c["read:resynced"] == 1
    sources = {r["source"].rsplit("/", 1)[-1] for r in rows}
    assert {"corrupt_member.warc.gz", "resiliparse_clueweb09-ja_quirk.warc.gz", "sample.warc.wet.gz"} <= sources
    # truncated_gzip holds the same records as corrupt_member: read twice, kept once
    assert c["dedup:filtered:duplicate_record_id"] >= 10


def test_existing_output_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "out"
    args = ["--input", str(SAMPLE_WET), "--output", str(out), "--min-chars", "0"]
    first = run_job(args)  # --card off (helpers.run_job): the shards and stats, no card
    assert first["config"]["flags"]["card"] == "off" and (out / "_stats.json").exists()
    assert not (out / "README.md").exists() and not list(out.glob("*.png"))
    with pytest.raises(OutputExistsError, match="--overwrite"):
        run_job(args)
    assert run_job(args + ["--overwrite"])["totals"] == first["totals"]


def test_max_files_and_languages(tmp_path):
    stats = run_job(["--input", str(SAMPLE_WET), str(SAMPLE_WARC), "--max-files", "1",
                 "--output", str(tmp_path / "o"), "--min-chars", "0", "--languages", "en,an"])
    assert stats["config"]["input_files"] == 1
    assert set(stats["languages"]) <= {"en", "an"}
    assert stats["counters"]["read:passed"] == 4


def test_split_input_is_the_same_corpus_and_shard_rows_sets_the_shard_count(tmp_path, quarter_warc, quarter_corpus):
    forward = split_warc(quarter_warc, tmp_path / "forward", 3)
    out = tmp_path / "out"
    stats = run_job(["--input", *map(str, forward), str(SAMPLE_WET), "--output", str(out), "--shard-rows", "4"])
    assert content(out) == content(quarter_corpus)
    rows, _ = read_corpus(out)
    for lang, s in stats["languages"].items():
        expected = -(-s["documents"] // 4)
        names = sorted(p.name for p in (out / f"lang={lang}").iterdir())
        assert names == [f"part-00000-{i:05d}-of-{expected:05d}.parquet" for i in range(expected)]
        assert s["shards"] == expected
    assert sum(s["documents"] for s in stats["languages"].values()) == len(rows) > 8


def test_no_document_left_still_finishes(tmp_path):
    out = tmp_path / "out"
    stats = run_job(["--input", str(SAMPLE_WET), "--output", str(out), "--languages", "gsw"])
    assert stats["languages"] == {} and stats["totals"]["documents"] == 0
    assert (out / "_SUCCESS").exists() and not list(out.glob("lang=*"))


def test_resiliparse_extracts_the_sample_and_says_so_in_the_card(tmp_path, quarter_warc, quarter_corpus,
                                                                 sample_corpus):
    out = tmp_path / "out"
    stats = run_job(["--input", str(quarter_warc), str(SAMPLE_WET), "--output", str(out), "--extractor",
                     "resiliparse", "--card", "on"])
    baseline = read_corpus(quarter_corpus)[1]
    assert stats["config"]["flags"]["extractor"] == "resiliparse"
    assert stats["counters"]["extract:passed"] >= baseline["counters"]["extract:passed"]  # it keeps more text
    assert set(stats["languages"]) & set(baseline["languages"]) >= {"ar", "de", "es", "hi", "zh"}
    assert "main text extracted with resiliparse" in (out / "README.md").read_text()
    assert "main text extracted with trafilatura" in (sample_corpus / "README.md").read_text()


def _paragraph_hashes(rows) -> list[int]:
    return [paragraph_hash(p) for r in rows for p in r["text"].split("\n")]


def _index(corpus, kind: str) -> set:
    return {row for path in sorted(corpus.glob(f"_index/{kind}/*.parquet")) for row in read_index(str(path), kind)}


def test_a_run_against_an_earlier_corpus_repeats_none_of_it(grown_corpus, tmp_path):
    """The sample in two runs, the second against the first (--dedup-against): no paragraph in both,
    the second half's copy of the near-duplicate pair removed as a near-duplicate of the first's,
    and each run's index holds what it won, none of the other's. The rules behind it, and that it is
    one run where the earlier documents outrank, are tested in tests/pipeline/dedup/test_dedup_rules.py."""
    a_rows, a_stats = read_corpus(grown_corpus / "a")
    b_rows, b_stats = read_corpus(grown_corpus / "b")
    alone = tmp_path / "b-alone"
    alone_stats = run_job(["--input", str(grown_corpus / "b.warc.gz"), "--output", str(alone)])
    alone_rows, _ = read_corpus(alone)

    a_hashes, b_hashes = _paragraph_hashes(a_rows), _paragraph_hashes(b_rows)
    assert len(set(a_hashes)) == len(a_hashes) and len(set(b_hashes)) == len(b_hashes)
    assert not set(a_hashes) & set(b_hashes) and len(a_rows) > 50 and len(b_rows) > 50
    assert len(set(_paragraph_hashes(alone_rows)) & set(a_hashes)) > 10  # what B would have repeated
    assert NEAR_DUPLICATES[1] not in {r["url"] for r in b_rows} | {r["url"] for r in a_rows}
    assert NEAR_DUPLICATES[0] in {r["url"] for r in a_rows}
    assert NEAR_DUPLICATES[1] in {r["url"] for r in alone_rows}
    assert b_stats["counters"]["dedup:filtered:near_duplicate"] == 1
    assert alone_stats["counters"].get("dedup:filtered:near_duplicate", 0) == 0
    assert b_stats["config"]["flags"]["dedup_against"] == [str(grown_corpus / "a")]

    for kind in ("paragraphs", "bands"):
        a_index, b_index = _index(grown_corpus / "a", kind), _index(grown_corpus / "b", kind)
        assert not a_index & b_index
        assert a_stats["index"][kind]["rows"] == len(a_index) > 100
        assert b_stats["index"][kind]["rows"] == len(b_index) > 100
    assert {(h,) for h in a_hashes} <= _index(grown_corpus / "a", "paragraphs")  # every written paragraph


def test_dedup_against_what_is_not_a_finished_corpus_is_refused(tmp_path, sample_corpus):
    with pytest.raises(UsageError, match="no _SUCCESS"):
        run_job(["--input", str(SAMPLE_WET), "--output", str(tmp_path / "o"), "--dedup-against", str(tmp_path)])
    with pytest.raises(UsageError, match="is --output itself"):
        run_job(["--input", str(SAMPLE_WET), "--output", str(sample_corpus), "--dedup-against", str(sample_corpus)])


def assert_same_corpus(corpus: Path, reference: Path) -> dict:
    """The same rows, counters, per-language and per-crawl totals, index, and shard and index files."""
    rows, stats = read_corpus(corpus)
    reference_rows, reference_stats = read_corpus(reference)
    assert rows == reference_rows and len(rows) > 20
    for key in ("counters", "languages", "totals", "crawls", "index", "near_duplicates"):
        assert stats[key] == reference_stats[key], key
    assert corpus_files(corpus) == corpus_files(reference)
    return stats


def parted_argv(parted_corpus: Path, out: Path, *extra: str) -> list[str]:
    inputs = sorted((parted_corpus / "in").glob("*.warc.gz"))
    return ["--input", *map(str, inputs), "--output", str(out), "--part-files", "1", "--direct_num_workers", "1",
            "--card", "off", "--progress", "off", *extra]


def test_a_run_killed_mid_run_resumes_to_the_uninterrupted_corpus(parted_corpus, tmp_path):
    """SIGKILL after the first of three parts committed; the same command again skips what is committed,
    removes what the killed part left, and ends with the corpus an uninterrupted run makes."""
    out = tmp_path / "out"
    argv = parted_argv(parted_corpus, out)
    kill_after_first_part(argv, out)
    committed = sorted(p.name for p in (out / "_parts").glob("part-*.json"))
    assert committed and "part-00002.json" not in committed
    stats = run_job(argv)
    assert stats["config"]["parts"] == 3 and stats["config"]["input_files"] == 3
    assert_same_corpus(out, parted_corpus / "out")
    with pytest.raises(OutputExistsError, match="--append"):  # a finished run is not run again
        run_job(argv)


def test_parts_deduplicate_against_the_parts_before(parted_corpus, quarter_corpus):
    """Each part is deduplicated against the parts before it, so the corpus in parts repeats no paragraph,
    as one run over all the files does not; its documents are those runs' or fewer paragraphs of them."""
    rows, _ = read_corpus(parted_corpus / "out")
    hashes = _paragraph_hashes(rows)
    assert len(hashes) == len(set(hashes))
    whole = {r["id"]: r["text"] for r in read_corpus(quarter_corpus)[0]}
    assert sum(r["id"] in whole for r in rows) > 0.8 * len(rows)


def test_append_grows_a_corpus_that_reads_as_one(grown_corpus, tmp_path, monkeypatch):
    """Run A, then B with --append into the same DIR: B's part is deduplicated against A's, so DIR holds
    what A and B-against-A hold (conftest.grown_corpus), read as one corpus with one _stats.json and card
    by Corpus (what xlmr-tokenizer, xlmr-train and xlmr-eval read through), DuckDB and `datasets`."""
    out = tmp_path / "grown"
    shutil.copytree(grown_corpus / "a", out)
    with pytest.raises(OutputExistsError, match="--append"):
        run_job(["--input", str(grown_corpus / "b.warc.gz"), "--output", str(out)])
    stats = run_job(["--input", str(grown_corpus / "b.warc.gz"), "--output", str(out), "--append", "--card", "on"])
    rows, _ = read_corpus(out)
    parts = [read_corpus(grown_corpus / name) for name in ("a", "b")]
    key = lambda r: (r["lang"], r["id"])  # noqa: E731
    assert sorted(rows, key=key) == sorted(parts[0][0] + parts[1][0], key=key)
    assert stats["totals"]["documents"] == sum(s["totals"]["documents"] for _, s in parts) == len(rows)
    assert stats["config"]["parts"] == 2
    assert {name for name in (out / "_parts").iterdir()} >= {out / "_parts" / "part-00001.json"}
    corpus = Corpus(str(out))
    assert corpus.languages() == stats["languages"]
    assert sum(1 for lang in corpus.languages() for _ in corpus.paragraphs(lang, seed=0)) == (
        stats["totals"]["paragraphs"])
    assert dict(duckdb.sql(f"SELECT lang, count(*) FROM read_parquet('{out}/lang=*/*.parquet', "
                           "hive_partitioning=true) GROUP BY lang").fetchall()) == {
        lang: s["documents"] for lang, s in stats["languages"].items()}
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets

    assert datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "cache")).num_rows == len(rows)
