"""Sentence embeddings from an encoder: the mean of one layer's hidden states over the tokens.

This is XTREME's recipe for its zero-shot retrieval tasks (BUCC, Tatoeba): no
training, cosine similarity between mean-pooled middle-layer states. Middle
layers align languages better than the last one, which the masked-LM objective
specialises towards predicting tokens (XTREME uses layer 7 of 12 and 13 of 24).
"""

from __future__ import annotations

import contextlib

import torch


def default_layer(num_hidden_layers: int) -> int:
    """XTREME's choice, generalised: 7 of 12 (base), 13 of 24 (large), 2 of 2 (tiny)."""
    return num_hidden_layers // 2 + 1


@torch.no_grad()
def mean_pooled(encoder, tokenizer, texts: list[str], layer: int, *, batch_size: int, max_length: int,
                device: torch.device, autocast=contextlib.nullcontext) -> torch.Tensor:
    """[len(texts), hidden] float32 on the CPU. `layer` indexes hidden_states: 0 is the embedding
    layer, k the output of the k-th transformer layer. Averages over every attended token,
    <s> and </s> included, as XTREME does."""
    encoder.eval()  # no dropout: the same texts always give the same vectors
    # Batches of similar length waste less on padding; the order is restored at the end.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = torch.empty(len(texts), encoder.config.hidden_size)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        batch = tokenizer([texts[i] for i in chunk], padding=True, truncation=True, max_length=max_length,
                          return_tensors="pt").to(device)
        with autocast():
            states = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                             output_hidden_states=True).hidden_states[layer]
        weights = batch["attention_mask"].unsqueeze(-1).float()
        out[chunk] = ((states.float() * weights).sum(1) / weights.sum(1)).cpu()
    return out
