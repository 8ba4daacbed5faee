"""Stage 3: `xlmr-train`, a thin PyTorch DDP masked-LM trainer over xlmr-corpus shards (docs/training.md)."""
