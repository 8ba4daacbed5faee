"""`xlmr-corpus lm download`: CCNet's published language models into a directory `--lm-models` reads.

CCNet's Makefile fetches `<lang>.arpa.bin` and `<lang>.sp.model` from
http://dl.fbaipublicfiles.com/cc_net/lm/ for its 48 languages (the columns of its cutoff.csv).
Each file is streamed into `<name>.part` through the retrying reader (back-off, resume by
Range within a run), and a `.part` left by an interrupted run is resumed from its size. Only
once the file is whole and loads (SentencePiece parses it; KenLM maps it) is it renamed to its
name, so the directory never holds a half or wrong file under a model's name.
"""

from __future__ import annotations

import os
import urllib.error
from pathlib import Path

from xlmr.common.argtypes import UsageError

from ..readers.http_reader import DownloadFailed, RetryingHttpReader, RetryPolicy
from .perplexity import SP_SUFFIX, check_lm_file, check_sp_file, load_cutoffs

CCNET_MODELS = "http://dl.fbaipublicfiles.com/cc_net/lm"
CHUNK = 1 << 20


def ccnet_languages() -> list[str]:
    """The languages CCNet published models for: those of its cutoff.csv."""
    return sorted(load_cutoffs())


def _fetch(url: str, part: Path, policy: RetryPolicy) -> int:
    """The rest of `url` appended to `part`; the byte it resumed from."""
    start = part.stat().st_size if part.exists() else 0
    try:
        with part.open("ab") as out, RetryingHttpReader(url, policy, start=start) as stream:
            while chunk := stream.read(CHUNK):
                out.write(chunk)
    except DownloadFailed as exc:
        cause = exc.__cause__
        # 416: the .part already holds the whole file (a run cut between its last byte and the rename)
        if not (start and isinstance(cause, urllib.error.HTTPError) and cause.code == 416):
            raise
    return start


def _check_lm_loads(path: Path) -> None:
    import kenlm

    check_lm_file(str(path))
    config = kenlm.Config()
    config.load_method = kenlm.LoadMethod.LAZY  # maps it without reading it all: a check, not a use
    try:
        kenlm.Model(str(path), config)
    except (OSError, RuntimeError) as exc:  # kenlm's errors on a truncated or corrupt file
        raise UsageError(f"{path}: KenLM cannot load it ({exc})") from None


def download(languages: list[str], output: Path, base_url: str = CCNET_MODELS,
             policy: RetryPolicy = RetryPolicy(), log=print) -> dict[str, str]:
    """Each language's two files into `output`: {file name: have | fetched | resumed from byte N}. A file
    that arrives whole but does not load is removed and named in a UsageError (a rerun fetches it anew)."""
    published = ccnet_languages()
    unknown = sorted(set(languages) - set(published))
    if unknown and base_url == CCNET_MODELS:
        raise UsageError(f"--languages {' '.join(unknown)}: CCNet published no model for it; it has "
                         f"{' '.join(published)} (docs/pipeline.md says how to train one)")
    base_url = base_url.rstrip("/")
    output.mkdir(parents=True, exist_ok=True)
    done = {}
    for lang in languages:
        for name, check in ((f"{lang}{SP_SUFFIX}", lambda p: check_sp_file(str(p))),
                            (f"{lang}.arpa.bin", _check_lm_loads)):
            target = output / name
            if target.exists():
                done[name] = "have"
            else:
                part = target.with_name(name + ".part")
                start = _fetch(f"{base_url}/{name}", part, policy)
                try:
                    check(part)
                except UsageError as exc:
                    part.unlink()
                    raise UsageError(f"{base_url}/{name}: the file fetched is not a model; removed. "
                                     f"{exc}") from None
                os.replace(part, target)
                done[name] = f"resumed from byte {start:,}" if start else "fetched"
            log(f"{name}: {done[name]} ({target.stat().st_size:,} bytes)")
    return done
