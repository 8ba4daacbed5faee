"""Model shapes: XLM-R base and large as in the paper (Conneau et al. 2020, table 7), and a tiny one for CPU tests."""

from __future__ import annotations

PRESETS = {
    # layers, hidden, heads, feed-forward
    "tiny": (2, 128, 2, 512),
    "base": (12, 768, 12, 3072),
    "large": (24, 1024, 16, 4096),
}

# RoBERTa's positions start after the padding index (1), so 512 tokens need 514.
MAX_POSITIONS = 514


def model_config(preset: str, tokenizer):
    """An XLMRobertaConfig of `preset` whose vocabulary and special ids are the tokenizer's."""
    from transformers import XLMRobertaConfig

    layers, hidden, heads, ffn = PRESETS[preset]
    return XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=ffn,
        max_position_embeddings=MAX_POSITIONS,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        attn_implementation="sdpa",
    )


# The fields a checkpoint must share with the flags to be resumed.
SHAPE_FIELDS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                "intermediate_size", "max_position_embeddings")
