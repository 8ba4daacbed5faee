"""The trainer's data path on the sample corpus: masking, packing, the split across readers, α shares."""

from __future__ import annotations

import math
import random

import pytest
import torch

from xlmr.common.alpha_sampling import sampling_probabilities
from xlmr.common.corpus_reader import Corpus
from xlmr.trainer.dataset import PackedStream, advance
from xlmr.trainer.masking import IGNORE, Vocabulary, mask_tokens
from xlmr.trainer.packing import Packer, pack_all
from xlmr.trainer.shard_stream import EmptyStream, LanguageStream, assign, heldout_count, heldout_paragraphs
from xlmr.trainer.sources import TextSource

from helpers import read_corpus


def test_masking_rates_on_a_large_batch():
    vocab = Vocabulary(size=8002, mask_id=8001, special_ids=(0, 1, 2, 3, 8001))
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(4, 8001, (512, 512), generator=generator)
    ids[:, 0], ids[:, -1], ids[::7, 100:140] = 0, 2, 1  # <s>, </s>, padding
    masked, labels = mask_tokens(ids, vocab, generator)
    special = torch.isin(ids, torch.tensor(vocab.special_ids))
    chosen = labels != IGNORE
    n = int((~special).sum())
    share = int(chosen.sum()) / n
    assert abs(share - 0.15) < 4 * math.sqrt(0.15 * 0.85 / n)
    assert not (chosen & special).any()
    assert torch.equal(labels[chosen], ids[chosen])
    k = int(chosen.sum())
    to_mask = int((masked[chosen] == vocab.mask_id).sum())
    kept = int((masked[chosen] == ids[chosen]).sum())
    replaced = k - to_mask - kept
    for observed, p in ((to_mask, 0.8), (replaced, 0.1), (kept, 0.1)):
        # A random replacement can draw the original token (1 in 7,997): negligible against the tolerance.
        assert abs(observed / k - p) < 4 * math.sqrt(p * (1 - p) / k) + 0.001
    assert torch.equal(masked[~chosen], ids[~chosen])
    assert not torch.isin(masked[chosen & (masked != vocab.mask_id)], torch.tensor(vocab.special_ids)).any()
    again, _ = mask_tokens(ids, vocab, torch.Generator().manual_seed(1))
    assert not torch.equal(again, masked)  # dynamic: another draw, other positions


def test_packing_fills_every_sequence_and_drops_nothing():
    rng = random.Random(0)
    paragraphs = [[rng.randrange(4, 100) for _ in range(rng.choice([1, 5, 40, 63, 64, 200]))] for _ in range(300)]
    paragraphs.insert(7, [])  # a paragraph that tokenises to nothing
    sequences = list(pack_all(paragraphs, 64, bos=0, eos=2))
    assert all(len(s) == 64 for s in sequences[:-1]) and 1 < len(sequences[-1]) <= 64
    assert all(s[0] == 0 and 0 not in s[1:] for s in sequences)
    stream = [t for s in sequences for t in s[1:]]
    assert stream == [t for p in paragraphs if p for t in [*p, 2]]


def test_packer_restarts_from_its_state():
    paragraphs = [(i, list(range(4, 4 + n))) for i, n in enumerate([30, 70, 5, 90, 12, 44, 61, 3, 80])]
    whole = Packer(paragraphs, 32, 0, 2)
    expected = [whole.sequence() for _ in range(12)]
    first = Packer(paragraphs, 32, 0, 2)
    head = [first.sequence() for _ in range(5)]
    position, used = first.state
    resumed = Packer(paragraphs[position:], 32, 0, 2, offset=used)
    assert head + [resumed.sequence() for _ in range(7)] == expected


