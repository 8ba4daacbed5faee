"""Trainer device check: tokens/s, MFU, peak memory and data-loader headroom of xlmr-train's own steps.

On a GPU machine, from the repository root, one command, meant to finish within 8 minutes
on one H100 or H200 (estimated: not yet run on one). The project need not be installed;
torch with CUDA, transformers, tokenizers, sentencepiece, protobuf and pyarrow must be:

    bash bench/gpu_check.sh                     # base, 512 tokens, bf16, eager and --compile
    bash bench/gpu_check.sh --peak-tflops 989   # a GPU missing from PEAK_TFLOPS

It prints one table and writes it as JSON (--json).

Without a GPU (torch sees no CUDA device and --device is left at auto), it says so and runs the
small CPU configuration instead, so that the one command still shows the whole check working end
to end, and its output ends saying that these figures are CPU ones, not GPU ones. The same run,
chosen explicitly (no message then), is how the test suite keeps the check working:

    .venv/bin/python bench/gpu_check.py --model tiny --device cpu --seq-len 64 --max-batch 2 --steps 2

On CPU, chosen or fallen back to, the flags left out take these small values (flags passed always
win), and each part may use no more memory than the machine had available when it started (its
address space is limited to that): a micro-batch too large then fails as out of memory, as on a
GPU, instead of the kernel killing the part. --device cuda without a CUDA device stops at once
with exit status 2.

Each part runs in a fresh child process:
1. Inputs, made from what the project ships (no pipeline run, no download): a corpus in
   xlmr-corpus's layout from the UDHR text xlmr-eval ships (88 languages), and a
   tokenizer that xlmr-tokenizer trains on it (--vocab-size auto), widened to XLM-R's
   250,002 pieces with the text's most frequent word pieces, so that the LM head and the
   tokenizer's lookups have XLM-R's sizes. --data and --tokenizer use others instead.
2. Loader: tokens/s of one data reader on its own (what one dataloader worker runs).
3. Training, eager and then --compile: xlmr-train's own open_run and train_step at
   power-of-two micro-batches from --min-batch up until one does not fit or --max-batch;
   at the largest that fits, over --steps steps after --warmup-steps: tokens/s, MFU,
   peak memory (GPU: allocated by torch; CPU: the process's peak RSS) and the share of
   step time spent waiting for the --workers dataloader workers. --compile starts at
   eager's largest micro-batch and tries one size up, since every size compiles anew.
4. LM head: peak memory of one training step (above the model's weights) with all the
   masked positions' logits at once, as transformers computes them, and in chunks
   (SparseMaskedLM), at --head-batch sequences.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULT = "GPU_CHECK_RESULT "
XLMR_VOCAB = 250_002
# The values of the flags left out: on a GPU the check proper, on CPU the small configuration
# (--min-batch: 32, or --max-batch where that is smaller).
GPU_DEFAULTS = {"model": "base", "seq_len": 512, "max_batch": 1024, "steps": 10}
CPU_DEFAULTS = {"model": "tiny", "seq_len": 64, "max_batch": 2, "steps": 2}
OUT_OF_MEMORY = 3  # a part's exit status when it ran out of memory (not within the sweep, which goes on)

# Dense bf16 tensor-core peaks (TFLOP/s, no sparsity) from the vendors' data sheets; the first
# name found in torch.cuda.get_device_name() wins, so longer names come before their prefixes.
PEAK_TFLOPS = [("H100 PCIe", 756), ("H100 NVL", 835), ("H100", 989), ("H200", 989), ("H800", 989),
               ("B200", 2250), ("A100", 312), ("A800", 312), ("L40S", 362), ("L40", 181), ("L4", 121),
               ("A10", 125)]


def build_corpus(out: Path) -> Path:
    """The shipped UDHR text (88 languages) in xlmr-corpus's layout: rows of 8 paragraphs, one shard a language."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from xlmr.common.corpus_layout import STATS_FILE, SUCCESS_FILE, shard_path
    from xlmr.evaluation.parallel_set import load

    if (out / SUCCESS_FILE).exists():
        return out
    languages = {}
    for lang, texts in load().paragraphs.items():
        paragraphs = [t for t in texts if t]
        rows = ["\n".join(paragraphs[i:i + 8]) for i in range(0, len(paragraphs), 8)]
        path = out / shard_path(lang, 0, 0, 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"text": rows}), path)
        languages[lang] = {"documents": len(rows), "paragraphs": len(paragraphs),
                           "characters": sum(map(len, paragraphs)),
                           "bytes": sum(len(p.encode()) for p in paragraphs)}
    (out / STATS_FILE).write_text(json.dumps({"languages": languages}, indent=1))
    (out / SUCCESS_FILE).write_text("")
    return out


