"""xlmr-tokenizer encode: the sample corpus into token shards, what they hold, incremental encoding, refusals."""

import json
import shutil

import numpy as np
import pytest

from xlmr.common.corpus_reader import Corpus
from xlmr.common.token_shards import TokenCorpus, fingerprint, paragraph_encoder
from xlmr.tokenizer.cli import main
from xlmr.trainer.errors import TrainError
from xlmr.trainer.sources import TokenSource, open_source

pytestmark = pytest.mark.slow


def test_token_shards_hold_the_corpus_paragraphs_ids(sample_corpus, sample_tokenizer, sample_tokens):
    """Every shard of every language: one token row per corpus row, and each paragraph's ids the
    tokenizer's own; the manifest's counts add up and carry the corpus's statistics."""
    corpus, tokens = Corpus(str(sample_corpus)), TokenCorpus(str(sample_tokens))
    encode = paragraph_encoder(sample_tokenizer)
    assert tokens.fingerprint == fingerprint(sample_tokenizer)
    assert {lang: s["paragraphs"] for lang, s in tokens.languages().items()} == {
        lang: s["paragraphs"] for lang, s in corpus.languages().items()}
    total = 0
    for lang in corpus.languages():
        paths = corpus.shards(lang)
        assert [name.split("/")[1] for name in tokens.shards(lang)] == [
            p.rsplit("/", 1)[1].removesuffix(".parquet") for p in paths]
        for path, name in zip(paths, tokens.shards(lang)):
            shard = tokens.open(name)
            assert isinstance(shard.ids.base, np.memmap) and shard.ids.dtype == np.uint32  # mapped, not read
            texts = [text for _, text in corpus.texts(path)]
            assert shard.num_rows == len(texts)
            for row, text in enumerate(texts):
                assert shard.row(row) == encode(text.split("\n"))
        counted = sum(s["tokens"] for s in tokens.manifest["shards"][lang].values())
        assert tokens.languages()[lang]["tokens"] == counted > 0
        total += counted
    assert total > 100_000


def test_encoding_again_adds_only_new_shards(sample_corpus, sample_tokenizer, tmp_path, capsys):
    """A corpus that gained a shard (as xlmr-corpus --append adds parts) is encoded incrementally."""
    corpus = tmp_path / "corpus"
    shutil.copytree(sample_corpus, corpus)
    held_back = tmp_path / "lang=de"
    (corpus / "lang=de").rename(held_back)
    out = tmp_path / "tokens"
    flags = ["encode", "--corpus", str(corpus), "--tokenizer", str(sample_tokenizer), "--output", str(out),
             "--workers", "1"]
    assert main(flags) == 0
    first = json.loads((out / "manifest.json").read_text())
    assert "de" not in first["shards"] and first["encoded"]["shards"] > 10
    held_back.rename(corpus / "lang=de")
    assert main(flags) == 0
    second = json.loads((out / "manifest.json").read_text())
    assert second["encoded"]["shards"] == len(list((corpus / "lang=de").glob("*.parquet"))) == 1
    assert {k: v for k, v in second["shards"].items() if k != "de"} == first["shards"]
    assert "1 encoded now" in capsys.readouterr().out


def test_another_tokenizer_is_refused(sample_corpus, sample_tokenizer, sample_tokens, tmp_path, capsys):
    other = tmp_path / "other"
    shutil.copytree(sample_tokenizer, other)
    spec = json.loads((other / "tokenizer.json").read_text())
    spec["model"]["vocab"][10][1] -= 1.0  # one piece's score: other ids for some texts
    (other / "tokenizer.json").write_text(json.dumps(spec))
    assert fingerprint(other) != fingerprint(sample_tokenizer)
    with pytest.raises(TrainError, match="encoded with another tokenizer"):
        open_source(str(sample_tokens), str(other))
    assert isinstance(open_source(str(sample_tokens), str(sample_tokenizer)), TokenSource)
    assert main(["encode", "--corpus", str(sample_corpus), "--tokenizer", str(other),
                 "--output", str(sample_tokens)]) == 2
    assert "another tokenizer" in capsys.readouterr().err
