"""SentencePiece unigram training with XLM-R's settings, and its errors made readable.

Ids as XLM-R's sentencepiece.bpe.model: <unk>=0, <s>=1, </s>=2, no <pad> and
no user-defined symbols (transformers' XLM-R tokenizer adds the fairseq
offset: <s>=0, <pad>=1, </s>=2, <unk>=3, pieces +1, <mask> last).
Memory: the unigram seed step needs about 20 bytes per input character, so
`input_sentence_size` is capped to fit `memory_bytes` at the sample's mean
paragraph length (SentencePiece then samples that many lines itself).
"""

from __future__ import annotations

import os
import re
from typing import Iterable

import sentencepiece as spm

BYTES_PER_CHAR = 20
MAX_SENTENCE_BYTES = 16384  # longer paragraphs are skipped by SentencePiece


class VocabularyError(Exception):
    """The corpus cannot fill the requested vocabulary."""


def input_sentence_size(sentences: int, mean_chars: float, memory_bytes: int) -> int:
    """How many sentences SentencePiece may load within the memory budget."""
    return max(1, min(sentences, int(memory_bytes / (BYTES_PER_CHAR * max(mean_chars, 1.0)))))


def write_tsv(weighted: Iterable[tuple[str, int]], path: str) -> None:
    """SentencePiece's TSV input: one "sentence<TAB>frequency" line per distinct paragraph."""
    with open(path, "w", encoding="utf-8") as f:
        for text, count in weighted:
            f.write(f"{text.replace(chr(9), ' ')}\t{count}\n")


def train(
    source: dict,
    model_prefix: str,
    vocab_size: int | None,
    sentence_limit: int,
) -> None:
    """Train `<model_prefix>.model`.

    `source` is SentencePiece's input: {"input": path, "input_format": "tsv"},
    {"input": path} (one sentence a line) or {"sentence_iterator": it}.
    `vocab_size=None` ("auto") asks for 250,000 with a soft limit: SentencePiece
    stops at what the corpus can fill.
    """
    try:
        spm.SentencePieceTrainer.train(
            **source,
            model_prefix=model_prefix,
            model_type="unigram",
            vocab_size=vocab_size or 250_000,
            hard_vocab_limit=vocab_size is not None,
            character_coverage=0.9995,
            byte_fallback=False,
            unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
            num_threads=os.cpu_count() or 1,
            input_sentence_size=sentence_limit,
            shuffle_input_sentence=True,
            max_sentence_length=MAX_SENTENCE_BYTES,
            minloglevel=2,
        )
    except RuntimeError as exc:
        raise _readable(exc, vocab_size) from None


def _readable(exc: RuntimeError, vocab_size: int | None) -> Exception:
    message = str(exc)
    too_high = re.search(r"Vocabulary size (?:is )?too high \((\d+)\)\. Please set it to a value <= (\d+)", message)
    if too_high:
        return VocabularyError(
            f"--vocab-size {vocab_size} is more than this corpus can fill: SentencePiece can make at most "
            f"{too_high.group(2)} pieces from the sampled text. Pass --vocab-size {too_high.group(2)} or less, "
            "--vocab-size auto, or more text (--sentences, a bigger corpus)."
        )
    too_low = re.search(r"Vocabulary size is smaller than required_chars\. (\d+) vs (\d+)", message)
    if too_low:
        return VocabularyError(
            f"--vocab-size {too_low.group(1)} is smaller than the {too_low.group(2)} characters needed to cover "
            f"99.95% of the sampled text (character_coverage); pass --vocab-size above {too_low.group(2)}."
        )
    if "empty" in message.lower() or "no sentence" in message.lower():
        return VocabularyError("no training text: the sampled paragraphs are empty")
    return exc
