"""`xlmr-train`: train an XLM-R masked language model on an xlmr-corpus output with an xlmr-tokenizer tokenizer.

    xlmr-train --data out/tokens --tokenizer out/tokenizer --output out/model [--model base] ...
    torchrun --nproc-per-node 8 -m xlmr.trainer --data gs://... --tokenizer ... --output ...

OUT receives checkpoints/step-N/, metrics.jsonl, final/ (a Hugging Face
directory: AutoModelForMaskedLM and AutoTokenizer load it), and a model card
README.md with training_curves.png and validation_perplexity.png;
`xlmr-train report OUT` redraws those from metrics.jsonl at any time.
"""

from __future__ import annotations

import argparse
import sys

from xlmr.common.argtypes import (HelpFormatter, alpha, checked, mask_probability, non_negative_float,
                                  non_negative_int, positive_float, positive_int)

from .presets import MAX_POSITIONS, PRESETS

_seq_len = checked(int, lambda n: 8 <= n <= MAX_POSITIONS - 2,
                   f"is outside [8, {MAX_POSITIONS - 2}]: the model has {MAX_POSITIONS} positions, "
                   f"2 of them before the first token; XLM-R uses 512")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xlmr-train", description=__doc__.split("\n\n")[0],
                                     formatter_class=HelpFormatter)
    io = parser.add_argument_group("data and output")
    io.add_argument("--data", required=True, metavar="DIR",
                    help="token shards from xlmr-tokenizer encode (local: they are memory-mapped), or the xlmr-corpus "
                         "output itself (local, gs://, s3://), tokenised as read: the same sequences, ~50x slower")
    io.add_argument("--tokenizer", required=True, metavar="TOKDIR",
                    help="an xlmr-tokenizer output, local, gs:// or s3:// (AutoTokenizer.from_pretrained loads it)")
    io.add_argument("--output", required=True, metavar="OUT",
                    help="checkpoints/, metrics.jsonl and final/ go here: a local directory (shared storage "
                         "for multi-node runs), gs:// or s3://")
    io.add_argument("--staging-dir", default=None, metavar="DIR",
                    help="with a gs:// or s3:// --output: local directory where checkpoints and the export are "
                         "written before upload (default: a new temporary directory)")
    io.add_argument("--languages", nargs="+", default=[], metavar="CODE",
                    help="train on these languages only (space- or comma-separated); default: all in the corpus")
    io.add_argument("--alpha", type=alpha, default=0.3,
                    help="language sampling exponent: p_i ∝ n_i^alpha, n_i = paragraphs in _stats.json")
    io.add_argument("--seq-len", type=_seq_len, default=512, metavar="N", help="tokens per sequence")
    io.add_argument("--workers", type=non_negative_int, default=2, metavar="N",
                    help="dataloader worker processes per rank (reading and tokenising); 0 reads in the main process")

    model = parser.add_argument_group("model and optimisation")
    model.add_argument("--model", choices=sorted(PRESETS), default="base",
                       help="tiny (2 layers, 128 wide: tests), base (12, 768) or large (24, 1024) as in XLM-R")
    model.add_argument("--max-steps", type=positive_int, default=100_000, metavar="N", help="optimizer updates")
    model.add_argument("--batch-size", type=positive_int, default=32, metavar="B",
                       help="sequences per micro-batch per process; global batch = B x grad-accum x processes")
    model.add_argument("--grad-accum", type=positive_int, default=1, metavar="K", help="micro-batches per update")
    model.add_argument("--lr", type=positive_float, default=6e-4, help="peak learning rate")
    model.add_argument("--warmup", type=non_negative_int, default=10_000, metavar="N",
                       help="updates of linear warmup (then linear decay to 0 at --max-steps)")
    model.add_argument("--weight-decay", type=non_negative_float,
                       default=0.01, help="AdamW weight decay (matrices only)")
    model.add_argument("--clip-norm", type=positive_float, default=1.0, help="gradient clipping (global L2 norm)")
    model.add_argument("--mask-prob", type=mask_probability, default=0.15,
                       help="share of tokens to predict (of them 80%% <mask>, 10%% random, 10%% kept)")
    model.add_argument("--precision", choices=["auto", "bf16", "fp16", "fp32"], default="auto",
                       help="auto: bf16 autocast on GPU, fp32 on CPU; fp16 adds a gradient scaler")
    model.add_argument("--compile", action="store_true", help="torch.compile the model")
    model.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto",
                       help="auto: cuda:LOCAL_RANK when a GPU is present")
    model.add_argument("--seed", type=int, default=0, help="seed of initialisation, data order and masking")

    run = parser.add_argument_group("checkpoints, evaluation, logging")
    run.add_argument("--save-every", type=positive_int, default=1000, metavar="N",
                     help="write OUT/checkpoints/step-N every N updates (and at the end)")
    run.add_argument("--keep-checkpoints", type=positive_int, default=3, metavar="K", help="keep the last K")
    run.add_argument("--resume", action="store_true",
                     help="continue from the latest checkpoint in OUT (starts afresh if there is none)")
    run.add_argument("--overwrite", action="store_true",
                     help="delete OUT's checkpoints, metrics.jsonl and final/ first and start afresh")
    run.add_argument("--eval-every", type=non_negative_int, default=1000, metavar="N",
                     help="held-out loss, perplexity and accuracy per language every N updates (and at the end); "
                          "0: only at the end")
    run.add_argument("--eval-paragraphs", type=non_negative_int, default=500, metavar="N",
                     help="paragraphs per language held out of training for evaluation (at most a tenth of it)")
    run.add_argument("--eval-sequences", type=positive_int, default=64, metavar="N",
                     help="at most N held-out sequences per language per evaluation")
    run.add_argument("--peak-tflops", type=positive_float, default=None, metavar="TF",
                     help="dense peak of one accelerator at the precision used (989 for an H100 SXM in bf16): "
                          "adds model FLOPs utilisation (mfu) to the metrics")
    run.add_argument("--log-every", type=positive_int, default=10, metavar="N",
                     help="a metrics.jsonl record every N updates")
    return parser


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.warmup >= args.max_steps:
        parser.error(f"--warmup {args.warmup} is not below --max-steps {args.max_steps}: "
                     "the learning rate would never reach its peak; XLM-R warms up over a few percent of the run")
    if args.resume and args.overwrite:
        parser.error("--resume and --overwrite contradict each other: --resume continues OUT's run, "
                     "--overwrite deletes it")
    return args


