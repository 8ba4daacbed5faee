"""`xlmr-tokenizer encode`: a corpus through the trained tokenizer once, into token shards
(common/token_shards.py) that `xlmr-train --data TOK` reads at memory speed.

Shards are encoded in parallel, one process a core (each with the tokenizer's own Rust encoder,
single-threaded, on a batch of rows' paragraphs at a time), written locally and, for a gs:// or
s3:// output, uploaded. The manifest is written last. Encoding again into the same TOK encodes
only the corpus shards it lacks, such as a corpus grown by `xlmr-corpus --append`; a TOK made
with another tokenizer is refused.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import time

from xlmr.common import files
from xlmr.common.corpus_reader import Corpus, CorpusError
from xlmr.common.token_shards import (FORMAT, MANIFEST, fingerprint, paragraph_encoder, shard_name, write_manifest,
                                      write_shard)

_worker: dict = {}  # per pool process: the corpus, the encoder, where shards go
BATCH_ROWS = 2000  # rows (documents) encoded together: the corpus shards' row group


def _start(corpus_uri: str, tokdir: str, out: str) -> None:
    os.environ["TOKENIZERS_PARALLELISM"] = "false"  # a process a core already
    _worker.update(corpus=Corpus(corpus_uri), encode=paragraph_encoder(tokdir), out=out)


def _encode(shard: str) -> tuple[str, dict]:
    """One corpus shard -> its token shard; (name, its rows, paragraphs and tokens)."""
    corpus, encode = _worker["corpus"], _worker["encode"]

    def rows():
        texts = (text for _, text in corpus.texts(shard))
        # a batch of rows at a time: the whole shard's text would be held at once otherwise
        while batch := [text.split("\n") for text in itertools.islice(texts, BATCH_ROWS)]:
            ids = iter(encode([p for paragraphs in batch for p in paragraphs]))
            for paragraphs in batch:
                yield [next(ids) for _ in paragraphs]

    name, started = shard_name(shard), time.perf_counter()
    counts = write_shard(rows(), _worker["out"], name)
    # the source's size tells a later run whether the shard changed; the seconds, the cost per core
    return name, {**counts, "source_bytes": corpus.fs.size(shard), "seconds": round(time.perf_counter() - started, 4)}


def encode_corpus(corpus_uri: str, tokdir: str, output: str, workers: int | None = None,
                  progress=lambda done, total: None) -> dict:
    """Encode every shard of the corpus that `output`'s manifest lacks; returns the new manifest.
    `tokdir` is a local tokenizer directory. Raises CorpusError for a TOK made with another tokenizer."""
    corpus = Corpus(corpus_uri)
    tokenizer = fingerprint(tokdir)
    manifest_uri = files.join(output, MANIFEST)
    old = json_or_none(manifest_uri)
    if old and old.get("tokenizer") != tokenizer:
        raise CorpusError(f"--output {output} holds token shards of another tokenizer: choose another --output "
                          "(or delete it) to encode with this one")
    shards = (old or {}).get("shards", {})
    # a shard encoded before is skipped when its source has the same size (a rebuilt corpus reuses names)
    todo = [path for lang in corpus.languages() for path in corpus.shards(lang)
            if shards.get(lang, {}).get(shard_name(path).split("/")[1], {}).get("source_bytes") != corpus.fs.size(path)]
    started = time.perf_counter()
    with files.local_output(output) as out:
        if todo:
            context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
            with context.Pool(min(workers or os.cpu_count() or 1, len(todo)), _start,
                              (corpus_uri, str(tokdir), str(out))) as pool:
                for done, (name, counts) in enumerate(pool.imap_unordered(_encode, todo), start=1):
                    lang_dir, stem = name.split("/")
                    shards.setdefault(lang_dir.removeprefix("lang="), {})[stem] = counts
                    progress(done, len(todo))
        languages = {lang: {**stats, "tokens": sum(s["tokens"] for s in shards.get(lang, {}).values())}
                     for lang, stats in corpus.languages().items()}
        manifest = {"format": FORMAT, "tokenizer": tokenizer, "corpus": corpus_uri, "languages": languages,
                    "shards": {lang: dict(sorted(s.items())) for lang, s in sorted(shards.items())},
                    "encoded": {"shards": len(todo), "seconds": round(time.perf_counter() - started, 1)}}
        write_manifest(out, manifest)
    return manifest


def json_or_none(uri: str) -> dict | None:
    return json.loads(files.read_text(uri)) if files.exists(uri) else None
