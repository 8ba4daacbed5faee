"""Reading an `xlmr-corpus` output (local, gs://, s3://): stats and paragraphs, streaming.

Only the `text` column is read, one row group at a time, shards in a seeded
random order, so memory holds one row group whatever the corpus size.
"""

from __future__ import annotations

import json
import random
from typing import Iterator

import pyarrow.parquet as pq

from . import files
from .corpus_layout import STATS_FILE, SUCCESS_FILE, shard_glob
from .language_codes import split_codes


class CorpusError(Exception):
    """The corpus directory is missing, incomplete or not an xlmr-corpus output."""


class Corpus:
    def __init__(self, uri: str, flag: str = "--corpus"):
        self.uri, self.flag = uri, flag  # the flag named in errors
        try:
            self.fs, self.root = files.filesystem(uri)  # fsspec's: the shards are opened many times
            self.stats = self._read_stats()
        except (OSError, ValueError, ImportError) as exc:  # no such bucket, no credentials, no s3fs
            raise CorpusError(f"{flag} {uri}: {exc}") from exc

    def _read_stats(self) -> dict:
        path = f"{self.root}/{STATS_FILE}"
        if not self.fs.isfile(path):
            raise CorpusError(
                f"{self.flag} {self.uri} has no {STATS_FILE}: expected the output directory of xlmr-corpus "
                f"({shard_glob('<code>')}, {STATS_FILE}, {SUCCESS_FILE})"
            )
        with self.fs.open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))

    def languages(self) -> dict[str, dict]:
        """Per-language totals from `_stats.json` (documents, paragraphs, characters, bytes)."""
        return self.stats["languages"]

    def shards(self, lang: str) -> list[str]:
        """The shards of `lang`, as paths of `self.fs`."""
        return sorted(self.fs.glob(f"{self.root}/{shard_glob(lang)}"))

    def texts(self, path: str, start_row: int = 0) -> Iterator[tuple[int, str]]:
        """(row index, text) of a shard from `start_row`, reading the text column a row group at a time."""
        with pq.ParquetFile(path, filesystem=self.fs) as parquet:  # a local file is read by pyarrow itself
            first = 0
            for group in range(parquet.num_row_groups):
                n = parquet.metadata.row_group(group).num_rows
                if first + n > start_row:
                    texts = parquet.read_row_group(group, columns=["text"]).column("text").to_pylist()
                    for i in range(max(0, start_row - first), n):
                        yield first + i, texts[i]
                first += n

    def paragraphs(self, lang: str, seed: int) -> Iterator[str]:
        """Every paragraph of `lang`, shards in a seeded random order, row group by row group."""
        shards = self.shards(lang)
        random.Random(f"{seed}:{lang}").shuffle(shards)
        for path in shards:
            for _, text in self.texts(path):
                yield from text.split("\n")


def select_languages(corpus: Corpus, wanted: list[str]) -> dict[str, int]:
    """n_i (paragraphs) of the languages to train on; unknown codes are an error naming the known ones."""
    sizes = {lang: s["paragraphs"] for lang, s in corpus.languages().items() if s["paragraphs"] > 0}
    if not sizes:
        raise CorpusError(f"{corpus.flag} {corpus.uri} holds no paragraphs (its {STATS_FILE} lists no language)")
    codes = split_codes(wanted)
    unknown = sorted(codes - sizes.keys())
    if unknown:
        raise CorpusError(f"--languages {', '.join(unknown)}: not in the corpus, which has {', '.join(sorted(sizes))}")
    return {lang: n for lang, n in sizes.items() if not codes or lang in codes}
