"""Masked-LM loss, perplexity and accuracy per language on held-out text, the same masks every time.

Each held-out sequence is masked with a generator seeded by its language and
index, so the numbers do not depend on the number of ranks or on when the
evaluation runs; ranks split the sequences and sum their losses.
"""

from __future__ import annotations

import contextlib
import math

import torch

from .masking import IGNORE, Vocabulary, derive_seed, mask_tokens
from .packing import pack_all
from .shard_stream import heldout_count, heldout_paragraphs


def heldout_sequences(source, languages: list[str], wanted: int, length: int, bos: int, eos: int,
                      max_sequences: int) -> dict[str, list[list[int]]]:
    """Per language, the packed held-out paragraphs (the ones every training reader skips) of a
    source (sources.py: text or token shards)."""
    out = {}
    for lang in languages:
        n = heldout_count(source.languages()[lang]["paragraphs"], wanted)
        if n:
            paragraphs = heldout_paragraphs(source, source.shards(lang)[0], n)
            out[lang] = list(pack_all(source.encode(paragraphs), length, bos, eos))[:max_sequences]
    return out


def _batch(sequences: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids padded with `pad` to the longest, attention mask)."""
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad, dtype=torch.long)
    for i, s in enumerate(sequences):
        ids[i, : len(s)] = torch.tensor(s)
    return ids, (ids != pad).long()


@torch.no_grad()
def evaluate(loss_fn, sets: dict[str, list[list[int]]], vocab: Vocabulary, pad: int, ctx, batch_size: int,
             mask_prob: float, autocast=contextlib.nullcontext) -> dict[str, dict]:
    """{lang: {loss, perplexity, accuracy, predicted}}: mean cross-entropy (nats) over the masked
    tokens, and the share of them whose most likely prediction is the original token."""
    languages = sorted(sets)
    sums = torch.zeros(len(languages), 3, dtype=torch.float64, device=ctx.device)
    for row, lang in enumerate(languages):
        mine = [(i, s) for i, s in enumerate(sets[lang]) if i % ctx.world == ctx.rank]
        for start in range(0, len(mine), batch_size):
            masked, labels = [], []
            for i, seq in mine[start:start + batch_size]:
                generator = torch.Generator().manual_seed(derive_seed(lang, i))
                # Masked at its own length, before padding: a pad would shift the generator's
                # later draws, and the masks would depend on which sequences share the batch.
                m, lab = mask_tokens(torch.tensor(seq)[None], vocab, generator, mask_prob)
                masked.append(m[0].tolist())
                labels.append(lab[0].tolist())
            ids, attention = _batch(masked, pad)
            labels = _batch(labels, IGNORE)[0].to(ctx.device)
            with autocast():
                loss, correct = loss_fn(ids.to(ctx.device), labels, attention.to(ctx.device), with_correct=True)
            sums[row, 0] += loss.double()
            sums[row, 1] += (labels != IGNORE).sum()
            sums[row, 2] += correct
    ctx.sum(sums)
    report = {}
    for lang, (loss, n, correct) in zip(languages, sums.tolist()):
        if n:
            report[lang] = {"loss": loss / n, "perplexity": math.exp(loss / n), "accuracy": correct / n,
                            "predicted": int(n)}
    return report


def format_report(report: dict[str, dict]) -> str:
    header = f"{'lang':<8}{'loss':>8}{'ppl':>10}{'acc':>7}{'tokens':>8}"
    lines = [header, "-" * len(header)]
    for lang, r in sorted(report.items(), key=lambda kv: kv[1]["perplexity"]):
        lines.append(f"{lang:<8}{r['loss']:>8.3f}{r['perplexity']:>10.1f}{r['accuracy']:>7.3f}{r['predicted']:>8}")
    return "\n".join(lines)
