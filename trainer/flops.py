"""Model FLOPs per trained token, for achieved TFLOP/s and MFU (PaLM's appendix B accounting).

Training costs 3x the forward pass (forward, and backward for activations and
weights). Forward per token: 2 FLOPs per weight of the encoder's matrices,
attention scores and weighted values (2 x 2 x seq_len x hidden per layer),
and the LM head (dense + vocabulary projection) only for the `mask_prob` share
of tokens that are predicted. Embedding lookups, norms and softmax are not counted.
"""

from __future__ import annotations


def training_flops_per_token(config, seq_len: int, mask_prob: float) -> float:
    h, layers = config.hidden_size, config.num_hidden_layers
    per_layer = 4 * h * h + 2 * h * config.intermediate_size
    encoder = 2 * layers * per_layer + layers * 4 * seq_len * h
    head = 2 * (h * h + h * config.vocab_size) * mask_prob
    return 3 * (encoder + head)
