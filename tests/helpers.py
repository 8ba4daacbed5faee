"""What test modules share besides fixtures: paths to the bundled sample and test data, and small helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pyarrow.dataset as ds

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_WARC = ROOT / "sample" / "sample.warc.gz"
SAMPLE_WET = ROOT / "sample" / "sample.warc.wet.gz"
DATA = Path(__file__).resolve().parent / "data"


def read_corpus(output: Path):
    """(rows sorted by id, stats) of an xlmr-corpus output."""
    # exclude_invalid_files: the dataset card (README.md, PNGs) sits beside the partitions
    table = ds.dataset(str(output), format="parquet", partitioning="hive", exclude_invalid_files=True).to_table()
    rows = sorted(table.to_pylist(), key=lambda r: r["id"])
    stats = json.loads((output / "_stats.json").read_text())
    return rows, stats


def without_source(rows: list[dict]) -> list[dict]:
    """Rows without the column that names where each was read (the same input read another way)."""
    return [{k: v for k, v in r.items() if k != "source"} for r in rows]


BROKEN_RUN_FLAGS = ["--min-chars", "0", "--quality", "off"]  # keep the short pages of the broken files


def train_flags(corpus, tokenizer, out, *extra) -> list[str]:
    """xlmr-train flags for a quick tiny-model run on CPU; `extra` come last and win."""
    return ["--data", str(corpus), "--tokenizer", str(tokenizer), "--output", str(out), "--model", "tiny",
            "--seq-len", "64", "--log-every", "1", "--eval-paragraphs", "20", *map(str, extra)]


# the sample's one near-duplicate pair (the same BBC article, twice; near-dup removes one, paragraph
# dedup the other's repeats without it) and a spam page the quality filters drop
NEAR_DUPLICATES = ("https://sample.invalid/newspaper4k/chinese_article.html",
                   "http://www.bbc.co.uk/zhongwen/simp/chinese_news/2012/12/121210_hongkong_politics.shtml")
SPAM = "http://044545.com/topic/20200207/015849.html"  # "好消息！… 加QQ…": lottery spam


def quarter_of_sample(out: Path, every: int = 4) -> Path:
    """Every `every`-th page of the sample WARC (its request, response and metadata records), and the pages
    the whole run's dedup and quality decisions turn on (NEAR_DUPLICATES, SPAM): the same kinds of
    decision in a quarter of the time."""
    members = warc_members(SAMPLE_WARC)
    pages = list(dict.fromkeys(uri for _, uri in members if uri))  # in file order
    chosen = {uri for i, uri in enumerate(pages) if i % every == 0} | {*NEAR_DUPLICATES, SPAM}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"".join(member for member, uri in members if uri is None or uri in chosen))
    return out


def halves_of_sample(out_dir: Path) -> tuple[Path, Path]:
    """The sample WARC's pages dealt alternately into two files (each with every warcinfo record), the
    near-duplicate pair split between them: the first copy in the first half, the second in the second."""
    members = warc_members(SAMPLE_WARC)
    pages = list(dict.fromkeys(uri for _, uri in members if uri))
    first = {uri for i, uri in enumerate(pages) if i % 2 == 0} - {NEAR_DUPLICATES[1]} | {NEAR_DUPLICATES[0]}
    out_dir.mkdir(parents=True, exist_ok=True)
    halves = out_dir / "a.warc.gz", out_dir / "b.warc.gz"
    halves[0].write_bytes(b"".join(member for member, uri in members if uri is None or uri in first))
    halves[1].write_bytes(b"".join(member for member, uri in members if uri is None or uri not in first))
    return halves


def warc_members(source: Path) -> list[tuple[bytes, str | None]]:
    """Each gzip member (record) of a WARC file: its bytes, and its WARC-Target-URI (None for warcinfo)."""
    from warcio.archiveiterator import ArchiveIterator

    data = source.read_bytes()
    with open(source, "rb") as f:
        iterator = ArchiveIterator(f)
        starts = [(iterator.offset, record.rec_headers.get_header("WARC-Target-URI")) for record in iterator]
    ends = [start for start, _ in starts[1:]] + [len(data)]
    return [(data[start:end], uri) for (start, uri), end in zip(starts, ends)]


def split_warc(source: Path, out_dir: Path, n_files: int, seed: int | None = None) -> list[Path]:
    """Deal the gzip members (records) of a WARC round-robin into n files, optionally shuffled."""
    import random

    members = [member for member, _ in warc_members(source)]
    if seed is not None:
        random.Random(seed).shuffle(members)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"part-{i}.warc.gz" for i in range(n_files)]
    for i, path in enumerate(paths):
        path.write_bytes(b"".join(members[i::n_files]))
    return paths


class ListShuffles:
    """The dedup shuffles (pipeline/dedup/deduplicate.py) on plain lists, in memory: the dedup rules
    tested without an engine. Each group lists its values in input order, as no engine promises."""

    def flat_map(self, label, items, fn):
        return [out for item in items for out in fn(item)]

    def smallest_per_key(self, label, pairs):
        smallest = {}
        for key, value in pairs:
            smallest[key] = min(smallest.get(key, value), value)
        return list(smallest.items())

    def join_by_id(self, label, collections):
        grouped = {}
        for name, pairs in collections.items():
            for doc_id, value in pairs:
                grouped.setdefault(doc_id, {n: [] for n in collections})[name].append(value)
        return list(grouped.items())

    def union(self, label, collections):
        return [item for items in collections for item in items]

    def read_files(self, label, paths, fn):
        return [out for path in paths for out in fn(path)]


class Deduplicated(NamedTuple):
    kept: list  # documents, sorted by id
    removed: list  # near-duplicates, sorted by id
    counts: dict
    index: dict  # {kind: sorted index entries}


def deduplicate_lists(docs, near_dup=None, prior=None) -> Deduplicated:
    """Both dedups on a list; `prior` earlier corpora's index files by kind."""
    from xlmr.pipeline.dedup.deduplicate import NEAR_DUPLICATES, DecideDuplicates, deduplicate
    from xlmr.pipeline.stage import DictCount, Tagged

    dedup = deduplicate(ListShuffles(), docs, near_dup, prior)
    decide, counts = DecideDuplicates(dedup.bands), DictCount()
    decide.bind(counts, counts)
    outputs = [out for element in dedup.joined for out in decide.process(element)]
    kept = [o for o in outputs if not isinstance(o, Tagged)]
    removed = [o.value for o in outputs if isinstance(o, Tagged) and o.tag == NEAR_DUPLICATES]
    return Deduplicated(sorted(kept, key=lambda d: d.id), sorted(removed, key=lambda d: d.id), dict(counts),
                        {kind: sorted(entries) for kind, entries in dedup.index.items()})


