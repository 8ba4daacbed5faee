"""The Dataflow Flex Template: its metadata agrees with the pipeline's options, its entry point runs."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from xlmr.pipeline.options import CorpusOptions
from xlmr.pipeline.template import REGEXES, SPARK_ONLY, metadata, to_flags

from helpers import SAMPLE_WARC, SAMPLE_WET, read_corpus

TEMPLATES = Path(__file__).resolve().parents[1] / "dataflow_templates"


def _actions():
    parser = argparse.ArgumentParser()
    CorpusOptions._add_argparse_args(parser)
    return [a for a in parser._actions if a.option_strings and a.dest not in ("help", *SPARK_ONLY)]


def test_metadata_json_is_generated_from_the_options():
    assert json.loads((TEMPLATES / "metadata.json").read_text()) == metadata(), \
        "run python dataflow_templates/make_metadata.py"
    assert set(REGEXES) == {a.dest for a in _actions()}  # no parameter without a flag, no flag (but the Spark engine's) without one


@pytest.mark.parametrize("action", _actions(), ids=lambda a: a.dest)
def test_every_default_passes_its_parameter_regex(action):
    if action.default in (None, []):
        return
    value = str(action.default).lower() if isinstance(action.default, bool) else str(action.default)
    assert re.match(REGEXES[action.dest], value), (action.dest, value)


@pytest.mark.parametrize("name, good, bad", [
    ("input", "gs://b/x.warc.gz,https://data.commoncrawl.org/crawl-data/a.warc.gz", "/local/x.warc.gz"),
    ("output", "gs://bucket/cc100", "out/corpus"),
    ("crawl", "CC-MAIN-2024-10", "2024-10"),
    ("languages", "de,fr,cc100", "de fr"),
    ("lid_threshold", "0.5", "1.5"),
    ("near_dup_threshold", "0.8", "1"),
    ("max_files", "10", "0"),
])
def test_parameter_regexes(name, good, bad):
    assert re.match(REGEXES[name], good) and not re.match(REGEXES[name], bad)


def test_template_values_become_flags():
    assert to_flags(["--input=gs://a/*.gz, gs://b/x.gz", "--overwrite=true", "--languages=de,fr", "--min_chars=5"]) \
        == ["--input", "gs://a/*.gz", "gs://b/x.gz", "--overwrite", "--languages", "de", "fr", "--min_chars=5"]
    assert to_flags(["--overwrite=false"]) == []
    with pytest.raises(ValueError, match="expected true or false"):
        to_flags(["--overwrite=yes"])


@pytest.mark.slow
def test_template_entry_point_runs_the_sample_with_the_template_defaults(sample_corpus, tmp_path):
    from xlmr.pipeline.template import main

    out = tmp_path / "template"
    assert main([f"--input={SAMPLE_WARC},{SAMPLE_WET}", f"--output={out}"]) == 0
    assert (out / "_SUCCESS").exists()
    assert read_corpus(out)[0] == read_corpus(sample_corpus)[0]
