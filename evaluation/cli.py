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
import shutil
import sys
import tempfile
from pathlib import Path

from xlmr.common.argtypes import (HelpFormatter, checked, mask_probability, non_negative_int, positive_float,
                                  positive_int)

from .suite import TASKS

_share = checked(float, lambda p: 0.1 <= p <= 0.9, "is outside [0.1, 0.9]: both ranges need pairs")
# xlmr-train's own defaults, for a checkpoint whose training run is not beside it
TRAINING_DEFAULTS = {"eval_paragraphs": 500, "seq_len": 512, "eval_sequences": 64, "mask_prob": 0.15, "alpha": 0.3}
TOKENIZER_FILES = ("tokenizer.json", "sentencepiece.bpe.model")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xlmr-eval", description=__doc__.split("\n\n")[0],
                                     formatter_class=HelpFormatter)
    io = parser.add_argument_group("model, data and output")
    io.add_argument("--model", required=True, metavar="DIR",
                    help="a Hugging Face XLM-R checkpoint (xlmr-train's OUT/final or OUT/checkpoints/step-N, or a "
                         "downloaded xlm-roberta-base), local, gs:// or s3://")
    io.add_argument("--output", required=True, metavar="OUT",
                    help="eval.json and accuracy_by_language.png go here (local, gs:// or s3://)")
    io.add_argument("--data", default=None, metavar="DIR",
                    help="the xlmr-corpus output the model trained on: held-out text for the masked-LM task and "
                         "each language's corpus share; default: the --data of the xlmr-train run that wrote "
                         "--model (read from its metrics.jsonl), if any")
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
                          f"training text); else {TRAINING_DEFAULTS['eval_paragraphs']}")
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


class EvalError(Exception):
    """A flag names something unusable; the message says what and what would do."""


def _note(message: str) -> None:
    print(f"xlmr-eval: {message}", file=sys.stderr)


def _cannot_run(task: str, tasks: list[str], named: bool, why: str) -> None:
    """A task asked for by name that cannot run is an error; a default one is dropped with a note."""
    if named:
        raise EvalError(why)
    tasks.remove(task)
    _note(f"{why}; skipping the {task} task")


def _device(choice: str):
    import torch

    if choice == "cuda" and not torch.cuda.is_available():
        raise EvalError("--device cuda: no CUDA device is visible to torch here; use --device cpu or auto")
    return torch.device("cuda" if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()) else "cpu")


def _tokenizer_dir(model_dir: Path, model: str, run) -> Path:
    """The checkpoint's own tokenizer; for checkpoints older xlmr-train wrote without one, the run's."""
    if any((model_dir / name).is_file() for name in TOKENIZER_FILES):
        return model_dir
    if run:
        from xlmr.common.remote_files import local_input

        tokdir = run.resolve(run.args["tokenizer"])
        if "://" in tokdir or os.path.isdir(tokdir):
            return local_input(tokdir)
    raise EvalError(f"--model {model} has no tokenizer ({' or '.join(TOKENIZER_FILES)}): expected a checkpoint "
                    "saved with its tokenizer, as xlmr-train's OUT/final and published XLM-R models are")


def _encoder_dir(tokdir: Path, tokenizer, scratch: Path) -> str:
    """A directory with tokenizer.json for the trainer's fast encoder: the tokenizer's own, or, for one
    that ships only sentencepiece.bpe.model (as published XLM-R does), a converted copy."""
    if (tokdir / "tokenizer.json").is_file():
        return str(tokdir)
    tokenizer.save_pretrained(scratch / "tokenizer")
    return str(scratch / "tokenizer")


