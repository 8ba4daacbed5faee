"""Tokenizer stage: sampling throughput, SentencePiece feed modes, and training cost by size.

1. Sampling: paragraphs/s of the α-sampler (`draw`, streaming row groups,
   held-out split, Algorithm S) against a plain pyarrow scan that reads the
   same `text` columns and splits paragraphs, side by side; printed as a ratio.
2. Feed modes, same drawn sample, at both sample sizes: SentencePiece fed (a) by `sentence_iterator`
   with repeats as repeated sentences, (b) a local file with repeated lines,
   (c) a local TSV of distinct paragraphs with counts (what xlmr-tokenizer does).
3. Training wall time and peak memory (max RSS of a fresh child process) at two
   sample sizes x two vocabulary sizes, with TSV input.

The corpus is the bundled sample run through xlmr-corpus (built once under
--work-dir). Run from the repository root:

    .venv/bin/python bench/bench_tokenizer.py
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
RESULT = "BENCH_RESULT "


def build_corpus(work_dir: Path) -> Path:
    corpus = work_dir / "corpus"
    if not (corpus / "_SUCCESS").exists():
        from xlmr.pipeline.job import run

        run(["--input", str(REPO / "sample" / "sample.warc.gz"), str(REPO / "sample" / "sample.warc.wet.gz"),
             "--output", str(corpus), "--overwrite"])
    return corpus


def draw_all(corpus_dir: Path, sentences: int, seed: int = 0) -> list[tuple[str, int]]:
    from xlmr.common.corpus_reader import Corpus
    from xlmr.tokenizer.sampler import draw, make_plan

    corpus = Corpus(str(corpus_dir))
    sizes = {lang: s["paragraphs"] for lang, s in corpus.languages().items()}
    plans = make_plan(sizes, sentences, 0.3, heldout=20)
    return [pair for p in plans for pair in draw(corpus, p, seed, [], lambda n: None)]


def plain_scan(corpus_dir: Path) -> int:
    """The floor: read every `text` value row group by row group and split paragraphs."""
    paragraphs = 0
    for path in sorted(corpus_dir.glob("lang=*/*.parquet")):
        parquet = pq.ParquetFile(path)
        for group in range(parquet.num_row_groups):
            for text in parquet.read_row_group(group, columns=["text"]).column("text").to_pylist():
                paragraphs += len(text.split("\n"))
    return paragraphs


def bench_sampling(corpus_dir: Path, repeat: int, passes: int = 20) -> dict:
    """Paragraphs read per second, `passes` passes over the corpus: the sampler at
    alpha 0.3 drawing as many paragraphs as there are vs a plain scan (best of `repeat`)."""
    total = json.loads((corpus_dir / "_stats.json").read_text())["totals"]["paragraphs"]
    rows = {}
    for name, fn in (("plain pyarrow scan", lambda: plain_scan(corpus_dir)),
                     ("alpha sampler (draw)", lambda: draw_all(corpus_dir, total))):
        best = min(_timed(lambda: [fn() for _ in range(passes)]) for _ in range(repeat))
        rows[name] = {"paragraphs": total * passes, "seconds": best, "per_s": total * passes / best}
    return rows


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def child(argv: list[str]) -> None:
    """Train once in this process: MODE VOCAB SENTENCES CORPUS; print seconds and max RSS."""
    from xlmr.tokenizer.spm_train import train, write_tsv

    mode, vocab, sentences, corpus_dir = argv[0], int(argv[1]), int(argv[2]), Path(argv[3])
    pairs = draw_all(corpus_dir, sentences)
    repeated = (text for text, n in pairs for _ in range(n))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        if mode == "iterator":
            source = {"sentence_iterator": repeated}
        elif mode == "lines":
            path = os.path.join(tmp, "s.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(text + "\n" for text in repeated)
            source = {"input": path}
        else:
            path = os.path.join(tmp, "s.tsv")
            write_tsv(pairs, path)
            source = {"input": path, "input_format": "tsv"}
        train(source, os.path.join(tmp, "m"), vocab, sentences)
        seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(RESULT + json.dumps({"seconds": seconds, "max_rss_mb": rss_mb}), flush=True)


def run_child(mode: str, vocab: int, sentences: int, corpus_dir: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(vocab), str(sentences), str(corpus_dir)],
                         capture_output=True, text=True, cwd=REPO)
    lines = [l for l in out.stdout.splitlines() if l.startswith(RESULT)]
    if out.returncode or not lines:
        sys.exit(out.stdout[-2000:] + out.stderr[-2000:])
    return {"mode": mode, "vocab": vocab, "sentences": sentences, **json.loads(lines[-1][len(RESULT):])}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--work-dir", type=Path, default=REPO / "bench" / "out" / "tokenizer", metavar="DIR",
                        help="where the sample corpus is built")
    parser.add_argument("--repeat", type=int, default=3, help="sampling timings: best of R")
    parser.add_argument("--sizes", type=int, nargs=2, default=[5000, 20000], metavar="N",
                        help="two sample sizes (paragraphs drawn) for the feed modes and the cost grid")
    parser.add_argument("--vocabs", type=int, nargs=2, default=[4000, 8000], metavar="V",
                        help="two vocabulary sizes for the training cost grid")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the results to PATH")
    args = parser.parse_args(argv)
    corpus_dir = build_corpus(args.work_dir)

    sampling = bench_sampling(corpus_dir, args.repeat)
    print(f"{'sampling':<24}{'paragraphs':>11}{'seconds':>9}{'par/s':>10}")
    for name, r in sampling.items():
        print(f"{name:<24}{r['paragraphs']:>11}{r['seconds']:>9.3f}{r['per_s']:>10,.0f}")
    ratio = sampling["alpha sampler (draw)"]["per_s"] / sampling["plain pyarrow scan"]["per_s"]
    print(f"ratio sampler / plain scan: {ratio:.2f}\n")

    feeds = [run_child(mode, args.vocabs[1], n, corpus_dir) for n in args.sizes for mode in ("iterator", "lines", "tsv")]
    print(f"{'feed mode':<12}{'paragraphs':>11}{'seconds':>9}{'max RSS MB':>12}   (vocab {args.vocabs[1]})")
    for r in feeds:
        print(f"{r['mode']:<12}{r['sentences']:>11}{r['seconds']:>9.2f}{r['max_rss_mb']:>12.0f}")
    for i, n in enumerate(args.sizes):
        iterator, tsv = feeds[3 * i]["seconds"], feeds[3 * i + 2]["seconds"]
        print(f"speed ratio tsv / iterator at {n} paragraphs: {iterator / tsv:.2f}")
    print()

    grid = [run_child("tsv", v, n, corpus_dir) for n in args.sizes for v in args.vocabs]
    print(f"{'paragraphs':>10}{'vocab':>7}{'seconds':>9}{'max RSS MB':>12}")
    for r in grid:
        print(f"{r['sentences']:>10}{r['vocab']:>7}{r['seconds']:>9.2f}{r['max_rss_mb']:>12.0f}")
    if args.json:
        args.json.write_text(json.dumps({"sampling": sampling, "feeds": feeds, "grid": grid}, indent=2))


if __name__ == "__main__":
    main()