def run_job(argv: list[str], **kwargs):
    """xlmr-corpus's `run` on one in-process Beam worker unless a test asks for more: the suite's test
    processes already run side by side (pytest-xdist), so worker processes would only compete for the cores.
    No dataset card unless the test asks for it (`--card on`): its plots cost seconds a run, and the card
    is checked on the runs that keep it."""
    from xlmr.pipeline.job import run

    if not any(arg.startswith("--direct_num_workers") for arg in argv):
        argv = [*argv, "--direct_num_workers", "1"]
    if "--card" not in argv:
        argv = [*argv, "--card", "off"]
    return run(argv, **kwargs)


def kill_after_first_part(argv: list[str], output: Path, timeout: float = 120) -> None:
    """xlmr-corpus `argv` (a run of several parts) in a child process, SIGKILLed once its first part has
    committed and before its last has: a real run killed mid-run, as a machine's crash kills one."""
    import signal
    import subprocess
    import sys
    import time

    child = subprocess.Popen([sys.executable, "-m", "xlmr.pipeline", *argv], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while not (output / "_parts" / "part-00000.json").exists():
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            raise AssertionError(f"the run ended before its first part committed: {child.stderr.read()[-2000:]}")
        time.sleep(0.05)
    time.sleep(0.3)  # into the next part's job
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not (output / "_SUCCESS").exists(), "the run finished before it was killed"


def corpus_files(corpus: Path) -> dict[str, bytes]:
    """Each shard's and index file's path in `corpus`, with the index files' bytes (shards hold timestamps
    that differ between runs only in Parquet's metadata, so their rows are compared by read_corpus)."""
    return {p.relative_to(corpus).as_posix(): p.read_bytes() if p.parts[-3] == "_index" else b""
            for pattern in ("lang=*/*.parquet", "_index/*/*.parquet") for p in sorted(corpus.glob(pattern))}


def write_arpa(sentences: list[list[str]], path: Path, order: int = 2, discount: float = 0.5) -> None:
    """An n-gram ARPA model of `sentences` (lists of tokens), interpolated absolute discounting: a small
    real KenLM model for tests and benchmarks (kenlm reads ARPA as it is; PyPI's kenlm cannot train,
    having no lmplz). p(w | h) = max(c(h w) - D, 0) / c(h .) + b(h) * p(w | h'), h' being h without its
    first token, down to p(w) = c(w) / N over the tokens and </s>; each context's backoff weight is
    b(h) = D * N1+(h .) / c(h .). Every prefix and suffix of a counted n-gram is counted too, as ARPA needs."""
    import collections
    import math

    grams = [collections.Counter() for _ in range(order + 1)]  # grams[k]: k-gram counts
    for tokens in sentences:
        padded = ["<s>", *tokens, "</s>"]
        for k in range(1, order + 1):
            grams[k].update(tuple(padded[i:i + k]) for i in range(len(padded) - k + 1))
    del grams[1][("<s>",)]  # never predicted
    total = sum(grams[1].values())
    contexts, followers = collections.Counter(), collections.Counter()  # c(h .), N1+(h .)
    for k in range(2, order + 1):
        for gram, c in grams[k].items():
            contexts[gram[:-1]] += c
            followers[gram[:-1]] += 1

    def backoff(h):
        return discount * followers[h] / contexts[h] if contexts[h] else 1.0

    prob = {gram: c / total for gram, c in grams[1].items()}
    for k in range(2, order + 1):
        for gram, c in grams[k].items():
            h = gram[:-1]
            prob[gram] = (c - discount) / contexts[h] + backoff(h) * prob[gram[1:]]
    unk_p = min(prob[g] for g in grams[1]) / 2

    def entry(gram):
        text = f"{math.log10(prob[gram]):.6f}\t{' '.join(gram)}"
        return text if len(gram) == order or gram == ("</s>",) else f"{text}\t{math.log10(backoff(gram)):.6f}"

    lines = ["\\data\\", f"ngram 1={len(grams[1]) + 2}",
             *(f"ngram {k}={len(grams[k])}" for k in range(2, order + 1)), "", "\\1-grams:",
             f"{math.log10(unk_p):.6f}\t<unk>\t0", f"-99\t<s>\t{math.log10(backoff(('<s>',))):.6f}",
             *(entry(g) for g in sorted(grams[1]))]
    for k in range(2, order + 1):
        lines += ["", f"\\{k}-grams:", *(entry(g) for g in sorted(grams[k]))]
    lines += ["", "\\end\\", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_lm_models(texts: dict[str, list[str]], out: Path, vocab_size: int = 300, order: int = 2) -> Path:
    """CCNet's layout for each language of `texts`: <lang>.sp.model, a SentencePiece model trained on them,
    and <lang>.arpa, an n-gram model of their pieces after CCNet's normalisation (write_arpa)."""
    import sentencepiece

    from xlmr.pipeline.filters.perplexity import normalize_for_lm

    out.mkdir(parents=True, exist_ok=True)
    for lang, docs in texts.items():
        lines = [normalize_for_lm(line) for doc in docs for line in doc.split("\n") if line.strip()]
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(lines), model_prefix=str(out / f"{lang}.sp"), vocab_size=vocab_size,
            model_type="unigram", character_coverage=1.0, hard_vocab_limit=False, minloglevel=2)
        (out / f"{lang}.sp.vocab").unlink()
        sp = sentencepiece.SentencePieceProcessor(model_file=str(out / f"{lang}.sp.model"))
        write_arpa([sp.encode_as_pieces(normalize_for_lm(doc)) for doc in docs], out / f"{lang}.arpa", order)
    return out


def bench_module(name: str):
    """bench/NAME.py imported as a module (bench/ is scripts, not a package)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there while the class is made
    spec.loader.exec_module(module)
    return module
