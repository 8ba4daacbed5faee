"""The training loop: one readable DDP loop over the packed, α-sampled stream.

Per update: K micro-batches are drawn and masked, their masked tokens counted
across ranks, and each micro-batch's summed loss is scaled by world/total so
that DDP's gradient average equals the gradient of the mean loss over every
masked token of the update (however they fall across micro-batches and
ranks). Then clip, step, schedule; checkpoints, evaluation and metrics on
their intervals. `open_run` and `train_step` are the pieces bench/gpu_check.py
times on a device.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import time
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

import torch

from xlmr.common.corpus_reader import select_languages
from xlmr.common.files import local_input

from . import checkpoint
from .checkpoint import TrainState
from .dataset import PackedStream, advance, collate
from .distributed import autocast_for, setup, teardown
from .errors import NonFiniteLoss, TrainError
from .evaluate import evaluate, format_report, heldout_sequences
from .flops import training_flops_per_token
from .loading import load_tokenizer
from .masking import IGNORE, Vocabulary, derive_seed, mask_tokens
from .optim import build_optimizer, linear_schedule, rebase
from .presets import model_config
from .run_dir import RunDir
from .sources import open_source
from .sparse_mlm import SparseMaskedLM
from .training_report import write_training_report


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


@dataclasses.dataclass(frozen=True)
class Run:
    """What a run opens once and every step uses (what changes, and what a checkpoint keeps, is TrainState)."""

    args: argparse.Namespace
    out: RunDir
    masked_lm: SparseMaskedLM  # the model's masked-LM loss; evaluation runs it unwrapped, on each rank's share
    ddp: torch.nn.Module | None  # `masked_lm` wrapped for gradient all-reduce when there are several processes
    autocast: Callable
    vocab: Vocabulary
    batch_iter: Iterator  # the data loader's iterator (TrainState.micro_batches counts what it has yielded)
    heldout: dict[str, list[list[int]]]  # packed held-out sequences per language
    metrics: Metrics


class Update(NamedTuple):
    mean_loss: float  # over the update's masked tokens, all ranks
    lr: float  # the rate the update used
    grad_norm: float  # before clipping
    masked: int  # masked tokens, all ranks
    tokens: int  # tokens, all ranks
    data_wait: float  # seconds this rank waited for the data loader


def train(args) -> dict:
    ctx = setup(args.device)
    try:
        return _train(args, ctx)
    finally:
        teardown()


def _train(args, ctx) -> dict:
    from tqdm import tqdm

    run, state = open_run(args, ctx)
    flops_per_token = training_flops_per_token(state.model.config, args.seq_len, args.mask_prob)
    bar = tqdm(total=args.max_steps, initial=state.step, disable=not ctx.main, unit="step", dynamic_ncols=True)
    # The window holds the updates since the last record only: checkpoints and evaluations do not count.
    window_seconds, window_tokens, window_wait, mean_loss, report = 0.0, 0, 0.0, float("nan"), {}
    state.model.train()
    while state.step < args.max_steps:
        started = time.perf_counter()
        update = train_step(run, state)
        window_seconds += time.perf_counter() - started
        mean_loss = update.mean_loss
        window_tokens += update.tokens
        window_wait += update.data_wait
        bar.update(1)
        if state.step % args.log_every == 0 or state.step == args.max_steps:
            _check_agreement(ctx, update.grad_norm, state.step)
            record = {"event": "train", "step": state.step, "tokens": state.tokens, "loss": update.mean_loss,
                      "lr": update.lr, "grad_norm": update.grad_norm, "masked": update.masked,
                      "tokens_per_s": window_tokens / window_seconds, "data_wait": window_wait / window_seconds}
            record["tflops_per_process"] = record["tokens_per_s"] / ctx.world * flops_per_token / 1e12
            if args.peak_tflops:
                record["mfu"] = record["tflops_per_process"] / args.peak_tflops
            run.metrics.write(record)
            bar.set_postfix(loss=f"{update.mean_loss:.3f}", lr=f"{update.lr:.2e}",
                            tok_s=f"{record['tokens_per_s']:,.0f}")
            window_seconds, window_tokens, window_wait = 0.0, 0, 0.0
        if state.step % args.save_every == 0 or state.step == args.max_steps:
            _save(run, state)
        if (args.eval_every and state.step % args.eval_every == 0) or state.step == args.max_steps:
            report = _evaluate(run, state)
    bar.close()
    _finish(run, state)
    return {"step": state.step, "tokens": state.tokens, "loss": mean_loss, "eval": report, "final": f"{run.out}/final",
            "main": ctx.main}


def open_run(args, ctx) -> tuple[Run, TrainState]:
    """Read the inputs, check OUT, build the model and its optimisation, resume from OUT's latest
    checkpoint if there is one, start the data; the order keeps a resumed run's RNG draws exact."""
    from torch.nn.parallel import DistributedDataParallel
    from transformers import XLMRobertaForMaskedLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # one bar per checkpoint shard otherwise: ours is the progress bar
    try:
        tokdir = str(local_input(args.tokenizer))  # transformers and tokenizers read local files only
    except FileNotFoundError as exc:
        raise TrainError(f"--tokenizer {exc}") from exc
    tokenizer = load_tokenizer(tokdir)
    source = open_source(args.data, tokdir)  # text or token shards
    sizes = select_languages(source, args.languages)
    config = model_config(args.model, tokenizer)
    recorded = {"workers": args.workers, "vocabulary": checkpoint.vocabulary_digest(tokenizer), "model": args.model,
                "seq_len": args.seq_len}
    out = RunDir(args.output, args.staging_dir, ctx.rank)
    latest = _latest_checkpoint(out, args, ctx)
    if latest:
        checkpoint.check_compatible(latest, config, recorded["vocabulary"])

    torch.manual_seed(args.seed)
    model = XLMRobertaForMaskedLM(config).to(ctx.device)
    masked_lm = SparseMaskedLM(model)
    ddp = None
    if ctx.distributed:
        ddp = DistributedDataParallel(masked_lm, device_ids=[ctx.local_rank] if ctx.device.type == "cuda" else None)
    if args.compile:
        # The encoder only, in place (parameter names unchanged): its training shapes are fixed, so it
        # compiles once, while the head's gather of masked positions changes size every batch and
        # its chunked loss is a Python loop: the head stays eager (docs/training.md has the numbers).
        model.roberta.compile()
    autocast, scaler = autocast_for(args.precision, ctx.device)
    optimizer = build_optimizer(model, args.lr, args.weight_decay, fused=ctx.device.type == "cuda")
    state = TrainState(ctx, model, tokenizer, optimizer, linear_schedule(optimizer, args.warmup, args.max_steps),
                       scaler, recorded)
    if latest:
        _resume(state, latest, args.lr)
    batch_iter = _start_loader(args, state, tokdir, sizes, new_positions=latest is not None and not state.readers)
    if latest:
        # The last step of resuming, once the loader has started: from here on the global RNG
        # (dropout) draws exactly what the uninterrupted run drew.
        _restore_rng(state)
    heldout = heldout_sequences(source, sorted(sizes), args.eval_paragraphs, args.seq_len,
                                tokenizer.bos_token_id, tokenizer.eos_token_id, args.eval_sequences)
    if ctx.main:
        out.fetch("metrics.jsonl")
    metrics = Metrics(out.local / "metrics.jsonl", ctx.main, state.step)
    if not latest:
        # cwd: relative paths in args are relative to it (xlmr-eval finds the corpus with it)
        metrics.write({"event": "start", "step": 0, "args": vars(args), "cwd": os.getcwd(), "world": ctx.world,
                       "parameters": sum(p.numel() for p in model.parameters()), "vocab_size": len(tokenizer),
                       "languages": sizes, "heldout_sequences": {lang: len(s) for lang, s in heldout.items()}})
    return Run(args, out, masked_lm, ddp, autocast, Vocabulary.of(tokenizer), batch_iter, heldout, metrics), state


