"""`--engine spark` on a real Spark: a local cluster (a master, two executor JVMs, their Python
workers, a real shuffle) on loopback, against the Beam runner's corpus of the same input."""

from __future__ import annotations

import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from helpers import BROKEN_RUN_FLAGS, SAMPLE_WET, corpus_files, kill_after_first_part, read_corpus, run_job, split_warc

pytestmark = pytest.mark.slow
LOOPBACK = {"SPARK_LOCAL_IP": "127.0.0.1"}


@pytest.fixture(scope="module")
def spark():
    """One local-cluster for the module; `run` uses the active context it finds."""
    from pyspark import SparkConf, SparkContext

    os.environ.update(LOOPBACK, PYSPARK_PYTHON=sys.executable)
    conf = (SparkConf().setMaster("local-cluster[2,1,1024]").setAppName("xlmr-tests")
            .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
            .set("spark.ui.enabled", "false").set("spark.executor.memory", "768m"))
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    yield sc
    sc.stop()


def spark_run(inputs, out: Path, *extra: str) -> dict:
    return run_job(["--input", *map(str, inputs), "--output", str(out), "--engine", "spark", *extra])


def documents(output: Path):
    rows, stats = read_corpus(output)
    return [(r["id"], r["lang"], r["text"]) for r in rows], stats


def test_spark_gives_the_beam_corpus(spark, quarter_warc, quarter_corpus, lm_models, tmp_path):
    """The same corpus as Beam's (on the quarter of the sample that holds its near-duplicate pair and
    quality drops), and with --lm-models (measure only) the perplexity column Beam's stage computes
    (tests/pipeline/filters/test_perplexity.py holds Beam's to the formula too)."""
    from xlmr.pipeline.filters.perplexity import find_models, load_models, perplexity

    out = tmp_path / "spark"
    spark_run([quarter_warc, SAMPLE_WET], out, "--card", "on", "--lm-models", str(lm_models))
    beam_docs, beam_stats = documents(quarter_corpus)
    spark_docs, spark_stats = documents(out)
    assert spark_docs == beam_docs and len(beam_docs) > 25
    assert beam_stats["counters"]["dedup:filtered:near_duplicate"] == 1
    for key in ("languages", "near_duplicates", "quality", "totals", "crawls", "index"):
        assert spark_stats[key] == beam_stats[key], key
    lm = {k: v for k, v in spark_stats["counters"].items() if k.startswith("lm:")}
    assert {k: v for k, v in spark_stats["counters"].items() if k not in lm} == beam_stats["counters"]
    assert sum(lm.values()) == beam_stats["counters"]["lid:passed"] and lm["lm:passed"] > 3
    found = find_models(str(lm_models))
    for row in read_corpus(out)[0]:
        if row["lang"] in found:
            expected = perplexity(row["text"], *load_models(found[row["lang"]]))
            assert row["perplexity"] == pytest.approx(expected, rel=1e-6), row["id"]
        else:
            assert row["perplexity"] is None and row["lm_bucket"] is None
    assert corpus_files(out) == corpus_files(quarter_corpus)
    assert (out / "_SUCCESS").exists() and not (out / "_temporary").exists() and (out / "README.md").exists()


def test_a_run_against_an_earlier_corpus_is_beams(spark, grown_corpus, tmp_path):
    """--dedup-against on Spark: the same documents, counters and index as Beam's run (conftest.grown_corpus)."""
    out = tmp_path / "b"
    spark_run([grown_corpus / "b.warc.gz"], out, "--dedup-against", str(grown_corpus / "a"))
    beam_docs, beam_stats = documents(grown_corpus / "b")
    spark_docs, spark_stats = documents(out)
    assert spark_docs == beam_docs and beam_stats["counters"]["dedup:filtered:near_duplicate"] == 1
    for key in ("counters", "index", "languages", "crawls"):
        assert spark_stats[key] == beam_stats[key], key
    assert corpus_files(out) == corpus_files(grown_corpus / "b")


def test_a_spark_run_killed_mid_run_resumes_to_the_uninterrupted_corpus(spark, parted_corpus, tmp_path):
    """A Spark driver SIGKILLed after its first of three parts committed; the same command again (on this
    module's cluster) finishes with the corpus of an uninterrupted run in the same parts (Beam's)."""
    out = tmp_path / "out"
    inputs = sorted((parted_corpus / "in").glob("*.warc.gz"))
    argv = ["--input", *map(str, inputs), "--output", str(out), "--part-files", "1", "--engine", "spark",
            "--spark-master", "local[1]", "--card", "off", "--progress", "off"]
    kill_after_first_part(argv, out, timeout=240)
    assert not (out / "_parts" / "part-00002.json").exists()
    run_job(argv)
    reference_rows, reference_stats = read_corpus(parted_corpus / "out")
    rows, stats = read_corpus(out)
    assert rows == reference_rows
    for key in ("counters", "languages", "crawls", "index"):
        assert stats[key] == reference_stats[key], key
    assert corpus_files(out) == corpus_files(parted_corpus / "out")


