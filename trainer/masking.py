"""Dynamic masking (BERT/RoBERTa): drawn anew for every batch, on the device, from a seeded generator.

Of the non-special tokens, `prob` (15%) are chosen independently; of the chosen,
80% become <mask>, 10% a random non-special token, 10% stay as they are. Labels
are the original ids at chosen positions and IGNORE elsewhere.
"""

from __future__ import annotations

import dataclasses
import hashlib

import torch

IGNORE = -100  # torch's cross_entropy ignore_index, the Hugging Face convention


def derive_seed(*parts) -> int:
    """A 63-bit generator seed from anything printable: (seed, rank, step, micro-batch), (language, index)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """What masking needs to know about the tokenizer."""

    size: int
    mask_id: int
    special_ids: tuple[int, ...]  # never masked, never drawn as a random replacement

    @classmethod
    def of(cls, tokenizer) -> "Vocabulary":
        return cls(len(tokenizer), tokenizer.mask_token_id, tuple(sorted(set(tokenizer.all_special_ids))))


def mask_tokens(input_ids: torch.Tensor, vocab: Vocabulary, generator: torch.Generator,
                prob: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    """(masked input ids, labels) for a [batch, length] tensor; `input_ids` is left unchanged."""
    special = torch.isin(input_ids, torch.tensor(vocab.special_ids, device=input_ids.device))
    draws = torch.rand(input_ids.shape, generator=generator, device=input_ids.device)
    chosen = (draws < prob) & ~special
    labels = torch.where(chosen, input_ids, IGNORE)
    # One more uniform draw splits the chosen: [0, .8) mask, [.8, .9) random, [.9, 1) keep.
    action = torch.rand(input_ids.shape, generator=generator, device=input_ids.device)
    masked = input_ids.clone()
    masked[chosen & (action < 0.8)] = vocab.mask_id
    replace = chosen & (action >= 0.8) & (action < 0.9)
    masked[replace] = _random_regular(int(replace.sum()), vocab, generator, input_ids.device)
    return masked, labels


def _random_regular(n: int, vocab: Vocabulary, generator: torch.Generator, device) -> torch.Tensor:
    """n ids drawn uniformly from the non-special vocabulary."""
    regular = vocab.size - len(vocab.special_ids)
    draws = torch.randint(0, regular, (n,), generator=generator, device=device)
    # Shift each draw past the special ids at or below it (they are sorted).
    for special in vocab.special_ids:
        draws += (draws >= special).long()
    return draws
