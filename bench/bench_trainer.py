"""Trainer stage: tokens/s of xlmr-train against a plain transformers loop doing the same work.

1. End to end, CPU, tiny model, sequences of 512: `xlmr-train` (streaming
   shards, one dataloader worker, our masking, sparse LM head) against a plain
   loop with transformers' `DataCollatorForLanguageModeling` and
   `XLMRobertaForMaskedLM(labels=...)` (the full-vocabulary head), fed the same
   packed sequences from memory (its data costs nothing: favourable to it).
   Same model, batch, optimizer (AdamW, clipping, linear schedule), fp32.
   Each run is a fresh subprocess; runs alternate; tokens/s over the second
   half of the steps (the first half warms up).
2. One training step only, in this process, at two vocabulary sizes (the
   sample tokenizer's 8,002 and XLM-R's 250,002): masking + forward + backward
   + AdamW, ours (sparse head) against the transformers collator + full head.
3. The data loader, one worker on one core, packed sequences of 512 from the
   UDHR corpus and XLM-R's 250,002-piece vocabulary (bench/gpu_check.py's
   inputs): the text path (Parquet, tokenised as read) against the token path
   (`xlmr-tokenizer encode` once, then mapped ids), each in a fresh process,
   alternating; the encoding's own cost (tokens/s on one core, bytes a token);
   and a token reader's memory as the corpus grows (its shards repeated 1, 8
   and 64 times under new names): anonymous resident memory, and the mapped
   file pages, which the page cache holds and can drop.

Run from the repository root (builds the sample corpus and tokenizer under --work-dir once):

    .venv/bin/python bench/bench_trainer.py
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from bench_tokenizer import REPO, RESULT, build_corpus


def build_tokenizer(work_dir: Path, corpus: Path) -> Path:
    tokdir = work_dir / "tokenizer"
    if not (tokdir / "tokenizer.json").exists():
        from xlmr.tokenizer.cli import run

        run(["--corpus", str(corpus), "--output", str(tokdir), "--vocab-size", "8000", "--sentences", "20000"])
    return tokdir


def packed_batches(corpus: Path, tokdir: Path, n: int, batch: int, seq_len: int) -> list[torch.Tensor]:
    from transformers import AutoTokenizer

    from xlmr.common.corpus_reader import select_languages
    from xlmr.trainer.dataset import PackedStream
    from xlmr.trainer.sources import open_source

    tok = AutoTokenizer.from_pretrained(tokdir)
    sizes = select_languages(open_source(str(corpus), str(tokdir)), [])
    stream = PackedStream(str(corpus), str(tokdir), sizes, alpha=0.3,
                          length=seq_len, bos=tok.bos_token_id, eos=tok.eos_token_id, heldout=500, seed=0)
    sequences = [ids for (ids, _), _ in zip(stream.read(0), range(n * batch))]
    return [torch.stack(sequences[i:i + batch]) for i in range(0, len(sequences), batch)]


def _model(vocab_size: int, tokdir: Path):
    from transformers import AutoTokenizer, XLMRobertaForMaskedLM

    from xlmr.trainer.presets import model_config

    config = model_config("tiny", AutoTokenizer.from_pretrained(tokdir))
    config.vocab_size = vocab_size
    torch.manual_seed(0)
    return XLMRobertaForMaskedLM(config)


def _optimizer(model, steps: int):
    from xlmr.trainer.optim import build_optimizer, linear_schedule

    optimizer = build_optimizer(model, 6e-4, 0.01, fused=False)
    return optimizer, linear_schedule(optimizer, max(1, steps // 10), steps)


def baseline_child(corpus: Path, tokdir: Path, steps: int, batch: int, seq_len: int) -> None:
    """The plain transformers loop; prints tokens/s over the second half of the steps."""
    from transformers import AutoTokenizer, DataCollatorForLanguageModeling

    tokenizer = AutoTokenizer.from_pretrained(tokdir)
    data = packed_batches(corpus, tokdir, steps, batch, seq_len)
    model = _model(len(tokenizer), tokdir)
    optimizer, scheduler = _optimizer(model, steps)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15, return_tensors="pt")
    model.train()
    for step, ids in enumerate(data):
        if step == steps // 2:
            start = time.perf_counter()
        inputs = collator([{"input_ids": row} for row in ids])
        loss = model(input_ids=inputs["input_ids"], labels=inputs["labels"]).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
    seconds = time.perf_counter() - start
    print(RESULT + json.dumps({"tokens_per_s": (steps - steps // 2) * batch * seq_len / seconds}), flush=True)


def run_ours(corpus: Path, tokdir: Path, out: Path, steps: int, batch: int, seq_len: int) -> float:
    out.mkdir(parents=True, exist_ok=True)
    run = subprocess.run([sys.executable, "-m", "xlmr.trainer", "--data", str(corpus), "--tokenizer", str(tokdir),
                          "--output", str(out), "--model", "tiny", "--max-steps", str(steps),
                          "--warmup", str(max(1, steps // 10)), "--batch-size", str(batch), "--seq-len", str(seq_len),
                          "--workers", "1", "--log-every", str(steps - steps // 2), "--save-every", str(steps),
                          "--eval-every", "0", "--eval-sequences", "1", "--precision", "fp32", "--overwrite"],
                         capture_output=True, text=True, cwd=REPO)
    if run.returncode:
        sys.exit(run.stderr[-3000:])
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return [r for r in records if r.get("event") == "train"][-1]["tokens_per_s"]


def run_baseline(corpus: Path, tokdir: Path, steps: int, batch: int, seq_len: int) -> float:
    run = subprocess.run([sys.executable, __file__, "--baseline-child", str(corpus), str(tokdir), str(steps),
                          str(batch), str(seq_len)], capture_output=True, text=True, cwd=REPO)
    lines = [line for line in run.stdout.splitlines() if line.startswith(RESULT)]
    if run.returncode or not lines:
        sys.exit(run.stdout[-2000:] + run.stderr[-3000:])
    return json.loads(lines[-1][len(RESULT):])["tokens_per_s"]


def bench_steps(corpus: Path, tokdir: Path, vocab_size: int, batch: int, seq_len: int, repeat: int) -> dict:
    """Seconds per step (median of `repeat` x 5 steps after 2 warm-up steps), ours vs transformers'."""
    from transformers import AutoTokenizer, DataCollatorForLanguageModeling

    from xlmr.trainer.masking import Vocabulary, mask_tokens
    from xlmr.trainer.sparse_mlm import SparseMaskedLM

    tokenizer = AutoTokenizer.from_pretrained(tokdir)
    data = packed_batches(corpus, tokdir, 7, batch, seq_len)
    vocab = Vocabulary.of(tokenizer)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15, return_tensors="pt")
    generator = torch.Generator().manual_seed(0)

    def ours(model):
        sparse = SparseMaskedLM(model)
        return lambda ids: sparse(*mask_tokens(ids, vocab, generator))

    def theirs(model):
        def step(ids):
            inputs = collator([{"input_ids": row} for row in ids])
            return model(input_ids=inputs["input_ids"], labels=inputs["labels"]).loss
        return step

    timings = {"ours (sparse head)": [], "transformers (collator, full head)": []}
    for _ in range(repeat):
        for name, make in zip(timings, (ours, theirs)):
            model = _model(vocab_size, tokdir)
            optimizer, _ = _optimizer(model, 100)
            loss_of = make(model)
            for i, ids in enumerate(data):
                if i == 2:
                    start = time.perf_counter()
                loss_of(ids).backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            timings[name].append((time.perf_counter() - start) / (len(data) - 2))
    return {name: statistics.median(t) for name, t in timings.items()}


