"""Reading an `xlmr-corpus` output (local, gs://, s3://) with pyarrow: stats and paragraphs, streaming.

Only the `text` column is read, one row group at a time, shards in a seeded
random order, so memory holds one row group whatever the corpus size.
"""

from __future__ import annotations

import json
import os
import random
from typing import Iterator

import pyarrow.fs as pafs
import pyarrow.parquet as pq


class CorpusError(Exception):
    """The corpus directory is missing, incomplete or not an xlmr-corpus output."""


class Corpus:
    def __init__(self, uri: str):
        self.uri = uri
        try:
            self.fs, self.root = pafs.FileSystem.from_uri(uri if "://" in uri else os.path.abspath(uri))
        except (pafs.ArrowInvalid, OSError) as exc:
            raise CorpusError(f"--corpus {uri}: {exc}") from exc
        self.stats = self._read_stats()

    def _read_stats(self) -> dict:
        path = f"{self.root}/_stats.json"
        if self.fs.get_file_info(path).type != pafs.FileType.File:
            raise CorpusError(
                f"--corpus {self.uri} has no _stats.json: expected the output directory of xlmr-corpus "
                "(lang=<code>/*.parquet, _stats.json, _SUCCESS)"
            )
        with self.fs.open_input_stream(path) as f:
            return json.loads(f.read().decode("utf-8"))

    def languages(self) -> dict[str, dict]:
        """Per-language totals from `_stats.json` (documents, paragraphs, characters, bytes)."""
        return self.stats["languages"]

    def shards(self, lang: str) -> list[str]:
        selector = pafs.FileSelector(f"{self.root}/lang={lang}", allow_not_found=True)
        return sorted(i.path for i in self.fs.get_file_info(selector) if i.path.endswith(".parquet"))

    def paragraphs(self, lang: str, seed: int) -> Iterator[str]:
        """Every paragraph of `lang`, shards in a seeded random order, row group by row group."""
        shards = self.shards(lang)
        random.Random(f"{seed}:{lang}").shuffle(shards)
        for path in shards:
            with self.fs.open_input_file(path) as f:
                parquet = pq.ParquetFile(f)
                for group in range(parquet.num_row_groups):
                    for text in parquet.read_row_group(group, columns=["text"]).column("text").to_pylist():
                        yield from text.split("\n")

