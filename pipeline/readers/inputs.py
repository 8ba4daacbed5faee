"""Input listing and opening: globs on local, gs:// and s3:// paths, http(s) URLs, CommonCrawl manifests.

Listing happens once, at launch (90,000 paths of a whole crawl are ~10 MB), so
that `--max-files` means "the first N" and a pattern matching nothing fails
before any worker starts.
"""

from __future__ import annotations

import gzip
import re
from typing import BinaryIO

from xlmr.common import files
from xlmr.common.argtypes import UsageError

from .http_reader import RetryPolicy, open_url

CC_BASE = "https://data.commoncrawl.org/"
CRAWL_ID = re.compile(r"^CC-MAIN-\d{4}-\d{2}$")
_CRAWL_IN_PATH = re.compile(r"CC-MAIN-\d{4}-\d{2}(?!\d)")  # not CC-MAIN-20240218... of a file name
_HTTP = ("http://", "https://")


def crawl_manifest(crawl: str, fmt: str = "warc") -> str:
    """`CC-MAIN-2024-10` -> the URL of its warc.paths.gz (or wet.paths.gz)."""
    if not CRAWL_ID.match(crawl):
        raise UsageError(f"--crawl {crawl!r} is not a crawl id; expected the form CC-MAIN-2024-10")
    return f"{CC_BASE}crawl-data/{crawl}/{fmt}.paths.gz"


def crawl_in_path(path: str) -> str | None:
    """The crawl ID in a CommonCrawl path (crawl-data/CC-MAIN-2024-10/segments/...), None without one."""
    found = _CRAWL_IN_PATH.search(path)
    return found.group(0) if found else None


def is_manifest(path: str) -> bool:
    return path.endswith((".paths.gz", ".paths"))


def open_input(path: str, policy: RetryPolicy = RetryPolicy()) -> BinaryIO:
    """A binary stream over a local, gs://, s3:// or http(s):// file, bytes as stored.

    http(s) streams retry and resume by themselves (http_reader.py); gs:// and s3:// retry
    through their client libraries (common/files.py).
    """
    if path.startswith(_HTTP):
        return open_url(path, policy)
    return files.open_read(path)


def read_manifest(path: str) -> list[str]:
    """The file URLs listed in a CommonCrawl `*.paths.gz` manifest."""
    with open_input(path) as raw:
        data = raw.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    # CommonCrawl lists paths relative to its bucket; URLs and local paths stay.
    lines = data.decode("utf-8").split()
    return [line if "://" in line or line.startswith("/") else CC_BASE + line for line in lines]


def expand_inputs(patterns: list[str], max_files: int | None = None) -> list[str]:
    """Patterns -> file paths, in pattern order, without repeats, cut to `max_files`. Local paths come
    absolute (files.glob): a worker, a Spark executor above all, need not share this process's directory."""
    found: dict[str, None] = {}
    for pattern in patterns:
        if is_manifest(pattern):
            matched = read_manifest(pattern)
        elif pattern.startswith(_HTTP):
            matched = [pattern]
        else:
            try:
                matched = files.glob(pattern)
            except (OSError, ValueError):  # a bucket that is not there, a malformed URL
                matched = []
            if not matched:
                raise UsageError(f"--input {pattern!r} matches no file")
        found.update(dict.fromkeys(matched))
        if max_files is not None and len(found) >= max_files:
            break
    return list(found)[:max_files]


def input_bytes(paths: list[str]) -> int | None:
    """The files' total size as stored, or None when one has no size to ask for (http inputs)."""
    if any(path.startswith(_HTTP) for path in paths):
        return None
    try:
        return sum(files.size(path) for path in paths)
    except (OSError, ValueError):
        return None
