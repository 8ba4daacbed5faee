"""The training loop: one readable DDP loop over the packed, α-sampled stream.

Per update: K micro-batches are drawn and masked, their masked tokens counted
across ranks, and each micro-batch's summed loss is scaled by world/total so
that DDP's gradient average equals the gradient of the mean loss over every
masked token of the update (however they fall across micro-batches and
ranks). Then clip, step, schedule; checkpoints, evaluation and metrics on
their intervals.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from pathlib import Path

import torch

from xlmr.common.remote_files import local_input
from xlmr.common.corpus_reader import Corpus, select_languages

from . import checkpoint
from .dataset import PackedStream, advance, collate, load_encoder
from .distributed import setup, teardown
from .evaluate import evaluate, format_report, heldout_sequences
from .flops import training_flops_per_token
from .masking import IGNORE, Vocabulary, derive_seed, mask_tokens
from .optim import build_optimizer, linear_schedule, rebase
from .run_dir import RunDir
from .training_report import write_training_report
from .presets import model_config
from .sparse_mlm import SparseMaskedLM


class TrainError(Exception):
    """The inputs or the output directory do not allow the run."""


class NonFiniteLoss(Exception):
    """The loss became NaN or inf; nothing of that update was applied."""


def load_tokenizer(tokdir: str, flag: str = "--tokenizer"):
    """An XLM-R tokenizer from a local directory; `flag` is named in errors."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(tokdir)
    except (OSError, ValueError) as exc:
        raise TrainError(f"{flag} {tokdir}: not an xlmr-tokenizer output ({exc})") from exc
    if tokenizer.mask_token_id is None or tokenizer.pad_token_id is None:
        raise TrainError(f"{flag} {tokdir} has no <mask> or <pad> token: expected an XLM-R tokenizer")
    return tokenizer


def autocast_for(precision: str, device: torch.device):
    """(autocast context factory, gradient scaler or None) for --precision."""
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    if precision == "fp32":
        return contextlib.nullcontext, None
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None
    return (lambda: torch.autocast(device.type, dtype=dtype)), scaler


class Metrics:
    """metrics.jsonl on rank 0: one JSON object per line; a resumed run drops records past its checkpoint."""

    def __init__(self, path: Path, main: bool, resumed_step: int):
        self.path, self.main = path, main
        if main and path.exists():
            kept = [line for line in path.read_text().splitlines() if _step_of(line) <= resumed_step]
            path.write_text("".join(line + "\n" for line in kept))

    def write(self, record: dict) -> None:
        if self.main:
            with self.path.open("a") as f:
                f.write(json.dumps(record) + "\n")


def _step_of(line: str) -> float:
    """A record's step; a line cut short by a crash counts as past any checkpoint."""
    try:
        return json.loads(line).get("step", 0)
    except json.JSONDecodeError:
        return math.inf


def train(args) -> dict:
    ctx = setup(args.device)
    try:
        return _train(args, ctx)
    finally:
        teardown()


