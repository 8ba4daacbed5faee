"""Spark's shuffles for the engine-free dedup (dedup/deduplicate.py): flatMap, reduceByKey, a tagged
groupByKey, union, and files read by a flatMap.

`reduceByKey` combines on the map side and PySpark's shuffles spill to disk, so no executor
holds every copy of a paragraph key.
"""

from __future__ import annotations

import functools
from typing import Iterable


class SparkShuffles:
    def __init__(self, sc, partitions: int):
        self.sc, self.partitions = sc, partitions  # partitions: of every shuffle

    def flat_map(self, label: str, rdd, fn):
        return rdd.flatMap(fn)

    def smallest_per_key(self, label: str, rdd):
        return rdd.reduceByKey(min, self.partitions)

    def join_by_id(self, label: str, rdds: dict):
        """One groupByKey over values tagged with their collection's name (what PySpark's cogroup
        does), with the partition count given."""
        names = tuple(rdds)
        tagged = [rdd.mapValues(functools.partial(_tag, name)) for name, rdd in rdds.items()]
        return (tagged[0].context.union(tagged).groupByKey(self.partitions)
                .mapValues(functools.partial(_untag, names)))

    def union(self, label: str, rdds: list):
        return self.sc.union(rdds)

    def read_files(self, label: str, paths: list[str], fn):
        return self.sc.parallelize(paths, max(1, len(paths))).flatMap(fn)


def _tag(name: str, value) -> tuple:
    return name, value


def _untag(names: tuple[str, ...], tagged: Iterable[tuple]) -> dict[str, list]:
    grouped = {name: [] for name in names}
    for name, value in tagged:
        grouped[name].append(value)
    return grouped