def _latest_checkpoint(out: RunDir, args, ctx) -> Path | None:
    """A local copy of OUT's latest checkpoint, once --overwrite has emptied OUT; refused without --resume."""
    if args.overwrite:
        if ctx.main:
            for name in ("checkpoints", "final", "metrics.jsonl"):
                out.delete(name)
        ctx.barrier()  # no rank looks for checkpoints before they are gone
    found = out.checkpoints()
    if found and not args.resume:
        raise TrainError(f"--output {out} already has checkpoints (latest {found[-1]}): "
                         "pass --resume to continue that run, or choose a new --output")
    return out.fetch(f"checkpoints/{found[-1]}") if found else None


def _resume(state: TrainState, path: Path, lr: float) -> None:
    written = checkpoint.load(state, path)
    rebase(state.scheduler, lr)
    ctx = state.ctx
    if ctx.main:
        if not checkpoint.same_readers(written, state):
            print(f"xlmr-train: {path.name} was written by {written['world']} processes x "
                  f"{written['workers']} workers, this run has {ctx.world} x {state.setup['workers']}: "
                  "model and optimizer resume, the data streams start over from new positions")
        print(f"xlmr-train: resuming from {path} (step {state.step})")


def _restore_rng(state: TrainState) -> None:
    """Put back this rank's global RNG states from the checkpoint, if it kept them."""
    if state.rng:
        checkpoint.set_rng_state(state.rng)


def _start_loader(args, state: TrainState, tokdir: str, sizes: dict[str, int], new_positions: bool) -> Iterator:
    """An iterator of training batches from where the state's readers stand; `new_positions`: from new seeded ones."""
    from torch.utils.data import DataLoader

    ctx, tokenizer = state.ctx, state.tokenizer
    dataset = PackedStream(args.data, tokdir, sizes, alpha=args.alpha, length=args.seq_len,
                           bos=tokenizer.bos_token_id, eos=tokenizer.eos_token_id, heldout=args.eval_paragraphs,
                           seed=f"{args.seed}+{state.step}" if new_positions else args.seed,
                           rank=ctx.rank, world=ctx.world, workers=args.workers,
                           shift=state.micro_batches % max(args.workers, 1), states=state.readers)
    # Its own generator: creating the loader iterator must not draw from the global RNG that
    # dropout uses, or a resumed run would diverge from an uninterrupted one.
    loader = DataLoader(dataset, batch_size=args.batch_size, num_workers=args.workers, collate_fn=collate,
                        pin_memory=ctx.device.type == "cuda", generator=torch.Generator().manual_seed(args.seed))
    return iter(loader)


