"""What stops a training run, each with its own exit status in `xlmr-train` (checkpoint.py has CheckpointError)."""

from __future__ import annotations


class TrainError(Exception):
    """The inputs or the output directory do not allow the run."""


class NonFiniteLoss(Exception):
    """The loss became NaN or inf; nothing of that update was applied."""
