"""Fine-tune a sequence-pair classifier on one language, score it on others (XLM-R's zero-shot recipe).

As in the XLM-R paper's cross-lingual transfer setting: the pretrained encoder
plus a fresh classification head, all weights trained with AdamW, linear warmup
(10%) and decay, on English examples only; the other languages are only ever
seen at test time.
"""

from __future__ import annotations

import contextlib
import copy
import random
from typing import Callable

import torch

Example = tuple[str, str, int]


def classifier_from(mlm_model, num_labels: int = 2, seed: int = 0):
    """A sequence classifier whose encoder is a copy of `mlm_model`'s and whose head is seeded."""
    from transformers import AutoModelForSequenceClassification

    config = copy.deepcopy(mlm_model.config)
    config.num_labels = num_labels
    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_config(config)
    model.base_model.load_state_dict(mlm_model.base_model.state_dict())
    return model.to(mlm_model.device)


def _batches(items: list[Example], tokenizer, batch_size: int, max_length: int, device):
    for start in range(0, len(items), batch_size):
        chunk = items[start:start + batch_size]
        batch = tokenizer([a for a, _, _ in chunk], [b for _, b, _ in chunk], padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt").to(device)
        yield batch, torch.tensor([label for *_, label in chunk], device=device)


def finetune(model, tokenizer, epoch_examples: Callable[[int], list[Example]], *, epochs: int, batch_size: int,
             lr: float, max_length: int, seed: int, autocast=contextlib.nullcontext) -> list[float]:
    """Train `model` in place; `epoch_examples(e)` gives epoch e's examples (fresh negatives each epoch).
    Returns the mean training loss of each epoch."""
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(seed)  # dropout
    per_epoch = [epoch_examples(e) for e in range(epochs)]  # built once: the schedule needs the step count
    steps = sum(-(-len(items) // batch_size) for items in per_epoch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, max(1, steps // 10), steps)
    model.train()
    losses = []
    for epoch, items in enumerate(per_epoch):
        random.Random(f"{seed}:{epoch}").shuffle(items)
        total = 0.0
        for batch, labels in _batches(items, tokenizer, batch_size, max_length, model.device):
            with autocast():
                loss = model(**batch, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            total += loss.item() * len(labels)
        losses.append(total / len(items))
    return losses


@torch.no_grad()
def accuracy(model, tokenizer, items: list[Example], *, batch_size: int, max_length: int,
             autocast=contextlib.nullcontext) -> float:
    model.eval()
    correct = 0
    for batch, labels in _batches(items, tokenizer, batch_size, max_length, model.device):
        with autocast():
            logits = model(**batch).logits
        correct += (logits.argmax(-1) == labels).sum().item()
    return correct / len(items)
