"""Masked-LM loss with the LM head applied only where there is something to predict.

With XLM-R's 250K vocabulary the output projection costs more per token than
the whole base encoder; RoBERTa (fairseq) and XLM-R project only the ~15%
masked positions. Wrapping this in one module keeps DDP's hooks on its forward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .masking import IGNORE


class SparseMaskedLM(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model  # an XLMRobertaForMaskedLM

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor, attention_mask: torch.Tensor | None = None,
                with_correct: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Sum (not mean) of the cross-entropy over masked positions: the caller normalises
        by the masked tokens of the whole step, across micro-batches and ranks. With
        `with_correct` (evaluation), also how many masked tokens the argmax predicts."""
        hidden = self.model.roberta(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        where = labels != IGNORE
        logits = self.model.lm_head(hidden[where])
        loss = F.cross_entropy(logits.float(), labels[where], reduction="sum")
        if not with_correct:
            return loss
        return loss, (logits.argmax(-1) == labels[where]).sum()