def _plan(args, run, model_uri: str, tokenizer, tokdir: Path, config, parallel, scratch: Path):
    """Tasks, languages, held-out sequences and settings, defaults taken from the training run."""
    from xlmr.common.language_codes import split_codes
    from xlmr.common.alpha_sampling import sampling_probabilities
    from xlmr.common.corpus_reader import Corpus, select_languages
    from xlmr.trainer.loading import load_encoder
    from xlmr.trainer.evaluate import heldout_sequences

    from .embeddings import default_layer
    from .parallel_set import PIVOT
    from .suite import Settings

    named = args.tasks is not None
    tasks = list(args.tasks or TASKS)
    trained = run.args if run else {}
    settings = {key: trained.get(key, default) for key, default in TRAINING_DEFAULTS.items()}
    for key, flag in (("eval_paragraphs", "heldout_paragraphs"), ("seq_len", "seq_len"),
                      ("eval_sequences", "eval_sequences"), ("mask_prob", "mask_prob")):
        if getattr(args, flag) is not None:
            settings[key] = getattr(args, flag)
    settings["seq_len"] = min(settings["seq_len"], config.max_position_embeddings - 2)
    layer = default_layer(config.num_hidden_layers) if args.layer is None else args.layer
    if layer > config.num_hidden_layers:
        raise EvalError(f"--layer {layer}: the model has {config.num_hidden_layers} layers (0 = embeddings, "
                        f"1..{config.num_hidden_layers} = transformer layers)")

    data = args.data
    no_corpus = (f"--tasks mlm needs --data: the xlmr-corpus output {model_uri} trained on "
                 "(there is no xlmr-train run beside it)")
    if data is None and run:
        data = run.resolve(trained["data"])
        if "://" not in data and not os.path.isdir(data):
            no_corpus = f"the training run's --data {trained['data']} is not at {data}: pass --data"
            data = None
    corpus = Corpus(data, flag="--data") if data else None
    if "mlm" in tasks and not corpus:
        _cannot_run("mlm", tasks, named, no_corpus)

    # The training corpus: the languages the run trained on, else the whole corpus.
    sizes = select_languages(corpus, trained.get("languages", [])) if corpus else {}
    wanted = split_codes(args.languages)
    known = set(parallel.languages()) | set(sizes)
    if wanted - known:
        raise EvalError(f"--languages {' '.join(sorted(wanted - known))}: not in the parallel set or the "
                        f"{'training corpus' if corpus else 'corpus (none given)'}; known: {' '.join(sorted(known))}")
    if wanted:
        parallel_languages = [lang for lang in parallel.languages() if lang in wanted | {PIVOT}]
        mlm_languages = [lang for lang in sizes if lang in wanted]
    else:
        parallel_languages = [lang for lang in parallel.languages() if not sizes or lang in sizes or lang == PIVOT]
        mlm_languages = list(sizes)
        lacking = sorted(set(sizes) - set(parallel.languages()))
        if lacking and {"retrieval", "transfer"} & set(tasks):
            _note(f"no parallel text for {' '.join(lacking)}: masked-LM numbers only (retrieval and transfer cover "
                  "the 88 CC-100 languages of the UDHR set, by ISO 639-1 code)")
    if {"retrieval", "transfer"} & set(tasks) and parallel_languages in ([], [PIVOT]):
        raise EvalError("retrieval and transfer need a language besides en with parallel text: "
                        f"choose among {' '.join(parallel.languages())}")

    heldout = {}
    if "mlm" in tasks:
        heldout = heldout_sequences(corpus, sorted(mlm_languages), settings["eval_paragraphs"],
                                    load_encoder(_encoder_dir(tokdir, tokenizer, scratch)), settings["seq_len"],
                                    tokenizer.bos_token_id, tokenizer.eos_token_id, settings["eval_sequences"])
        if not heldout:
            _cannot_run("mlm", tasks, named,
                        f"no held-out text: {settings['eval_paragraphs']} held-out paragraphs per language, at most "
                        f"a tenth of each, leave nothing in {' '.join(sorted(mlm_languages)) or 'any language'}")

    # select_languages keeps only languages with paragraphs: no share divides by zero
    total = sum(sizes.values())
    sampled = sampling_probabilities(sizes, settings["alpha"]) if sizes else {}
    languages = {lang: {"name": parallel.names.get(lang),
                        "corpus_share": sizes[lang] / total if lang in sizes else None,
                        "sampling_share": sampled.get(lang)}
                 for lang in sorted(set(parallel_languages) | set(mlm_languages))}
    plan = Settings(tasks=tuple(t for t in TASKS if t in tasks), languages=parallel_languages, layer=layer,
                    max_length=args.max_length, batch_size=args.batch_size, mask_prob=settings["mask_prob"],
                    train_share=args.train_share, epochs=args.epochs, lr=args.lr,
                    finetune_batch_size=args.finetune_batch_size, seed=args.seed)
    return plan, heldout, languages, data, settings


