"""The chunked LM-head loss equals the dense one, on a real 250K-piece head (under autocast on a smaller one:
CPUs without bf16 instructions emulate it, ten times slower than fp32)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from xlmr.trainer.masking import IGNORE, Vocabulary, mask_tokens
from xlmr.trainer.presets import model_config
from xlmr.trainer.sparse_mlm import SparseMaskedLM

VOCAB = 250_002


class _Vocabulary:
    """What model_config reads of a tokenizer: a size and XLM-R's special ids."""

    pad_token_id, bos_token_id, eos_token_id = 1, 0, 2

    def __init__(self, size: int):
        self.size = size

    def __len__(self):
        return self.size


def _model_and_batch(vocab: int):
    from transformers import XLMRobertaForMaskedLM

    torch.manual_seed(0)
    model = XLMRobertaForMaskedLM(model_config("tiny", _Vocabulary(vocab))).eval()  # eval: no dropout
    ids = torch.randint(4, vocab - 1, (3, 48))
    ids[:, 0] = 0
    masked, labels = mask_tokens(ids, Vocabulary(vocab, vocab - 1, (0, 1, 2, 3, vocab - 1)),
                                 torch.Generator().manual_seed(0), prob=0.4)
    return model, masked, labels


@pytest.fixture(scope="module")
def model_and_batch():
    return _model_and_batch(VOCAB)


def _dense(model, ids, labels):
    """The head as transformers applies it, on the masked positions: the full logits at once."""
    where = labels != IGNORE
    logits = model.lm_head(model.roberta(input_ids=ids).last_hidden_state[where])
    return F.cross_entropy(logits.float(), labels[where], reduction="sum"), (logits.argmax(-1) == labels[where]).sum()


def _gradients(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward()
    return {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


def test_chunked_loss_and_gradients_equal_the_dense_ones(model_and_batch):
    model, ids, labels = model_and_batch
    n = int((labels != IGNORE).sum())
    rows = 16  # several chunks and a shorter last one
    assert n > 3 * rows and n % rows
    dense_loss, dense_correct = _dense(model, ids, labels)
    expected = _gradients(model, dense_loss)
    loss, correct = SparseMaskedLM(model, chunk_logits=rows * VOCAB)(ids, labels, with_correct=True)
    got = _gradients(model, loss)
    assert loss.item() == pytest.approx(dense_loss.item(), rel=1e-5)
    assert correct.item() == dense_correct.item()
    assert got.keys() == expected.keys() and {"lm_head.bias", "lm_head.decoder.weight"} <= got.keys()
    for name, grad in expected.items():
        if name.endswith("key.bias"):  # zero but for rounding: softmax does not see a bias shared by all keys
            assert grad.abs().max() < 1e-8 and got[name].abs().max() < 1e-8
            continue
        torch.testing.assert_close(got[name], grad, rtol=1e-5, atol=1e-5 * grad.abs().max().item(), msg=name)
    with torch.no_grad():  # evaluation: no gradient is taken, the same numbers come out
        again, hits = SparseMaskedLM(model, chunk_logits=rows * VOCAB)(ids, labels, with_correct=True)
    assert again.item() == pytest.approx(loss.item(), rel=1e-6) and hits.item() == correct.item()


def test_chunked_loss_under_autocast_follows_the_dense_one():
    """Under bf16 autocast both project in bf16 (fp16 takes the same path); they agree to its rounding."""
    vocab = 25_002
    model, ids, labels = _model_and_batch(vocab)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        dense_loss, _ = _dense(model, ids, labels)
        expected = _gradients(model, dense_loss)
        loss = SparseMaskedLM(model, chunk_logits=16 * vocab)(ids, labels)
        got = _gradients(model, loss)
    assert loss.dtype == torch.float32 and loss.item() == pytest.approx(dense_loss.item(), rel=1e-2)
    for name in ("lm_head.dense.weight", "lm_head.decoder.weight"):  # the latter tied to the embeddings
        cosine = F.cosine_similarity(got[name].flatten(), expected[name].flatten(), dim=0)
        assert cosine > 0.99, name
