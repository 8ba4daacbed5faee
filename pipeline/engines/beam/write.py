"""`WriteCorpus`: documents -> per-language Parquet shards, the dedup index, `_stats.json` and
`_SUCCESS`, on Beam.

Shards and index files are GroupByKey groups written to the run's temporary folder; one
`Finalize`, whose inputs are side inputs and so runs after every file is written, moves them
into place (writers/parquet_shards.py says how).
"""

from __future__ import annotations

import functools

import apache_beam as beam

from xlmr.common import files
from xlmr.common.corpus_layout import index_path, shard_path

from ...dedup.index import INDEX_ROWS, index_row, index_shard, write_index
from ...records import Document
from ...stats.corpus_stats import FIELDS, document_stats
from ...writers.parquet_shards import INDEX_FILE, finalize, shard_count, shard_of, write_parquet


class LanguageStats(beam.PTransform):
    """PCollection[Document] -> PCollection[(lang, (documents, paragraphs, characters, bytes, PII spans))]."""

    def expand(self, docs):
        return (
            docs
            | "PerDocument" >> beam.Map(document_stats)
            | "SumPerLanguage" >> beam.CombinePerKey(beam.combiners.TupleCombineFn(*[sum] * len(FIELDS)))
        )


class _WriteShard(beam.DoFn):
    def __init__(self, output: str, temp_dir: str, part: int):
        self.output, self.temp_dir, self.part = output, temp_dir, part

    def process(self, element):
        (lang, index, total), docs = element
        relative = shard_path(lang, self.part, index, total)
        temp = files.join(self.temp_dir, relative)
        write_parquet(sorted(docs, key=lambda d: d.id), temp)
        yield lang, temp, files.join(self.output, relative)


class _WriteIndexFile(beam.DoFn):
    def __init__(self, kind: str, output: str, temp_dir: str, part: int):
        self.kind, self.output, self.temp_dir, self.part = kind, output, temp_dir, part

    def process(self, element):
        (index, total), rows = element
        relative = index_path(self.kind, self.part, index, total)
        temp = files.join(self.temp_dir, relative)
        write_index(rows, self.kind, temp)
        yield INDEX_FILE, temp, files.join(self.output, relative)


class _WriteIndex(beam.PTransform):
    """One kind of index entries -> its files, hash-sharded (dedup/index.py); yields what WriteShards yields."""

    def __init__(self, kind: str, output: str, temp_dir: str, part: int):
        super().__init__()
        self.kind, self.output, self.temp_dir, self.part = kind, output, temp_dir, part

    def expand(self, entries):
        rows = entries | "Rows" >> beam.Map(functools.partial(index_row, self.kind))
        n_files = rows | "Count" >> beam.combiners.Count.Globally() | "Files" >> beam.Map(shard_count, INDEX_ROWS)
        return (rows
                | "AssignFile" >> beam.Map(_keyed_by_file, n_files=beam.pvalue.AsSingleton(n_files))
                | "Group" >> beam.GroupByKey()
                | "Write" >> beam.ParDo(_WriteIndexFile(self.kind, self.output, self.temp_dir, self.part)))


class _Finalize(beam.DoFn):
    """Runs once, after every shard is written (its inputs are side inputs)."""

    def __init__(self, output: str, config: dict, part: int, last: bool):
        self.output, self.config, self.part, self.last = output, config, part, last

    def process(self, _, written, lang_totals, counters, near_dups):
        yield finalize(self.output, written, lang_totals, counters, near_dups, self.config, self.part, self.last)


class WriteCorpus(beam.PTransform):
    """Documents -> shards, `_stats.json` and `_SUCCESS` under `output`.

    `counters` is a PCollection of (name, total) drop counts and `near_dups`
    one of (lang, (documents, characters)) removed as near-duplicates, both for
    `_stats.json`; `index` {kind: PCollection of its entries} for `_index/`; `plan` job.py's
    JobPlan (output, temporary folder, shard rows, config, part). Returns a one-element
    PCollection holding the stats dict (None but for the run's last part).
    """

    def __init__(self, plan, counters, near_dups, index: dict):
        super().__init__()
        self.plan, self.counters, self.near_dups, self.index = plan, counters, near_dups, index

    def expand(self, docs):
        lang_totals = docs | "LanguageStats" >> LanguageStats()
        plan = self.plan
        n_shards = lang_totals | "ShardCount" >> beam.MapTuple(
            lambda lang, t: (lang, shard_count(t[0], plan.shard_rows))
        )
        shards = (
            docs
            | "AssignShard" >> beam.Map(_keyed_by_shard, n_shards=beam.pvalue.AsDict(n_shards))
            | "GroupShards" >> beam.GroupByKey()
            | "WriteShards" >> beam.ParDo(_WriteShard(plan.output, plan.temp_dir, plan.part))
        )
        index = [entries | f"WriteIndex/{kind}" >> _WriteIndex(kind, plan.output, plan.temp_dir, plan.part)
                 for kind, entries in sorted(self.index.items())]
        written = (shards, *index) | "AllWritten" >> beam.Flatten()
        return (
            docs.pipeline
            | "Once" >> beam.Create([None])
            | "Finalize"
            >> beam.ParDo(
                _Finalize(plan.output, plan.config, plan.part, plan.last),
                written=beam.pvalue.AsList(written),
                lang_totals=beam.pvalue.AsDict(lang_totals),
                counters=beam.pvalue.AsDict(self.counters),
                near_dups=beam.pvalue.AsDict(self.near_dups),
            )
        )


def _keyed_by_shard(doc: Document, n_shards: dict[str, int]):
    total = n_shards[doc.lang]
    return (doc.lang, shard_of(doc.id, total), total), doc


def _keyed_by_file(row: tuple, n_files: int):
    return (index_shard(row, n_files), n_files), row
