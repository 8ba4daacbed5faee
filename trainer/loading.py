"""Reading an xlmr-tokenizer output: the transformers tokenizer (the encoder that packs text is
common/token_shards.paragraph_encoder, shared with `xlmr-tokenizer encode`)."""

from __future__ import annotations

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
