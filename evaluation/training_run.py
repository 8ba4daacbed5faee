"""What xlmr-train was told when it wrote a checkpoint: the evaluation should match it.

A checkpoint written by xlmr-train sits at OUT/final or OUT/checkpoints/step-N,
and OUT/metrics.jsonl starts with the run's flags. From them the evaluation
takes the corpus, the held-out paragraph count (larger would score text the
model trained on), the sequence length (positions past it were never trained)
and the sampling exponent. Any other checkpoint has no such record.
"""

from __future__ import annotations

import json
from pathlib import Path


def training_args(model_dir: Path) -> dict | None:
    for out in (model_dir.parent, model_dir.parent.parent):
        metrics = out / "metrics.jsonl"
        if metrics.is_file():
            with metrics.open() as f:
                first = json.loads(f.readline() or "{}")
            if first.get("event") == "start":
                return first["args"]
    return None
