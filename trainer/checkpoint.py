"""Checkpoints: OUT/checkpoints/step-N/, published whole or not at all, the last K kept.

    config.json, model.safetensors   the model (save_pretrained: transformers loads it as is)
    optimizer.pt, scheduler.pt       AdamW, the lr schedule and the fp16 scaler (rank 0; DDP keeps them equal)
    trainer_state.json               step, tokens, world size, dataloader workers, vocabulary digest
    rank-R.pt, rank-R.json           each rank's RNG states and data-reader positions

Everything loads with `weights_only=True` or as JSON/safetensors: no pickled code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from .distributed import Context
from .presets import SHAPE_FIELDS
from .run_dir import RunDir


class CheckpointError(Exception):
    """A checkpoint cannot be resumed with these flags."""


def rng_state() -> dict:
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


@dataclasses.dataclass
class TrainState:
    """What a checkpoint saves and restores: the model, its optimisation, and where the run stands."""

    ctx: Context
    model: torch.nn.Module  # the XLMRobertaForMaskedLM (save_pretrained writes it), not its DDP wrapper
    tokenizer: Any
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler | None  # fp16 only
    setup: dict  # what trainer_state.json records of the run besides step, tokens and world
    step: int = 0
    tokens: int = 0  # trained, all ranks
    micro_batches: int = 0  # micro-batches this rank consumed (saved as "batches")
    readers: dict = dataclasses.field(default_factory=dict)  # this rank's data-reader positions
    rng: dict | None = None  # this rank's RNG states from a checkpoint, restored once the data loader has started


def save(state: TrainState, run: RunDir) -> str:
    """Every rank calls this. Files go to a local step-N.tmp first; a local OUT then gets it renamed to
    step-N by rank 0, a remote one gets each rank's files uploaded and a COMPLETE marker last.
    With the tokenizer beside the weights, step-N loads in transformers (and xlmr-eval) on its own."""
    ctx = state.ctx
    name = f"step-{state.step}"
    tmp = run.local / "checkpoints" / f"{name}.tmp"
    if ctx.main or run.remote:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    ctx.barrier()
    torch.save(rng_state(), tmp / f"rank-{ctx.rank}.pt")
    (tmp / f"rank-{ctx.rank}.json").write_text(json.dumps({"batches": state.micro_batches, "readers": state.readers}))
    if ctx.main:
        state.model.save_pretrained(tmp)
        state.tokenizer.save_pretrained(tmp)
        torch.save(state.optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save({"scheduler": state.scheduler.state_dict(),
                    "scaler": state.scaler.state_dict() if state.scaler else None}, tmp / "scheduler.pt")
        trainer_state = {"step": state.step, "tokens": state.tokens, "world": ctx.world, **state.setup}
        (tmp / "trainer_state.json").write_text(json.dumps(trainer_state, indent=2))
    ctx.barrier()
    if run.remote:
        run.push(f"checkpoints/{tmp.name}", f"checkpoints/{name}")  # this rank's files (rank 0: and the shared ones)
        shutil.rmtree(tmp)
        ctx.barrier()
        if ctx.main:
            run.mark_complete(name)
    elif ctx.main:
        _fsync(tmp)  # a published step-N must not hold files still in the page cache after a power cut
        shutil.rmtree(tmp.with_name(name), ignore_errors=True)
        tmp.rename(tmp.with_name(name))
        # .tmp directories of runs that crashed mid-save go too
        for stale in tmp.parent.glob("step-*.tmp"):
            shutil.rmtree(stale)
    ctx.barrier()
    return f"{run}/checkpoints/{name}"


def prune(run: RunDir, keep: int) -> None:
    """Rank 0, after a save: delete all but the last `keep` checkpoints."""
    for old in run.checkpoints()[:-keep]:
        run.delete(f"checkpoints/{old}")


def _fsync(directory: Path) -> None:
    for path in [*directory.iterdir(), directory]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def vocabulary_digest(tokenizer) -> str:
    """Identifies the tokenizer's pieces and ids: two vocabularies of one size can differ."""
    pairs = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode()).hexdigest()[:16]


def check_compatible(path: Path, config, vocabulary: str) -> None:
    """Refuse a checkpoint whose model shape or vocabulary differs from what the flags build."""
    saved = json.loads((path / "config.json").read_text())
    wrong = [f"{k} {saved.get(k)} in the checkpoint, {getattr(config, k)} from the flags"
             for k in SHAPE_FIELDS if saved.get(k) != getattr(config, k)]
    trained_with = json.loads((path / "trainer_state.json").read_text()).get("vocabulary")
    if not wrong and trained_with != vocabulary:
        wrong = [f"the tokenizer's pieces differ (vocabulary digest {trained_with} in the checkpoint, "
                 f"{vocabulary} for --tokenizer)"]
    if wrong:
        raise CheckpointError(f"{path} does not fit this run: " + "; ".join(wrong)
                              + " (same --model and --tokenizer as the run that wrote it, or a new --output)")


def load_weights(path: Path, model) -> None:
    from safetensors.torch import load_file

    tied = set(getattr(model, "_tied_weights_keys", None) or ())
    missing, unexpected = model.load_state_dict(load_file(path / "model.safetensors"), strict=False)
    if unexpected or set(missing) - tied:
        raise CheckpointError(f"{path}/model.safetensors does not match the model: "
                              f"missing {sorted(set(missing) - tied)}, unexpected {sorted(unexpected)}")
    model.tie_weights()


def load(state: TrainState, path: Path) -> dict:
    """Restore `state` in place from the checkpoint at `path`; returns its trainer_state.json. The data
    positions come back only when as many processes and workers wrote it: they belong to those readers."""
    ctx = state.ctx
    load_weights(path, state.model)
    state.optimizer.load_state_dict(torch.load(path / "optimizer.pt", map_location=ctx.device, weights_only=True))
    schedule = torch.load(path / "scheduler.pt", weights_only=True)
    state.scheduler.load_state_dict(schedule["scheduler"])
    if state.scaler and schedule["scaler"]:
        state.scaler.load_state_dict(schedule["scaler"])
    written = json.loads((path / "trainer_state.json").read_text())
    state.step, state.tokens = written["step"], written["tokens"]
    positions = path / f"rank-{ctx.rank}.json"
    if positions.exists() and same_readers(written, state):
        data = json.loads(positions.read_text())
        state.readers = {int(k): v for k, v in data["readers"].items()}
        state.micro_batches = data["batches"]
    rng_file = path / f"rank-{ctx.rank}.pt"
    if rng_file.exists():
        state.rng = torch.load(rng_file, weights_only=True)
    return written


def same_readers(written: dict, state: TrainState) -> bool:
    """Whether a checkpoint's trainer_state.json was written by this run's processes x workers."""
    return (written["world"], written["workers"]) == (state.ctx.world, state.setup["workers"])