def loader_child(data: str, tokdir: str, seq_len: int, seconds: float) -> None:
    """One reader's tokens/s over `seconds` after 50 sequences of warm-up, and its memory (MB)."""
    from xlmr.common.corpus_reader import select_languages
    from xlmr.trainer.dataset import PackedStream
    from xlmr.trainer.sources import open_source

    stream = PackedStream(data, tokdir, select_languages(open_source(data, tokdir), []), alpha=0.3, length=seq_len,
                          bos=0, eos=2, heldout=0, seed=0).read(0)
    for _ in range(50):
        next(stream)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        next(stream)
        n += 1
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    memory = {key: int(status[key].split()[0]) / 1024 for key in ("RssAnon", "RssFile")}
    print(RESULT + json.dumps({"tokens_per_s": n * seq_len / (time.perf_counter() - start), **memory}), flush=True)


def run_loader(data: Path, tokdir: Path, seq_len: int, seconds: float) -> dict:
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}  # one core, as a worker has
    run = subprocess.run([sys.executable, __file__, "--loader-child", str(data), str(tokdir), str(seq_len),
                          str(seconds)], capture_output=True, text=True, cwd=REPO, env=env)
    lines = [line for line in run.stdout.splitlines() if line.startswith(RESULT)]
    if run.returncode or not lines:
        sys.exit(run.stdout[-2000:] + run.stderr[-3000:])
    return json.loads(lines[-1][len(RESULT):])


