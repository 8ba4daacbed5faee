"""RoBERTa/XLM-R optimisation: AdamW (β 0.9/0.98, ε 1e-6), linear warmup, then linear decay to 0."""

from __future__ import annotations

import torch


def build_optimizer(model: torch.nn.Module, lr: float, weight_decay: float, fused: bool) -> torch.optim.AdamW:
    """Weight decay on matrices only: biases and LayerNorm gains are left alone (BERT, HF Trainer)."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.98), eps=1e-6, fused=fused or None)


def linear_schedule(optimizer: torch.optim.Optimizer, warmup: int, total: int) -> torch.optim.lr_scheduler.LambdaLR:
    """lr factor for the update after `step` updates: (step+1)/warmup rising, then falling linearly to 0 at `total`."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def rebase(scheduler: torch.optim.lr_scheduler.LambdaLR, lr: float) -> None:
    """After loading a checkpoint: this run's --lr, --warmup and --max-steps apply from the next
    update on (a restored scheduler keeps the old peak rate; extending a finished run would stay at 0)."""
    scheduler.base_lrs = [lr for _ in scheduler.base_lrs]
    rates = [lr * f(scheduler.last_epoch) for f in scheduler.lr_lambdas]
    for group, rate in zip(scheduler.optimizer.param_groups, rates):
        group["lr"] = rate
    scheduler._last_lr = rates