def _train(args, ctx) -> dict:
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader
    from tqdm import tqdm
    from transformers import XLMRobertaForMaskedLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # one bar per checkpoint shard otherwise: ours is the progress bar
    try:
        tokdir = str(local_input(args.tokenizer))  # transformers and tokenizers read local files only
    except FileNotFoundError as exc:
        raise TrainError(f"--tokenizer {exc}") from exc
    tokenizer = load_tokenizer(tokdir)
    vocab = Vocabulary.of(tokenizer)
    corpus = Corpus(args.data, flag="--data")
    sizes = select_languages(corpus, args.languages)
    config = model_config(args.model, tokenizer)
    vocabulary = checkpoint.vocabulary_digest(tokenizer)
    run = RunDir(args.output, args.staging_dir, ctx.rank)
    if args.overwrite:
        if ctx.main:
            for name in ("checkpoints", "final", "metrics.jsonl"):
                run.delete(name)
        ctx.barrier()  # no rank looks for checkpoints before they are gone
    found = run.checkpoints()
    if found and not args.resume:
        raise TrainError(f"--output {run} already has checkpoints (latest {found[-1]}): "
                         "pass --resume to continue that run, or choose a new --output")
    resume_from = run.fetch(f"checkpoints/{found[-1]}") if found else None
    if resume_from:
        checkpoint.check_compatible(resume_from, config, vocabulary)

    torch.manual_seed(args.seed)
    model = XLMRobertaForMaskedLM(config).to(ctx.device)
    loss_module = SparseMaskedLM(model)
    ddp = None
    if ctx.distributed:
        ddp = DistributedDataParallel(loss_module, device_ids=[ctx.local_rank] if ctx.device.type == "cuda" else None)
    if args.compile:
        # The encoder only, in place (parameter names unchanged): its shapes are fixed, while the
        # masked-position gather before the head changes size every batch, and recompiling on
        # that would make a resumed run's numbers differ from an uninterrupted one's.
        model.roberta.compile()
    forward = ddp or loss_module
    autocast, scaler = autocast_for(args.precision, ctx.device)
    optimizer = build_optimizer(model, args.lr, args.weight_decay, fused=ctx.device.type == "cuda")
    scheduler = linear_schedule(optimizer, args.warmup, args.max_steps)

    step, tokens, readers, consumed = 0, 0, {}, 0
    workers = max(args.workers, 1)
    rng_after_resume = None
    if resume_from:
        state, data = checkpoint.load(resume_from, ctx, model, optimizer, scheduler, scaler)
        rng_after_resume = checkpoint.rng_state()
        step, tokens = state["step"], state["tokens"]
        rebase(scheduler, args.lr)
        if data and state["world"] == ctx.world and state["workers"] == args.workers:
            readers = {int(k): v for k, v in data["readers"].items()}
            consumed = data["batches"]
        elif ctx.main:
            print(f"xlmr-train: {resume_from.name} was written by {state['world']} processes x "
                  f"{state['workers']} workers, this run has {ctx.world} x {args.workers}: "
                  "model and optimizer resume, the data streams start over from new positions")
        if ctx.main:
            print(f"xlmr-train: resuming from {resume_from} (step {step})")

    dataset = PackedStream(args.data, tokdir, sizes, alpha=args.alpha, length=args.seq_len,
                           bos=tokenizer.bos_token_id, eos=tokenizer.eos_token_id, heldout=args.eval_paragraphs,
                           seed=args.seed if readers or not resume_from else f"{args.seed}+{step}",
                           rank=ctx.rank, world=ctx.world, workers=args.workers,
                           shift=consumed % workers, states=readers)
    # Its own generator: creating the loader iterator must not draw from the global RNG that
    # dropout uses, or a resumed run would diverge from an uninterrupted one.
    loader = DataLoader(dataset, batch_size=args.batch_size, num_workers=args.workers, collate_fn=collate,
                        pin_memory=ctx.device.type == "cuda", generator=torch.Generator().manual_seed(args.seed))
    batches = iter(loader)
    if rng_after_resume:
        checkpoint.set_rng_state(rng_after_resume)
    eval_sets = heldout_sequences(corpus, sorted(sizes), args.eval_paragraphs, load_encoder(tokdir),
                                  args.seq_len, tokenizer.bos_token_id, tokenizer.eos_token_id, args.eval_sequences)
    if ctx.main:
        run.fetch("metrics.jsonl")
    metrics = Metrics(run.local / "metrics.jsonl", ctx.main, step)
    if ctx.main and not resume_from:
        # cwd: relative paths in args are relative to it (xlmr-eval finds the corpus with it)
        metrics.write({"event": "start", "step": 0, "args": vars(args), "cwd": os.getcwd(), "world": ctx.world,
                       "parameters": sum(p.numel() for p in model.parameters()), "vocab_size": len(tokenizer),
                       "languages": sizes,
                       "heldout_sequences": {lang: len(s) for lang, s in eval_sets.items()}})

    def run_eval() -> dict:
        model.eval()
        report = evaluate(loss_module, eval_sets, vocab, tokenizer.pad_token_id, ctx, args.batch_size,
                          args.mask_prob, autocast)
        model.train()
        metrics.write({"event": "eval", "step": step, "tokens": tokens, "eval": report})
        if ctx.main and report:
            print(f"\nheld-out masked-LM loss at step {step}:\n{format_report(report)}")
        return report

    def save() -> str:
        data = {"batches": consumed, "readers": readers}
        state = {"tokens": tokens, "world": ctx.world, "workers": args.workers, "vocabulary": vocabulary,
                 "model": args.model, "seq_len": args.seq_len}
        saved = checkpoint.save(run, step, ctx, model, tokenizer, optimizer, scheduler, scaler, state, data,
                                args.keep_checkpoints)
        if ctx.main:
            run.push("metrics.jsonl")
        return saved

    flops_per_token = training_flops_per_token(config, args.seq_len, args.mask_prob)
    model.train()
    bar = tqdm(total=args.max_steps, initial=step, disable=not ctx.main, unit="step", dynamic_ncols=True)
    window_start, window_tokens, loss_value, report = time.perf_counter(), 0, float("nan"), {}
    while step < args.max_steps:
        micro = []
        for m in range(args.grad_accum):
            ids, metas = next(batches)
            advance(readers, metas)
            generator = torch.Generator(ctx.device).manual_seed(derive_seed(args.seed, ctx.rank, step, m))
            micro.append(mask_tokens(ids.to(ctx.device, non_blocking=True), vocab, generator, args.mask_prob))
        consumed += args.grad_accum
        masked_total = ctx.sum(sum((labels != IGNORE).sum() for _, labels in micro).double())
        loss_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
        for m, (inputs, labels) in enumerate(micro):
            last = m == len(micro) - 1
            with contextlib.nullcontext() if last or ddp is None else ddp.no_sync():
                with autocast():
                    loss = forward(inputs, labels)
                scaled = loss * (ctx.world / masked_total)
                (scaler.scale(scaled) if scaler else scaled).backward()
            loss_sum += loss.detach().double()
        if scaler:
            scaler.unscale_(optimizer)
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip_norm)
        loss_value = (ctx.sum(loss_sum) / masked_total).item()
        # The fp16 scaler skips updates with overflowing gradients by itself; otherwise a NaN
        # gradient under a finite loss would write NaN into every weight.
        if not math.isfinite(loss_value) or (scaler is None and not torch.isfinite(grad_norm)):
            optimizer.zero_grad(set_to_none=True)
            saved = run.checkpoints()
            last_good = f"{run}/checkpoints/{saved[-1]}" if saved else None
            what = f"loss is {loss_value}" if not math.isfinite(loss_value) else f"gradient norm is {grad_norm.item()}"
            raise NonFiniteLoss(f"{what} at step {step + 1}; the update was not applied. Last good "
                                f"checkpoint: {last_good or 'none'} (a lower --lr, more --warmup or "
                                "--precision bf16 instead of fp16 usually helps)")
        lr = scheduler.get_last_lr()[0]  # the rate of this update
        if scaler:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        step_tokens = sum(inputs.numel() for inputs, _ in micro) * ctx.world
        tokens += step_tokens
        window_tokens += step_tokens
        bar.update(1)
        if step % args.log_every == 0 or step == args.max_steps:
            _check_agreement(ctx, grad_norm.item(), step)
            elapsed = time.perf_counter() - window_start
            record = {"event": "train", "step": step, "tokens": tokens, "loss": loss_value,
                      "lr": lr, "grad_norm": grad_norm.item(),
                      "masked": int(masked_total.item()), "tokens_per_s": window_tokens / elapsed}
            record["tflops_per_process"] = record["tokens_per_s"] / ctx.world * flops_per_token / 1e12
            if args.peak_tflops:
                record["mfu"] = record["tflops_per_process"] / args.peak_tflops
            metrics.write(record)
            bar.set_postfix(loss=f"{loss_value:.3f}", lr=f"{record['lr']:.2e}",
                            tok_s=f"{record['tokens_per_s']:,.0f}")
            window_start, window_tokens = time.perf_counter(), 0
        if step % args.save_every == 0 or step == args.max_steps:
            save()
        if (args.eval_every and step % args.eval_every == 0) or step == args.max_steps:
            report = run_eval()
    bar.close()

    if ctx.main:
        model.save_pretrained(run.local / "final")
        tokenizer.save_pretrained(run.local / "final")
        run.push("final")
        run.push("metrics.jsonl")
        for written in write_training_report(run.local):
            run.push(written.name)
    ctx.barrier()
    return {"step": step, "tokens": tokens, "loss": loss_value, "eval": report, "final": f"{run}/final",
            "main": ctx.main}


def _check_agreement(ctx, grad_norm: float, step: int) -> None:
    """Every rank must have seen the same all-reduced gradient (fairseq checks this too)."""
    norms = ctx.gather(grad_norm)
    if max(norms) - min(norms) > 1e-6 * max(1.0, abs(max(norms))):
        raise TrainError(f"ranks disagree on the gradient norm at step {step}: {norms}")
