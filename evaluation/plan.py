"""What one `xlmr-eval` run measures and how, and the run itself: the checkpoint loaded, the plan made
(tasks, languages, held-out text, settings: the training run's unless flags say otherwise), the suite
run on the checkpoint and on its random twin, the report assembled.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from xlmr.trainer.cli import build_parser as training_parser

from .parallel_set import PIVOT, ParallelSet
from .suite import TASKS, Settings
from .training_run import TrainingRun, find

TOKENIZER_FILES = ("tokenizer.json", "sentencepiece.bpe.model")
# xlmr-eval's name of each setting it takes from the training run: xlmr-train's name of it
FROM_TRAINING = {"heldout_paragraphs": "eval_paragraphs", "seq_len": "seq_len", "eval_sequences": "eval_sequences",
                 "mask_prob": "mask_prob", "alpha": "alpha"}


def _training_defaults() -> dict:
    """xlmr-train's own defaults of those settings, for a checkpoint whose training run is not beside it."""
    parser = training_parser()
    return {name: parser.get_default(dest) for name, dest in FROM_TRAINING.items()}


TRAINING_DEFAULTS = _training_defaults()


class EvalError(Exception):
    """A flag names something unusable; the message says what and what would do."""


@dataclasses.dataclass(frozen=True)
class TrainingSettings:
    """The held-out text's settings and α: the training run's (else xlmr-train's defaults) unless a flag is given."""

    heldout_paragraphs: int  # the run's --eval-paragraphs: more would score text the model trained on
    seq_len: int  # positions past the run's were never trained
    eval_sequences: int
    mask_prob: float
    alpha: float  # for the report's sampling shares

    @classmethod
    def chosen(cls, args, trained: dict, positions: int) -> TrainingSettings:
        values = {name: trained.get(dest, TRAINING_DEFAULTS[name]) for name, dest in FROM_TRAINING.items()}
        # xlmr-eval's flags of the same names win (α has none)
        values.update({name: getattr(args, name) for name in values if getattr(args, name, None) is not None})
        values["seq_len"] = min(values["seq_len"], positions - 2)
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """The model to evaluate, loaded, with what came with it."""

    model: Any  # an AutoModelForMaskedLM, in fp32 on the device
    tokenizer: Any
    encoder_dir: str  # a directory with tokenizer.json, for the trainer's fast encoder
    run: TrainingRun | None  # the xlmr-train run that wrote it, if it was one


@dataclasses.dataclass(frozen=True)
class Plan:
    """What the suite measures, on which text, and the settings the report records."""

    suite: Settings  # the tasks, the parallel set's languages, the layer and the suite's numbers
    training: TrainingSettings
    data: str | None  # the corpus, when there is one
    heldout: dict[str, list[list[int]]]  # packed held-out sequences per language, for the mlm task
    languages: dict[str, dict]  # every language of the report: its name, corpus share and sampling share

    def settings(self) -> dict:
        """The report's settings: every number the measurements used (tasks, languages, layer: entries of their own)."""
        suite = dataclasses.asdict(self.suite)
        for apart in ("tasks", "languages", "layer"):
            del suite[apart]
        return {**suite, **dataclasses.asdict(self.training)}


def evaluate_checkpoint(args, scratch: Path) -> dict:
    """The report of the checkpoint --model names (a remote one is downloaded for the run)."""
    from transformers.utils import logging as hf_logging

    from xlmr.common.files import is_remote, local_input

    hf_logging.disable_progress_bar()
    device = _device(args.device)
    model_uri = args.model.removeprefix("file://")
    try:
        model_dir = local_input(model_uri)
    except FileNotFoundError as exc:
        raise EvalError(f"--model {exc}") from exc
    try:
        return _evaluate(args, _load(args, model_uri, model_dir, device, scratch), device)
    finally:
        if is_remote(model_uri):
            shutil.rmtree(model_dir, ignore_errors=True)


