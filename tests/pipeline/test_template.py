"""The Dataflow Flex Template: its metadata agrees with the pipeline's options, its entry point runs."""

from __future__ import annotations

import argparse
import json
import re

import pytest

from xlmr.pipeline.options import corpus_flags, parse_options
from xlmr.pipeline.template import SPARK_ONLY, metadata, parameter_regex, regexes, template_flags, to_flags

from helpers import ROOT, SAMPLE_WET, read_corpus

TEMPLATES = ROOT / "dataflow_templates"
# A launch the template accepts; input and crawl can stand in for each other.
LAUNCH = {"input": "gs://b/x.warc.gz", "crawl": "CC-MAIN-2024-10", "output": "gs://b/out"}


def _parameters() -> dict[str, dict]:
    return {p["name"]: p for p in metadata()["parameters"]}


def _launches_without(dest: str) -> bool:
    try:
        parse_options(to_flags([f"--{k}={v}" for k, v in LAUNCH.items() if k != dest]))
    except SystemExit:
        return False
    return True


def test_metadata_json_is_generated_from_the_options():
    assert json.loads((TEMPLATES / "metadata.json").read_text()) == metadata(), \
        "run python dataflow_templates/make_metadata.py"
    # no parameter without a flag, no flag (but the Spark engine's) without one
    dests = {a.dest for a in corpus_flags()}
    assert set(SPARK_ONLY) <= dests and set(_parameters()) == dests - set(SPARK_ONLY)


@pytest.mark.parametrize("action", template_flags(), ids=lambda a: a.dest)
def test_every_default_passes_its_parameter_regex(action, capsys):
    parameter = _parameters()[action.dest]
    if action.default in (None, []):
        # No default to match: leaving the parameter out leaves the flag out, so it is
        # optional exactly when the job can run without it.
        assert parameter["isOptional"] == _launches_without(action.dest), (action.dest, capsys.readouterr().err[-300:])
    else:
        value = str(action.default).lower() if isinstance(action.default, bool) else str(action.default)
        assert parameter["isOptional"], action.dest  # the flag's default stands in
        assert re.match(parameter["regexes"][0], value), (action.dest, value)


@pytest.mark.parametrize("name, good, bad", [
    ("input", "gs://b/x.warc.gz,https://data.commoncrawl.org/crawl-data/a.warc.gz", "/local/x.warc.gz"),
    ("output", "gs://bucket/cc100", "out/corpus"),
    ("crawl", "CC-MAIN-2024-10", "2024-10"),
    ("languages", "de,fr,cc100", "de fr"),
    ("lid_threshold", "0.5", "1.5"),
    ("near_dup_threshold", "0.8", "1"),
    ("max_files", "10", "0"),
    ("recipe", "cc100", "c4"),
    ("quality", "tag", "filter,tag"),
    ("overwrite", "true", "yes"),
    ("http_retry_budget", "900.0", "-1"),
])
def test_parameter_regexes(name, good, bad):
    assert re.match(regexes()[name], good) and not re.match(regexes()[name], bad)


def test_a_flag_the_template_cannot_check_is_an_error():
    parser = argparse.ArgumentParser()
    with pytest.raises(KeyError, match="TYPE_PATTERNS"):
        parameter_regex(parser.add_argument("--ratio", type=float))
    with pytest.raises(KeyError, match="STRING_PATTERNS"):
        parameter_regex(parser.add_argument("--name"))


def test_template_values_become_flags():
    assert to_flags(["--input=gs://a/*.gz, gs://b/x.gz", "--overwrite=true", "--languages=de,fr", "--min_chars=5"]) \
        == ["--input", "gs://a/*.gz", "gs://b/x.gz", "--overwrite", "--languages", "de", "fr", "--min_chars=5"]
    assert to_flags(["--overwrite=false"]) == []
    with pytest.raises(ValueError, match="expected true or false"):
        to_flags(["--overwrite=yes"])


@pytest.mark.slow
def test_template_entry_point_runs_the_sample_with_the_template_defaults(quarter_warc, quarter_corpus, tmp_path):
    from xlmr.pipeline.template import main

    out = tmp_path / "template"
    # one in-process Beam worker, as helpers.run_job runs the other tests' jobs
    assert main([f"--input={quarter_warc},{SAMPLE_WET}", f"--output={out}", "--direct_num_workers=1"]) == 0
    assert (out / "_SUCCESS").exists()
    assert read_corpus(out)[0] == read_corpus(quarter_corpus)[0]
