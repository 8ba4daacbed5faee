"""Stages on Spark: a partition through a list of Stages, its outputs tagged, its counts as data.

Counts travel as data (each partition's totals after its last record), not as
accumulators: Spark applies an accumulator update made in a transformation once per
attempt, so a retried task or a recomputed stage would count its records twice, while
counts carried as records of a persisted RDD are those of the one attempt Spark kept.
"""

from __future__ import annotations

import functools
from typing import Iterable, Iterator

from ...stage import DictCount, Stage, Tagged, counter_name

MAIN, COUNTS = "main", "counts"  # tags of a partition's outputs, beside a Stage's own side outputs


def run_stages(stages: list[Stage], elements: Iterable) -> Iterator[tuple[str, object]]:
    """One partition through `stages` in turn: (MAIN, output) for each output of the last (a
    `Tagged` one as (its tag, value)), then (COUNTS, {"namespace:name": n}) once every element
    has gone through. Only the last stage may have side outputs."""
    counts = DictCount()
    for stage in stages:
        count = functools.partial(_count, counts, stage.namespace)
        stage.bind(count, count)
        stage.setup()
    try:
        for stage in stages:
            elements = _through(stage, elements)
        for element in elements:
            yield (element.tag, element.value) if isinstance(element, Tagged) else (MAIN, element)
    finally:
        for stage in stages:
            stage.teardown()
    yield COUNTS, dict(counts)


def _count(counts: DictCount, namespace: str, name: str, n: int = 1) -> None:
    counts[counter_name(namespace, name)] += n


def _through(stage: Stage, elements: Iterable) -> Iterator:
    for element in elements:
        yield from stage.process(element)


def apply_stages(rdd, stages: list[Stage], persist):
    """`rdd` through `stages`, partition by partition; returns the persisted tagged RDD (`output`
    takes each tag's elements out of it)."""
    return persist(rdd.mapPartitions(functools.partial(run_stages, stages)))


def output(tagged_rdd, tag: str):
    return tagged_rdd.filter(functools.partial(_has_tag, tag)).map(_value)


def _has_tag(tag: str, element: tuple) -> bool:
    return element[0] == tag


def _value(element: tuple):
    return element[1]
