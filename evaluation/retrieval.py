"""Parallel-sentence retrieval: does each sentence's nearest neighbour (cosine) in the other language translate it?"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def top1_accuracy(queries: torch.Tensor, keys: torch.Tensor) -> float:
    """Share of rows i whose most similar row of `keys` is row i (its translation)."""
    similarity = F.normalize(queries, dim=1) @ F.normalize(keys, dim=1).T
    return (similarity.argmax(1) == torch.arange(len(queries))).float().mean().item()


def retrieval_scores(other: torch.Tensor, english: torch.Tensor) -> dict:
    """Both directions for one language paired with English; chance is one over the candidates."""
    return {"n": len(other), "to_en": top1_accuracy(other, english), "from_en": top1_accuracy(english, other),
            "chance": 1 / len(other)}