def _evaluate(args, checkpoint: Checkpoint, device) -> dict:
    from xlmr.trainer.distributed import Context, autocast_for

    from .eval_report import averages
    from .parallel_set import load
    from .suite import random_twin, run_suite

    parallel = load()
    plan = make_plan(args, checkpoint, parallel)
    model, tokenizer, run = checkpoint.model, checkpoint.tokenizer, checkpoint.run
    ctx = Context(rank=0, world=1, local_rank=0, device=device)
    autocast, _ = autocast_for("auto", device)
    results = {"checkpoint": run_suite(model, tokenizer, parallel, plan.heldout, ctx, plan.suite, autocast)}
    results["random"] = run_suite(random_twin(model, args.seed), tokenizer, parallel, plan.heldout, ctx, plan.suite,
                                  autocast)
    retrieval_n = [r["n"] for r in results["checkpoint"].get("retrieval", {}).values()]
    return {
        "model": args.model, "data": plan.data, "training_run": run.out if run else None, "layer": plan.suite.layer,
        "tasks": list(plan.suite.tasks), "settings": {**plan.settings(), "device": device.type},
        "chance": {"retrieval": f"1/{min(retrieval_n)}..1/{max(retrieval_n)}" if retrieval_n else None,
                   "transfer": 0.5, "mlm": 1 / len(tokenizer)},
        "languages": plan.languages,
        **results,
        "average": {name: averages(r) for name, r in results.items()},
    }


def _load(args, model_uri: str, model_dir: Path, device, scratch: Path) -> Checkpoint:
    from transformers import AutoModelForMaskedLM

    from xlmr.trainer.loading import load_tokenizer

    if not (model_dir / "config.json").is_file():
        hint = " (did you mean its final/?)" if (model_dir / "final" / "config.json").is_file() else ""
        raise EvalError(f"--model {args.model} has no config.json{hint}: expected a Hugging Face checkpoint "
                        "directory (xlmr-train's OUT/final, OUT/checkpoints/step-N, or a saved xlm-roberta-base)")
    if not any((model_dir / name).is_file() for name in TOKENIZER_FILES):
        raise EvalError(f"--model {args.model} has no tokenizer ({' or '.join(TOKENIZER_FILES)}): expected a "
                        "checkpoint saved with its tokenizer, as xlmr-train's OUT/final and published XLM-R models are")
    tokenizer = load_tokenizer(str(model_dir), flag="--model")
    # fp32 whatever the checkpoint was saved in: fine-tuning updates these weights, and the
    # random twin is built in fp32; bf16 autocast on GPUs does the rest.
    model = AutoModelForMaskedLM.from_pretrained(model_dir).float().to(device)
    if len(tokenizer) > model.config.vocab_size:
        raise EvalError(f"--model {args.model}: its tokenizer has {len(tokenizer)} pieces but the model only "
                        f"{model.config.vocab_size} embeddings: not the tokenizer it was trained with")
    return Checkpoint(model, tokenizer, _encoder_dir(model_dir, tokenizer, scratch), find(model_uri))


def _device(choice: str):
    import torch

    if choice == "cuda" and not torch.cuda.is_available():
        raise EvalError("--device cuda: no CUDA device is visible to torch here; use --device cpu or auto")
    return torch.device("cuda" if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()) else "cpu")


def _encoder_dir(tokdir: Path, tokenizer, scratch: Path) -> str:
    """A directory with tokenizer.json for the trainer's fast encoder: the tokenizer's own, or, for one
    that ships only sentencepiece.bpe.model (as published XLM-R does), a converted copy."""
    if (tokdir / "tokenizer.json").is_file():
        return str(tokdir)
    tokenizer.save_pretrained(scratch / "tokenizer")
    return str(scratch / "tokenizer")


