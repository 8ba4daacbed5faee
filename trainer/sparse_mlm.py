"""Masked-LM loss with the LM head applied only where there is something to predict, a chunk at a time.

With XLM-R's 250K vocabulary the output projection costs more per token than
the whole base encoder; RoBERTa (fairseq) and XLM-R project only the ~15%
masked positions. Those still make a large logits tensor: the ~2,500 masked
positions of a 32 x 512 micro-batch give 2,500 x 250K logits, 1.2 GB in bf16,
and the cross-entropy adds fp32 copies of it and of its gradient. So the
projection and the cross-entropy run over chunks of positions, and each
chunk's gradient is taken there and then (as Liger-Kernel's fused linear
cross-entropy does): one chunk of logits exists at a time, none is kept for
backward, and backward only scales the gradients that forward summed.

Memory beyond the encoder's, whatever the batch: one chunk of logits (at most
CHUNK_LOGITS fp32 values, plus their bf16 copy under autocast), one chunk's share
of the tied vocabulary matrix's gradient (vocabulary x hidden in the compute
dtype) and, from forward to backward, that gradient's fp32 sum (768 MB for base
at 250K), which the backward pass would allocate anyway. docs/training.md has
the measurements.

Wrapping this in one module keeps DDP's hooks on its forward.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers.activations import gelu

from .masking import IGNORE

CHUNK_LOGITS = 2**27  # logits per chunk: 536 positions at XLM-R's 250,002 pieces, 512 MiB in fp32


class SparseMaskedLM(nn.Module):
    def __init__(self, model, chunk_logits: int = CHUNK_LOGITS):
        super().__init__()
        self.model = model  # an XLMRobertaForMaskedLM
        self.chunk_logits = chunk_logits

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor, attention_mask: torch.Tensor | None = None,
                with_correct: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Sum (not mean) of the cross-entropy over masked positions: the caller normalises
        by the masked tokens of the whole step, across micro-batches and ranks. With
        `with_correct` (evaluation), also how many masked tokens the argmax predicts."""
        hidden = self.model.roberta(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        where = labels != IGNORE
        head = self.model.lm_head
        # lm_head's own steps up to the vocabulary projection, which goes in chunks
        features = head.layer_norm(gelu(head.dense(hidden[where])))
        weight, bias = head.decoder.weight, head.decoder.bias
        rows = max(1, self.chunk_logits // weight.shape[0])
        with_grad = torch.is_grad_enabled() and (features.requires_grad or weight.requires_grad)
        loss, correct = _ChunkedCrossEntropy.apply(features, weight, bias, labels[where], rows, with_grad,
                                                   with_correct)
        return (loss, correct) if with_correct else loss


class _ChunkedCrossEntropy(torch.autograd.Function):
    """(sum of cross_entropy(features @ weight.T + bias, targets), argmax hits), `rows` positions at a time."""

    @staticmethod
    def forward(ctx, features, weight, bias, targets, rows: int, with_grad: bool, with_correct: bool):
        device = features.device.type
        # Cast once, as autocast would cast the decoder's inputs, rather than once per chunk.
        dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else features.dtype
        with torch.autocast(device, enabled=False):
            x, w, b = features.to(dtype), weight.to(dtype), bias.to(dtype)
            loss = torch.zeros((), dtype=torch.float32, device=features.device)
            correct = torch.zeros((), dtype=torch.long, device=features.device)
            if with_grad:
                ctx.grads = torch.empty_like(features), torch.zeros_like(weight), torch.zeros_like(bias)
            for start in range(0, len(targets), rows):
                xc, tc = x[start:start + rows], targets[start:start + rows]
                logits = torch.addmm(b, xc, w.t()).float()
                lse = logits.logsumexp(-1)
                loss += (lse - logits.gather(1, tc[:, None]).squeeze(1)).sum()
                if with_correct:
                    correct += (logits.argmax(-1) == tc).sum()
                if with_grad:
                    # d loss / d logits = softmax - one_hot(target), made in the logits' place
                    probs = logits.sub_(lse[:, None]).exp_()
                    probs[torch.arange(len(tc), device=probs.device), tc] -= 1
                    grad_x, grad_w, grad_b = ctx.grads
                    grad_b += probs.sum(0)
                    probs = probs.to(dtype)
                    grad_x[start:start + rows] = probs @ w
                    grad_w += probs.t() @ xc
        ctx.mark_non_differentiable(correct)
        return loss, correct

    @staticmethod
    def backward(ctx, grad_loss, _):
        grads, ctx.grads = ctx.grads, None  # scaled in place, and not held past this pass
        return *(g.mul_(grad_loss) for g in grads), None, None, None, None
