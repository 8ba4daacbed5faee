"""The quality filters' measures on small texts whose values were worked out by hand, and the threshold table."""

import json

import pytest

from xlmr.common.language_codes import CC100_LANGUAGES, CC100_NOT_IN_LID176
from xlmr.pipeline.filters.quality_filters import (CHECKS, SIGNALS, duplicated_ngram_chars, failures, measure,
                                           top_ngram_chars)
from xlmr.pipeline.filters.quality_settings import FIXED, ThresholdError, load_thresholds, parse_table, settings_from
from xlmr.pipeline.filters.words import WordSplitter

split = WordSplitter().split


def signals(text, stopwords=frozenset()):
    return measure(text, split(text), stopwords)


def test_words_split_spaceless_scripts_into_dictionary_words_and_keep_indic_signs():
    assert split("Hello, world!") == ["Hello", ",", "world", "!"]
    assert split("中华人民共和国成立于1949年。") == ["中华", "人民", "共和国", "成立", "于", "1949", "年", "。"]
    assert split("ภาษาไทยเป็นภาษาที่สวยงาม") == ["ภาษา", "ไทย", "เป็น", "ภาษา", "ที่", "สวยงาม"]
    assert split("नमस्ते दुनिया।") == ["नमस्ते", "दुनिया", "।"]  # vowel signs stay inside the word


def test_duplicated_lines_and_their_fraction():
    # lines "a b", "c d", "a b", "e": one duplicate of four
    assert signals("a b\nc d\na b\ne")["dup_line_frac"] == 0.25
    # runs of newlines are one separator; a trailing newline adds an empty line
    assert signals("x\n\n\nx\n")["dup_line_frac"] == pytest.approx(1 / 3)


def test_top_ngram_covers_its_characters_times_its_count():
    words = "the cat the cat the dog".split()
    # 2-grams: "the cat" x2, "cat the" x2, "the dog" x1; the first most common is "the cat": 7 chars x 2
    assert top_ngram_chars(words, 2) == 14
    assert top_ngram_chars(words[:1], 2) == 0  # fewer words than n
    text = "the cat the cat the dog"
    assert signals(text)["top_2_gram_frac"] == pytest.approx(14 / 23)


def test_duplicated_ngrams_jump_past_each_repeat():
    words = "a b c d e a b c d e a b c d e".split()
    # 5-grams: the first "abcde" is new; after 4 new 5-grams (positions 0..4) position 5 repeats
    # (5 chars, jump to 10), position 10 repeats again (5 chars): 10
    assert duplicated_ngram_chars(words, 5) == 10
    assert duplicated_ngram_chars("a b c d e f".split(), 5) == 0
    # the joining spaces are not counted: 10 of 29 characters
    assert signals(" ".join(words))["dup_5_gram_frac"] == pytest.approx(10 / 29)


def test_fineweb_line_measures():
    text = "One line.\nTwo line\n\nOne line.\n"
    s = signals(text)
    assert s["lines"] == 3  # blank lines are not lines here
    assert s["line_punct_frac"] == pytest.approx(2 / 3)  # "." ends two of three
    # the repeated "One line." (9 chars) over the text without newlines (30 - 4 = 26 characters)
    assert s["char_dup_frac"] == pytest.approx(9 / 26)
    # 4 newlines over 10 tokens (One line . Two line One line .)
    assert len(split(text)) == 8 and s["new_line_ratio"] == pytest.approx(4 / 8)


def test_gopher_quality_measures():
    text = "Ein Hund, ein Haus.\n- und 42 #\n• mehr…"
    words = split(text)
    assert words == ["Ein", "Hund", ",", "ein", "Haus", ".", "-", "und", "42", "#", "•", "mehr", "…"]
    s = measure(text, words, frozenset({"und", "ein", "der"}))
    # non-symbol words: Ein Hund ein Haus und 42 mehr (7), mean length (3+4+3+4+3+2+4) / 7
    assert s["words"] == 7 and s["avg_word_length"] == pytest.approx(23 / 7)
    assert s["hash_ratio"] == pytest.approx(1 / 13) and s["ellipsis_ratio"] == pytest.approx(1 / 13)
    assert s["bullet_lines_frac"] == pytest.approx(2 / 3) and s["ellipsis_lines_frac"] == pytest.approx(1 / 3)
    assert s["alpha_words_frac"] == pytest.approx(6 / 13)  # 42 is not alphabetic
    assert s["stop_words"] == 2  # distinct and case-sensitive: "Ein" is not "ein"


