"""Per-language Parquet shards, written to a temporary folder and renamed when all are done.

Layout: `DIR/lang=<code>/part-NNNNN-of-MMMMM.parquet` (hive-style, so pyarrow,
DuckDB and `datasets` see a `lang` partition). A language gets
M = ceil(documents / shard_rows) shards and a document goes to shard
hash(id) mod M, so shards hold `shard_rows` rows on average (hash-assigned:
a binomial spread, a few percent over for the largest). Each shard is one
GroupByKey group, sorted by id so that reruns write identical files.

Nothing appears under DIR until every shard is written: shards go to
`DIR/_temporary/<run>/`, then one finalising step renames them, writes
`_stats.json`, removes the temporary folder and writes `_SUCCESS` last.
"""

from __future__ import annotations

import datetime
import itertools
import json
import math
import os
import tempfile
from typing import Iterable

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from xlmr.common.corpus_layout import STATS_FILE, SUCCESS_FILE, TEMP_DIR, shard_path

from .corpus_stats import LanguageStats, build_stats
from .hashing import hash64
from .quality_filters import INT_SIGNALS, SIGNALS
from .records import Document

QUALITY_TYPE = pa.struct(
    [pa.field("lang", pa.string())]
    + [pa.field(name, pa.int32() if name in INT_SIGNALS else pa.float32()) for name in SIGNALS]
)

SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False, metadata={"doc": "WARC-Record-ID"}),
        pa.field("url", pa.string(), metadata={"doc": "WARC-Target-URI"}),
        pa.field("date", pa.timestamp("ms", tz="UTC"), metadata={"doc": "WARC-Date; null if unparseable"}),
        pa.field("text", pa.string(), nullable=False, metadata={"doc": "paragraphs joined by \\n"}),
        pa.field("lang", pa.string(), nullable=False),
        pa.field("lang_score", pa.float32(), nullable=False),
        pa.field("n_paragraphs", pa.int32(), nullable=False),
        pa.field("n_paragraphs_extracted", pa.int32(), nullable=False, metadata={"doc": "before dedup"}),
        pa.field("n_chars", pa.int32(), nullable=False),
        pa.field("source", pa.string(), metadata={"doc": "input file"}),
        pa.field("quality", QUALITY_TYPE, metadata={
            "doc": "every signal the quality filters measured (docs/pipeline.md), and lang, the language "
                   "whose thresholds were applied; null under --quality off"}),
        pa.field("quality_drops", pa.list_(pa.string()), metadata={
            "doc": "checks the document failed (only --quality tag keeps such documents); null under --quality off"}),
    ]
)

ROW_GROUP = 2000  # rows: a few MB of text, what a reader holds at once


