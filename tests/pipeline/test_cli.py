"""`xlmr-corpus` flags: help, wrong flags named with the right ones, the printed table."""

import subprocess
import sys

import pytest

from helpers import SAMPLE_WET
from xlmr.pipeline.cli import main
from xlmr.pipeline.options import CorpusOptions, corpus_flags, parse_options


def test_help_documents_every_flag(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    flags = corpus_flags()
    # the flags _stats.json records (config.flags) are exactly these
    assert {a.dest for a in flags} == set(CorpusOptions(["--output", "x"]).get_all_options(current_only=True))
    for action in flags:
        assert action.help and f"--{action.dest.replace('_', '-')} " in text, action.dest
    assert "--direct_num_workers" in text


@pytest.mark.parametrize("argv, expected", [
    ([], {"near_dup": "on", "repair": "on", "quality": "filter"}),
    (["--recipe", "cc100"], {"near_dup": "off", "repair": "off", "quality": "off"}),
    (["--recipe=cc100", "--near-dup", "on", "--quality=tag"], {"near_dup": "on", "repair": "off", "quality": "tag"}),
    (["--repair", "off"], {"near_dup": "on", "repair": "off", "quality": "filter"}),
])
def test_recipe_fills_what_the_flags_leave_open(argv, expected):
    opts = parse_options(["--input", "x", "--output", "o", *argv]).view_as(CorpusOptions)
    recorded = opts.get_all_options(current_only=True)  # what _stats.json's config.flags shows
    assert {k: getattr(opts, k) for k in expected} == {k: recorded[k] for k in expected} == expected


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--input", "x", "--output", "o", "--min-char", "5"], "did you mean --min-chars?"),
        (["--input", "x", "--output", "o", "--lid-threshold", "1.5"], "outside [0, 1); expected e.g. 0.5"),
        (["--input", "x", "--output", "o", "--shard-rows", "0"], "not a positive integer"),
        (["--input", "x"], "--output DIR is required"),
        (["--output", "o"], "nothing to read"),
        (["--output", "o", "--crawl", "2024-10"], "expected the form CC-MAIN-2024-10"),
        (["--output", "o", "--input", "/no/such/*.warc.gz"], "matches no file"),
        (["--output", "o", "--input", "x", "--languages", "english"], "'english' is not a language code"),
        (["--output", "o", "--input", "x", "--languages", "de,ha"], "lid.176 never emits 'ha'"),
        (["--output", "o", "--input", "x", "--languages", "dee"], "close: de"),
    ],
)
def test_wrong_flags_say_what_would_be_right(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_module_entry_point_prints_the_table(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "xlmr.pipeline", "--input", str(SAMPLE_WET), "--output", str(out),
         "--min-chars", "0", "--direct_num_workers", "1"],
        capture_output=True, text=True, check=True,
    )
    assert "records read" in result.stdout and "after language ID" in result.stdout
    assert "lang" in result.stdout and "total" in result.stdout
    assert f"{out}/_stats.json" in result.stdout