def build_tokenizer(corpus: Path, out: Path) -> Path:
    """xlmr-tokenizer on the corpus with as many pieces as it fills, widened to XLM-R's 250,002."""
    import contextlib

    from xlmr.tokenizer.cli import run

    trained = out.with_name(out.name + "-trained")
    if not (out / "tokenizer.json").exists():
        if not (trained / "tokenizer.json").exists():
            with contextlib.redirect_stdout(sys.stderr):  # its sampling plan: stdout is for the table
                run(["--corpus", str(corpus), "--output", str(trained), "--vocab-size", "auto",
                     "--sentences", "5000", "--heldout", "20"])
        widen(trained, out, XLMR_VOCAB, corpus)
    return out


def widen(tokdir: Path, out: Path, size: int, corpus: Path) -> None:
    """A copy of tokdir's unigram tokenizer with `size` pieces: after its own, the corpus's most
    frequent substrings (2-12 characters) of its pre-tokenized words, scored by their log frequency."""
    import pyarrow.parquet as pq
    from tokenizers import Tokenizer

    spec = json.loads((tokdir / "tokenizer.json").read_text())
    tokenizer = Tokenizer.from_file(str(tokdir / "tokenizer.json"))
    pieces = spec["model"]["vocab"]
    mask = pieces.pop()  # <mask> stays last, as in XLM-R
    known = {piece for piece, _ in pieces}
    counts: collections.Counter[str] = collections.Counter()
    for path in sorted(corpus.glob("lang=*/*.parquet")):
        for text in pq.read_table(path, columns=["text"]).column("text").to_pylist():
            normalized = tokenizer.normalizer.normalize_str(text)
            for word, _ in tokenizer.pre_tokenizer.pre_tokenize_str(normalized):
                for i in range(len(word)):
                    counts.update(word[i:j] for j in range(i + 2, min(len(word), i + 12) + 1))
    total = sum(counts.values())
    extra = [(p, c) for p, c in counts.most_common() if p not in known][: size - 1 - len(pieces)]
    if len(pieces) + len(extra) + 1 < size:
        sys.exit(f"gpu_check: {corpus} has too little text for {size:,} pieces")
    pieces += [[p, math.log(c / total)] for p, c in extra] + [mask]
    for token in spec["added_tokens"]:
        if token["content"] == mask[0]:
            token["id"] = size - 1
    out.mkdir(parents=True, exist_ok=True)
    (out / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False))
    (out / "tokenizer_config.json").write_text((tokdir / "tokenizer_config.json").read_text())


def encode(corpus: str, tokenizer: str, out: Path) -> str:
    """The corpus's token shards (xlmr-tokenizer encode; incremental, so a second check encodes nothing), so
    that the loader reads ids and the check measures the model, not the tokenizer. Token shards given as
    --data are used as they are."""
    from xlmr.common.token_shards import is_token_dir
    from xlmr.tokenizer.encode import encode_corpus

    if is_token_dir(corpus):
        return corpus
    encode_corpus(corpus, tokenizer, str(out))
    return str(out)


def peak_tflops(device_name: str) -> float | None:
    return next((tf for name, tf in PEAK_TFLOPS if name in device_name), None)


# --- the children ----------------------------------------------------------------------------------------

