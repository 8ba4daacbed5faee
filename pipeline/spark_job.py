"""The corpus job on Spark (`--engine spark`): the Beam job's stages and dedup rules, wired as RDDs.

    files ─parallelize, a partition a file─▶ Read ▸ Extract ▸ Repair ▸ Quality ▸ paragraph hashes
          ─▶ BandWins: reduceByKey(min) per LSH bucket          (near-dup on)
          ─▶ cogroup by id ─▶ reduceByKey(min) per paragraph hash ─▶ cogroup by id ─▶ decide
          ─▶ Length ▸ LID ─▶ repartitionAndSortWithinPartitions, a partition a shard, sorted by id
          ─▶ Parquet under DIR/_temporary, one file per task attempt
    driver: per-language totals, counts, near-dup statistics (a few numbers per language and
            counter) ─▶ shard_writer.finalize: rename, _stats.json, _SUCCESS last

The same `Stage` instances (stages.py) and the same rules (dedup_rules.py) as on Beam, so
the corpus is the same set of documents for any partitioning: every winner is a minimum
over keeper keys. `reduceByKey` combines on the map side and PySpark's shuffles spill to
disk, so no executor holds every copy of a paragraph or a whole language, and the driver
only receives per-language totals and the list of shards written.

Counts travel as data (each partition's totals after its last record), not as
accumulators: Spark applies an accumulator update made in a transformation once per
attempt, so a retried task or a recomputed stage would count its records twice, while
counts carried as records of a persisted RDD are those of the one attempt Spark kept.
"""

from __future__ import annotations

import functools
import itertools
import logging
import operator
import os
import shutil
import sys
import warnings
from typing import Iterable, Iterator

from apache_beam.io.filesystems import FileSystems

from xlmr.common.argtypes import UsageError
from xlmr.common.corpus_layout import shard_path

from .corpus_stats import document_stats
from .counters import DictCount, Stage
from .dedup_rules import competing_hashes, decide, hash_paragraphs, keeper_key
from .minhash import Signer, lsh_params
from .shard_writer import finalize, shard_count, shard_of, write_parquet

log = logging.getLogger(__name__)

DATA, COUNTS, NEAR_DUPLICATE = 0, 1, 2  # tags of a partition's outputs


def run_stages(stages: list[Stage], elements: Iterable) -> Iterator[tuple[int, object]]:
    """One partition through `stages` in turn: (DATA, output) for each output of the last, then
    (COUNTS, {"namespace:name": n}) once every element has gone through."""
    counts = DictCount()
    for stage in stages:
        count = _counter(counts, f"{stage.namespace}:")
        stage.bind(count, count)
        stage.setup()
    try:
        for stage in stages:
            elements = _through(stage, elements)
        for element in elements:
            yield DATA, element
    finally:
        for stage in stages:
            stage.teardown()
    yield COUNTS, dict(counts)


def _counter(counts: DictCount, prefix: str):
    def count(name: str, n: int = 1) -> None:
        counts[prefix + name] += n

    return count


def _through(stage: Stage, elements: Iterable) -> Iterator:
    for element in elements:
        yield from stage.process(element)


def _with_hashes(tagged: Iterable[tuple[int, object]]) -> Iterator[tuple[int, object]]:
    """Documents as (id, (document, paragraph hashes)), the shape both dedups key on."""
    for tag, value in tagged:
        yield (tag, (value.id, (value, hash_paragraphs(value)))) if tag == DATA else (tag, value)


def _band_keys(num_perm: int, threshold: float, hashed: Iterable) -> Iterator:
    """((band, hash of its rows), keeper key) for each LSH bucket of each document."""
    signer = Signer(num_perm, threshold)
    for _, (doc, _) in hashed:
        competitor = keeper_key(doc)
        for key in signer.band_keys(doc.text):
            yield key, competitor


def join_by_id(partitions: int, *rdds):
    """(id, (values of rdds[0], values of rdds[1], ...)) for every id in any of `rdds`: one
    groupByKey over tagged values (what PySpark's cogroup does), with its partition count given."""
    tagged = [rdd.mapValues(functools.partial(_tag_value, i)) for i, rdd in enumerate(rdds)]
    return tagged[0].context.union(tagged).groupByKey(partitions).mapValues(
        functools.partial(_untag_values, len(rdds)))