def train_step(run: Run, state: TrainState) -> Update:
    """One optimizer update over --grad-accum micro-batches: see the module's docstring for the scaling.
    It ends on .item(), so a device has finished the update when this returns."""
    args, ctx, scaler, optimizer = run.args, state.ctx, state.scaler, state.optimizer
    micro, waited = [], 0.0
    for m in range(args.grad_accum):
        started = time.perf_counter()
        ids, metas = next(run.batch_iter)
        waited += time.perf_counter() - started
        advance(state.readers, metas)
        generator = torch.Generator(ctx.device).manual_seed(derive_seed(args.seed, ctx.rank, state.step, m))
        micro.append(mask_tokens(ids.to(ctx.device, non_blocking=True), run.vocab, generator, args.mask_prob))
    state.micro_batches += args.grad_accum
    masked_total = ctx.sum(sum((labels != IGNORE).sum() for _, labels in micro).double())
    loss_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
    for m, (inputs, labels) in enumerate(micro):
        last = m == len(micro) - 1
        with contextlib.nullcontext() if last or run.ddp is None else run.ddp.no_sync():
            with run.autocast():
                loss = (run.ddp or run.masked_lm)(inputs, labels)
            scaled = loss * (ctx.world / masked_total)
            (scaler.scale(scaled) if scaler else scaled).backward()
        loss_sum += loss.detach().double()
    if scaler:
        scaler.unscale_(optimizer)
    grad_norm = torch.nn.utils.clip_grad_norm_(state.model.parameters(), args.clip_norm)
    mean_loss = (ctx.sum(loss_sum) / masked_total).item()
    # The fp16 scaler skips updates with overflowing gradients by itself; otherwise a NaN
    # gradient under a finite loss would write NaN into every weight.
    if not math.isfinite(mean_loss) or (scaler is None and not torch.isfinite(grad_norm)):
        optimizer.zero_grad(set_to_none=True)
        raise non_finite_loss_error(run.out, state.step + 1, mean_loss, grad_norm)
    lr = state.scheduler.get_last_lr()[0]  # the rate of this update
    if scaler:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    state.scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    state.step += 1
    tokens = sum(inputs.numel() for inputs, _ in micro) * ctx.world
    state.tokens += tokens
    return Update(mean_loss, lr, grad_norm.item(), int(masked_total.item()), tokens, waited)


def non_finite_loss_error(out: RunDir, step: int, mean_loss: float, grad_norm: torch.Tensor) -> NonFiniteLoss:
    """The error for update `step`, whose loss or gradient norm is not finite, naming OUT's last good checkpoint."""
    saved = out.checkpoints()
    last_good = f"{out}/checkpoints/{saved[-1]}" if saved else None
    what = f"loss is {mean_loss}" if not math.isfinite(mean_loss) else f"gradient norm is {grad_norm.item()}"
    return NonFiniteLoss(f"{what} at step {step}; the update was not applied. Last good "
                         f"checkpoint: {last_good or 'none'} (a lower --lr, more --warmup or "
                         "--precision bf16 instead of fp16 usually helps)")


def _evaluate(run: Run, state: TrainState) -> dict:
    """Held-out loss, perplexity and accuracy per language: logged, and printed by rank 0."""
    state.model.eval()
    report = evaluate(run.masked_lm, run.heldout, run.vocab, state.tokenizer.pad_token_id, state.ctx,
                      run.args.batch_size, run.args.mask_prob, run.autocast)
    state.model.train()
    run.metrics.write({"event": "eval", "step": state.step, "tokens": state.tokens, "eval": report})
    if state.ctx.main and report:
        print(f"\nheld-out masked-LM loss at step {state.step}:\n{format_report(report)}")
    return report


def _save(run: Run, state: TrainState) -> None:
    checkpoint.save(state, run.out)
    if state.ctx.main:
        checkpoint.prune(run.out, run.args.keep_checkpoints)
        run.out.push("metrics.jsonl")


def _finish(run: Run, state: TrainState) -> None:
    """OUT/final (the model and its tokenizer), the metrics and the model card, written by rank 0."""
    if state.ctx.main:
        final = run.out.local / "final"
        state.model.save_pretrained(final)
        state.tokenizer.save_pretrained(final)
        run.out.push("final")
        run.out.push("metrics.jsonl")
        for written in write_training_report(run.out.local):
            run.out.push(written.name)
    state.ctx.barrier()


def _check_agreement(ctx, grad_norm: float, step: int) -> None:
    """Every rank must have seen the same all-reduced gradient (fairseq checks this too)."""
    norms = ctx.gather(grad_norm)
    if max(norms) - min(norms) > 1e-6 * max(1.0, abs(max(norms))):
        raise TrainError(f"ranks disagree on the gradient norm at step {step}: {norms}")
