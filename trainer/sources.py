"""Where the trainer's paragraphs come from: an xlmr-corpus output, tokenised as it is read (the
text path), or the same corpus pre-tokenized by `xlmr-tokenizer encode` (the token path,
common/token_shards.py).

Both give the same shards, rows and paragraphs in the same order, and the same ids for each
paragraph (one encoder, common/token_shards.paragraph_encoder), so one LanguageStream reads
either and a run's token stream, hence its losses, is the same on both. The token path skips
the tokenizer, reading mapped ids instead.
"""

from __future__ import annotations

from typing import Iterator

from xlmr.common.corpus_reader import Corpus
from xlmr.common.token_shards import TokenCorpus, TokenShardsError, fingerprint, is_token_dir, paragraph_encoder

from .errors import TrainError


class TextSource:
    """An xlmr-corpus output; `encode` turns a list of paragraphs into lists of ids."""

    def __init__(self, corpus: Corpus, encode):
        self.corpus, self.encode = corpus, encode
        self.uri, self.flag = corpus.uri, corpus.flag

    def languages(self) -> dict[str, dict]:
        return self.corpus.languages()

    def shards(self, lang: str) -> list[str]:
        return self.corpus.shards(lang)

    def rows(self, shard: str, start_row: int = 0) -> Iterator[tuple[int, list[str]]]:
        """(row index, its paragraphs) from `start_row`."""
        for row, text in self.corpus.texts(shard, start_row):
            yield row, text.split("\n")


class TokenSource:
    """Token shards: a row's paragraphs come as ids already, read from the mapped files."""

    def __init__(self, tokens: TokenCorpus):
        self.tokens = tokens
        self.uri, self.flag = tokens.uri, tokens.flag

    def languages(self) -> dict[str, dict]:
        return self.tokens.languages()

    def shards(self, lang: str) -> list[str]:
        return self.tokens.shards(lang)

    def rows(self, shard: str, start_row: int = 0) -> Iterator[tuple[int, list]]:
        opened = self.tokens.open(shard)
        for row in range(start_row, opened.num_rows):
            yield row, opened.row(row)

    @staticmethod
    def encode(paragraphs: list[list[int]]) -> list[list[int]]:
        return paragraphs


def open_source(data: str, tokdir: str, flag: str = "--data") -> TextSource | TokenSource:
    """`data` as the trainer reads it: token shards when it holds a manifest (refused unless `tokdir`,
    a local tokenizer directory, is the tokenizer that made them), else an xlmr-corpus output."""
    if not is_token_dir(data):
        return TextSource(Corpus(data, flag=flag), paragraph_encoder(tokdir))
    try:
        tokens = TokenCorpus(data, flag)
    except TokenShardsError as exc:
        raise TrainError(str(exc)) from exc
    if tokens.fingerprint != fingerprint(tokdir):
        raise TrainError(f"{flag} {data} was encoded with another tokenizer than {tokdir} (fingerprints "
                         f"{tokens.fingerprint[:12]} and {fingerprint(tokdir)[:12]}): encode the corpus with this "
                         "one (xlmr-tokenizer encode), or train with the tokenizer that made the shards")
    return TokenSource(tokens)
