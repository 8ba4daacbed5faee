"""Turn a SentencePiece model into a Hugging Face XLM-R tokenizer directory.

transformers loads an XLM-R tokenizer only through `from_pretrained(dir)`
with the model named `sentencepiece.bpe.model` in `dir` (constructing it with
`vocab_file=` silently ignores the file in transformers 5), and converting
the model needs `protobuf`. `save_pretrained` then writes tokenizer.json and
the configs, so `AutoTokenizer.from_pretrained(dir)` loads it without
converting again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

SPM_NAME = "sentencepiece.bpe.model"


def export(model_file: str, tokdir: Path, max_length: int = 512) -> None:
    """Write `tokdir`: the model under XLM-R's name and the Hugging Face files."""
    from transformers import XLMRobertaTokenizer

    tokdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model_file, tokdir / SPM_NAME)
    tokenizer = XLMRobertaTokenizer.from_pretrained(str(tokdir), model_max_length=max_length)
    tokenizer.save_pretrained(str(tokdir))