def report_main(argv: list[str]) -> int:
    """`xlmr-train report OUT`: redraw the curves and rewrite the model card from OUT/metrics.jsonl."""
    import tempfile
    from pathlib import Path

    from xlmr.common.files import download, is_remote, upload

    from .training_report import write_training_report

    parser = argparse.ArgumentParser(prog="xlmr-train report", description=report_main.__doc__.split(": ", 1)[1])
    parser.add_argument("output", metavar="OUT", help="an xlmr-train output, local, gs:// or s3://")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) if is_remote(args.output) else Path(args.output)
        if is_remote(args.output):
            download(f"{args.output.rstrip('/')}/metrics.jsonl", local / "metrics.jsonl")
        if not (local / "metrics.jsonl").exists():
            print(f"xlmr-train report: error: {args.output} has no metrics.jsonl: expected an xlmr-train output",
                  file=sys.stderr)
            return 2
        for path in write_training_report(local):
            if is_remote(args.output):
                upload(path, f"{args.output.rstrip('/')}/{path.name}")
            print(f"{args.output.rstrip('/')}/{path.name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from xlmr.common.corpus_reader import CorpusError

    from .checkpoint import CheckpointError
    from .errors import NonFiniteLoss, TrainError
    from .train import train

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["report"]:
        return report_main(argv[1:])
    args = parse(argv)
    try:
        result = train(args)
    except (CorpusError, CheckpointError, TrainError) as exc:
        print(f"xlmr-train: error: {exc}", file=sys.stderr)
        return 2
    except NonFiniteLoss as exc:
        print(f"xlmr-train: stopped: {exc}", file=sys.stderr)
        return 3
    if result["main"]:
        out = args.output.rstrip("/")
        print(f"\nmodel: {result['final']}\nmodel card: {out}/README.md "
              f"(with training_curves.png, validation_perplexity.png)\nmetrics: {out}/metrics.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
