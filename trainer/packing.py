"""Packing paragraphs into fixed-length sequences: `<s> p1 </s> p2 </s> ...`, RoBERTa's contiguous blocks.

Paragraphs are appended in stream order, each closed by `</s>`, continuing
across documents until the sequence holds exactly `length` tokens. The
paragraph that crosses the end is not cut off: its remaining tokens open the
language's next sequence (fairseq's `--sample-break-mode none`). RoBERTa's
FULL-SENTENCES instead pads the rest of the block; docs/training.md has the
padding that costs on the sample, and padding-free batches also keep the
attention on the fused kernel. Only a stream that ends (held-out evaluation
text) leaves a padded last sequence.
"""

from __future__ import annotations

from typing import Iterable, Iterator


class Packer:
    """Fills sequences from (position, token ids) paragraphs; tracks where the next token comes from.

    `position` is whatever locates a paragraph in its stream; after each
    sequence, `state` = (position of the paragraph being consumed, tokens of it
    already used), enough to restart the stream there.
    """

    def __init__(self, paragraphs: Iterable[tuple[object, list[int]]], length: int, bos: int, eos: int,
                 offset: int = 0):
        if length < 2:
            raise ValueError(f"sequence length {length} leaves no room between <s> and </s>")
        self.paragraphs = iter(paragraphs)
        self.length, self.bos, self.eos = length, bos, eos
        self.position = None
        self.pending: list[int] = []  # tokens of the current paragraph (with its </s>) not yet used
        self.used = 0
        self.first_offset = offset  # on a restart, tokens of the first paragraph already used

    @property
    def state(self) -> tuple[object, int]:
        return self.position, self.used

    def _next_paragraph(self) -> bool:
        for position, ids in self.paragraphs:
            if not ids:
                continue  # tokenises to nothing (whitespace): no </s> for an empty paragraph
            self.position, self.pending = position, [*ids, self.eos]
            self.used, self.first_offset = self.first_offset, 0
            return True
        return False

    def sequence(self) -> list[int] | None:
        """The next sequence: exactly `length` tokens, or fewer when the stream ends; None once it has."""
        out = [self.bos]
        while len(out) < self.length:
            if self.used >= len(self.pending) and not self._next_paragraph():
                break
            take = self.pending[self.used:self.used + self.length - len(out)]
            out += take
            self.used += len(take)
        return out if len(out) > 1 else None


def pack_all(paragraphs: Iterable[list[int]], length: int, bos: int, eos: int) -> Iterator[list[int]]:
    """Every sequence of a finite stream of paragraphs (the last one may be short)."""
    packer = Packer(((None, ids) for ids in paragraphs), length, bos, eos)
    while (seq := packer.sequence()) is not None:
        yield seq