@pytest.mark.parametrize("shards,readers", [(5, 2), (3, 3), (2, 5), (1, 4)])
def test_assignment_is_disjoint_and_complete(shards, readers):
    paths = [f"s{i}" for i in range(shards)]
    owners = {}
    for reader in range(readers):
        for piece in assign(paths, readers, reader):
            for p in range(60):
                if p % piece.stride == piece.offset:
                    assert (piece.path, p) not in owners
                    owners[piece.path, p] = reader
    assert len(owners) == 60 * shards
    assert len(set(owners.values())) == readers  # nobody is idle


def _one_epoch(stream: LanguageStream) -> list[str]:
    out = []
    try:
        for (epoch, *_), ids in stream.paragraphs():
            if epoch:
                break
            out += ids
    except EmptyStream:
        pass
    return out


def test_readers_see_disjoint_paragraphs_and_skip_the_heldout(sample_corpus):
    corpus = Corpus(str(sample_corpus))
    rows, _ = read_corpus(sample_corpus)
    readers = 4  # 2 ranks x 2 dataloader workers
    for lang in ("es", "de", "sw"):  # several documents / one document of 51 paragraphs
        paths = corpus.shards(lang)
        held = heldout_count(corpus.languages()[lang]["paragraphs"], 20)
        seen = []
        for reader in range(readers):
            stream = LanguageStream(TextSource(corpus, lambda texts: [[t] for t in texts]),
                                    assign(paths, readers, reader), (paths[0], held), f"0:{lang}:{reader}")
            got = _one_epoch(stream)
            assert got, f"reader {reader} has no {lang}"
            seen += got
        heldout = heldout_paragraphs(TextSource(corpus, None), paths[0], held)
        everything = [p for r in rows if r["lang"] == lang for p in r["text"].split("\n")]
        assert len(heldout) == held > 0
        assert len(seen) == len(set(seen)) and not set(seen) & set(heldout)
        assert sorted(seen + heldout) == sorted(everything)


def test_a_share_that_tokenises_to_nothing_is_empty_not_endless(sample_corpus):
    """A lone zero-width space survives the pipeline's strip() and tokenises to []: a reader
    holding only such text must give the language up instead of spinning through epochs."""
    corpus = Corpus(str(sample_corpus))
    paths = corpus.shards("nl")
    stream = LanguageStream(TextSource(corpus, lambda texts: [[] for _ in texts]), assign(paths, 4, 1), (paths[0], 0),
                            "0:nl:1")
    with pytest.raises(EmptyStream):
        Packer(stream.paragraphs(), 16, 0, 2).sequence()


def test_realised_language_shares_follow_alpha(sample_corpus, sample_tokenizer):
    corpus = Corpus(str(sample_corpus))
    sizes = {lang: s["paragraphs"] for lang, s in corpus.languages().items()}
    stream = PackedStream(str(sample_corpus), str(sample_tokenizer), sizes, alpha=0.3, length=16, bos=0, eos=2,
                          heldout=20, seed=0)
    n = 6000
    counts: dict[str, int] = {}
    states: dict = {}
    for (ids, meta), _ in zip(stream.read(0), range(n)):
        assert ids.shape == (16,) and ids[0] == 0
        counts[meta["lang"]] = counts.get(meta["lang"], 0) + 1
        advance(states, [meta])
    expected = sampling_probabilities(sizes, 0.3)
    for lang, p in expected.items():
        assert abs(counts.get(lang, 0) / n - p) < 4.5 * math.sqrt(p * (1 - p) / n), lang
    assert states[0]["k"] == n


def test_flops_count_every_matrix_of_the_model(sample_tokenizer):
    """At mask_prob 1 and no attention term, 6 FLOPs per weight of every Linear layer, head included."""
    from transformers import AutoTokenizer, XLMRobertaForMaskedLM

    from xlmr.trainer.flops import training_flops_per_token
    from xlmr.trainer.presets import model_config

    config = model_config("tiny", AutoTokenizer.from_pretrained(sample_tokenizer))
    model = XLMRobertaForMaskedLM(config)
    weights = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    assert training_flops_per_token(config, 0, 1.0) == 6 * weights