def evaluate_checkpoint(args, scratch: Path) -> dict:
    from transformers.utils import logging as hf_logging

    from xlmr.common.remote_files import is_remote, local_input

    hf_logging.disable_progress_bar()
    device = _device(args.device)
    model_uri = args.model.removeprefix("file://")
    try:
        model_dir = local_input(model_uri)
    except FileNotFoundError as exc:
        raise EvalError(f"--model {exc}") from exc
    try:
        return _evaluate(args, model_uri, model_dir, device, scratch)
    finally:
        if is_remote(model_uri):
            shutil.rmtree(model_dir, ignore_errors=True)


def _evaluate(args, model_uri: str, model_dir: Path, device, scratch: Path) -> dict:
    from transformers import AutoModelForMaskedLM

    from xlmr.trainer.distributed import Context, autocast_for
    from xlmr.trainer.loading import load_tokenizer

    from .eval_report import averages
    from .parallel_set import load
    from .suite import random_twin, run_suite
    from .training_run import find

    if not (model_dir / "config.json").is_file():
        hint = " (did you mean its final/?)" if (model_dir / "final" / "config.json").is_file() else ""
        raise EvalError(f"--model {args.model} has no config.json{hint}: expected a Hugging Face checkpoint "
                        "directory (xlmr-train's OUT/final, OUT/checkpoints/step-N, or a saved xlm-roberta-base)")
    run = find(model_uri)
    tokdir = _tokenizer_dir(model_dir, args.model, run)
    tokenizer = load_tokenizer(str(tokdir), flag="--model")
    # fp32 whatever the checkpoint was saved in: fine-tuning updates these weights, and the
    # random twin is built in fp32; bf16 autocast on GPUs does the rest.
    model = AutoModelForMaskedLM.from_pretrained(model_dir).float().to(device)
    if len(tokenizer) > model.config.vocab_size:
        raise EvalError(f"--model {args.model}: its tokenizer has {len(tokenizer)} pieces but the model only "
                        f"{model.config.vocab_size} embeddings: not the tokenizer it was trained with")
    parallel = load()
    plan, heldout, languages, data, settings = _plan(args, run, args.model, tokenizer, tokdir, model.config,
                                                     parallel, scratch)
    ctx = Context(rank=0, world=1, local_rank=0, device=device)
    autocast, _ = autocast_for("auto", device)
    results = {"checkpoint": run_suite(model, tokenizer, parallel, heldout, ctx, plan, autocast)}
    results["random"] = run_suite(random_twin(model, args.seed), tokenizer, parallel, heldout, ctx, plan, autocast)
    retrieval_n = [r["n"] for r in results["checkpoint"].get("retrieval", {}).values()]
    return {
        "model": args.model, "data": data, "training_run": run.out if run else None, "layer": plan.layer,
        "tasks": list(plan.tasks),
        "settings": {"max_length": plan.max_length, "heldout_paragraphs": settings["eval_paragraphs"],
                     "seq_len": settings["seq_len"], "eval_sequences": settings["eval_sequences"],
                     "mask_prob": plan.mask_prob, "alpha": settings["alpha"], "train_share": plan.train_share,
                     "epochs": plan.epochs, "lr": plan.lr, "batch_size": plan.batch_size,
                     "finetune_batch_size": plan.finetune_batch_size, "seed": plan.seed, "device": device.type},
        "chance": {"retrieval": f"1/{min(retrieval_n)}..1/{max(retrieval_n)}" if retrieval_n else None,
                   "transfer": 0.5, "mlm": 1 / len(tokenizer)},
        "languages": languages,
        **results,
        "average": {name: averages(r) for name, r in results.items()},
    }


def _check_output(output: str) -> None:
    """Before an evaluation of minutes, not after."""
    path = output.removeprefix("file://")
    if "://" not in path and os.path.exists(path) and not os.path.isdir(path):
        raise EvalError(f"--output {output} is a file: expected a directory (it is created if missing)")


def write_outputs(report: dict, output: str) -> list[str]:
    from xlmr.common.remote_files import local_output

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
