"""A corpus in parts: each part a job over some of the input files that commits on its own, so a
killed run resumes at its first uncommitted part and a corpus grows by later runs (`--append`).

    DIR/_parts/run-PPPPP.json     a run's plan, written before its first part: an id (its parts' files
                                  and the flags that shape the corpus), its parts' files, its first part P
    DIR/_parts/part-PPPPP.json    a part's commit record, written last by its job: the part's totals
    DIR/lang=<code>/part-PPPPP-NNNNN-of-MMMMM.parquet, DIR/_index/<kind>/part-PPPPP-...   its files

A part's job deduplicates against the index of every part before it (and --dedup-against), moves
its files into place, then writes its record, atomically (a rename): a part with a record is
done; files of a part without one are a killed job's and are removed before it runs again. The
job of a run's last part then sums every part's record into `_stats.json` and writes `_SUCCESS`.
So a resumed run gives the corpus an uninterrupted one with the same parts gives, and each
part's cost is its own input plus the index of what came before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re

from xlmr.common import files
from xlmr.common.corpus_layout import PARTS_DIR, STATS_FILE, SUCCESS_FILE, TEMP_DIR, index_glob, shard_glob

from ..stats.corpus_stats import build_stats

_RUN, _PART = "run-{:05d}.json", "part-{:05d}.json"
_NUMBERED = re.compile(r"(?:run|part)-(\d{5})\.json$")


@dataclasses.dataclass(frozen=True)
class RunPlan:
    id: str  # what makes the run the same run again: its parts' files and the corpus-shaping flags
    first: int  # the number of its first part in DIR
    parts: list[list[str]]  # each part's input files

    def numbers(self) -> range:
        return range(self.first, self.first + len(self.parts))


def split_parts(paths: list[str], part_files: int | None) -> list[list[str]]:
    """The input files cut into parts of `part_files` (one part of all without it), in listing order."""
    size = part_files or max(1, len(paths))
    return [paths[i:i + size] for i in range(0, len(paths), size)] or [[]]


def run_id(parts: list[list[str]], flags: dict) -> str:
    return hashlib.sha256(json.dumps([parts, flags], sort_keys=True, default=str).encode()).hexdigest()[:16]


def _numbered(output: str, pattern: str) -> dict[int, str]:
    found = files.glob(files.join(output, PARTS_DIR, pattern.replace("{:05d}", "*")))
    return {int(m.group(1)): path for path in found if (m := _NUMBERED.search(path))}


def runs(output: str) -> list[RunPlan]:
    """The runs whose plans DIR holds, in order."""
    return [RunPlan(**json.loads(files.read_text(path))) for _, path in sorted(_numbered(output, _RUN).items())]


def committed(output: str) -> dict[int, str]:
    """{part number: its record's path} of the parts DIR holds whole."""
    return _numbered(output, _PART)


def start_run(output: str, plan: RunPlan) -> None:
    _write_atomically(files.join(output, PARTS_DIR, _RUN.format(plan.first)), dataclasses.asdict(plan))


def clear_part(output: str, number: int) -> None:
    """Remove what a killed job of part `number` left: its shards and index files, and `_temporary`."""
    prefix = f"part-{number:05d}-"
    leftovers = [path for pattern in (shard_glob(), index_glob())
                 for path in files.glob(files.join(output, pattern)) if path.rsplit("/", 1)[-1].startswith(prefix)]
    files.delete(*leftovers, files.join(output, TEMP_DIR))


def commit_part(output: str, number: int, totals: dict) -> None:
    """The part's record, written last: from now on the part is done."""
    _write_atomically(files.join(output, PARTS_DIR, _PART.format(number)), totals)


def complete(output: str) -> dict:
    """Every part's totals summed into `_stats.json`, then `_SUCCESS`; returns the stats. The config is
    the last part's, with the input files of every part and the number of parts."""
    records = [json.loads(files.read_text(path)) for _, path in sorted(committed(output).items())]
    summed: dict[str, dict] = {name: {} for name in ("lang_totals", "shards", "counters", "near_dups", "index")}
    for record in records:
        for name, table in summed.items():
            for key, value in record[name].items():
                table[key] = _add(table[key], value) if key in table else value
    config = {**records[-1]["config"], "input_files": sum(r["input_files"] for r in records), "parts": len(records)}
    stats = build_stats({k: tuple(v) for k, v in summed["lang_totals"].items()}, summed["shards"],
                        summed["counters"], {k: tuple(v) for k, v in summed["near_dups"].items()},
                        summed["index"], config)
    files.write_text(files.join(output, STATS_FILE), json.dumps(stats, indent=2, ensure_ascii=False))
    files.write_text(files.join(output, SUCCESS_FILE), "")
    return stats


def _add(a, b):
    if isinstance(a, dict):
        return {k: _add(a[k], b[k]) if k in a else b[k] for k in {**a, **b}}
    if isinstance(a, list):
        return [x + y for x, y in zip(a, b)]
    return a + b


def _write_atomically(path: str, content: dict) -> None:
    """Written whole or not at all: a temporary name, then a rename (an object store's copy appears whole)."""
    temp = f"{path}.tmp"
    files.write_text(temp, json.dumps(content, indent=1, ensure_ascii=False, default=list))
    files.rename(temp, path)
