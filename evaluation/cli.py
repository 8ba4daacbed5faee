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
import sys
import tempfile
from pathlib import Path

from xlmr.pipeline.argtypes import checked, mask_probability, non_negative_int, positive_float, positive_int

from .suite import TASKS

_share = checked(float, lambda p: 0.1 <= p <= 0.9, "is outside [0.1, 0.9]: both ranges need pairs")
TRAINING_DEFAULTS = {"eval_paragraphs": 500, "seq_len": 512, "alpha": 0.3}  # xlmr-train's own defaults


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xlmr-eval", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    io = parser.add_argument_group("model, data and output")
    io.add_argument("--model", required=True, metavar="DIR",
                    help="a Hugging Face XLM-R checkpoint with its tokenizer (xlmr-train's OUT/final or "
                         "OUT/checkpoints/step-N, or a downloaded xlm-roberta-base), local, gs:// or s3://")
    io.add_argument("--output", required=True, metavar="OUT",
                    help="eval.json and accuracy_by_language.png go here (local, gs:// or s3://)")
    io.add_argument("--data", default=None, metavar="DIR",
                    help="the xlmr-corpus output the model trained on: held-out text for the masked-LM task and "
                         "each language's corpus share; default: the --data of the xlmr-train run that wrote "
                         "--model (read from its metrics.jsonl), if any")
    io.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS), help="what to measure")
    io.add_argument("--languages", nargs="+", default=[], metavar="CODE",
                    help="only these languages (space- or comma-separated); default: every language of the "
                         "parallel set (and of the corpus, when there is one)")
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

    mlm = parser.add_argument_group("masked LM on held-out text")
    mlm.add_argument("--heldout-paragraphs", type=non_negative_int, default=None, metavar="N",
                     help="the --eval-paragraphs the model trained with (what xlmr-train skipped: more would score "
                          f"training text); default: read from the training run, else "
                          f"{TRAINING_DEFAULTS['eval_paragraphs']}")
    mlm.add_argument("--seq-len", type=positive_int, default=None, metavar="N",
                     help=f"tokens per held-out sequence; default: the training run's, else "
                          f"{TRAINING_DEFAULTS['seq_len']}")
    mlm.add_argument("--eval-sequences", type=positive_int, default=64, metavar="N",
                     help="at most N held-out sequences per language")
    mlm.add_argument("--mask-prob", type=mask_probability, default=0.15, help="share of tokens masked")

    transfer = parser.add_argument_group("transfer of a fine-tuned classifier")
    transfer.add_argument("--train-share", type=_share, default=0.6,
                          help="the first share of UDHR paragraphs gives the English training pairs, the rest the "
                               "test pairs in every language")
    transfer.add_argument("--epochs", type=positive_int, default=10, help="fine-tuning epochs (fresh negatives each)")
    transfer.add_argument("--lr", type=positive_float, default=2e-5, help="peak fine-tuning learning rate")
    transfer.add_argument("--finetune-batch-size", type=positive_int, default=8, metavar="B",
                          help="pairs per fine-tuning step (the English training set is small: ~70 pairs)")
    return parser


class EvalError(Exception):
    """A flag names something unusable; the message says what and what would do."""


def _encoder_dir(model_dir: Path, tokenizer) -> str:
    """A directory with tokenizer.json for the trainer's fast encoder: the checkpoint itself, or,
    for one that ships only sentencepiece.bpe.model (as published XLM-R does), a converted copy."""
    if (model_dir / "tokenizer.json").is_file():
        return str(model_dir)
    converted = tempfile.mkdtemp(prefix="xlmr-eval-tokenizer-")
    tokenizer.save_pretrained(converted)
    return converted


def _settings_and_sets(args, model_dir: Path, tokenizer, config, parallel):
    """Resolve defaults from the training run; the languages; the held-out sequences."""
    from xlmr.pipeline.language_codes import split_codes
    from xlmr.tokenizer.alpha_sampling import sampling_probabilities
    from xlmr.tokenizer.corpus_reader import Corpus
    from xlmr.trainer.dataset import load_encoder
    from xlmr.trainer.evaluate import heldout_sequences

    from .embeddings import default_layer
    from .suite import Settings
    from .training_run import training_args

    trained = training_args(model_dir) or {}
    data = args.data
    if data is None and trained.get("data") and (Path(trained["data"]).exists() or "://" in trained["data"]):
        data = trained["data"]
    resolved = {key: trained.get(key, default) for key, default in TRAINING_DEFAULTS.items()}
    if args.heldout_paragraphs is not None:
        resolved["eval_paragraphs"] = args.heldout_paragraphs
    if args.seq_len is not None:
        resolved["seq_len"] = args.seq_len
    resolved["seq_len"] = min(resolved["seq_len"], config.max_position_embeddings - 2)
    layer = default_layer(config.num_hidden_layers) if args.layer is None else args.layer
    if layer > config.num_hidden_layers:
        raise EvalError(f"--layer {layer}: the model has {config.num_hidden_layers} layers (0 = embeddings, "
                        f"1..{config.num_hidden_layers} = transformer layers)")
    tasks = list(args.tasks)
    if "mlm" in tasks and data is None:
        if tasks != list(TASKS):  # asked for by name
            raise EvalError("--tasks mlm needs --data: the xlmr-corpus output the model trained on")
        tasks.remove("mlm")
        print("xlmr-eval: no --data and no xlmr-train run beside --model: skipping the masked-LM task",
              file=sys.stderr)

    corpus = Corpus(data, flag="--data") if data else None
    corpus_languages = sorted(corpus.languages()) if corpus else []
    wanted = split_codes(args.languages)
    known = set(parallel.languages()) | set(corpus_languages)
    unknown = sorted(wanted - known)
    if unknown:
        raise EvalError(f"--languages {' '.join(unknown)}: not in the parallel set or the corpus; "
                        f"known: {' '.join(sorted(known))}")
    chosen = [lang for lang in parallel.languages()
              if (not corpus or lang in corpus_languages or lang == "en") and (not wanted or lang in wanted | {"en"})]
    mlm_languages = [lang for lang in corpus_languages if not wanted or lang in wanted]

    sizes = {lang: corpus.languages()[lang]["paragraphs"] for lang in corpus_languages} if corpus else {}
    total = sum(sizes.values())
    sampled = sampling_probabilities({k: v for k, v in sizes.items() if v}, resolved["alpha"]) if total else {}
    languages = {lang: {"name": parallel.names.get(lang), "corpus_share": sizes[lang] / total if total else None,
                        "sampling_share": sampled.get(lang)} if lang in sizes else
                 {"name": parallel.names.get(lang), "corpus_share": None, "sampling_share": None}
                 for lang in sorted(set(chosen) | set(mlm_languages))}
    heldout = {}
    if "mlm" in tasks:
        heldout = heldout_sequences(corpus, mlm_languages, resolved["eval_paragraphs"], load_encoder(_encoder_dir(model_dir, tokenizer)),
                                    resolved["seq_len"], tokenizer.bos_token_id, tokenizer.eos_token_id,
                                    args.eval_sequences)
    settings = Settings(tasks=tuple(tasks), languages=chosen, layer=layer, max_length=args.max_length,
                        batch_size=args.batch_size, mask_prob=args.mask_prob, train_share=args.train_share,
                        epochs=args.epochs, lr=args.lr, finetune_batch_size=args.finetune_batch_size,
                        seed=args.seed)
    return settings, heldout, languages, data, resolved


