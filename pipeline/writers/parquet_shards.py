"""Per-language Parquet shards, written to a temporary folder and renamed when all are done.

Layout: `DIR/lang=<code>/part-PPPPP-NNNNN-of-MMMMM.parquet` (P: the part, parts.py) (hive-style, so pyarrow,
DuckDB and `datasets` see a `lang` partition). A language gets
M = ceil(documents / shard_rows) shards and a document goes to shard
hash(id) mod M, so shards hold `shard_rows` rows on average (hash-assigned:
a binomial spread, a few percent over for the largest). Each shard is one
group of the engine's shuffle, sorted by id so that reruns write identical files.

Nothing appears under DIR until every shard is written: shards go to
`DIR/_temporary/<run>/`, then one finalising step renames them, removes the temporary
folder and commits the part (parts.py), whose last writes `_stats.json` and `_SUCCESS`.
"""

from __future__ import annotations

import datetime
import itertools
import math
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from xlmr.common import files
from xlmr.common.corpus_layout import INDEX_DIR, TEMP_DIR

from ..dedup.hashing import hash64
from ..dedup.index import SCHEMAS as INDEX_SCHEMAS
from ..filters.quality_filters import INT_SIGNALS, SIGNALS
from ..records import Document
from .parts import commit_part, complete

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
        pa.field("dump", pa.string(), metadata={
            "doc": "the crawl, e.g. CC-MAIN-2024-10: its warcinfo's isPartOf, else the crawl in the file's path; "
                   "null when neither names one"}),
        pa.field("quality", QUALITY_TYPE, metadata={
            "doc": "every signal the quality filters measured (docs/pipeline.md), and lang, the language "
                   "whose thresholds were applied; null under --quality off"}),
        pa.field("quality_drops", pa.list_(pa.string()), metadata={
            "doc": "checks the document failed (only --quality tag keeps such documents); null under --quality off"}),
        pa.field("perplexity", pa.float32(), metadata={
            "doc": "CCNet's perplexity under the language's KenLM model (--lm-models); null without a model"}),
        pa.field("lm_bucket", pa.string(), metadata={
            "doc": "head, middle or tail by CCNet's per-language cutoffs, all for a language without cutoffs; "
                   "null without a model"}),
    ]
)

ROW_GROUP = 2000  # rows: a few MB of text, what a reader holds at once
INDEX_FILE = INDEX_DIR  # what `finalize`'s written list has for language on an index file
INDEX_KINDS = tuple(INDEX_SCHEMAS)


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
        "dump": doc.dump,
        "quality": doc.quality,
        "quality_drops": None if doc.quality is None else list(doc.quality_drops),
        "perplexity": doc.perplexity,
        "lm_bucket": doc.lm_bucket,
    }


def shard_count(documents: int, shard_rows: int) -> int:
    return max(1, math.ceil(documents / shard_rows))


def shard_of(doc_id: str, n_shards: int) -> int:
    return hash64(doc_id.encode("utf-8")) % n_shards


def write_parquet(docs: Iterable[Document], path: str) -> None:
    """Write one shard, `docs` in id order, to a local, gs:// or s3:// path: row group by row group
    (memory holds one)."""
    docs = iter(docs)
    with files.local_file(path) as local, pq.ParquetWriter(local, SCHEMA, compression="zstd") as writer:
        while group := list(itertools.islice(docs, ROW_GROUP)):
            writer.write_table(pa.Table.from_pylist([to_row(d) for d in group], schema=SCHEMA))


def finalize(output: str, written: list[tuple[str, str, str]], lang_totals: dict[str, tuple],
             counters: dict[str, int], near_dups: dict[str, tuple[int, int]], config: dict, part: int,
             last: bool) -> dict | None:
    """Once every shard and index file of part `part` is written, as (lang or INDEX_FILE, temporary
    path, final path): move them into place, remove `_temporary`, commit the part (parts.py); the
    run's `last` part then writes `_stats.json` and `_SUCCESS` and returns the stats."""
    shards: dict[str, int] = {}
    index = {kind: {"files": 0, "rows": 0, "bytes": 0} for kind in INDEX_KINDS}
    for lang, temp, final in sorted(written):
        if files.exists(temp):  # a retried finalise finds it already moved
            files.rename(temp, final)
        if lang == INDEX_FILE:
            entry = index[final.rstrip("/").split("/")[-2]]
            entry["files"] += 1
            entry["bytes"] += files.size(final)
            with files.open_read(final) as f:
                entry["rows"] += pq.read_metadata(f).num_rows
        else:
            shards[lang] = shards.get(lang, 0) + 1
    files.delete(files.join(output, TEMP_DIR))  # one run writes a DIR at a time
    commit_part(output, part, {"lang_totals": lang_totals, "shards": shards, "counters": counters,
                               "near_dups": near_dups, "index": index, "input_files": config["input_files"],
                               "config": config})
    return complete(output) if last else None
