"""What xlmr-train was told when it wrote a checkpoint: the evaluation should match it.

A checkpoint written by xlmr-train sits at OUT/final or OUT/checkpoints/step-N,
local or remote, and OUT/metrics.jsonl starts with the run's flags and the
directory it ran in. From them the evaluation takes the corpus, the held-out
paragraph count (larger would score text the model trained on), the sequence
length (positions past it were never trained), the masking and the trained
languages. Any other checkpoint has no such record.
"""

from __future__ import annotations

import dataclasses
import json
import os
import posixpath

from xlmr.common.files import is_remote, open_read


@dataclasses.dataclass(frozen=True)
class TrainingRun:
    out: str  # OUT: a local absolute path or a URI
    args: dict  # xlmr-train's flags as typed
    cwd: str  # where it ran; relative flags are relative to it

    def resolve(self, path: str) -> str:
        """A path from the run's flags, made usable from here."""
        if is_remote(path) or os.path.isabs(path):
            return path
        return os.path.join(self.cwd, path)


def _first_line(uri: str) -> str | None:
    try:
        with open_read(uri) as f:
            head = b""
            while b"\n" not in head:
                chunk = f.read(1 << 16)
                if not chunk:
                    break
                head += chunk
    except (OSError, ValueError, ImportError):  # absent, or a filesystem not installed (s3fs)
        return None
    return head.split(b"\n", 1)[0].decode("utf-8")


def find(model: str) -> TrainingRun | None:
    """The run that wrote the checkpoint at `model` (a path or URI), if it was xlmr-train."""
    here = model.rstrip("/") if is_remote(model) else os.path.abspath(model)
    for _ in range(2):  # OUT/final, OUT/checkpoints/step-N
        here = posixpath.dirname(here) if is_remote(here) else os.path.dirname(here)
        line = _first_line(f"{here}/metrics.jsonl")
        if line:
            first = json.loads(line)
            if first.get("event") == "start":
                return TrainingRun(here, first["args"], first["cwd"])
    return None