def make_plan(args, checkpoint: Checkpoint, parallel: ParallelSet) -> Plan:
    """Tasks, languages, held-out text and settings, defaults taken from the training run."""
    from xlmr.common.alpha_sampling import sampling_probabilities
    from xlmr.common.corpus_reader import select_languages
    from xlmr.trainer.evaluate import heldout_sequences

    from .embeddings import default_layer

    config, tokenizer, run = checkpoint.model.config, checkpoint.tokenizer, checkpoint.run
    named = args.tasks is not None
    tasks = list(args.tasks or TASKS)
    trained = run.args if run else {}
    training = TrainingSettings.chosen(args, trained, config.max_position_embeddings)
    layer = default_layer(config.num_hidden_layers) if args.layer is None else args.layer
    if layer > config.num_hidden_layers:
        raise EvalError(f"--layer {layer}: the model has {config.num_hidden_layers} layers (0 = embeddings, "
                        f"1..{config.num_hidden_layers} = transformer layers)")

    data, corpus = _corpus(args, run, tasks, named, checkpoint.encoder_dir)
    # The training corpus: the languages the run trained on, else the whole corpus.
    sizes = select_languages(corpus, trained.get("languages", [])) if corpus else {}
    parallel_languages, mlm_languages = _languages(args, parallel, sizes, tasks)
    heldout = {}
    if "mlm" in tasks:
        heldout = heldout_sequences(corpus, sorted(mlm_languages), training.heldout_paragraphs, training.seq_len,
                                    tokenizer.bos_token_id, tokenizer.eos_token_id, training.eval_sequences)
        if not heldout:
            _cannot_run("mlm", tasks, named,
                        f"no held-out text: {training.heldout_paragraphs} held-out paragraphs per language, at "
                        f"most a tenth of each, leave nothing in {' '.join(sorted(mlm_languages)) or 'any language'}")

    # select_languages keeps only languages with paragraphs: no share divides by zero
    total = sum(sizes.values())
    sampled = sampling_probabilities(sizes, training.alpha) if sizes else {}
    languages = {lang: {"name": parallel.names.get(lang),
                        "corpus_share": sizes[lang] / total if lang in sizes else None,
                        "sampling_share": sampled.get(lang)}
                 for lang in sorted(set(parallel_languages) | set(mlm_languages))}
    suite = Settings(tasks=tuple(t for t in TASKS if t in tasks), languages=parallel_languages, layer=layer,
                     max_length=args.max_length, batch_size=args.batch_size, mask_prob=training.mask_prob,
                     train_share=args.train_share, epochs=args.epochs, lr=args.lr,
                     finetune_batch_size=args.finetune_batch_size, seed=args.seed)
    return Plan(suite, training, data, heldout, languages)


def _corpus(args, run: TrainingRun | None, tasks: list[str], named: bool, encoder_dir: str):
    """(where the corpus is, the trainer's source of it: text or token shards), or (None, None) when there is
    none: then no mlm task."""
    from xlmr.trainer.errors import TrainError
    from xlmr.trainer.sources import open_source

    data = args.data
    no_corpus = (f"--tasks mlm needs --data: the xlmr-corpus output {args.model} trained on "
                 "(there is no xlmr-train run beside it)")
    if data is None and run:
        data = run.resolve(run.args["data"])
        if "://" not in data and not os.path.isdir(data):
            no_corpus = f"the training run's --data {run.args['data']} is not at {data}: pass --data"
            data = None
    try:
        corpus = open_source(data, encoder_dir) if data else None
    except TrainError as exc:
        raise EvalError(str(exc)) from exc
    if "mlm" in tasks and not corpus:
        _cannot_run("mlm", tasks, named, no_corpus)
    return data, corpus


def _languages(args, parallel: ParallelSet, sizes: dict[str, int], tasks: list[str]):
    """(the parallel set's languages for retrieval and transfer, the corpus's for the masked LM)."""
    from xlmr.common.language_codes import split_codes

    wanted = split_codes(args.languages)
    known = set(parallel.languages()) | set(sizes)
    if wanted - known:
        raise EvalError(f"--languages {' '.join(sorted(wanted - known))}: not in the parallel set or the "
                        f"{'training corpus' if sizes else 'corpus (none given)'}; known: {' '.join(sorted(known))}")
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
    return parallel_languages, mlm_languages


def _note(message: str) -> None:
    print(f"xlmr-eval: {message}", file=sys.stderr)


def _cannot_run(task: str, tasks: list[str], named: bool, why: str) -> None:
    """A task asked for by name that cannot run is an error; a default one is dropped with a note."""
    if named:
        raise EvalError(why)
    tasks.remove(task)
    _note(f"{why}; skipping the {task} task")
