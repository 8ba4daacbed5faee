"""One language's paragraphs for one data reader: its part of the shards, endlessly, with positions.

A reader is one (rank, dataloader worker). The shards of a language are dealt
to readers so that no two read the same paragraph: with at least as many
shards as readers, whole shards round-robin; with fewer, the readers sharing a
shard take every m-th paragraph of it (m = readers on that shard), so a small
language still reaches every reader. The first paragraphs of the language's
first shard are held out for evaluation and never trained on.

Each paragraph comes with its position (epoch, slot, row, paragraph): the
stream restarts there exactly. Every epoch visits the reader's shards in a new
seeded order.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Iterator

Position = tuple[int, int, int, int]  # epoch, slot in the epoch's shard order, row in the shard, paragraph in the row


class EmptyStream(Exception):
    """This reader has no token of the language (fewer paragraphs than readers, all held out,
    or only text that tokenises to nothing, such as a lone zero-width space)."""


@dataclasses.dataclass(frozen=True)
class Slice:
    """A reader's part of one shard: paragraphs p with p % stride == offset."""

    path: str
    stride: int = 1
    offset: int = 0


def assign(paths: list[str], readers: int, reader: int) -> list[Slice]:
    """The slices of `paths` (sorted shard paths) that `reader` of `readers` reads."""
    if len(paths) >= readers:
        return [Slice(p) for p in paths[reader::readers]]
    shard = reader % len(paths)
    return [Slice(paths[shard], len(range(shard, readers, len(paths))), reader // len(paths))]


def heldout_count(paragraphs: int, wanted: int) -> int:
    """Held-out paragraphs of a language: `wanted`, at most a tenth of it."""
    return min(wanted, paragraphs // 10)


def heldout_paragraphs(source, first_shard: str, n: int) -> list:
    """The first `n` paragraphs of the language's first shard, as the source gives them (texts, or
    token ids): its evaluation text."""
    out: list = []
    for _, paragraphs in source.rows(first_shard):
        if len(out) >= n:
            break
        out += paragraphs[: n - len(out)]
    return out


class LanguageStream:
    """One language's paragraphs for one reader, from a source (sources.py: text or token shards)."""

    def __init__(self, source, slices: list[Slice], heldout: tuple[str, int], seed: str):
        self.source, self.slices, self.seed = source, slices, seed
        self.heldout_shard, self.heldout = heldout

    def order(self, epoch: int) -> list[Slice]:
        order = list(self.slices)
        random.Random(f"{self.seed}:{epoch}").shuffle(order)
        return order

    def paragraphs(self, start: Position = (0, 0, 0, 0)) -> Iterator[tuple[Position, list[int]]]:
        """(position, token ids) of every paragraph from `start` on, epoch after epoch, forever."""
        epoch, slot, row, para = start
        while True:
            found = False
            for s, piece in enumerate(self.order(epoch)[slot:], start=slot):
                for position, ids in self._slice(piece, (epoch, s, row, para)):
                    found = found or bool(ids)  # text that tokenises to nothing does not count
                    yield position, ids
                row = para = 0
            if not found and start == (0, 0, 0, 0):
                raise EmptyStream
            epoch, slot, start = epoch + 1, 0, (0, 0, 0, 0)

    def _slice(self, piece: Slice, start: Position) -> Iterator[tuple[Position, list[int]]]:
        epoch, slot, start_row, start_para = start
        skip = self.heldout if piece.path == self.heldout_shard else 0
        # p, the paragraph's index in the shard, decides both the stride and the held-out part,
        # so rows before start_row are still counted when either applies.
        counted = piece.stride > 1 or skip
        p = 0
        for row, paragraphs in self.source.rows(piece.path, 0 if counted else start_row):
            if row < start_row:
                p += len(paragraphs)
                continue
            kept = [(i, t) for i, t in enumerate(paragraphs)
                    if (row > start_row or i >= start_para) and (p + i) % piece.stride == piece.offset
                    and p + i >= skip]
            p += len(paragraphs)
            if kept:
                for (i, _), ids in zip(kept, self.source.encode([t for _, t in kept])):
                    yield (epoch, slot, row, i), ids
