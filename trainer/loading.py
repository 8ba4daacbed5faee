"""Reading an xlmr-tokenizer output: the transformers tokenizer, and the fast encoder that packs text."""

from __future__ import annotations

import os

from .errors import TrainError


def load_tokenizer(tokdir: str, flag: str = "--tokenizer"):
    """An XLM-R tokenizer from a local directory; `flag` is named in errors."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(tokdir)
    except (OSError, ValueError) as exc:
        raise TrainError(f"{flag} {tokdir}: not an xlmr-tokenizer output ({exc})") from exc
    if tokenizer.mask_token_id is None or tokenizer.pad_token_id is None:
        raise TrainError(f"{flag} {tokdir} has no <mask> or <pad> token: expected an XLM-R tokenizer")
    return tokenizer


def load_encoder(tokdir: str):
    """Paragraphs -> token ids without special tokens, with the tokenizer's own Rust backend."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(tokdir, "tokenizer.json"))
    return lambda texts: [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
