"""The corpus job on Spark (`--engine spark`): a JobPlan's Stages per partition, both dedups as
Spark shuffles, the shards written by tasks and finalised by the driver.

    files ─parallelize, a partition a file─▶ Read ▸ Extract ▸ Repair ▸ Quality
          ─▶ both dedups (dedup/deduplicate.py with SparkShuffles) ─▶ DecideDuplicates
          ─▶ Length ▸ LID ─▶ repartitionAndSortWithinPartitions, a partition a shard, sorted by id
          ─▶ Parquet under DIR/_temporary, one file per task attempt
          hashes and buckets won (the dedup index) ─▶ partitionBy, a partition a file ─▶ the same
    driver: counters, per-language totals, near-dup statistics (a few numbers per language and
            counter) ─▶ writers/parquet_shards.finalize: rename, _stats.json, _SUCCESS last

The same Stage instances and dedup rules as on Beam, so the corpus is the same set of
documents for any partitioning: every winner is a minimum over keeper keys. The shuffles
spill to disk, so no executor holds a whole language, and the driver only receives
per-language totals and the list of shards written.
"""

from __future__ import annotations

import functools
import itertools
import operator
from typing import Iterable, Iterator

from xlmr.common import files
from xlmr.common.corpus_layout import index_path, shard_path

from ...dedup.deduplicate import NEAR_DUPLICATES, DecideDuplicates, deduplicate
from ...dedup.index import INDEX_ROWS, index_row, index_shard, write_index
from ...stats.corpus_stats import document_stats
from ...writers.parquet_shards import INDEX_FILE, finalize, shard_count, shard_of, write_parquet
from .context import spark_context
from .dedup import SparkShuffles
from .stages import COUNTS, MAIN, apply_stages, output


def run_spark(plans: Iterable, master: str | None = None, settings: list[tuple[str, str]] = ()) -> None:
    """Run each of `plans` (job.py's JobPlans, a part each, made as the one before commits) on one Spark context."""
    sc, made_here = spark_context(master, list(settings))
    try:
        for plan in plans:
            _run_part(sc, plan)
    finally:
        if made_here:
            sc.stop()


def _run_part(sc, plan) -> None:
    from pyspark import StorageLevel

    persisted = []

    def persist(rdd):
        persisted.append(rdd.persist(StorageLevel.MEMORY_AND_DISK))  # spills: a big input needs disk
        return rdd

    try:
        # One partition per input file, as Beam's Reshuffle spreads files over workers.
        read = apply_stages(sc.parallelize(plan.files, max(1, len(plan.files))), plan.before_dedup, persist)
        # Shuffles at Spark's parallelism (its cores, or spark.default.parallelism): they spill,
        # so more partitions only buy smaller tasks, at a cost per task.
        shuffles = SparkShuffles(sc, sc.defaultParallelism)
        dedup = deduplicate(shuffles, output(read, MAIN), plan.near_dup, plan.prior)
        decided = apply_stages(dedup.joined, [DecideDuplicates(dedup.bands)], persist)
        labelled = apply_stages(output(decided, MAIN), plan.after_dedup, persist)
        docs = output(labelled, MAIN)
        near_dups = apply_stages(output(decided, NEAR_DUPLICATES), [plan.removed], persist)

        counters = (sc.union([output(stage_run, COUNTS) for stage_run in (read, decided, labelled)])
                    .flatMap(dict.items).reduceByKey(operator.add, shuffles.partitions).collectAsMap())
        lang_totals = docs.map(document_stats).reduceByKey(_sum_tuples, shuffles.partitions).collectAsMap()
        near_dup_totals = output(near_dups, MAIN).reduceByKey(_sum_tuples).collectAsMap()
        written = _write_shards(docs, plan, lang_totals, shuffles.partitions)
        for kind, entries in sorted(dedup.index.items()):
            written += _write_index(entries, kind, plan)
        finalize(plan.output, written, lang_totals, counters, near_dup_totals, plan.config, plan.part, plan.last)
    finally:
        for rdd in persisted:
            rdd.unpersist()


def _sum_tuples(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b))


def _write_shards(docs, plan, lang_totals: dict[str, tuple], partitions: int) -> list[tuple[str, str, str]]:
    """Each language's shards, a partition holding whole shards sorted by (shard, id) with Spark's
    external sort; returns (lang, temporary path, final path) of each shard written."""
    n_shards = {lang: shard_count(totals[0], plan.shard_rows) for lang, totals in sorted(lang_totals.items())}
    shards, first_shard = [], {}  # shards[global index] = (lang, index, of); each language's first
    for lang, n in n_shards.items():
        first_shard[lang] = len(shards)
        shards += [(lang, i, n) for i in range(n)]
    if not shards:
        return []
    return (docs.map(functools.partial(_keyed_by_shard, first_shard, n_shards))
            .repartitionAndSortWithinPartitions(min(partitions, len(shards)), partitionFunc=operator.itemgetter(0))
            .mapPartitions(functools.partial(_write_partition, plan.part, plan.temp_dir, plan.output, shards))
            .collect())


def _write_index(entries, kind: str, plan) -> list[tuple[str, str, str]]:
    """One kind of index entries -> its files (dedup/index.py), a partition a file."""
    rows = entries.map(functools.partial(index_row, kind))
    n_files = shard_count(rows.count(), INDEX_ROWS)
    return (rows.keyBy(functools.partial(index_shard, n_files=n_files))
            .partitionBy(n_files, _identity)
            .mapPartitionsWithIndex(functools.partial(_write_index_file, kind, n_files, plan.part, plan.temp_dir,
                                                      plan.output))
            .collect())


def _identity(key: int) -> int:
    return key


def _write_index_file(kind: str, n_files: int, part: int, temp_dir: str, output_dir: str, index: int,
                      keyed_rows: Iterator) -> Iterator[tuple[str, str, str]]:
    rows = [row for _, row in keyed_rows]
    if rows:
        relative = index_path(kind, part, index, n_files)
        temp = files.join(temp_dir, _attempt(), relative)
        write_index(rows, kind, temp)
        yield INDEX_FILE, temp, files.join(output_dir, relative)


def _attempt() -> str:
    """This task attempt's own folder, unique among all attempts of the job: a retried or speculative
    attempt never writes over another's file; the driver keeps the paths of the attempts Spark kept."""
    from pyspark import TaskContext

    return f"attempt-{TaskContext.get().taskAttemptId()}"


def _keyed_by_shard(first_shard: dict[str, int], n_shards: dict[str, int], doc):
    return (first_shard[doc.lang] + shard_of(doc.id, n_shards[doc.lang]), doc.id), doc


def _write_partition(part: int, temp_dir: str, output_dir: str, shards: list[tuple[str, int, int]],
                     keyed_docs: Iterator) -> Iterator[tuple[str, str, str]]:
    """Write the shards of one partition, whose documents come sorted by (shard, id), each under
    this task attempt's own temporary folder."""
    attempt = _attempt()
    for shard, group in itertools.groupby(keyed_docs, key=lambda kv: kv[0][0]):
        lang, index, total = shards[shard]
        relative = shard_path(lang, part, index, total)
        temp = files.join(temp_dir, attempt, relative)
        write_parquet((doc for _, doc in group), temp)
        yield lang, temp, files.join(output_dir, relative)
