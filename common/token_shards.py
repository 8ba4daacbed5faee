"""Pre-tokenized shards: an xlmr-corpus output encoded once (`xlmr-tokenizer encode`), read by
`xlmr-train --data TOK` at memory speed, as fairseq binarizes a corpus before training.

    TOK/manifest.json                        the tokenizer's fingerprint, the corpus's per-language
                                             statistics, and each shard's rows, paragraphs and tokens
    TOK/lang=<code>/<shard>.ids.npy          uint32: the token ids of every paragraph of the corpus
                                             shard <shard>.parquet, in order, without special tokens
    TOK/lang=<code>/<shard>.paragraphs.npy   int64 [paragraphs + 1]: where each paragraph's ids start
    TOK/lang=<code>/<shard>.rows.npy         int64 [rows + 1]: where each row's (document's) paragraphs start

One token shard per corpus shard, named after it: the trainer deals and orders them exactly as
it deals the text shards, so both paths read the same paragraphs in the same order, and a corpus
grown by later parts is encoded incrementally (only the shards the manifest lacks). Plain .npy
files rather than Arrow `list<int32>`: `np.load(mmap_mode="r")` maps them, so nothing is read
until touched and a paragraph is a slice of a flat array. uint32, because XLM-R's 250,002 ids do
not fit in uint16.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Iterable

import numpy as np

from . import files
from .corpus_layout import language_dir

MANIFEST = "manifest.json"
FORMAT = 1
PARTS = ("ids", "paragraphs", "rows")
TOKENIZER_FILE = "tokenizer.json"  # what encodes: its digest is the tokenizer's fingerprint


class TokenShardsError(Exception):
    """A token directory that is missing, incomplete, or made with another tokenizer."""


# The parts of tokenizer.json that decide a text's ids; transformers' save_pretrained rewrites the rest
# (padding, truncation, formatting), so a model's saved tokenizer has the fingerprint of the one it trained with.
_ENCODING = ("normalizer", "pre_tokenizer", "model")


def fingerprint(tokdir: str | Path) -> str:
    """The tokenizer's identity: the SHA-256 of what in its tokenizer.json decides the ids."""
    spec = json.loads(Path(tokdir, TOKENIZER_FILE).read_text(encoding="utf-8"))
    return hashlib.sha256(json.dumps([spec.get(k) for k in _ENCODING], sort_keys=True).encode()).hexdigest()


def shard_name(corpus_shard: str) -> str:
    """`lang=de/part-00000-00000-of-00001` for the corpus shard `.../lang=de/part-00000-00000-of-00001.parquet`."""
    lang_dir, name = corpus_shard.rstrip("/").split("/")[-2:]
    return f"{lang_dir}/{name.removesuffix('.parquet')}"


def shard_file(name: str, part: str) -> str:
    return f"{name}.{part}.npy"


def write_shard(rows: Iterable[list[list[int]]], directory: str | Path, name: str) -> dict:
    """One token shard of `rows` (each a list of paragraphs' token ids) under a local `directory`;
    returns its rows, paragraphs and tokens."""
    row_starts, paragraph_starts, chunks, n_paragraphs, n_tokens = [0], [0], [], 0, 0
    for paragraphs in rows:
        for ids in paragraphs:
            chunks.append(np.asarray(ids, dtype=np.uint32))
            n_tokens += len(ids)
            paragraph_starts.append(n_tokens)
        n_paragraphs += len(paragraphs)
        row_starts.append(n_paragraphs)
    arrays = {"ids": np.concatenate(chunks) if chunks else np.zeros(0, np.uint32),
              "paragraphs": np.asarray(paragraph_starts, dtype=np.int64), "rows": np.asarray(row_starts, np.int64)}
    Path(directory, name).parent.mkdir(parents=True, exist_ok=True)
    for part, array in arrays.items():
        np.save(Path(directory, shard_file(name, part)), array)
    return {"rows": len(row_starts) - 1, "paragraphs": n_paragraphs, "tokens": n_tokens}


class TokenShard:
    """One token shard, memory-mapped (plain ndarray views of the maps: slicing a np.memmap costs a
    subclass object each time)."""

    def __init__(self, directory: Path, name: str):
        self.ids, self.paragraph_starts, self.row_starts = (
            np.load(directory / shard_file(name, part), mmap_mode="r").view(np.ndarray) for part in PARTS)

    @property
    def num_rows(self) -> int:
        return len(self.row_starts) - 1

    def row(self, row: int) -> list[list[int]]:
        """The token ids of each paragraph of row `row`: the row's ids read from the map at once."""
        first, last = int(self.row_starts[row]), int(self.row_starts[row + 1])
        bounds = self.paragraph_starts[first:last + 1].tolist()
        start = bounds[0]
        flat = self.ids[start:bounds[-1]].tolist()
        return [flat[a - start:b - start] for a, b in zip(bounds, bounds[1:])]


class TokenCorpus:
    """A token directory: the corpus's statistics and shards, as `Corpus` gives them for the text."""

    def __init__(self, uri: str, flag: str = "--data"):
        self.uri, self.flag = uri, flag
        if files.is_remote(uri):
            # every rank's every worker would download it: copy it to the node's disk once instead
            raise TokenShardsError(f"{flag} {uri}: token shards are memory-mapped, so they must be on local disk; "
                                   f"copy them to each node once (e.g. gcloud storage cp -r {uri} /mnt/ssd/) and "
                                   "pass that directory")
        try:
            self.root = Path(uri.removeprefix("file://"))
            self.manifest = json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TokenShardsError(f"{flag} {uri}: not an xlmr-tokenizer encode output ({exc})") from exc
        if self.manifest.get("format") != FORMAT:
            raise TokenShardsError(f"{flag} {uri}: token format {self.manifest.get('format')}, this version reads "
                                   f"{FORMAT}; encode the corpus again")

    @property
    def fingerprint(self) -> str:
        return self.manifest["tokenizer"]

    def languages(self) -> dict[str, dict]:
        """Per-language totals of the corpus that was encoded, and its tokens."""
        return self.manifest["languages"]

    def shards(self, lang: str) -> list[str]:
        """The language's token shards by name (lang=<code>/<stem>), in the order of the corpus's shards."""
        return [f"{language_dir(lang)}/{stem}" for stem in sorted(self.manifest["shards"].get(lang, {}))]

    # A reader has one shard of each language open at a time: room for 128 (each map holds a file descriptor).
    @functools.lru_cache(maxsize=128)
    def open(self, name: str) -> TokenShard:
        return TokenShard(self.root, name)


def is_token_dir(uri: str) -> bool:
    return files.exists(files.join(uri, MANIFEST))


def write_manifest(directory: str | Path, manifest: dict) -> None:
    path = Path(directory, MANIFEST)
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")


def paragraph_encoder(tokdir: str | Path):
    """Paragraphs -> token ids without special tokens, with the tokenizer's own Rust backend: what
    both the text path and `xlmr-tokenizer encode` run, so their ids are the same."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(tokdir, TOKENIZER_FILE)))
    return lambda texts: [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