def loader_child(spec: dict) -> dict:
    """Tokens/s of one data reader (as one dataloader worker reads), after 20 sequences of warm-up,
    and the device's name."""
    import torch

    from xlmr.common.corpus_reader import select_languages
    from xlmr.trainer.dataset import PackedStream
    from xlmr.trainer.loading import load_tokenizer
    from xlmr.trainer.sources import open_source

    tokenizer = load_tokenizer(spec["tokenizer"])
    sizes = select_languages(open_source(spec["data"], spec["tokenizer"]), [])
    stream = PackedStream(spec["data"], spec["tokenizer"], sizes, alpha=0.3,
                          length=spec["seq_len"], bos=tokenizer.bos_token_id, eos=tokenizer.eos_token_id,
                          heldout=0, seed=0)
    sequences = stream.read(0)
    for _ in range(20):
        next(sequences)
    n, wall, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - wall < spec["seconds"]:
        next(sequences)
        n += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    device = torch.cuda.get_device_name() if spec["device"] == "cuda" else f"CPU ({os.cpu_count()} cores)"
    return {"tokens_per_s": n * spec["seq_len"] / wall, "cores": cpu / wall, "vocab_size": len(tokenizer),
            "device": device}


def train_child(spec: dict) -> dict:
    """The rows of one mode: each micro-batch of spec["batches"] in turn, until one runs out of memory."""
    import torch

    from xlmr.trainer.distributed import setup

    ctx = setup(spec["device"])
    rows, failed = [], None
    for batch in spec["batches"]:
        try:
            rows.append(_measure(spec, ctx, batch))
            print(f"gpu_check: {spec['mode']} x {batch}: {rows[-1]['tokens_per_s']:,.0f} tokens/s", file=sys.stderr)
        except (RuntimeError, MemoryError) as exc:  # torch.OutOfMemoryError is a RuntimeError
            if not _out_of_memory(exc):
                raise
            failed = batch
            print(f"gpu_check: {spec['mode']} x {batch}: out of memory", file=sys.stderr)
        _release()
        if failed:
            break
    return {"rows": rows, "out_of_memory_at": failed}


def _measure(spec: dict, ctx, batch: int) -> dict:
    import resource

    import torch

    from xlmr.trainer.cli import parse
    from xlmr.trainer.flops import training_flops_per_token
    from xlmr.trainer.train import open_run, train_step

    args = parse(["--data", spec["data"], "--tokenizer", spec["tokenizer"], "--model", spec["model"],
                  "--output", f"{spec['work_dir']}/run-{spec['mode']}-{batch}", "--overwrite",
                  "--seq-len", str(spec["seq_len"]), "--batch-size", str(batch), "--precision", spec["precision"],
                  "--device", spec["device"], "--workers", str(spec["workers"]), "--eval-paragraphs", "0",
                  "--max-steps", str(spec["warmup"] + spec["steps"] + 1), "--warmup", "1"]
                 + ["--compile"] * (spec["mode"] == "compile"))
    cuda = ctx.device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    graphs = _compiled_graphs()
    run, state = open_run(args, ctx)
    state.model.train()
    started = time.perf_counter()
    train_step(run, state)  # under --compile, this compiles
    first = time.perf_counter() - started
    for _ in range(spec["warmup"] - 1):
        train_step(run, state)
    started, waited = time.perf_counter(), 0.0
    for _ in range(spec["steps"]):
        waited += train_step(run, state).data_wait
    seconds = time.perf_counter() - started
    tokens_per_s = spec["steps"] * batch * spec["seq_len"] / seconds
    tflops = tokens_per_s * training_flops_per_token(state.model.config, spec["seq_len"], args.mask_prob) / 1e12
    if cuda:
        peak = torch.cuda.max_memory_allocated()
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {"mode": spec["mode"], "batch": batch, "tokens_per_s": tokens_per_s, "tflops": tflops,
            "mfu": tflops / spec["peak_tflops"] if spec["peak_tflops"] else None, "peak_memory_gib": peak / 2**30,
            "data_wait": waited / seconds, "step_s": seconds / spec["steps"], "first_step_s": first,
            "graphs": _compiled_graphs() - graphs}


def _compiled_graphs() -> int:
    """Graphs dynamo has compiled in this process (none when eager); more than one for a size is recompilation."""
    from torch._dynamo.utils import counters

    return counters["stats"]["unique_graphs"]


def _out_of_memory(exc: BaseException) -> bool:
    """On a GPU torch's out-of-memory errors; on CPU, under _limit_memory, the allocator's (or Python's) failures."""
    import torch

    return isinstance(exc, (torch.OutOfMemoryError, MemoryError)) or "out of memory" in str(exc).lower() \
        or "CUBLAS_STATUS_ALLOC_FAILED" in str(exc) or "can't allocate memory" in str(exc)