def _tag_value(tag: int, value) -> tuple:
    return tag, value


def _untag_values(n: int, tagged: Iterable[tuple]) -> tuple[list, ...]:
    values = tuple([] for _ in range(n))
    for tag, value in tagged:
        values[tag].append(value)
    return values


def _competing(bands: int, element) -> Iterator:
    _, (keyed_hashes, bands_won) = element
    return competing_hashes(keyed_hashes, bands_won, bands)


def _decide(bands: int, grouped: Iterable) -> Iterator[tuple[int, object]]:
    counts = DictCount()
    count = _counter(counts, "dedup:")
    for _, (copies, won, bands_won) in grouped:
        kept, near_duplicate = decide(copies, won, bands_won, bands, count)
        if near_duplicate is not None:
            yield NEAR_DUPLICATE, near_duplicate
        elif kept is not None:
            yield DATA, kept
    yield COUNTS, dict(counts)


def _tagged(rdd, tag: int):
    return rdd.filter(lambda t: t[0] == tag).map(operator.itemgetter(1))


def _sum_tuples(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b))


def _write_shards(temp_dir: str, output: str, shards: list[tuple[str, int, int]],
                  keyed_docs: Iterator) -> Iterator[tuple[str, str, str]]:
    """Write the shards of one partition, whose documents come sorted by (shard, id): each
    under this task attempt's own temporary name, so that a retried or speculative attempt
    never writes over another's file; the driver keeps the paths of the attempts Spark kept."""
    from pyspark import TaskContext

    attempt = f"attempt-{TaskContext.get().taskAttemptId()}"  # unique among all attempts of the job
    for shard, group in itertools.groupby(keyed_docs, key=lambda kv: kv[0][0]):
        lang, index, total = shards[shard]
        relative = shard_path(lang, index, total)
        temp = FileSystems.join(temp_dir, attempt, relative)
        write_parquet((doc for _, doc in group), temp)
        yield lang, temp, FileSystems.join(output, relative)


def spark_context(master: str | None, settings: list[tuple[str, str]]):
    """The active SparkContext (a test's, a notebook's) or a new one. A run on this machine
    is bound to loopback and its Python workers use this interpreter; spark-submit's own
    master wins unless --spark-master is given. Returns (context, whether this run made it)."""
    try:
        with warnings.catch_warnings():
            # pyspark's import warns that it does not fully support pandas 3; this job uses no pandas
            warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
            from pyspark import SparkConf, SparkContext
    except ImportError as exc:
        raise UsageError("--engine spark needs pyspark: pip install 'xlmr-cc100[spark]'") from exc
    active = SparkContext._active_spark_context
    if active is not None:
        return active, False
    launched_by_submit = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started the JVM
    if not launched_by_submit and not _java_available():
        raise UsageError("--engine spark needs a Java runtime (17 or 21) to start Spark: "
                         "apt-get install openjdk-17-jre-headless (Debian, Ubuntu), or set JAVA_HOME")
    conf = SparkConf().setAppName("xlmr-corpus")
    if master or not launched_by_submit:
        conf.setMaster(master or "local[*]")
    if conf.get("spark.master", "").startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # executors of local-cluster read it
        for key in ("spark.driver.host", "spark.driver.bindAddress"):
            conf.setIfMissing(key, "127.0.0.1")
        # PySpark starts Python workers with $PYSPARK_PYTHON (else `python3`), not spark.pyspark.python
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in settings:
        conf.set(key, value)
    try:
        return SparkContext(conf=conf), True
    except Exception as exc:  # Py4J or PySpark errors: the JVM did not start or reach the master
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"--spark-master {conf.get('spark.master', '?')}: Spark did not start ({first_line}); "
                         "check the master URL, that the cluster is reachable, and the --conf settings") from exc


def _java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(home and os.path.exists(os.path.join(home, "bin", "java"))) or shutil.which("java") is not None


