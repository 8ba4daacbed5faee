"""CCNet's language-model filter, as CC-100 used it: a document's perplexity under its language's
5-gram KenLM model, and its bucket (head / middle / tail) by CCNet's per-language cutoffs.

What CCNet computes (cc_net/mine.py steps `sp`, `lm`, `pp_bucket`; cc_net/perplexity.py), and
what `perplexity` below reproduces:
1. `normalize_for_lm` on the whole document: strip, lower case, accents removed (NFD, marks
   dropped), every digit -> "0", unicode punctuation replaced by its ASCII form, and the
   characters 0-31 and 127-159 deleted. "\\n" is one of those, so the paragraphs are glued
   together and the document is scored as one line (what CCNet's code does, whatever its
   per-line loop suggests).
2. The language's SentencePiece model splits it into pieces, joined by spaces.
3. KenLM scores that line with sentence boundaries (log10), whose length is its pieces + 1
   (the end of sentence); perplexity = 10 ** (-log10 / length), one decimal.
4. Bucket: below the 30th percentile's perplexity of the language's documents is `head`,
   below the 60th `middle`, else `tail` (pipeline/data/ccnet_cutoff.csv, 48 languages); a
   language with a model but no cutoffs is `all`, as in CCNet.

Models come in CCNet's layout, one directory: `<lang>.sp.model` and `<lang>.arpa.bin` (KenLM's
binary format, memory-mapped) or `<lang>.arpa` (text, parsed into memory). Each is loaded once
per worker process, on the first document of its language, and shared by every stage instance
of that process.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import math
import re
import threading
import unicodedata
from importlib import resources

from xlmr.common import files
from xlmr.common.argtypes import UsageError

from ..dedup.hashing import CONTROL_CHARS, UNICODE_PUNCT_ASCII
from ..records import Document
from ..stage import LM, PASSED, Count, Stage, counter_name, no_count

BUCKETS = ("head", "middle", "tail")
NO_CUTOFFS = "all"  # CCNet's bucket for a language without cutoffs
NO_MODEL = "no_model"
# A language's perplexities are counted in log-spaced bins (40 a decade: 6% wide), tallies like the
# buckets, so _stats.json's quantiles come through the same combiners at any corpus size.
BINS_PER_DECADE = 40
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
_BIN = "bin"
_LANGUAGE = "lang:"
LANGUAGE_TALLY_PREFIX = counter_name(LM, _LANGUAGE)  # lm:lang:<code>:<bucket>, documents
HEAD_PERCENTILE, TAIL_PERCENTILE = 30, 60  # CCNet's PerplexityBucket defaults
SP_SUFFIX, LM_SUFFIXES = ".sp.model", (".arpa.bin", ".arpa")
_KENLM_BINARY = b"mmap lm http://kheafield.com/code"

_DIGIT_RE = re.compile(r"\d")


@functools.cache
def _table() -> dict[int, str | None]:
    """One str.translate table for CCNet's three character steps after NFD: combining marks (Unicode
    category Mn) deleted, its punctuation replaced, control characters deleted. The sets are disjoint
    and none holds a digit, so one pass equals CCNet's three (and digits can go first). Built once a
    process (~0.3 s); on the sample's pages normalisation then takes 0.84 ms against 0.98 with a Python
    loop over the characters."""
    table: dict[int, str | None] = {cp: None for cp in range(0x110000) if unicodedata.category(chr(cp)) == "Mn"}
    table.update({ord(c): ascii_ for c, ascii_ in UNICODE_PUNCT_ASCII.items()})
    table.update({ord(c): None for c in CONTROL_CHARS})
    return table


def normalize_for_lm(text: str) -> str:
    """CCNet's `text_normalizer.normalize` with its defaults (accents, case, digits, punctuation 1)."""
    text = text.strip()
    if not text:
        return text
    return _DIGIT_RE.sub("0", unicodedata.normalize("NFD", text.lower())).translate(_table())


def perplexity(text: str, sp, lm) -> float:
    """The document's perplexity as CCNet computes it, with a SentencePieceProcessor and a kenlm.Model.
    Normalisation leaves no "\n", so CCNet's loop over the lines is one line: the whole document."""
    line = " ".join(sp.encode_as_pieces(normalize_for_lm(text)))
    # bos and eos on, as CCNet's DocLM; the length counts the end of sentence
    return round(10.0 ** (-lm.score(line) / (len(line.split()) + 1)), 1)


