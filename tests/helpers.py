"""What test modules share besides fixtures: paths to the bundled sample and test data, and small helpers."""

from __future__ import annotations

import json
from pathlib import Path

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


def split_warc(source: Path, out_dir: Path, n_files: int, seed: int | None = None) -> list[Path]:
    """Deal the gzip members (records) of a WARC round-robin into n files, optionally shuffled."""
    import random

    from warcio.archiveiterator import ArchiveIterator

    data = source.read_bytes()
    with open(source, "rb") as f:
        iterator = ArchiveIterator(f)
        offsets = [iterator.offset for _ in iterator] + [len(data)]
    members = [data[a:b] for a, b in zip(offsets, offsets[1:])]
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


def deduplicate_lists(docs, near_dup=None):
    """(kept documents sorted by id, near-duplicates sorted by id, counts) of both dedups on a list."""
    from xlmr.pipeline.dedup.deduplicate import NEAR_DUPLICATES, DecideDuplicates, deduplicate
    from xlmr.pipeline.stage import DictCount, Tagged

    joined, bands = deduplicate(ListShuffles(), docs, near_dup)
    decide, counts = DecideDuplicates(bands), DictCount()
    decide.bind(counts, counts)
    outputs = [out for element in joined for out in decide.process(element)]
    kept = [o for o in outputs if not isinstance(o, Tagged)]
    removed = [o.value for o in outputs if isinstance(o, Tagged) and o.tag == NEAR_DUPLICATES]
    return sorted(kept, key=lambda d: d.id), sorted(removed, key=lambda d: d.id), dict(counts)


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