def run_spark(opts, files: list[str], temp_dir: str, config: dict, per_record: list[Stage],
              after_dedup: list[Stage], removed: Stage) -> dict:
    """The job on Spark; returns `_stats.json`'s content. `per_record` are the stages before
    dedup (read first), `after_dedup` those after it, `removed` the near-duplicates' statistics."""
    sc, made_here = spark_context(opts.spark_master, opts.conf)
    from pyspark import StorageLevel
    keep = StorageLevel.MEMORY_AND_DISK  # spills: a big input needs disk, not memory
    persisted = []

    def persist(rdd):
        persisted.append(rdd.persist(keep))
        return rdd

    try:
        # 1. One partition per input file, as Beam's Reshuffle spreads files over workers.
        read = persist(sc.parallelize(files, max(1, len(files)))
                       .mapPartitions(functools.partial(run_stages, per_record))
                       .mapPartitions(_with_hashes))
        hashed, counts = _tagged(read, DATA), [_tagged(read, COUNTS)]
        # Shuffle partitions: Spark's parallelism (its cores, or spark.default.parallelism when set):
        # the shuffles spill, so more partitions only buy smaller tasks, at a cost per task.
        partitions = sc.defaultParallelism

        # 2. Both dedups, the shuffles of deduplicate.py.
        hashes = hashed.mapValues(lambda dh: (keeper_key(dh[0]), dh[1]))
        if opts.near_dup == "on":
            bands = lsh_params(opts.near_dup_threshold, opts.near_dup_perm)[0]
            band_wins = (hashed.mapPartitions(functools.partial(_band_keys, opts.near_dup_perm,
                                                                opts.near_dup_threshold))
                         .reduceByKey(min, partitions)
                         .map(lambda kv: (kv[1][1], kv[0][0])))  # (id, band won)
            competing = join_by_id(partitions, hashes, band_wins).flatMap(functools.partial(_competing, bands))
        else:
            bands, band_wins = 0, sc.emptyRDD()
            competing = hashes.flatMap(lambda kv: competing_hashes([kv[1]], (), 0))
        won = competing.reduceByKey(min, partitions).map(lambda kv: (kv[1][1], kv[0]))  # (id, hash won)
        decided = persist(join_by_id(partitions, hashed, won, band_wins)
                          .mapPartitions(functools.partial(_decide, bands)))
        counts.append(_tagged(decided, COUNTS))

        # 3. Length and language.
        labelled = persist(_tagged(decided, DATA).mapPartitions(functools.partial(run_stages, after_dedup)))
        docs = _tagged(labelled, DATA)
        counts.append(_tagged(labelled, COUNTS))

        # 4. All the driver needs in one shuffle: counters, per-language totals, near-duplicates.
        near_dups = _tagged(decided, NEAR_DUPLICATE).mapPartitions(functools.partial(run_stages, [removed]))
        summed = sc.union([
            sc.union(counts).flatMap(lambda c: ((("counter", name), (n,)) for name, n in c.items())),
            docs.map(document_stats).map(lambda kv: (("lang", kv[0]), kv[1])),
            _tagged(near_dups, DATA).map(lambda kv: (("near", kv[0]), kv[1])),
        ]).reduceByKey(_sum_tuples, partitions).collect()
        counters = {name: totals[0] for (kind, name), totals in summed if kind == "counter"}
        lang_totals = {lang: totals for (kind, lang), totals in summed if kind == "lang"}
        near_dup_totals = {lang: totals for (kind, lang), totals in summed if kind == "near"}

        # 5. Shards: a partition holds whole shards, sorted by (shard, id) with Spark's external sort.
        n_shards = {lang: shard_count(t[0], opts.shard_rows) for lang, t in sorted(lang_totals.items())}
        shards, first_shard = [], {}  # shards[global index] = (lang, index, of); each language's first
        for lang, n in n_shards.items():
            first_shard[lang] = len(shards)
            shards += [(lang, i, n) for i in range(n)]
        written = []
        if shards:
            written = (docs.map(lambda d: ((first_shard[d.lang] + shard_of(d.id, n_shards[d.lang]), d.id), d))
                       .repartitionAndSortWithinPartitions(min(partitions, len(shards)),
                                                           partitionFunc=operator.itemgetter(0))
                       .mapPartitions(functools.partial(_write_shards, temp_dir, opts.output, shards))
                       .collect())
        return finalize(opts.output, written, lang_totals, counters, near_dup_totals, config)
    finally:
        for rdd in persisted:
            rdd.unpersist()
        if made_here:
            sc.stop()