@pytest.fixture(scope="module")
def split_quarter(quarter_warc, tmp_path_factory):
    """A quarter of the sample WARC's records shuffled into 5 files: other partitions, another order."""
    return split_warc(quarter_warc, tmp_path_factory.mktemp("split"), 5, seed=7)


def _processes() -> list[tuple[int, int, bytes]]:
    """(pid, parent pid, command line) of every process."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        found.append((int(pid), ppid, cmdline))
    return found


def _busy_python_workers() -> list[int]:
    """PySpark's Python workers (forks of a `pyspark.daemon`) that are running an extraction
    task: those with a child process, the extraction sandbox."""
    processes = _processes()
    daemons = {pid for pid, _, cmdline in processes if b"pyspark.daemon" in cmdline}
    workers = {pid for pid, ppid, _ in processes if ppid in daemons}
    return sorted({ppid for _, ppid, _ in processes if ppid in workers})


def test_any_order_partitioning_and_a_killed_python_worker_give_the_same_corpus(spark, quarter_corpus,
                                                                               split_quarter, tmp_path):
    """A quarter of the sample's records in 5 shuffled files, more shards (more sort partitions), and a Python worker
    killed mid-task, which Spark retries: Beam's corpus, no record lost or written twice."""
    killed: list[int] = []
    done = threading.Event()

    def kill_one_busy_worker():
        while not done.is_set() and not killed:
            for pid in _busy_python_workers()[:1]:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                except OSError:  # it finished in the meantime
                    pass
            time.sleep(0.05)

    files = [*split_quarter, SAMPLE_WET]
    random.Random(3).shuffle(files)
    killer = threading.Thread(target=kill_one_busy_worker, daemon=True)
    killer.start()
    try:
        spark_run(files, tmp_path / "out", "--shard-rows", "7")
    finally:
        done.set()
        killer.join()
    assert killed, "no busy Python worker was seen to kill"
    beam_docs, beam_stats = documents(quarter_corpus)
    spark_docs, stats = documents(tmp_path / "out")
    assert spark_docs == beam_docs  # the failed task's records neither lost nor written twice
    assert {k: v["documents"] for k, v in stats["languages"].items()} == \
        {k: v["documents"] for k, v in beam_stats["languages"].items()}
    assert stats["counters"]["read:files"] == len(split_quarter) + 1  # counts of the kept attempt only
    assert stats["counters"]["read:records"] == beam_stats["counters"]["read:records"]


def test_broken_inputs_are_counted_as_with_beam(spark, broken_files, broken_corpus, tmp_path):
    spark_stats = spark_run([broken_files / "*", SAMPLE_WET], tmp_path / "spark", *BROKEN_RUN_FLAGS)
    beam_docs, beam_stats = documents(broken_corpus)
    assert spark_stats["counters"] == beam_stats["counters"]
    assert spark_stats["counters"]["read:filtered:not_warc"] == 2
    assert documents(tmp_path / "spark")[0] == beam_docs


def _corpus_error(capsys, *flags: str) -> str:
    """What `xlmr-corpus --engine spark` prints on stderr when it refuses to start (exit status 2)."""
    from xlmr.pipeline.cli import main

    output = Path(tempfile.mkdtemp())
    argv = ["--input", str(SAMPLE_WET), "--output", str(output), "--engine", "spark", *flags]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    assert code == 2
    assert not any(output.iterdir())  # a run that cannot start writes nothing
    output.rmdir()
    return capsys.readouterr().err


@pytest.fixture
def no_active_spark(monkeypatch):
    """As in a fresh process: no SparkContext to reuse (this module's local-cluster may be running)."""
    from pyspark import SparkContext

    monkeypatch.setattr(SparkContext, "_active_spark_context", None)


def test_no_java_is_a_clear_error(no_active_spark, monkeypatch, capsys):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    err = _corpus_error(capsys)
    assert "needs a Java runtime" in err and "openjdk-17-jre-headless" in err


def test_no_pyspark_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # what `import pyspark` meets where it is not installed
    assert "pip install 'xlmr-cc100[spark]'" in _corpus_error(capsys)


@pytest.mark.parametrize("flag, message", [
    (["--spark-master", "localhost:7077"], "expected local[*], local[4]"),
    (["--conf", "executor.memory=4g"], "expected KEY=VALUE with a spark.* key"),
])
def test_bad_spark_flags_say_what_would_be_right(flag, message, capsys):
    assert message in _corpus_error(capsys, *flag)