def _limit_memory() -> int | None:
    """Limit this process's address space to 90% of the memory available now (Linux): a CPU part that
    asks for more then fails with an out-of-memory error, as on a GPU, instead of the kernel killing it
    (or something else) once the machine's memory runs out. The limit set, or None where there is none."""
    import resource

    try:
        limit = int(_meminfo("MemAvailable") * 0.9)
    except (OSError, KeyError, ValueError):
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    for given in (soft, hard):
        if given != resource.RLIM_INFINITY:
            limit = min(limit, given)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return limit


def _meminfo(field: str) -> int:
    """Bytes of one /proc/meminfo field (MemTotal, MemAvailable)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024  # kB
    raise KeyError(field)


def _release() -> None:
    """Free what the last size held (its loader workers, model and compiled graphs) before the next."""
    import gc

    import torch

    gc.collect()
    torch._dynamo.reset()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def head_child(spec: dict) -> dict:
    """Peak memory of one training step (forward, backward, AdamW) above the model's weights, and the
    seconds of the step after it (the first also sets up AdamW's state and the device's kernels)."""
    import torch
    from transformers import XLMRobertaForMaskedLM

    from xlmr.trainer.distributed import autocast_for, setup
    from xlmr.trainer.loading import load_tokenizer
    from xlmr.trainer.masking import Vocabulary, mask_tokens
    from xlmr.trainer.optim import build_optimizer
    from xlmr.trainer.presets import model_config
    from xlmr.trainer.sparse_mlm import SparseMaskedLM

    ctx = setup(spec["device"])
    tokenizer = load_tokenizer(spec["tokenizer"])
    torch.manual_seed(0)
    model = XLMRobertaForMaskedLM(model_config(spec["model"], tokenizer)).to(ctx.device).train()
    optimizer = build_optimizer(model, 1e-4, 0.01, fused=ctx.device.type == "cuda")
    autocast, _ = autocast_for(spec["precision"], ctx.device)
    vocab = Vocabulary.of(tokenizer)
    generator = torch.Generator(ctx.device).manual_seed(0)
    ids = torch.randint(4, vocab.mask_id, (spec["batch"], spec["seq_len"]), generator=generator, device=ctx.device)
    inputs, labels = mask_tokens(ids, vocab, generator)
    loss_of = SparseMaskedLM(model) if spec["head"] == "chunked" else lambda i, t: dense_head_loss(model, i, t)
    def step():
        with autocast():
            loss = loss_of(inputs, labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()  # waits for the device

    before = _memory_now(ctx.device)
    step()
    peak = _peak_memory(ctx.device) - before
    started = time.perf_counter()
    step()
    return {"head": spec["head"], "peak_gib": peak / 2**30, "step_s": time.perf_counter() - started,
            "masked": int((labels >= 0).sum()), "vocab_size": len(tokenizer)}


def dense_head_loss(model, ids, labels):
    """The head as transformers applies it, at the masked positions: all their logits at once."""
    import torch.nn.functional as F

    from xlmr.trainer.masking import IGNORE

    where = labels != IGNORE
    logits = model.lm_head(model.roberta(input_ids=ids).last_hidden_state[where])
    return F.cross_entropy(logits.float(), labels[where], reduction="sum")


def _memory_now(device) -> int:
    """Bytes in use now, and the peak counter reset to it: torch's on a GPU, the process's RSS on CPU."""
    import torch

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        return torch.cuda.memory_allocated()
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, the peak RSS, to the RSS now
    return _proc_status("VmRSS")


def _peak_memory(device) -> int:
    import torch

    return torch.cuda.max_memory_allocated() if device.type == "cuda" else _proc_status("VmHWM")


def _proc_status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024  # kB
    raise KeyError(field)


CHILDREN = {"loader": loader_child, "train": train_child, "head": head_child}


def child(kind: str, spec: dict, env: dict | None = None) -> dict:
    """Run one part in a fresh interpreter; its progress and errors go straight to stderr."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", kind, json.dumps(spec)], stdout=subprocess.PIPE,
                          text=True, cwd=REPO, env={**os.environ, **(env or {})})
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT)]
    if proc.returncode or not lines:
        sys.exit(failure(kind, spec, proc.returncode, proc.stdout))
    print(f"gpu_check: {kind} {spec.get('mode') or spec.get('head') or ''} done ({time.perf_counter() - started:.0f} s)",
          file=sys.stderr)
    return json.loads(lines[-1][len(RESULT):])


