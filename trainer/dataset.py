"""The training stream: α-sampled languages, packed sequences, one reader per (rank, dataloader worker).

Sequence k of reader g comes from the language that a uniform draw seeded by
(seed, g, k) picks under p_i ∝ n_i^α, so the choice needs no state; the
language's own stream and packer carry the rest. Every sequence is yielded
with its reader's new position, which the training loop keeps for the
batches it has consumed: a checkpoint then resumes each reader exactly where
the last trained batch left it, whatever the workers had prefetched.

Readers never run dry: a language that ends starts over, reshuffled, and
every rank yields forever, so a run is a fixed number of steps and no rank
waits on another's short last batch.
"""

from __future__ import annotations

import array
import bisect
import random
from typing import Iterator

import torch
from torch.utils.data import IterableDataset, get_worker_info

from xlmr.common.alpha_sampling import sampling_probabilities

from .packing import Packer
from .shard_stream import EmptyStream, LanguageStream, assign, heldout_count
from .sources import open_source


class PackedStream(IterableDataset):
    """`data`: an xlmr-corpus output or its token shards (sources.py); `tokdir` the local tokenizer."""

    def __init__(self, data: str, tokdir: str, sizes: dict[str, int], *, alpha: float, length: int,
                 bos: int, eos: int, heldout: int, seed: int, rank: int = 0, world: int = 1, workers: int = 0,
                 shift: int = 0, states: dict | None = None):
        self.data, self.tokdir, self.length, self.bos, self.eos = data, tokdir, length, bos, eos
        self.heldout, self.seed, self.rank, self.workers, self.shift = heldout, seed, rank, max(workers, 1), shift
        self.readers = world * self.workers
        self.states = states or {}
        probabilities = sampling_probabilities(sizes, alpha)
        self.languages = sorted(probabilities)
        self.probabilities = [probabilities[lang] for lang in self.languages]
        self._distributions: dict[frozenset[str], tuple[list[str], list[float]]] = {}

    def reader_id(self, worker: int) -> int:
        """The reader a dataloader worker plays. `shift` rotates the roles on resume, so that the
        loader's first batch (always from worker 0) comes from the reader whose turn it was."""
        return self.rank * self.workers + (worker + self.shift) % self.workers

    def __iter__(self) -> Iterator[tuple[torch.Tensor, dict]]:
        info = get_worker_info()
        yield from self.read(self.reader_id(info.id if info else 0))

    def read(self, reader: int) -> Iterator[tuple[torch.Tensor, dict]]:
        source = open_source(self.data, self.tokdir)
        state = self.states.get(reader, {"k": 0, "languages": {}, "empty": []})
        k, positions, empty = state["k"], dict(state["languages"]), set(state["empty"])
        packers: dict[str, Packer] = {}

        def packer(lang: str) -> Packer:
            if lang not in packers:
                paths = source.shards(lang)
                stream = LanguageStream(source, assign(paths, self.readers, reader),
                                        (paths[0], heldout_count(source.languages()[lang]["paragraphs"], self.heldout)),
                                        f"{self.seed}:{lang}:{reader}")
                position, used = positions.get(lang, ((0, 0, 0, 0), 0))
                packers[lang] = Packer(stream.paragraphs(tuple(position)), self.length, self.bos, self.eos, used)
            return packers[lang]

        while True:
            u = random.Random(f"{self.seed}:{reader}:{k}").random()
            while True:
                lang = self._choose(u, empty)
                try:
                    sequence = packer(lang).sequence()
                    break
                except EmptyStream:
                    empty.add(lang)
            k += 1
            positions[lang] = packer(lang).state
            # an int64 buffer the tensor takes over: 5x faster than torch.tensor(list) on 512 ids
            ids = torch.frombuffer(array.array("q", sequence), dtype=torch.int64)
            yield ids, {"reader": reader, "k": k, "lang": lang, "position": positions[lang], "empty": sorted(empty)}

    def _choose(self, u: float, empty: set[str]) -> str:
        """The language a uniform draw u picks; languages this reader found empty are left out."""
        key = frozenset(empty)
        if key not in self._distributions:  # built once per set of empty languages, not per sequence
            self._distributions[key] = self._distribution(key)
        languages, cumulative = self._distributions[key]
        return languages[min(bisect.bisect_right(cumulative, u), len(languages) - 1)]

    def _distribution(self, empty: frozenset[str]) -> tuple[list[str], list[float]]:
        """(languages, cumulative probabilities) without the `empty` ones."""
        if len(empty) >= len(self.languages):
            raise EmptyStream(f"reader has no paragraph in any language ({self.readers} readers in all)")
        languages = [lang for lang in self.languages if lang not in empty]
        weights = [p for lang, p in zip(self.languages, self.probabilities) if lang not in empty]
        total, acc, cumulative = sum(weights), 0.0, []
        for w in weights:
            acc += w
            cumulative.append(acc / total)
        return languages, cumulative


def collate(batch: list[tuple[torch.Tensor, dict]]) -> tuple[torch.Tensor, list[dict]]:
    """Stack the sequences (all full-length: training streams never end)."""
    return torch.stack([ids for ids, _ in batch]), [meta for _, meta in batch]


def advance(states: dict, metas: list[dict]) -> None:
    """Record consumed sequences in the per-reader states that a checkpoint saves."""
    for meta in metas:
        state = states.setdefault(meta["reader"], {"k": 0, "languages": {}, "empty": []})
        state["k"] = meta["k"]
        state["languages"][meta["lang"]] = meta["position"]
        state["empty"] = meta["empty"]
