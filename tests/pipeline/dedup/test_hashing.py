import unicodedata

from xlmr.pipeline.dedup.hashing import CONTROL_CHARS, UNICODE_PUNCT, normalize_for_dedup, paragraph_hash, split_paragraphs

TRICKY = [
    "  Hello, WORLD！ ２０２０年「テスト」… \x07ok  ",
    "Ελληνικά: ΑΒΓ — δοκιμή; «quote» ٣٤ १२३",
    "İstanbul’da 1.234,56 TL – “indirim” ％50 ►",
    "中文，标点。测试、（括号）【方括号】〈尖〉《书名》～",
    "\x00\x1f\x7f\x85\x9ftab\there",
    "",
    "   ",
]


def test_equals_the_definition_character_by_character():
    def by_character(text):
        return "".join("0" if unicodedata.category(c) == "Nd" else "" if c in UNICODE_PUNCT + CONTROL_CHARS else c
                       for c in text.strip().lower())

    for text in TRICKY:
        assert normalize_for_dedup(text) == by_character(text), text


def test_normalisation_by_hand():
    assert normalize_for_dedup("  Hello, WORLD！ 2020 ") == "hello, world 0000"
    # fullwidth 1 is both punctuation and a digit: digits go first, as in CCNet
    assert normalize_for_dedup("１") == "0"
    assert normalize_for_dedup("Ελληνικά ٣٤ १२") == "ελληνικά 00 00"
    assert normalize_for_dedup("“quote”…—") == "quote"
    assert normalize_for_dedup("a\x85b\x07c\td") == "abcd"


def test_hash_is_the_normalised_key():
    assert paragraph_hash("Shared line 1") == paragraph_hash("  shared LINE 2！")
    assert paragraph_hash("Shared line 1") != paragraph_hash("Shared line")
    assert -(2**63) <= paragraph_hash("x") < 2**63


def test_paragraphs_are_nonempty_stripped_lines():
    assert split_paragraphs(" a \n\n  \nb\r\n c") == ["a", "b", "c"]
