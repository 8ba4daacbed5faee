"""The keeper rule of both dedups: among documents that collide, the smallest key wins.

The key is (tagged, id): a document that `--quality tag` marked as failing a
check loses to every untagged one, so the untagged documents of a `tag` run
keep exactly the text a `filter` run keeps; otherwise (and in every other run)
the smallest id wins. A CombineFn with a single key as accumulator: combiner
lifting reduces each bundle's values for a key to one before the shuffle, so a
key shared by millions of documents (a boilerplate line, a templated page's LSH
bucket) never becomes a list in memory.
"""

from __future__ import annotations

import apache_beam as beam

from .records import Document


def keeper_key(doc: Document) -> tuple[int, str]:
    return int(bool(doc.quality_drops)), doc.id


class SmallestId(beam.CombineFn):
    def create_accumulator(self):
        return None

    def add_input(self, smallest, doc_id):
        return doc_id if smallest is None or doc_id < smallest else smallest

    def merge_accumulators(self, accumulators):
        smallest = None
        for doc_id in accumulators:
            if doc_id is not None:
                smallest = self.add_input(smallest, doc_id)
        return smallest

    def extract_output(self, smallest):
        return smallest
