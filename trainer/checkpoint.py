"""Checkpoints: OUT/checkpoints/step-N/, written under a temporary name and renamed, the last K kept.

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
import re
import shutil
from pathlib import Path

import torch

from .presets import SHAPE_FIELDS

STEP_DIR = re.compile(r"^step-(\d+)$")


class CheckpointError(Exception):
    """A checkpoint cannot be resumed with these flags."""


def steps(out: Path) -> list[Path]:
    """Finished checkpoints, oldest first (a `.tmp` left by a crash is not one)."""
    root = out / "checkpoints"
    found = [(int(m.group(1)), p) for p in root.glob("step-*") if (m := STEP_DIR.match(p.name))]
    return [p for _, p in sorted(found)]


def latest(out: Path) -> Path | None:
    found = steps(out)
    return found[-1] if found else None


def rng_state() -> dict:
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


def save(out: Path, step: int, ctx, model, optimizer, scheduler, scaler, state: dict, data: dict, keep: int) -> Path:
    """Every rank calls this; rank 0 writes the shared parts and publishes the directory by renaming it."""
    final = out / "checkpoints" / f"step-{step}"
    tmp = final.with_name(final.name + ".tmp")
    if ctx.main:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    ctx.barrier()
    torch.save(rng_state(), tmp / f"rank-{ctx.rank}.pt")
    (tmp / f"rank-{ctx.rank}.json").write_text(json.dumps(data))
    if ctx.main:
        model.save_pretrained(tmp)
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save({"scheduler": scheduler.state_dict(), "scaler": scaler.state_dict() if scaler else None},
                   tmp / "scheduler.pt")
        (tmp / "trainer_state.json").write_text(json.dumps({"step": step, **state}, indent=2))
    ctx.barrier()
    if ctx.main:
        _fsync(tmp)  # a published step-N must not hold files still in the page cache after a power cut
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        for old in [*steps(out)[:-keep], *final.parent.glob("step-*.tmp")]:
            shutil.rmtree(old)  # older checkpoints, and .tmp directories of runs that crashed mid-save
    ctx.barrier()
    return final


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
