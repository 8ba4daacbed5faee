"""`xlmr-eval`: zero-shot cross-lingual evaluation of an XLM-R checkpoint in the Hugging Face format.

    xlmr-eval --model out/model/final --output out/eval
    xlmr-eval --model ~/models/xlm-roberta-base --data out/corpus --output out/eval-xlmr-base

Three measurements, each also on a randomly initialised model of the same shape
(its chance level): (1) UDHR paragraph retrieval against English, both
directions, from mean-pooled middle-layer states; (2) masked-token accuracy and
perplexity on the corpus paragraphs xlmr-train held out; (3) a consecutive-
paragraph classifier fine-tuned on English only and tested in every language
(accuracy and gap to English). OUT receives eval.json and accuracy_by_language.png.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from xlmr.common.argtypes import (HelpFormatter, checked, mask_probability, non_negative_int, positive_float,
                                  positive_int)

from .plan import TRAINING_DEFAULTS, EvalError, evaluate_checkpoint
from .suite import TASKS

_share = checked(float, lambda p: 0.1 <= p <= 0.9, "is outside [0.1, 0.9]: both ranges need pairs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xlmr-eval", description=__doc__.split("\n\n")[0],
                                     formatter_class=HelpFormatter)
    io = parser.add_argument_group("model, data and output")
    io.add_argument("--model", required=True, metavar="DIR", help="a Hugging Face XLM-R checkpoint (xlmr-train's "
                    "OUT/final or OUT/checkpoints/step-N, or a downloaded xlm-roberta-base), local, gs:// or s3://")
    io.add_argument("--output", required=True, metavar="OUT",
                    help="eval.json and accuracy_by_language.png go here (local, gs:// or s3://)")
    io.add_argument("--data", default=None, metavar="DIR",
                    help="the xlmr-corpus output the model trained on, or its token shards (xlmr-tokenizer "
                         "encode): held-out text for the masked-LM task and each language's corpus share; default: "
                         "the --data of the xlmr-train run that wrote --model (read from its metrics.jsonl), if any")
    io.add_argument("--tasks", nargs="+", choices=TASKS, default=None,
                    help=f"what to measure; default: {' '.join(TASKS)} (mlm only when there is a corpus)")
    io.add_argument("--languages", nargs="+", default=[], metavar="CODE",
                    help="only these languages (space- or comma-separated); default: the corpus's languages, "
                         "or every language of the parallel set when there is no corpus")
    io.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto",
                    help="auto: the GPU when there is one (bf16 autocast), else the CPU")
    io.add_argument("--seed", type=int, default=0,
                    help="seed of the random baseline, the classifier head, pair sampling and dropout")
    io.add_argument("--batch-size", type=positive_int, default=32, metavar="B", help="sequences per forward pass")

    retrieval = parser.add_argument_group("retrieval")
    retrieval.add_argument("--layer", type=non_negative_int, default=None, metavar="L",
                           help="hidden layer to mean-pool (0 = embeddings); default: the middle, "
                                "layers // 2 + 1, as XTREME (7 of 12, 13 of 24)")
    retrieval.add_argument("--max-length", type=positive_int, default=256, metavar="N",
                           help="tokens per paragraph (and per paragraph pair in the transfer task)")

    mlm = parser.add_argument_group("masked LM on held-out text (defaults: the training run's, else xlmr-train's)")
    mlm.add_argument("--heldout-paragraphs", type=non_negative_int, default=None, metavar="N",
                     help="the --eval-paragraphs the model trained with (what xlmr-train skipped: more would score "
                          f"training text); else {TRAINING_DEFAULTS['heldout_paragraphs']}")
    mlm.add_argument("--seq-len", type=positive_int, default=None, metavar="N",
                     help=f"tokens per held-out sequence; else {TRAINING_DEFAULTS['seq_len']}")
    mlm.add_argument("--eval-sequences", type=positive_int, default=None, metavar="N",
                     help=f"at most N held-out sequences per language; else {TRAINING_DEFAULTS['eval_sequences']}")
    mlm.add_argument("--mask-prob", type=mask_probability, default=None,
                     help=f"share of tokens masked; else {TRAINING_DEFAULTS['mask_prob']}")

    transfer = parser.add_argument_group("transfer of a fine-tuned classifier")
    transfer.add_argument("--train-share", type=_share, default=0.6,
                          help="the first share of UDHR paragraphs gives the English training pairs, the rest the "
                               "test pairs in every language")
    transfer.add_argument("--epochs", type=positive_int, default=10, help="fine-tuning epochs (fresh negatives each)")
    transfer.add_argument("--lr", type=positive_float, default=2e-5, help="peak fine-tuning learning rate")
    transfer.add_argument("--finetune-batch-size", type=positive_int, default=8, metavar="B",
                          help="pairs per fine-tuning step (the English training set is small: ~70 pairs)")
    return parser


def _check_output(output: str) -> None:
    """Before an evaluation of minutes, not after."""
    path = output.removeprefix("file://")
    if "://" not in path and os.path.exists(path) and not os.path.isdir(path):
        raise EvalError(f"--output {output} is a file: expected a directory (it is created if missing)")


def write_outputs(report: dict, output: str) -> list[str]:
    from xlmr.common.files import local_output

    from .eval_plots import accuracy_by_language

    with local_output(output) as local:
        (local / "eval.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
        names = ["eval.json"]
        if accuracy_by_language(report, local / "accuracy_by_language.png"):
            names.append("accuracy_by_language.png")
    return [f"{output.rstrip('/')}/{name}" for name in names]


def main(argv: list[str] | None = None) -> int:
    from xlmr.common.corpus_reader import CorpusError
    from xlmr.trainer.errors import TrainError

    from .eval_report import format_table

    args = build_parser().parse_args(argv)
    try:
        _check_output(args.output)
        with tempfile.TemporaryDirectory(prefix="xlmr-eval-") as scratch:
            report = evaluate_checkpoint(args, Path(scratch))
    except (EvalError, CorpusError, TrainError) as exc:
        print(f"xlmr-eval: error: {exc}", file=sys.stderr)
        return 2
    print(format_table(report))
    for path in write_outputs(report, args.output):
        print(path)
    return 0