def failure(kind: str, spec: dict, status: int, stdout: str) -> str:
    """What to say when a part failed: for want of memory, which flags make it smaller."""
    if status == -signal.SIGKILL:
        try:
            machine = f" (this machine has {_meminfo('MemTotal') / 2**30:.1f} GiB)"
        except (OSError, KeyError, ValueError):
            machine = ""
        what = f"was killed (signal 9, exit status {status}), most likely by the kernel for want of memory{machine}"
    elif status == OUT_OF_MEMORY:
        what = "ran out of memory" + (" (on CPU a part may use only the memory available when it starts)"
                                      if spec.get("device") == "cpu" else "")
    else:
        return f"gpu_check: the {kind} part failed (exit status {status}); its output:\n{stdout[-3000:]}"
    return f"gpu_check: the {kind} part {what}. To make it smaller: {smaller(kind, spec)}"


def smaller(kind: str, spec: dict, *lower: str) -> str:
    """The flags that shrink a part, with their values now."""
    lower = list(lower)
    if kind == "train":
        lower.append(f"--max-batch (sizes tried: {', '.join(map(str, spec.get('batches', [])))}; "
                     "the lines above show those that fitted)")
    if kind == "head":
        lower.append(f"--head-batch (now {spec.get('batch')})")
    lower.append(f"--seq-len (now {spec.get('seq_len')})")
    said = "lower " + ", ".join(lower)
    if spec.get("model") != "tiny":
        said += f"; --model tiny (now {spec.get('model')})"
    if spec.get("device") == "cpu" and (spec.get("model"), spec.get("seq_len")) != ("tiny", CPU_DEFAULTS["seq_len"]):
        said += "; or, on CPU, leave the sizes out for the small configuration"
    return said


# --- the parent -------------------------------------------------------------------------------------------

def cuda_missing() -> str | None:
    """None when torch sees a CUDA device, else why it does not. is_available makes no CUDA context
    (it counts devices): the parent holds no GPU memory while the children measure."""
    import torch

    if torch.cuda.is_available():
        return None
    if torch.version.cuda is None:
        return f"this torch ({torch.__version__}) is built without CUDA"
    return f"torch {torch.__version__} (CUDA {torch.version.cuda}) finds no CUDA device"


def resolve(args, missing=cuda_missing) -> str | None:
    """Settle --device (auto: cuda when torch sees a GPU, else cpu) and the flags left out (None): the
    GPU_DEFAULTS or CPU_DEFAULTS. Returns, when auto fell back to CPU, what to tell the user."""
    why = "--device cpu" if args.device == "cpu" else missing()
    if args.device == "cuda" and why:
        print(f"gpu_check: --device cuda, but {why}. For the check on CPU: --device cpu (the small "
              "configuration, tiny model), or leave --device out.", file=sys.stderr)
        raise SystemExit(2)
    fallback = args.device == "auto" and why is not None
    args.device = "cpu" if why else "cuda"
    for name, value in (CPU_DEFAULTS if args.device == "cpu" else GPU_DEFAULTS).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.min_batch is None:
        args.min_batch = min(32, args.max_batch)
    if args.min_batch > args.max_batch:
        print(f"gpu_check: --min-batch {args.min_batch} is above --max-batch {args.max_batch}: nothing to try",
              file=sys.stderr)
        raise SystemExit(2)
    args.no_gpu = why if fallback else None
    if not fallback:
        return None
    return (f"gpu_check: no GPU found: {why}. This check is meant for a GPU (base, 512 tokens, bf16); "
            f"running the small CPU configuration instead, to show the check working end to end: "
            f"{cpu_flags(args)}. Its figures are CPU ones, not GPU ones. "
            "(--device cpu chooses this run without this message.)")


