"""Documents and characters written per crawl (the `dump` column), for `_stats.json` and the card.

`TallyCrawls` is the job's last Stage: it sees exactly the documents written and tallies them
per crawl, so the totals come through the same combiners as every count, on every engine."""

from __future__ import annotations

from ..records import Document
from ..stage import CRAWL, Stage, counter_name

UNKNOWN = "unknown"  # a record whose crawl neither its warcinfo nor its file's path names
TALLY_PREFIX = counter_name(CRAWL, "")  # crawl:<dump>:documents, crawl:<dump>:characters
_FIELDS = ("documents", "characters")


class TallyCrawls(Stage):
    namespace = CRAWL

    def process(self, doc: Document):
        dump = doc.dump or UNKNOWN
        self.tally(f"{dump}:documents")
        self.tally(f"{dump}:characters", len(doc.text))
        yield doc


def crawls_from_tallies(tallies: dict[str, int]) -> dict[str, dict[str, int]]:
    """The stage's tallies (full counter names) -> {dump: {"documents": n, "characters": n}}, largest first."""
    out: dict[str, dict[str, int]] = {}
    for name, n in tallies.items():
        dump, field = name[len(TALLY_PREFIX):].rsplit(":", 1)
        out.setdefault(dump, dict.fromkeys(_FIELDS, 0))[field] += n
    return dict(sorted(out.items(), key=lambda kv: (-kv[1]["documents"], kv[0])))
