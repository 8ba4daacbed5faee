"""`xlmr-corpus lm train`: a language model in CCNet's layout for a language CCNet has none for.

As CCNet trained its 48 (its paper, section 3.3, and Makefile): SentencePiece with 65,536
pieces on the language's text (Wikipedia there), then KenLM's `lmplz` for a 5-gram model of
that text normalised and split into pieces, then `build_binary` for the memory-mapped format.
`lmplz` and `build_binary` are KenLM's programs, built from its sources (PyPI's `kenlm` and
`ufal-kenlm` carry the query module only), so this command needs them on PATH and says which
are missing otherwise. The percentiles `--lm-cutoffs` needs come from scoring a sample of the
language's documents with the result (docs/pipeline.md).
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import tempfile
from pathlib import Path

from xlmr.common.argtypes import UsageError

from .perplexity import SP_SUFFIX, normalize_for_lm

TOOLS = ("lmplz", "build_binary")
BUILD_KENLM = ("build them from KenLM's sources (https://github.com/kpu/kenlm: cmake, a C++ compiler, Boost's "
               "program_options, system and thread, zlib): cmake -S kenlm -B kenlm/build && cmake --build "
               "kenlm/build -j, then put kenlm/build/bin on PATH. PyPI's kenlm and ufal-kenlm carry the query "
               "module only")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _normalized_lines(texts: list[Path]):
    """The non-empty lines of `texts`, normalised as CCNet normalises, read only as far as they are taken."""
    for path in texts:
        with path.open(encoding="utf-8", errors="replace") as f:
            yield from filter(None, map(normalize_for_lm, f))


def train(language: str, texts: list[Path], output: Path, vocab_size: int = 65_536, order: int = 5,
          max_lines: int = 1_000_000, log=print) -> Path:
    """`<language>.sp.model` and `<language>.arpa.bin` in `output` from `texts` (UTF-8, a paragraph a line)."""
    import sentencepiece

    missing = missing_tools()
    if missing:
        raise UsageError(f"xlmr-corpus lm train needs KenLM's {' and '.join(missing)} on PATH, which "
                         f"{'is' if len(missing) == 1 else 'are'} not there: {BUILD_KENLM}")
    lines = list(itertools.islice(_normalized_lines(texts), max_lines))
    if not lines:
        raise UsageError(f"--text {' '.join(map(str, texts))}: no text to train on")
    output.mkdir(parents=True, exist_ok=True)
    prefix = output / f"{language}.sp"
    sentencepiece.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_prefix=str(prefix),
                                             vocab_size=vocab_size, hard_vocab_limit=False, minloglevel=2)
    (output / f"{language}.sp.vocab").unlink(missing_ok=True)
    sp = sentencepiece.SentencePieceProcessor(model_file=str(output / f"{language}{SP_SUFFIX}"))
    log(f"{language}{SP_SUFFIX}: {sp.get_piece_size():,} pieces from {len(lines):,} lines")
    with tempfile.TemporaryDirectory() as tmp:
        pieces, arpa = Path(tmp) / "pieces.txt", Path(tmp) / f"{language}.arpa"
        pieces.write_text("".join(" ".join(sp.encode_as_pieces(line)) + "\n" for line in lines), encoding="utf-8")
        # --discount_fallback: a small corpus lacks the counts Kneser-Ney's discounts are estimated from
        subprocess.run(["lmplz", "-o", str(order), "--text", str(pieces), "--arpa", str(arpa),
                        "--discount_fallback"], check=True)
        subprocess.run(["build_binary", str(arpa), str(output / f"{language}.arpa.bin")], check=True)
    log(f"{language}.arpa.bin: {order}-gram KenLM model")
    return output