def repeated_shards(tokens: Path, out: Path, times: int) -> Path:
    """A token directory whose every shard appears `times` times (links to the same files, new names),
    its paragraph counts scaled to match: a corpus `times` as large to a reader."""
    manifest = json.loads((tokens / "manifest.json").read_text())
    shutil.rmtree(out, ignore_errors=True)
    shards = {}
    for lang, stems in manifest["shards"].items():
        (out / f"lang={lang}").mkdir(parents=True)
        shards[lang] = {}
        for stem, counts in stems.items():
            for i in range(times):
                for part in ("ids", "paragraphs", "rows"):
                    os.link(tokens / f"lang={lang}" / f"{stem}.{part}.npy", out / f"lang={lang}" / f"{stem}-{i:03d}.{part}.npy")
                shards[lang][f"{stem}-{i:03d}"] = counts
    languages = {lang: {**s, "paragraphs": s["paragraphs"] * times} for lang, s in manifest["languages"].items()}
    (out / "manifest.json").write_text(json.dumps({**manifest, "shards": shards, "languages": languages}))
    return out


def bench_loader(work_dir: Path, repeat: int, seq_len: int, seconds: float) -> dict:
    from gpu_check import build_corpus as udhr_corpus
    from gpu_check import build_tokenizer as widened_tokenizer

    from xlmr.tokenizer.encode import encode_corpus

    corpus = udhr_corpus(work_dir / "udhr-corpus")
    tokdir = widened_tokenizer(corpus, work_dir / "tokenizer-udhr-250k")
    tokens = work_dir / "udhr-tokens"
    shutil.rmtree(tokens, ignore_errors=True)
    manifest = encode_corpus(str(corpus), str(tokdir), str(tokens), workers=1)
    n_tokens = sum(lang["tokens"] for lang in manifest["languages"].values())
    worker_seconds = sum(s["seconds"] for shards in manifest["shards"].values() for s in shards.values())
    encode = {"tokens": n_tokens, "seconds": worker_seconds, "wall_seconds": manifest["encoded"]["seconds"],
              "tokens_per_s_per_core": n_tokens / worker_seconds,
              "bytes_per_token": sum(f.stat().st_size for f in tokens.rglob("*.npy")) / n_tokens,
              "text_bytes_per_token": sum(s["bytes"] for s in manifest["languages"].values()) / n_tokens}
    runs = {"text": [], "tokens": []}
    for _ in range(repeat):
        runs["text"].append(run_loader(corpus, tokdir, seq_len, seconds))
        runs["tokens"].append(run_loader(tokens, tokdir, seq_len, seconds))
    growth = {times: run_loader(repeated_shards(tokens, work_dir / f"udhr-tokens-x{times}", times), tokdir, seq_len,
                                seconds) for times in (1, 8, 64)}
    return {"encode": encode, "runs": runs, "growth": growth}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--work-dir", type=Path, default=REPO / "bench" / "out" / "trainer", metavar="DIR",
                        help="where the sample corpus, tokenizer and runs go")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side, alternating")
    parser.add_argument("--steps", type=int, default=40, help="steps per end-to-end run")
    parser.add_argument("--batch-size", type=int, default=8, help="sequences per step")
    parser.add_argument("--seq-len", type=int, default=512, help="tokens per sequence")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the results to PATH")
    parser.add_argument("--loader-seconds", type=float, default=8.0, help="seconds each loader run reads")
    parser.add_argument("--only", choices=("steps", "loader"), default=None,
                        help="run only parts 1-2 (steps) or part 3 (loader)")
    parser.add_argument("--baseline-child", nargs=5, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--loader-child", nargs=4, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.loader_child:
        data, tokdir, seq_len, seconds = args.loader_child
        loader_child(data, tokdir, int(seq_len), float(seconds))
        return
    if args.only == "loader":
        report_loader(bench_loader(args.work_dir, args.repeat, args.seq_len, args.loader_seconds), args)
        return
    if args.baseline_child:
        corpus, tokdir, steps, batch, seq_len = args.baseline_child
        baseline_child(Path(corpus), Path(tokdir), int(steps), int(batch), int(seq_len))
        return
    corpus = build_corpus(args.work_dir)
    tokdir = build_tokenizer(args.work_dir, corpus)
    shape = (args.steps, args.batch_size, args.seq_len)

    ours, theirs = [], []
    for i in range(args.repeat):
        ours.append(run_ours(corpus, tokdir, args.work_dir / f"run-{i}", *shape))
        theirs.append(run_baseline(corpus, tokdir, *shape))
    end_to_end = {"xlmr-train": statistics.median(ours), "transformers loop": statistics.median(theirs)}
    print(f"\n1. end to end, tiny model, batch {args.batch_size} x {args.seq_len}, fp32, {torch.get_num_threads()} "
          f"threads, median of {args.repeat}")
    print(f"{'':<22}{'tokens/s':>10}   runs")
    print(f"{'xlmr-train':<22}{end_to_end['xlmr-train']:>10,.0f}   {', '.join(f'{t:,.0f}' for t in ours)}")
    print(f"{'transformers loop':<22}{end_to_end['transformers loop']:>10,.0f}   "
          f"{', '.join(f'{t:,.0f}' for t in theirs)}")
    print(f"ratio xlmr-train / transformers: {end_to_end['xlmr-train'] / end_to_end['transformers loop']:.2f}")

    steps = {}
    print(f"\n2. one step (mask, forward, backward, AdamW), tiny model, batch {args.batch_size} x {args.seq_len}")
    for vocab_size in (8002, 250002):
        steps[vocab_size] = bench_steps(corpus, tokdir, vocab_size, args.batch_size, args.seq_len, args.repeat)
        (a, ta), (b, tb) = steps[vocab_size].items()
        print(f"vocabulary {vocab_size:>7,}: {a} {ta * 1000:.0f} ms, {b} {tb * 1000:.0f} ms, ratio {tb / ta:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"end_to_end": end_to_end, "runs": {"ours": ours, "theirs": theirs},
                                         "steps": steps}, indent=2))
    if args.only is None:
        report_loader(bench_loader(args.work_dir, args.repeat, args.seq_len, args.loader_seconds), args)


