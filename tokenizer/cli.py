"""`xlmr-tokenizer`: train XLM-R's α-sampled SentencePiece unigram model on an xlmr-corpus output.

    xlmr-tokenizer --corpus out/corpus --output out/tokenizer [--vocab-size 250000|auto]
        [--alpha 0.3] [--sentences 5000000] [--languages de fr ...] [--seed 0]

TOKDIR receives sentencepiece.bpe.model, the Hugging Face files
(AutoTokenizer.from_pretrained(TOKDIR) loads it), sampling.json and fertility.json.

    xlmr-tokenizer encode --corpus out/corpus --tokenizer out/tokenizer --output out/tokens [--workers N]

encodes the corpus once into token shards for `xlmr-train --data out/tokens` (tokenizer/encode.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile

from xlmr.common.argtypes import HelpFormatter, alpha, positive_float, positive_int
from xlmr.common.corpus_reader import Corpus, CorpusError, select_languages
from xlmr.common.files import local_output

from .fertility import fertility, format_fertility
from .sampler import draw, make_plan
from .spm_train import VocabularyError, input_sentence_size, train, write_tsv


def _vocab_size(value: str) -> int | None:
    if value == "auto":
        return None
    size = int(value)
    if size < 8:  # SentencePiece needs room for its 3 special pieces and a few characters
        raise argparse.ArgumentTypeError(f"{value} is too small; expected e.g. 250000, or auto")
    return size




ENCODE_HINT = ("Then: xlmr-tokenizer encode --corpus DIR --tokenizer TOKDIR --output TOK writes the corpus as token "
               "shards for xlmr-train --data TOK (xlmr-tokenizer encode --help).")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xlmr-tokenizer", description=__doc__.split("\n\n")[0],
                                     formatter_class=HelpFormatter,
                                     epilog=ENCODE_HINT)
    parser.add_argument("--corpus", required=True, metavar="DIR",
                        help="an xlmr-corpus output (local, gs:// or s3://): lang=<code>/*.parquet and _stats.json")
    parser.add_argument("--output", required=True, metavar="TOKDIR",
                        help="where the tokenizer is written: a local directory, gs:// or s3://")
    parser.add_argument("--vocab-size", type=_vocab_size, default=250_000, metavar="N|auto",
                        help="SentencePiece pieces; auto takes as many as the corpus fills, up to 250000")
    parser.add_argument("--alpha", type=alpha, default=0.3,
                        help="language sampling exponent: p_i ∝ n_i^alpha (n_i = paragraphs in _stats.json)")
    parser.add_argument("--sentences", type=positive_int, default=5_000_000, metavar="N",
                        help="paragraphs to sample in all (SentencePiece's authors find 1-10M enough)")
    parser.add_argument("--languages", nargs="+", default=[], metavar="CODE",
                        help="train on these languages only (space- or comma-separated); default: all in the corpus")
    parser.add_argument("--seed", type=int, default=0, help="seed of shard order and paragraph selection")
    parser.add_argument("--heldout", type=positive_int, default=200, metavar="N",
                        help="paragraphs per language kept out of training for the fertility report "
                             "(at most a tenth of the language)")
    parser.add_argument("--memory-gb", type=positive_float, default=8.0, metavar="GB",
                        help="memory for SentencePiece's training (about 20 bytes per input character)")
    return parser


def format_plan(plans) -> str:
    header = f"{'lang':<10}{'paragraphs':>12}{'p (α=1)':>9}{'p (α)':>9}{'requested':>11}{'available':>11}{'upsampling':>12}"
    lines = [header, "-" * len(header)]
    for p in plans:
        lines.append(f"{p.lang:<10}{p.paragraphs:>12,}{p.proportional:>9.2%}{p.probability:>9.2%}"
                     f"{p.requested:>11,}{p.available:>11,}{p.upsampling:>11.2f}x")
    return "\n".join(lines)


def run(argv: list[str] | None = None) -> dict:
    """Train the tokenizer; returns {"sampling": ..., "fertility": ...}."""
    import sentencepiece as spm
    from tqdm import tqdm

    from .hf_export import export

    args = build_parser().parse_args(argv)
    corpus = Corpus(args.corpus)
    sizes = select_languages(corpus, args.languages)
    plans = make_plan(sizes, args.sentences, args.alpha, args.heldout)
    print(format_plan(plans))
    heldout: dict[str, list[str]] = {p.lang: [] for p in plans}
    stats = corpus.languages()
    mean_chars = sum(stats[lang]["characters"] for lang in sizes) / sum(sizes.values())
    limit = input_sentence_size(args.sentences, mean_chars, int(args.memory_gb * 2**30))
    with local_output(args.output) as output:
        with tempfile.TemporaryDirectory() as tmp, tqdm(total=args.sentences, unit="par", desc="sampling") as bar:
            # A local TSV of distinct paragraphs with their counts: faster than an iterator and
            # than repeated lines (docs/tokenizer.md has the measurement).
            sample = os.path.join(tmp, "sample.tsv")
            write_tsv((pair for p in plans for pair in draw(corpus, p, args.seed, heldout[p.lang], bar.update)),
                      sample)
            train({"input": sample, "input_format": "tsv"}, os.path.join(tmp, "spm"), args.vocab_size, limit)
            export(os.path.join(tmp, "spm.model"), output)
        processor = spm.SentencePieceProcessor(model_file=str(output / "sentencepiece.bpe.model"))
        report = {lang: fertility(processor, texts) for lang, texts in heldout.items() if texts}
        sampling = {
            "alpha": args.alpha, "seed": args.seed, "size_unit": "paragraphs", "sentences": args.sentences,
            "input_sentence_size": limit, "vocab_size": processor.get_piece_size(),
            "languages": {p.lang: {**dataclasses.asdict(p), "available": p.available, "upsampling": p.upsampling}
                          for p in plans},
        }
        (output / "sampling.json").write_text(json.dumps(sampling, indent=2, ensure_ascii=False))
        (output / "fertility.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return {"sampling": sampling, "fertility": report}


def encode_main(argv: list[str]) -> int:
    from tqdm import tqdm

    from xlmr.common.files import local_input

    from .encode import encode_corpus

    parser = argparse.ArgumentParser(
        prog="xlmr-tokenizer encode", formatter_class=HelpFormatter,
        description="Encode an xlmr-corpus output once with a trained tokenizer into token shards (uint32 ids, "
                    "memory-mapped by xlmr-train --data TOK). Encoding into the same TOK again adds only the "
                    "shards it lacks (a corpus grown by xlmr-corpus --append).")
    parser.add_argument("--corpus", required=True, metavar="DIR", help="an xlmr-corpus output, local, gs:// or s3://")
    parser.add_argument("--tokenizer", required=True, metavar="TOKDIR",
                        help="an xlmr-tokenizer output, local, gs:// or s3://")
    parser.add_argument("--output", required=True, metavar="TOK", help="where the token shards go: local, gs:// or s3://")
    parser.add_argument("--workers", type=positive_int, default=None, metavar="N",
                        help="processes encoding shards side by side (default: every core)")
    args = parser.parse_args(argv)
    try:
        tokdir = local_input(args.tokenizer)
        with tqdm(unit="shard", desc="encoding") as bar:
            def progress(done, total):
                bar.total = total
                bar.update(1)
            manifest = encode_corpus(args.corpus, str(tokdir), args.output, args.workers, progress)
    except (CorpusError, FileNotFoundError) as exc:
        print(f"xlmr-tokenizer encode: error: {exc}", file=sys.stderr)
        return 2
    tokens = sum(lang["tokens"] for lang in manifest["languages"].values())
    print(f"{tokens:,} tokens in {sum(len(s) for s in manifest['shards'].values())} shards "
          f"({manifest['encoded']['shards']} encoded now, {manifest['encoded']['seconds']}s): {args.output} "
          f"(xlmr-train --data {args.output})")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["encode"]:
        return encode_main(argv[1:])
    try:
        result = run(argv)
    except (CorpusError, VocabularyError) as exc:
        print(f"xlmr-tokenizer: error: {exc}", file=sys.stderr)
        return 2
    print(format_fertility(result["fertility"]))
    print(f"\nvocabulary: {result['sampling']['vocab_size']:,} pieces; see sampling.json, fertility.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