def parse_warc_date(value: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None  # e.g. ClueWeb09's "2008-10-294T05:21:46-0700"


def to_row(doc: Document) -> dict:
    return {
        "id": doc.id,
        "url": doc.url,
        "date": parse_warc_date(doc.date),
        "text": doc.text,
        "lang": doc.lang,
        "lang_score": doc.lang_score,
        "n_paragraphs": doc.n_paragraphs,
        "n_paragraphs_extracted": doc.n_paragraphs_extracted,
        "n_chars": len(doc.text),
        "source": doc.source,
        "quality": doc.quality,
        "quality_drops": None if doc.quality is None else list(doc.quality_drops),
    }


def shard_count(documents: int, shard_rows: int) -> int:
    return max(1, math.ceil(documents / shard_rows))


def shard_of(doc_id: str, n_shards: int) -> int:
    return hash64(doc_id.encode("utf-8")) % n_shards


def write_parquet(docs: Iterable[Document], path: str) -> None:
    """Write one shard, `docs` in id order, to any Beam filesystem path: row group by row group
    (memory holds one), via a local file (pyarrow needs seek)."""
    docs = iter(docs)
    with tempfile.TemporaryDirectory() as tmp:
        local = os.path.join(tmp, "shard.parquet")
        with pq.ParquetWriter(local, SCHEMA, compression="zstd") as writer:
            while group := list(itertools.islice(docs, ROW_GROUP)):
                writer.write_table(pa.Table.from_pylist([to_row(d) for d in group], schema=SCHEMA))
        with open(local, "rb") as src, FileSystems.create(path) as dst:
            while chunk := src.read(1 << 22):
                dst.write(chunk)


def _ensure_parent(path: str) -> None:
    """Object stores have no folders; a local rename needs its target's."""
    if "://" not in path:
        os.makedirs(os.path.dirname(path), exist_ok=True)


class _WriteShard(beam.DoFn):
    def __init__(self, output: str, temp_dir: str):
        self.output, self.temp_dir = output, temp_dir

    def process(self, element):
        (lang, index, total), docs = element
        relative = shard_path(lang, index, total)
        temp = FileSystems.join(self.temp_dir, relative)
        write_parquet(sorted(docs, key=lambda d: d.id), temp)
        yield lang, temp, FileSystems.join(self.output, relative)


class _Finalize(beam.DoFn):
    """Runs once, after every shard is written (its inputs are side inputs)."""

    def __init__(self, output: str, config: dict):
        self.output, self.config = output, config

    def process(self, _, written, lang_totals, counters, near_dups):
        yield finalize(self.output, written, lang_totals, counters, near_dups, self.config)


def finalize(output: str, written: list[tuple[str, str, str]], lang_totals: dict[str, tuple],
             counters: dict[str, int], near_dups: dict[str, tuple[int, int]], config: dict) -> dict:
    """Once every shard is written, as (lang, temporary path, final path): move them into
    place, write `_stats.json`, remove `_temporary` and write `_SUCCESS` last. Returns the stats."""
    shards: dict[str, int] = {}
    for lang, temp, final in sorted(written):
        _ensure_parent(final)
        if FileSystems.exists(temp):  # a retried finalise finds it already moved
            FileSystems.rename([temp], [final])
        shards[lang] = shards.get(lang, 0) + 1
    stats = build_stats(lang_totals, shards, counters, near_dups, config)
    _write_text(FileSystems.join(output, STATS_FILE), json.dumps(stats, indent=2, ensure_ascii=False))
    temp_root = FileSystems.join(output, TEMP_DIR)  # one run writes a DIR at a time
    if FileSystems.exists(temp_root):
        FileSystems.delete([temp_root])
    _write_text(FileSystems.join(output, SUCCESS_FILE), "")
    return stats


def _write_text(path: str, text: str) -> None:
    _ensure_parent(path)
    with FileSystems.create(path) as f:
        f.write(text.encode("utf-8"))


class WriteCorpus(beam.PTransform):
    """Documents -> shards, `_stats.json` and `_SUCCESS` under `output`.

    `counters` is a PCollection of (name, total) drop counts and `near_dups`
    one of (lang, (documents, characters)) removed as near-duplicates, both for
    `_stats.json`. Returns a one-element PCollection holding the stats dict.
    """

    def __init__(self, output: str, temp_dir: str, shard_rows: int, counters, near_dups, config: dict):
        super().__init__()
        self.output, self.temp_dir, self.shard_rows = output, temp_dir, shard_rows
        self.counters, self.near_dups, self.config = counters, near_dups, config

    def expand(self, docs):
        lang_totals = docs | "LanguageStats" >> LanguageStats()
        n_shards = lang_totals | "ShardCount" >> beam.MapTuple(
            lambda lang, t: (lang, shard_count(t[0], self.shard_rows))
        )
        written = (
            docs
            | "AssignShard" >> beam.Map(_keyed_by_shard, n_shards=beam.pvalue.AsDict(n_shards))
            | "GroupShards" >> beam.GroupByKey()
            | "WriteShards" >> beam.ParDo(_WriteShard(self.output, self.temp_dir))
        )
        return (
            docs.pipeline
            | "Once" >> beam.Create([None])
            | "Finalize"
            >> beam.ParDo(
                _Finalize(self.output, self.config),
                written=beam.pvalue.AsList(written),
                lang_totals=beam.pvalue.AsDict(lang_totals),
                counters=beam.pvalue.AsDict(self.counters),
                near_dups=beam.pvalue.AsDict(self.near_dups),
            )
        )


def _keyed_by_shard(doc: Document, n_shards: dict[str, int]):
    total = n_shards[doc.lang]
    return (doc.lang, shard_of(doc.id, total), total), doc
