"""Reading an `xlmr-corpus` output (local, gs://, s3://) with pyarrow: stats and paragraphs, streaming.

Only the `text` column is read, one row group at a time, shards in a seeded
random order, so memory holds one row group whatever the corpus size.
"""

from __future__ import annotations

import json
import random
from typing import Iterator

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from .corpus_layout import STATS_FILE, SUCCESS_FILE, language_dir
from .language_codes import split_codes
from .remote_files import from_uri


class CorpusError(Exception):
    """The corpus directory is missing, incomplete or not an xlmr-corpus output."""


class Corpus:
    def __init__(self, uri: str, flag: str = "--corpus"):
        self.uri, self.flag = uri, flag  # the flag named in errors
        try:
            self.fs, self.root = from_uri(uri)
        except (pafs.ArrowInvalid, OSError) as exc:
            raise CorpusError(f"{flag} {uri}: {exc}") from exc
        self.stats = self._read_stats()

    def _read_stats(self) -> dict:
        path = f"{self.root}/{STATS_FILE}"
        if self.fs.get_file_info(path).type != pafs.FileType.File:
            raise CorpusError(
                f"{self.flag} {self.uri} has no {STATS_FILE}: expected the output directory of xlmr-corpus "
                f"({language_dir('<code>')}/*.parquet, {STATS_FILE}, {SUCCESS_FILE})"
            )
        with self.fs.open_input_stream(path) as f:
            return json.loads(f.read().decode("utf-8"))

    def languages(self) -> dict[str, dict]:
        """Per-language totals from `_stats.json` (documents, paragraphs, characters, bytes)."""
        return self.stats["languages"]

    def shards(self, lang: str) -> list[str]:
        selector = pafs.FileSelector(f"{self.root}/{language_dir(lang)}", allow_not_found=True)
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