def load_cutoffs(path: str | None = None) -> dict[str, tuple[float, float]]:
    """Per language, the perplexities of the head and tail percentiles: CCNet's cutoff.csv (rows are
    percentiles 0..100, columns languages), the shipped one unless `path` is given. Raises UsageError
    when the file lacks those rows or holds a value that is not a number."""
    if path is None:
        text = resources.files("xlmr.pipeline.data").joinpath("ccnet_cutoff.csv").read_text(encoding="utf-8")
    else:
        text = files.read_text(path)
    rows = {row.get("", "").strip(): row for row in csv.DictReader(io.StringIO(text))}
    try:
        head, tail = rows[str(HEAD_PERCENTILE)], rows[str(TAIL_PERCENTILE)]
        return {lang: (float(head[lang]), float(tail[lang])) for lang in head if lang}
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"--lm-cutoffs {path}: expected CCNet's cutoff.csv layout, a first column of "
                         f"percentiles 0-100 and a column of perplexities per language ({exc!r})") from None


def buckets_by_language(tallies: dict[str, int]) -> dict[str, dict]:
    """The stage's per-language tallies (full counter names) -> {code: {bucket or no_model: documents,
    "quantiles": {"p10": perplexity, ...} of the scored ones (from the bins, to within 6%), and
    "histogram": {bin: documents}, bin i holding perplexities in [10^(i/40), 10^((i+1)/40))}}."""
    out: dict[str, dict] = {}
    bins: dict[str, dict[int, int]] = {}
    for name, n in tallies.items():
        lang, named = name[len(LANGUAGE_TALLY_PREFIX):].rsplit(":", 1)
        if named.startswith(_BIN):
            bins.setdefault(lang, {})[int(named[len(_BIN):])] = n
        else:
            out.setdefault(lang, {})[named] = n
    for lang, counts in bins.items():
        out[lang]["quantiles"] = _quantiles(counts)
        out[lang]["histogram"] = {str(i): counts[i] for i in sorted(counts)}
    return dict(sorted(out.items(), key=lambda kv: -sum(v for v in kv[1].values() if isinstance(v, int))))


def _bin(value: float) -> int:
    return math.floor(math.log10(max(value, 1.0)) * BINS_PER_DECADE)


def _quantiles(counts: dict[int, int]) -> dict[str, float]:
    """Each quantile as the geometric middle of the bin it falls in."""
    total, ordered, out = sum(counts.values()), sorted(counts.items()), {}
    for q in QUANTILES:
        rank, seen = q * total, 0
        for index, n in ordered:
            seen += n
            if seen >= rank:
                out[f"p{round(q * 100)}"] = round(10 ** ((index + 0.5) / BINS_PER_DECADE), 1)
                break
    return out


def bucket(value: float, cutoffs: tuple[float, float] | None) -> str:
    if cutoffs is None:
        return NO_CUTOFFS
    head, tail = cutoffs
    return "head" if value < head else "middle" if value < tail else "tail"


@dataclasses.dataclass(frozen=True)
class ModelFiles:
    sp: str
    lm: str


def _read(uri: str, length: int = -1) -> bytes:
    with files.open_read(uri) as f:
        return f.read(length)


def find_models(directory: str) -> dict[str, ModelFiles]:
    """The languages of a CCNet-layout model directory and their two files. Raises UsageError when a
    directory has none, or a language lacks one of its two files."""
    names = {path.rstrip("/").rsplit("/", 1)[-1]: path for path in files.glob(files.join(directory, "*"))}
    sps = {name[: -len(SP_SUFFIX)]: path for name, path in names.items() if name.endswith(SP_SUFFIX)}
    lms = {}
    for suffix in reversed(LM_SUFFIXES):  # .arpa.bin wins over .arpa
        lms.update({name[: -len(suffix)]: path for name, path in names.items() if name.endswith(suffix)})
    if not sps and not lms:
        raise UsageError(f"--lm-models {directory}: no models there; expected CCNet's layout, <lang>{SP_SUFFIX} "
                         "and <lang>.arpa.bin (or <lang>.arpa) for each language, e.g. de.sp.model and de.arpa.bin")
    for lang in sorted(sps.keys() ^ lms.keys()):
        have, lacks = ((sps[lang], f"{lang}.arpa.bin (or {lang}.arpa)") if lang in sps
                       else (lms[lang], f"{lang}{SP_SUFFIX}"))
        raise UsageError(f"--lm-models {directory}: {have} has no {lacks} beside it")
    return {lang: ModelFiles(sps[lang], lms[lang]) for lang in sorted(sps)}


