"""Checkpoints: OUT/checkpoints/step-N/, published whole or not at all, the last K kept.

    config.json, model.safetensors   the model (save_pretrained: transformers loads it as is)
    optimizer.pt, scheduler.pt       AdamW, the lr schedule and the fp16 scaler (rank 0; DDP keeps them equal)
    trainer_state.json               step, tokens, world size, dataloader workers, vocabulary digest
    rank-R.pt, rank-R.json           each rank's RNG states and data-reader positions

Everything loads with `weights_only=True` or as JSON/safetensors: no pickled code.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import torch

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


def save(run: RunDir, step: int, ctx, model, tokenizer, optimizer, scheduler, scaler, state: dict, data: dict,
         keep: int) -> str:
    """Every rank calls this. Files go to a local step-N.tmp first; a local OUT then gets it renamed to
    step-N by rank 0, a remote one gets each rank's files uploaded and a COMPLETE marker last.
    With the tokenizer beside the weights, step-N loads in transformers (and xlmr-eval) on its own."""
    name = f"step-{step}"
    tmp = run.local / "checkpoints" / f"{name}.tmp"
    if ctx.main or run.remote:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    ctx.barrier()
    torch.save(rng_state(), tmp / f"rank-{ctx.rank}.pt")
    (tmp / f"rank-{ctx.rank}.json").write_text(json.dumps(data))
    if ctx.main:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save({"scheduler": scheduler.state_dict(), "scaler": scaler.state_dict() if scaler else None},
                   tmp / "scheduler.pt")
        (tmp / "trainer_state.json").write_text(json.dumps({"step": step, **state}, indent=2))
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
    if ctx.main:
        for old in run.checkpoints()[:-keep]:
            run.delete(f"checkpoints/{old}")
    ctx.barrier()
    return f"{run}/checkpoints/{name}"


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


def load(path: Path, ctx, model, optimizer, scheduler, scaler) -> tuple[dict, dict | None]:
    """Restore everything in place; returns (trainer state, this rank's data positions or None)."""
    load_weights(path, model)
    optimizer.load_state_dict(torch.load(path / "optimizer.pt", map_location=ctx.device, weights_only=True))
    schedule = torch.load(path / "scheduler.pt", weights_only=True)
    scheduler.load_state_dict(schedule["scheduler"])
    if scaler and schedule["scaler"]:
        scaler.load_state_dict(schedule["scaler"])
    state = json.loads((path / "trainer_state.json").read_text())
    rank_file = path / f"rank-{ctx.rank}.json"
    data = json.loads(rank_file.read_text()) if rank_file.exists() else None
    rng = path / f"rank-{ctx.rank}.pt"
    if rng.exists():
        set_rng_state(torch.load(rng, weights_only=True))
    return state, data
