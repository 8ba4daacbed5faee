"""bench/extraction_quality.py's scoring on hand-made inputs whose answers are worked out below, and its
refusal to run without the shared pages (which cannot be bundled). Needs no shared data."""

from __future__ import annotations

import pytest

from helpers import bench_module

bench = bench_module("extraction_quality")


def test_a_snippet_counts_when_found_whatever_the_whitespace_on_either_side():
    """"a  b" is in "a b d e" once both are normalised (tp); "c" is not (fn); "d\\te" is (fp); "x" is not (tn)."""
    assert bench.count_snippets(["a  b", "c"], ["x", "d\te"], "a b\n  d   e\n") == (1, 1, 1, 1)


def test_a_snippet_counts_in_another_unicode_form():
    """Bengali YYA: U+09DF as a page writes it, U+09AF U+09BC as trafilatura (NFC) and its snippets write it."""
    assert bench.count_snippets(["\u09af\u09bc\u09be"], [], "\u09df\u09be") == (1, 0, 0, 0)


@pytest.mark.parametrize("text", [None, "", " \n "])
def test_no_output_misses_every_with_snippet_and_lets_no_without_snippet_through(text):
    assert bench.count_snippets(["a", "b"], ["c", "d", "e"], text) == (0, 0, 2, 3)


def test_snippet_scores_are_summed_over_pages_before_dividing():
    """Page 1: tp 2, fp 1, fn 0, tn 1. Page 2 (empty): fn 1, tn 4. Sums: tp 2, fp 1, fn 1, tn 5 ->
    precision 2/3, recall 2/3, F1 2/3, accuracy 7/9; one page of two empty."""
    confusion = bench.Confusion()
    confusion.add(bench.count_snippets(["one", "two"], ["three", "four"], "one two three"), empty=False)
    confusion.add(bench.count_snippets(["five"], ["a", "b", "c", "d"], None), empty=True)
    assert (confusion.tp, confusion.fp, confusion.fn, confusion.tn) == (2, 1, 1, 5)
    assert confusion.scores() == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "accuracy": 7 / 9})
    assert (confusion.pages, confusion.empty) == (2, 1)


def test_empty_denominators_score_zero_not_a_division_error():
    assert bench.Confusion().scores() == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "accuracy": 0.0}


def test_words_are_lower_cased_and_punctuation_tokens_left_out():
    splitter = bench.WordSplitter()
    assert bench.words("The cat, the CAT — sat.", splitter) == ["the", "cat", "the", "cat", "sat"]
    assert bench.words(None, splitter) == []


def test_bag_of_words_counts_a_repeated_word_as_often_as_it_occurs_in_both():
    """Output the×2 cat×2 sat (5 words), reference the×3 cat dog mat (6 words): shared the×2 + cat×1 = 3.
    Precision 3/5, recall 3/6, F1 = 2·0.6·0.5 / 1.1 = 6/11."""
    splitter = bench.WordSplitter()
    output = bench.words("The cat, the cat sat.", splitter)
    reference = bench.words("the THE the cat dog mat", splitter)
    assert bench.bag_of_words(output, reference) == pytest.approx({"precision": 0.6, "recall": 0.5, "f1": 6 / 11})


def test_bag_of_words_of_no_output_is_zero():
    assert bench.bag_of_words([], ["a", "b"]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_mean_scores_weigh_each_page_alike():
    pages = [{"precision": 1.0, "recall": 0.5, "f1": 2 / 3}, {"precision": 0.0, "recall": 0.0, "f1": 0.0}]
    assert bench.mean_scores(pages) == pytest.approx({"precision": 0.5, "recall": 0.25, "f1": 1 / 3})


def test_without_the_shared_pages_it_says_where_they_come_from_and_exits_2(tmp_path, capsys):
    missing = tmp_path / "no-such-dir"
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--html", str(missing)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "--html" in err and len(err.strip().splitlines()) == 1
