"""The shipped parallel set: the UDHR in the CC-100 languages, paragraphs aligned to English's.

Built once by sample/build_udhr_parallel.py (provenance in data/PROVENANCE.md);
read here from the installed package, never from outside the repo.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from importlib import resources

PIVOT = "en"


@dataclasses.dataclass(frozen=True)
class ParallelSet:
    # language -> one entry per English paragraph index: its translation, or None where
    # the alignment found no one-to-one counterpart
    paragraphs: dict[str, list[str | None]]
    names: dict[str, str]

    def languages(self) -> list[str]:
        return sorted(self.paragraphs)

    def aligned(self, lang: str) -> tuple[list[int], list[str], list[str]]:
        """(English paragraph indices, `lang`'s texts, English texts) where both sides exist."""
        pivot, other = self.paragraphs[PIVOT], self.paragraphs[lang]
        indices = [i for i, (a, b) in enumerate(zip(other, pivot)) if a is not None and b is not None]
        return indices, [other[i] for i in indices], [pivot[i] for i in indices]


def load() -> ParallelSet:
    paragraphs, names = {}, {}
    with resources.files(__package__).joinpath("data/udhr_parallel.jsonl.gz").open("rb") as raw:
        for line in gzip.open(raw, "rt", encoding="utf-8"):
            record = json.loads(line)
            paragraphs[record["lang"]] = record["paragraphs"]
            names[record["lang"]] = record["name"]
    return ParallelSet(paragraphs, names)