def check_lm_file(path: str) -> None:
    """Raises UsageError unless `path` starts as KenLM's binary format or an ARPA file does."""
    head = _read(path, 64)
    if not (head.startswith(_KENLM_BINARY) or head.lstrip().startswith(b"\\data\\")):
        raise UsageError(f"{path}: not a KenLM model (expected KenLM's binary format or an ARPA file "
                         f"starting with \\data\\); it starts with {head[:20]!r}")


def check_sp_file(path: str) -> None:
    """Raises UsageError unless `path` is a SentencePiece model that loads."""
    import sentencepiece

    try:
        sentencepiece.SentencePieceProcessor().LoadFromSerializedProto(_read(path))
    except Exception as exc:  # sentencepiece raises bare RuntimeErrors on a bad proto
        raise UsageError(f"{path}: not a SentencePiece model ({exc})") from None


def check_models(directory: str) -> dict[str, ModelFiles]:
    """`find_models`, and each file checked to be what its name says before a job starts: KenLM's
    binary header or an ARPA file's, a SentencePiece model that loads. Raises UsageError naming the file."""
    models = find_models(directory)
    for model in models.values():
        check_lm_file(model.lm)
        check_sp_file(model.sp)
    return models


_loaded: dict[tuple[str, str], tuple] = {}
_loading = threading.Lock()


def load_models(files_: ModelFiles) -> tuple:
    """(SentencePieceProcessor, kenlm.Model) of one language, loaded once per process."""
    key = (files_.sp, files_.lm)
    with _loading:
        if key not in _loaded:
            import kenlm
            import sentencepiece

            sp = sentencepiece.SentencePieceProcessor()
            sp.LoadFromSerializedProto(_read(files_.sp))
            config = kenlm.Config()
            # mmap and pre-fault, as CCNet: the pages of a binary model are the page cache's,
            # shared by every worker process of a machine
            config.load_method = kenlm.LoadMethod.POPULATE_OR_READ
            suffix = next(s for s in LM_SUFFIXES if files_.lm.endswith(s))
            _loaded[key] = sp, kenlm.Model(files.local_copy(files_.lm, suffix=suffix), config)
        return _loaded[key]


def score(doc: Document, models: dict[str, ModelFiles], cutoffs: dict[str, tuple[float, float]],
          keep: frozenset[str], count: Count = no_count, tally: Count = no_count) -> Document | None:
    """`doc` with `perplexity` and `lm_bucket`, or None when its bucket is not kept. A language without
    a model passes unscored (both null), counted per language; so does a language without cutoffs
    (bucket `all`)."""
    if doc.lang not in models:
        count(f"{PASSED}:{NO_MODEL}")
        tally(f"{_LANGUAGE}{doc.lang}:{NO_MODEL}")
        return doc
    value = perplexity(doc.text, *load_models(models[doc.lang]))
    named = bucket(value, cutoffs.get(doc.lang))
    tally(f"{_LANGUAGE}{doc.lang}:{named}")
    tally(f"{_LANGUAGE}{doc.lang}:{_BIN}{_bin(value)}")
    if keep and named != NO_CUTOFFS and named not in keep:
        count(f"filtered:{named}")
        return None
    count(PASSED)
    return dataclasses.replace(doc, perplexity=value, lm_bucket=named)


@dataclasses.dataclass(frozen=True)
class LanguageModels:
    """What the stage needs to find: each language's two model files, and the cutoffs per language."""

    files: dict[str, ModelFiles]
    cutoffs: dict[str, tuple[float, float]]

    @classmethod
    def checked(cls, directory: str, cutoffs: str | None = None) -> LanguageModels:
        """`check_models(directory)` and `load_cutoffs(cutoffs)`, once, at launch: the workers get the result."""
        return cls(check_models(directory), load_cutoffs(cutoffs))


class ScorePerplexity(Stage):
    """Document (with `lang`) -> Document with `perplexity` and `lm_bucket`, kept when its bucket is."""

    namespace = LM

    def __init__(self, models: LanguageModels, keep: frozenset[str]):
        self.models, self.keep = models, keep

    def process(self, doc: Document):
        scored = score(doc, self.models.files, self.models.cutoffs, self.keep, self.count, self.tally)
        if scored is not None:
            yield scored
