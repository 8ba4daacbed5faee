"""The three measurements on one model: retrieval, held-out masked LM, transfer of a fine-tuned classifier.

`run_suite` scores the checkpoint and then a randomly initialised model of the
same shape with the same data, so every number has its chance level beside it.
"""

from __future__ import annotations

import contextlib
import dataclasses

import torch

from xlmr.trainer.evaluate import evaluate
from xlmr.trainer.masking import Vocabulary
from xlmr.trainer.sparse_mlm import SparseMaskedLM

from . import pair_task
from .embeddings import mean_pooled
from .finetune import accuracy, classifier_from, finetune
from .parallel_set import PIVOT, ParallelSet
from .retrieval import retrieval_scores

TASKS = ("retrieval", "mlm", "transfer")


@dataclasses.dataclass(frozen=True)
class Settings:
    tasks: tuple[str, ...]
    languages: list[str]  # of the parallel set, for retrieval and transfer
    layer: int
    max_length: int
    batch_size: int
    mask_prob: float
    train_share: float
    epochs: int
    lr: float
    finetune_batch_size: int
    seed: int


def retrieval(model, tokenizer, parallel: ParallelSet, s: Settings, autocast) -> dict[str, dict]:
    def embed(texts):
        return mean_pooled(model.base_model, tokenizer, texts, s.layer, batch_size=s.batch_size,
                           max_length=s.max_length, device=model.device, autocast=autocast)

    english = embed(parallel.paragraphs[PIVOT])  # once, not once per language
    out = {}
    for lang in s.languages:
        if lang != PIVOT:
            indices, other, _ = parallel.aligned(lang)
            out[lang] = retrieval_scores(embed(other), english[indices])
    return out


def transfer(model, tokenizer, parallel: ParallelSet, s: Settings, autocast) -> dict:
    english = parallel.paragraphs[PIVOT]
    train, test = pair_task.split(len(english), s.train_share)
    classifier = classifier_from(model, seed=s.seed)
    epoch_examples = lambda epoch: pair_task.examples(pair_task.anchors(train, (s.seed, "train", epoch)), english)
    losses = finetune(classifier, tokenizer, epoch_examples, epochs=s.epochs, batch_size=s.finetune_batch_size, lr=s.lr,
                      max_length=s.max_length, seed=s.seed, autocast=autocast)
    # How well it fits what it trained on: near 0.5 here means the English test says nothing either.
    fitted = accuracy(classifier, tokenizer, epoch_examples(s.epochs - 1), batch_size=s.batch_size,
                      max_length=s.max_length, autocast=autocast)
    test_anchors = pair_task.anchors(test, (s.seed, "test"))
    scores = {}
    for lang in s.languages:
        items = pair_task.examples(test_anchors, parallel.paragraphs[lang])
        if items:
            scores[lang] = {"n": len(items), "accuracy": accuracy(classifier, tokenizer, items,
                                                                  batch_size=s.batch_size, max_length=s.max_length,
                                                                  autocast=autocast)}
    if PIVOT in scores:
        for r in scores.values():
            r["gap"] = scores[PIVOT]["accuracy"] - r["accuracy"]
    return {"train_pairs": len(epoch_examples(0)), "train_loss": losses, "train_accuracy": fitted,
            "languages": scores}


def run_suite(model, tokenizer, parallel: ParallelSet, heldout: dict[str, list[list[int]]], ctx, s: Settings,
              autocast=contextlib.nullcontext) -> dict:
    """{task: results} for the tasks in `s.tasks`; `heldout` is the packed held-out text per language."""
    out = {}
    if "retrieval" in s.tasks:
        out["retrieval"] = retrieval(model, tokenizer, parallel, s, autocast)
    if "mlm" in s.tasks and heldout:
        model.eval()
        out["mlm"] = evaluate(SparseMaskedLM(model), heldout, Vocabulary.of(tokenizer), tokenizer.pad_token_id, ctx,
                              s.batch_size, s.mask_prob, autocast)
    if "transfer" in s.tasks:
        out["transfer"] = transfer(model, tokenizer, parallel, s, autocast)
    return out


def random_twin(model, seed: int):
    """A freshly initialised model of the same class and configuration (the chance-level baseline)."""
    torch.manual_seed(seed)
    return type(model)(model.config).to(model.device)