def report_loader(loader: dict, args) -> None:
    encode, runs = loader["encode"], loader["runs"]
    median = {path: statistics.median(r["tokens_per_s"] for r in rs) for path, rs in runs.items()}
    print(f"\n3. the data loader, one worker on one core, UDHR (88 languages), 250,002 pieces, sequences of "
          f"{args.seq_len}, median of {args.repeat}")
    for path, rs in runs.items():
        each = ", ".join(f"{r['tokens_per_s']:,.0f}" for r in rs)
        print(f"{path + ' path':<22}{median[path]:>12,.0f} tokens/s   {each}")
    print(f"ratio token / text path: {median['tokens'] / median['text']:.1f}x")
    print(f"encoding: {encode['tokens']:,} tokens in {encode['seconds']:.2f} s of one core "
          f"({encode['wall_seconds']} s with the pool's start) "
          f"({encode['tokens_per_s_per_core']:,.0f} tokens/s), {encode['bytes_per_token']:.2f} bytes a token on disk "
          f"({encode['text_bytes_per_token']:.2f} bytes of UTF-8 text a token)")
    print("a token reader's memory as the corpus grows (MB): anonymous / mapped file pages")
    for times, r in loader["growth"].items():
        print(f"  shards x{times:<4} {r['RssAnon']:8.0f} / {r['RssFile']:6.0f}   {r['tokens_per_s']:,.0f} tokens/s")
    if args.json:
        path = args.json.with_name(args.json.stem + "-loader.json")
        path.write_text(json.dumps(loader, indent=2))


if __name__ == "__main__":
    main()
