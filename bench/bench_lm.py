"""The language-model stage's cost (CCNet's perplexity filter, `--lm-models`) on the realistic input.

1. The realistic input (bench/realistic_input.py: ~2,800 distinct pages, 20+ languages) through
   `xlmr-corpus` without models: the documents the stage would see, and their languages.
2. Models in CCNet's layout for the languages with the most documents: SentencePiece (unigram,
   --vocab pieces) trained on their text and a 5-gram ARPA model of the pieces (CCNet's order;
   tests/helpers.write_arpa, as PyPI's KenLM cannot train). CCNet's own models are 65,536 pieces and
   5-grams of up to 1M Wikipedia documents: far larger files, so KenLM's look-ups miss the CPU
   caches more often than here. This measures the stage's work per page (normalisation,
   SentencePiece, KenLM calls), not a multi-GB model's memory latency.
3. Per page, in this process: each of the three steps and the whole stage, ms per document.
4. Side by side, each in a fresh subprocess, alternating: the job with and without
   `--lm-models DIR --lm-filter off`, one worker (in-process, so the process is the worker): wall
   time, its ratio, and the worker's peak resident memory.

    .venv/bin/python bench/bench_lm.py [--repeat 3] [--languages 4] [--vocab 8000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the ARPA writer the tests use

import realistic_input  # noqa: E402  (bench/ is on sys.path when this script runs)
from job_child import job_flags, output_arguments, run_job  # noqa: E402


def texts_by_language(corpus: Path) -> dict[str, list[str]]:
    import pyarrow.dataset as ds

    table = ds.dataset(corpus, format="parquet", partitioning="hive").to_table(columns=["lang", "text"])
    out: dict[str, list[str]] = {}
    for lang, text in zip(table["lang"].to_pylist(), table["text"].to_pylist()):
        out.setdefault(lang, []).append(text)
    return dict(sorted(out.items(), key=lambda kv: -len(kv[1])))


def per_page(texts: dict[str, list[str]], models: Path) -> dict:
    """ms per document of each step, over every document of the modelled languages, and per 1,000 characters."""
    from xlmr.pipeline.filters.perplexity import ModelFiles, load_models, normalize_for_lm, perplexity

    steps = {"normalise": 0.0, "sentencepiece": 0.0, "kenlm": 0.0, "stage": 0.0}
    docs = chars = pieces = 0
    for lang, docs_of in texts.items():
        sp, lm = load_models(ModelFiles(str(models / f"{lang}.sp.model"), str(models / f"{lang}.arpa")))
        normalize_for_lm("warm up the translation table")
        for text in docs_of:
            t0 = time.perf_counter()
            normal = normalize_for_lm(text)
            t1 = time.perf_counter()
            line = " ".join(sp.encode_as_pieces(normal))
            t2 = time.perf_counter()
            lm.score(line)
            t3 = time.perf_counter()
            perplexity(text, sp, lm)
            t4 = time.perf_counter()
            steps["normalise"] += t1 - t0
            steps["sentencepiece"] += t2 - t1
            steps["kenlm"] += t3 - t2
            steps["stage"] += t4 - t3
            docs, chars, pieces = docs + 1, chars + len(text), pieces + line.count(" ") + 1
    return {"documents": docs, "chars_per_doc": chars / docs, "pieces_per_doc": pieces / docs,
            **{f"{k}_ms_per_doc": v * 1000 / docs for k, v in steps.items()},
            "stage_ms_per_1k_chars": steps["stage"] * 1e6 / chars}


def model_load(models: Path, languages: list[str]) -> dict:
    """A fresh process's resident memory before and after loading the languages' models, and their size."""
    code = ("import resource, sys, json\n"
            "from pathlib import Path\n"
            "from xlmr.pipeline.filters.perplexity import ModelFiles, load_models\n"
            "def rss(): return int(open('/proc/self/statm').read().split()[1]) * resource.getpagesize() / 2**20\n"
            "before = rss()\n"
            "d = Path(sys.argv[1])\n"
            "for lang in sys.argv[2:]: load_models(ModelFiles(str(d / f'{lang}.sp.model'), str(d / f'{lang}.arpa')))\n"
            "print(json.dumps({'rss_before_mb': before, 'rss_after_mb': rss()}))\n")
    out = subprocess.run([sys.executable, "-c", code, str(models), *languages], capture_output=True, text=True,
                         check=True)
    result = json.loads(out.stdout)
    result["model_files_mb"] = sum((models / f"{lang}{suffix}").stat().st_size
                                   for lang in languages for suffix in (".sp.model", ".arpa")) / 2**20
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each job configuration, alternating")
    parser.add_argument("--languages", type=int, default=4, help="model this many languages (most documents first)")
    parser.add_argument("--vocab", type=int, default=8000, help="SentencePiece pieces of each model")
    parser.add_argument("--order", type=int, default=5, help="n-gram order (CCNet's: 5)")
    output_arguments(parser)
    args = parser.parse_args(argv)

    from helpers import write_lm_models

    inputs = realistic_input.build(args.work_dir / "realistic")
    with tempfile.TemporaryDirectory(dir=args.work_dir) as tmp:
        tmp = Path(tmp)
        plain = run_job(job_flags(inputs, tmp / "plain"))
        texts = texts_by_language(tmp / "plain")
        modelled = dict(list(texts.items())[:args.languages])
        start = time.perf_counter()
        write_lm_models(modelled, tmp / "lm", vocab_size=args.vocab, order=args.order)
        print(f"models: {', '.join(f'{k} ({len(v)} docs)' for k, v in modelled.items())}, {args.vocab} pieces, "
              f"order {args.order}, built in {time.perf_counter() - start:.0f}s; "
              f"{sum(len(v) for v in texts.values())} documents in {len(texts)} languages in all")
        steps = per_page(modelled, tmp / "lm")
        memory = model_load(tmp / "lm", list(modelled))
        runs = {"plain": [plain], "lm": []}
        for i in range(args.repeat):
            runs["lm"].append(run_job(job_flags(inputs, tmp / "lm-out", "--lm-models", str(tmp / "lm"),
                                                  "--lm-filter", "off")))
            if i + 1 < args.repeat:
                runs["plain"].append(run_job(job_flags(inputs, tmp / "plain")))

    wall = {k: statistics.median(r["wall_s"] for r in v) for k, v in runs.items()}
    rss = {k: max(r["max_rss_mb"] for r in v) for k, v in runs.items()}
    pages = plain["pages"]
    print(f"\nper document of the {steps['documents']} in the modelled languages "
          f"({steps['chars_per_doc']:.0f} characters, {steps['pieces_per_doc']:.0f} pieces on average):")
    for name in ("normalise", "sentencepiece", "kenlm", "stage"):
        print(f"  {name:<14}{steps[f'{name}_ms_per_doc']:8.3f} ms")
    print(f"  stage per 1,000 characters: {steps['stage_ms_per_1k_chars']:.3f} ms")
    print(f"\nthe job, 1 worker, median of {args.repeat} (plain) / {args.repeat} (with models), "
          f"{pages} pages read, {plain['documents']} documents written:")
    print(f"  plain          {wall['plain']:7.1f} s  {wall['plain'] * 1000 / pages:6.2f} ms/page  "
          f"peak RSS {rss['plain']:6.0f} MB")
    print(f"  --lm-models    {wall['lm']:7.1f} s  {wall['lm'] * 1000 / pages:6.2f} ms/page  "
          f"peak RSS {rss['lm']:6.0f} MB")
    print(f"  ratio          {wall['lm'] / wall['plain']:7.3f}x;  stage's share at {steps['stage_ms_per_doc']:.2f} "
          f"ms/doc: {steps['stage_ms_per_doc'] * steps['documents'] / 1000 / wall['plain']:.1%} of the plain run")
    print(f"\nmodels of {len(modelled)} languages: {memory['model_files_mb']:.1f} MB of files; a fresh process "
          f"{memory['rss_before_mb']:.0f} MB -> {memory['rss_after_mb']:.0f} MB once loaded "
          f"(+{memory['rss_after_mb'] - memory['rss_before_mb']:.0f} MB)")
    if args.json:
        args.json.write_text(json.dumps({"steps": steps, "memory": memory, "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