UDHR_EN = """All human beings are born free and equal in dignity and rights. They are endowed with reason and \
conscience and should act towards one another in a spirit of brotherhood.
Everyone is entitled to all the rights and freedoms set forth in this Declaration, without distinction of any \
kind, such as race, colour, sex, language, religion, political or other opinion, national or social origin, \
property, birth or other status.
Everyone has the right to life, liberty and security of person.
No one shall be held in slavery or servitude; slavery and the slave trade shall be prohibited in all their forms.
No one shall be subjected to torture or to cruel, inhuman or degrading treatment or punishment.
"""


def test_failures_follow_the_thresholds_and_their_off_switches():
    settings = settings_from({"stopwords": ["and", "in"]}, "test")
    s = signals(UDHR_EN, settings.stopwords)
    assert failures(s, settings) == []
    article_1 = UDHR_EN.split("\n")[0]  # 29 words
    assert failures(signals(article_1, settings.stopwords), settings) == ["min_words"]
    off = settings_from({"stopwords": ["and", "in"], "min_doc_words": None}, "test")
    assert failures(signals(article_1, off.stopwords), off) == []
    # line_punct_thr 0 never drops (FineWeb compares literally); an empty stop-word list is no check
    no_punct = "".join(f"line {i} with words in and out\n" for i in range(20))
    assert "line_punct" in failures(signals(no_punct, settings.stopwords), settings)
    zero = settings_from({"stopwords": [], "line_punct_thr": 0}, "test")
    assert not {"line_punct", "stop_words"} & set(failures(signals(no_punct), zero))
    assert set(CHECKS) >= set(failures(signals("x"), settings)) and len(SIGNALS) == 23


def test_every_cc100_language_has_thresholds():
    table = load_thresholds()
    assert set(table.languages) >= CC100_LANGUAGES
    assert table.for_language("de").stopwords >= {"der", "und"}
    assert table.for_language("deu_Latn") is table.for_language("de")  # GlotLID's label finds it too
    assert table.for_language("an") is table.default and table.default.stopwords == frozenset()
    assert CC100_NOT_IN_LID176 <= set(table.languages)  # ha, om, xh: for GlotLID runs


def test_the_shipped_table_keeps_fineweb2_values():
    from importlib import resources
    raw = json.loads(resources.files("xlmr.pipeline").joinpath("data", "quality_thresholds.json").read_text())
    assert raw["source"]["commit"] == "d0defb24f193bb9a5a11b8b14524a03c4858e1b6"
    assert raw["languages"]["de"]["dup_line_frac"] == 0.263 and raw["languages"]["de"]["config"] == "deu_Latn"
    # turned off here, measured in bench/quality_calibration.py: over half of clean text failed
    assert all(raw["languages"][lang]["max_non_alpha_words_ratio"] is None for lang in ("th", "sr", "ms", "ca"))


@pytest.mark.parametrize("table, problem", [
    ([1, 2], 'expected a JSON object with a "languages" object'),
    ({"languages": {"de": {"dup_line_fraq": 0.3}}}, "unknown key 'dup_line_fraq'; did you mean 'dup_line_frac'?"),
    ({"languages": {"de": {"dup_line_frac": "high"}}}, "dup_line_frac = 'high'; expected a number >= 0"),
    ({"languages": {"de": {"top_n_grams": [[7, 0.1]]}}}, "expected a list of [n, fraction] pairs with n in 2..4"),
    ({"languages": {"de": {"stopwords": "der die das"}}}, "stopwords must be a list of strings"),
    ({"languages": {"german": {}}}, "'german' is not a language code"),
    ({"languages": {"qq": {}}}, "lid.176 never emits 'qq'"),
])
def test_a_bad_table_names_what_is_wrong(table, problem):
    with pytest.raises(ThresholdError, match=None) as err:
        parse_table(table, "t.json")
    assert problem in str(err.value) and str(err.value).startswith("t.json")


def test_a_table_file_that_cannot_be_read_or_parsed(tmp_path):
    with pytest.raises(ThresholdError, match="cannot read it"):
        load_thresholds(str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ThresholdError, match="not valid JSON"):
        load_thresholds(str(tmp_path / "bad.json"))
    assert set(FIXED) >= {"min_doc_words", "char_duplicates_ratio"}


def test_duplicated_ngrams_equal_the_plain_left_to_right_scan():
    import random

    def plain(words, n):  # the definition, position by position
        seen, chars, i = set(), 0, 0
        while i <= len(words) - n:
            gram = tuple(words[i:i + n])
            if gram in seen:
                chars, i = chars + sum(map(len, gram)), i + n
            else:
                seen.add(gram)
                i += 1
        return chars

    rng = random.Random(0)
    for _ in range(2000):
        words = [rng.choice("abc") * rng.randint(1, 2) for _ in range(rng.randint(0, 40))]
        for n in range(5, 11):
            assert duplicated_ngram_chars(words, n) == plain(words, n), (words, n)
