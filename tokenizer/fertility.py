"""The "tokenization tax" per language on held-out paragraphs: tokens per character and per word, <unk> rate."""

from __future__ import annotations

import sentencepiece as spm

from xlmr.common.scripts import is_spaceless


def fertility(processor: spm.SentencePieceProcessor, paragraphs: list[str]) -> dict:
    """Token statistics of `paragraphs`; tokens per word is None for scripts written without spaces."""
    text = "\n".join(paragraphs)
    ids = [i for p in paragraphs for i in processor.encode(p)]
    chars = sum(len(p) for p in paragraphs)
    words = sum(len(p.split()) for p in paragraphs)
    unk = sum(1 for i in ids if i == processor.unk_id())
    return {
        "paragraphs": len(paragraphs),
        "characters": chars,
        "tokens": len(ids),
        "tokens_per_char": len(ids) / chars if chars else None,
        "tokens_per_word": None if is_spaceless(text) or not words else len(ids) / words,
        "unk_rate": unk / len(ids) if ids else None,
    }


def format_fertility(report: dict[str, dict]) -> str:
    header = f"{'lang':<10}{'paragraphs':>11}{'tokens/char':>13}{'tokens/word':>13}{'<unk> rate':>12}"
    lines = [header, "-" * len(header)]
    for lang, r in sorted(report.items(), key=lambda kv: -(kv[1]["tokens_per_char"] or 0)):
        per_word = "-" if r["tokens_per_word"] is None else f"{r['tokens_per_word']:.2f}"
        per_char = "-" if r["tokens_per_char"] is None else f"{r['tokens_per_char']:.3f}"
        unk = "-" if r["unk_rate"] is None else f"{r['unk_rate']:.2%}"
        lines.append(f"{lang:<10}{r['paragraphs']:>11}{per_char:>13}{per_word:>13}{unk:>12}")
    return "\n".join(lines)