def cpu_flags(args) -> str:
    """The CPU run's sizes, as flags."""
    return (f"--model {args.model} --device cpu --seq-len {args.seq_len} --max-batch {args.max_batch} "
            f"--steps {args.steps}")


def check(args) -> dict:
    """The parts, each in a child, with --device settled by resolve."""
    started = time.perf_counter()
    cuda = args.device == "cuda"
    precision = args.precision if args.precision != "auto" else ("bf16" if cuda else "fp32")
    work = args.work_dir.resolve()
    corpus = str(args.data or build_corpus(work / "udhr-corpus"))
    tokenizer = str(args.tokenizer or build_tokenizer(Path(corpus), work / f"tokenizer-{Path(corpus).name}"))
    data = encode(corpus, tokenizer, work / f"tokens-{Path(tokenizer).name}")
    common = {"data": data, "tokenizer": tokenizer, "model": args.model, "seq_len": args.seq_len,
              "precision": precision, "device": "cuda" if cuda else "cpu", "work_dir": str(work)}
    print(f"gpu_check: inputs ready ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    # One core, as a dataloader worker has when there are as many workers as cores: tokenizers
    # would otherwise spread each encode_batch over threads the other workers need.
    loader = child("loader", {**common, "seconds": args.loader_seconds}, env={"TOKENIZERS_PARALLELISM": "false"})
    # the table's peaks are bf16/fp16 tensor-core ones
    peak = args.peak_tflops or (peak_tflops(loader["device"]) if cuda and precision != "fp32" else None)
    train = {**common, "workers": args.workers, "steps": args.steps, "warmup": args.warmup_steps,
             "peak_tflops": peak}
    sizes = [2**k for k in range(20) if args.min_batch <= 2**k <= args.max_batch]
    eager = child("train", {**train, "mode": "eager", "batches": sizes})
    if not eager["rows"]:
        sys.exit(f"gpu_check: not even --min-batch {args.min_batch} fits. To make it smaller: "
                 f"{smaller('loader', common, f'--min-batch (now {args.min_batch})')}")
    largest = eager["rows"][-1]["batch"]
    compiled = child("train", {**train, "mode": "compile",
                               "batches": [b for b in (largest, 2 * largest) if b <= args.max_batch]})
    rows = [eager["rows"][-1]] + compiled["rows"][-1:]
    for row in rows:
        row["workers_needed"] = math.ceil(row["tokens_per_s"] / loader["tokens_per_s"])
    heads = [child("head", {**common, "head": head, "batch": args.head_batch}) for head in ("dense", "chunked")]
    return {"device": loader["device"], "peak_tflops": peak, "model": args.model, "seq_len": args.seq_len,
            "precision": precision, "workers": args.workers, "data": data, "tokenizer": tokenizer,
            "loader": loader, "rows": rows, "tried": {"eager": eager, "compile": compiled},
            "head": {"batch": args.head_batch, **{h["head"]: h for h in heads}},
            "no_gpu": args.no_gpu, "seconds": time.perf_counter() - started}


def format_table(result: dict) -> str:
    loader = result["loader"]
    peak = f"{result['peak_tflops']:g} TFLOP/s peak" if result["peak_tflops"] else "no known peak: MFU not shown"
    lines = [f"xlmr-train on {result['device']} ({peak}): {result['model']}, {result['seq_len']} tokens, "
             f"{result['precision']}, vocabulary {loader['vocab_size']:,}, dataloader workers: {result['workers']}",
             f"one dataloader worker on its own: {loader['tokens_per_s']:,.0f} tokens/s ({loader['cores']:.2f} cores)",
             "",
             f"{'mode':<9}{'micro-batch':>12}{'tokens/s':>12}{'MFU':>8}{'peak memory':>13}{'data wait':>11}"
             f"{'workers needed':>16}{'first step':>12}{'graphs':>8}"]
    for r in result["rows"]:
        mfu = f"{r['mfu']:.1%}" if r["mfu"] is not None else "-"
        lines.append(f"{r['mode']:<9}{r['batch']:>12}{r['tokens_per_s']:>12,.0f}{mfu:>8}"
                     f"{r['peak_memory_gib']:>9.1f} GiB{r['data_wait']:>11.1%}{r['workers_needed']:>16}"
                     f"{r['first_step_s']:>10.1f} s{r['graphs']:>8}")
    for mode, tried in result["tried"].items():
        fitted = ", ".join(str(r["batch"]) for r in tried["rows"]) or "none"
        failed = f"; {tried['out_of_memory_at']} ran out of memory" if tried["out_of_memory_at"] else ""
        lines.append(f"{mode}: fitted micro-batches {fitted}{failed}")
    head = result["head"]
    lines += ["", f"LM head, one training step of {head['batch']} x {result['seq_len']} "
                  f"({head['chunked']['masked']:,} masked positions, vocabulary {head['chunked']['vocab_size']:,}): "
                  "peak memory above the weights, and step time",
              f"  all logits at once (transformers' head)  {head['dense']['peak_gib']:8.2f} GiB"
              f"{head['dense']['step_s'] * 1000:9.0f} ms",
              f"  in chunks (SparseMaskedLM)               {head['chunked']['peak_gib']:8.2f} GiB"
              f"{head['chunked']['step_s'] * 1000:9.0f} ms",
              f"\n({result['seconds']:.0f} s in all)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from xlmr.trainer.presets import PRESETS

    cpus = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=sorted(PRESETS), default=None, help="default: base (CPU: tiny)")
    parser.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto",
                        help="default: auto: cuda when torch sees a GPU; without one, says so and runs the "
                             "small CPU configuration (see below)")
    parser.add_argument("--precision", choices=["auto", "bf16", "fp16", "fp32"], default="auto",
                        help="default: auto (bf16 on a GPU, fp32 on CPU)")
    parser.add_argument("--seq-len", type=int, default=None, help="default: 512 (CPU: 64)")
    parser.add_argument("--min-batch", type=int, default=None,
                        help="smallest micro-batch tried (default: 32, or --max-batch if smaller)")
    parser.add_argument("--max-batch", type=int, default=None, help="largest micro-batch tried (default: 1024; CPU: 2)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per micro-batch (default: 10; CPU: 2)")
    parser.add_argument("--warmup-steps", type=int, default=3, help="steps before the timed ones (default: 3)")
    parser.add_argument("--workers", type=int, default=min(8, max(1, cpus // 2)),
                        help=f"dataloader workers of the training runs (default: half the cores, at most 8: {min(8, max(1, cpus // 2))})")
    parser.add_argument("--loader-seconds", type=float, default=5.0,
                        help="how long the loader is timed on its own (default: 5)")
    parser.add_argument("--head-batch", type=int, default=32, help="sequences of the LM-head step (default: 32)")
    parser.add_argument("--peak-tflops", type=float, default=None,
                        help="the device's dense peak at the precision used (default: from PEAK_TFLOPS by name)")
    parser.add_argument("--data", type=Path, default=None, help="an xlmr-corpus output instead of the UDHR corpus")
    parser.add_argument("--tokenizer", type=Path, default=None,
                        help="a tokenizer directory instead of one trained on the data and widened to 250,002")
    parser.add_argument("--work-dir", type=Path, default=REPO / "bench" / "out" / "gpu_check",
                        help="inputs and runs go here (default: bench/out/gpu_check)")
    parser.add_argument("--json", type=Path, default=None, help="default: WORK_DIR/gpu_check.json")
    parser.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, spec = args.child[0], json.loads(args.child[1])
        if spec["device"] == "cpu":
            _limit_memory()
        try:
            result = CHILDREN[kind](spec)
        except (RuntimeError, MemoryError) as exc:
            if not _out_of_memory(exc):
                raise
            print(f"gpu_check: {kind}: out of memory: {str(exc)[:500]}", file=sys.stderr)
            raise SystemExit(OUT_OF_MEMORY) from None
        print(RESULT + json.dumps(result), flush=True)
        return
    message = resolve(args)
    if message:
        print(message, file=sys.stderr)
    result = check(args)
    print(format_table(result))
    path = args.json or args.work_dir / "gpu_check.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    print(f"written: {path}")
    if args.no_gpu:
        print(f"No GPU was found ({args.no_gpu}), so these are CPU figures of the small configuration "
              f"({cpu_flags(args)}): they show the check works end to end, not what a GPU does. "
              "Run the same command on a GPU machine for those.")


if __name__ == "__main__":
    main()
