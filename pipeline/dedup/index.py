"""A corpus's dedup index, `DIR/_index/`: what both dedups need to recognise its content later,
without reading its text again.

    _index/paragraphs/part-PPPPP-NNNNN-of-MMMMM.parquet   hash (int64): each paragraph hash the corpus's
                                                          documents won (CCNet normalisation, dedup/hashing.py)
    _index/bands/part-PPPPP-NNNNN-of-MMMMM.parquet        band (int16), key (int64): each MinHash LSH bucket
                                                          its documents won (near-dup on only)

A run given `--dedup-against PREV` reads PREV's index as claims by a keeper key smaller than
any document's (rules.PRIOR): a paragraph whose hash PREV holds is removed, a document sharing
a bucket with PREV is a near-duplicate, and nothing of PREV is read but these files. The
index is what the run's dedups decided, not the text written: a paragraph won by a
document that min length, LID or the perplexity filter later dropped is in it, as it would
have removed that paragraph from every other document in one run over both inputs.
Rows are hash-sharded (INDEX_ROWS a file on average) and sorted, so a rerun writes the same files.
"""

from __future__ import annotations

import json
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from xlmr.common import files
from xlmr.common.argtypes import UsageError
from xlmr.common.corpus_layout import INDEX_DIR, STATS_FILE, SUCCESS_FILE, index_glob

from .rules import PRIOR

PARAGRAPHS, BANDS = "paragraphs", "bands"
SCHEMAS = {
    PARAGRAPHS: pa.schema([pa.field("hash", pa.int64(), nullable=False)]),
    BANDS: pa.schema([pa.field("band", pa.int16(), nullable=False), pa.field("key", pa.int64(), nullable=False)]),
}
INDEX_ROWS = 1_000_000  # rows a file on average: 8 MB of paragraph hashes


def index_row(kind: str, entry) -> tuple:
    """A dedup entry as its index row: a paragraph hash -> (hash,); a bucket (band, key) -> itself."""
    return (entry,) if kind == PARAGRAPHS else tuple(entry)


def index_shard(row: tuple, n_files: int) -> int:
    """The file a row goes to: its last value is a 64-bit hash, already uniform."""
    return row[-1] % n_files


def write_index(rows: Iterable[tuple], kind: str, path: str) -> None:
    """One index file of `rows` (sorted here) to a local, gs:// or s3:// path."""
    columns = list(zip(*sorted(rows))) or [[] for _ in SCHEMAS[kind]]
    table = pa.table([pa.array(c, type=f.type) for c, f in zip(columns, SCHEMAS[kind])], schema=SCHEMAS[kind])
    with files.local_file(path) as local:
        pq.write_table(table, local, compression="zstd")


def prior_files(corpora: list[str]) -> dict[str, list[str]]:
    """{kind: the index files of every corpus in `corpora`}, listed once at launch. Raises UsageError for
    a directory that is not a finished xlmr-corpus output with an index."""
    found: dict[str, list[str]] = {PARAGRAPHS: [], BANDS: []}
    for corpus in corpora:
        if not files.exists(files.join(corpus, SUCCESS_FILE)):
            raise UsageError(f"--dedup-against {corpus}: not a finished xlmr-corpus output (no {SUCCESS_FILE})")
        if "index" not in json.loads(files.read_text(files.join(corpus, STATS_FILE))):
            raise UsageError(f"--dedup-against {corpus}: it has no {INDEX_DIR}/, being made by a version without "
                             f"the dedup index; rebuild it to deduplicate against it")
        for kind in found:
            found[kind] += sorted(files.glob(files.join(corpus, index_glob(kind))))
    return found


def read_index(path: str, kind: str) -> Iterator[tuple]:
    """The rows of one index file, batch by batch."""
    with files.open_read(path) as f:
        for batch in pq.ParquetFile(f).iter_batches(columns=SCHEMAS[kind].names):
            yield from zip(*(column.to_pylist() for column in batch.columns))


def prior_paragraphs(path: str) -> Iterator[tuple[int, tuple]]:
    """An earlier corpus's paragraph file -> (hash, PRIOR) claims, as the paragraph dedup keys them."""
    for (h,) in read_index(path, PARAGRAPHS):
        yield h, PRIOR


def prior_bands(path: str) -> Iterator[tuple[tuple[int, int], tuple]]:
    """An earlier corpus's band file -> ((band, key), PRIOR) claims, as the near-dup keys them."""
    for bucket in read_index(path, BANDS):
        yield bucket, PRIOR