def evaluate_checkpoint(args) -> dict:
    import torch
    from transformers import AutoModelForMaskedLM
    from transformers.utils import logging as hf_logging

    from xlmr.pipeline.remote_files import local_input
    from xlmr.trainer.distributed import Context
    from xlmr.trainer.train import autocast_for, load_tokenizer

    from .eval_report import averages
    from .parallel_set import load
    from .suite import random_twin, run_suite

    hf_logging.disable_progress_bar()
    try:
        model_dir = local_input(args.model)
    except FileNotFoundError as exc:
        raise EvalError(f"--model {exc}") from exc
    if not (model_dir / "config.json").is_file():
        raise EvalError(f"--model {args.model} has no config.json: expected a Hugging Face checkpoint directory "
                        "(xlmr-train's OUT/final, OUT/checkpoints/step-N, or a saved xlm-roberta-base)")
    tokenizer = load_tokenizer(str(model_dir), flag="--model")
    use_cuda = torch.cuda.is_available() if args.device == "auto" else args.device == "cuda"
    device = torch.device("cuda" if use_cuda else "cpu")
    model = AutoModelForMaskedLM.from_pretrained(model_dir).to(device)
    parallel = load()
    settings, heldout, languages, data, resolved = _settings_and_sets(args, model_dir, tokenizer, model.config,
                                                                      parallel)
    ctx = Context(rank=0, world=1, local_rank=0, device=device)
    autocast, _ = autocast_for("auto", device)
    results = {"checkpoint": run_suite(model, tokenizer, parallel, heldout, ctx, settings, autocast)}
    results["random"] = run_suite(random_twin(model, args.seed), tokenizer, parallel, heldout, ctx, settings, autocast)
    retrieval_n = [r["n"] for r in results["checkpoint"].get("retrieval", {}).values()]
    return {
        "model": args.model, "data": data, "layer": settings.layer, "tasks": list(settings.tasks),
        "settings": {"max_length": settings.max_length, "heldout_paragraphs": resolved["eval_paragraphs"],
                     "seq_len": resolved["seq_len"], "eval_sequences": args.eval_sequences,
                     "mask_prob": settings.mask_prob, "alpha": resolved["alpha"], "train_share": settings.train_share,
                     "epochs": settings.epochs, "lr": settings.lr, "batch_size": settings.batch_size,
                     "finetune_batch_size": settings.finetune_batch_size,
                     "seed": settings.seed, "device": device.type},
        "chance": {"retrieval": f"1/{min(retrieval_n)}..1/{max(retrieval_n)}" if retrieval_n else None,
                   "transfer": 0.5, "mlm": 1 / len(tokenizer)},
        "languages": languages,
        **results,
        "average": {name: averages(r) for name, r in results.items()},
    }


def write_outputs(report: dict, output: str) -> list[str]:
    from xlmr.pipeline.remote_files import is_remote, upload

    from .eval_plots import accuracy_by_language

    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) if is_remote(output) else Path(output)
        local.mkdir(parents=True, exist_ok=True)
        (local / "eval.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
        accuracy_by_language(report, local / "accuracy_by_language.png")
        names = ["eval.json", "accuracy_by_language.png"]
        if is_remote(output):
            for name in names:
                upload(local / name, f"{output.rstrip('/')}/{name}")
        return [f"{output.rstrip('/')}/{name}" for name in names]


def main(argv: list[str] | None = None) -> int:
    from xlmr.tokenizer.corpus_reader import CorpusError
    from xlmr.trainer.train import TrainError

    from .eval_report import format_table

    args = build_parser().parse_args(argv)
    try:
        report = evaluate_checkpoint(args)
    except (EvalError, CorpusError, TrainError) as exc:
        print(f"xlmr-eval: error: {exc}", file=sys.stderr)
        return 2
    print(format_table(report))
    for path in write_outputs(report, args.output):
        print(path)
    return 0
