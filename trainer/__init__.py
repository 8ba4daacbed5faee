"""Trainer stage: a thin PyTorch DDP masked-LM trainer (not built yet; see the project's issues)."""
