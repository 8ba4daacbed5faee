"""Gale & Church paragraph alignment, and the UDHR parallel set built with it."""

from __future__ import annotations

import gzip
import json

import pytest

from helpers import ROOT
from paragraph_align import align, one_to_one  # sample/, on pytest's pythonpath
from xlmr.common.language_codes import CC100_LANGUAGES

UDHR_PARALLEL = ROOT / "evaluation" / "data" / "udhr_parallel.jsonl.gz"
# The languages of the sample corpus (sample/README.md) that the UDHR data has.
SAMPLE_LANGUAGES = set(
    """ar bn ca cs da de el en es eu fa fi fr gl gu he hi hu hy id it ja ka km ko lv ml my
    nl no pa pl pt ro ru si sv sw ta te th tr uk ur vi zh""".split()
)

# Real UDHR paragraph lengths (lid/udhr/*.txt) and the article of each paragraph
# (0: the preamble), from the article markup of the UDHR HTML.
ENGLISH = (
    [180, 314, 193, 89, 294, 194, 130, 15, 20, 554, 170, 250, 265, 67, 113, 95, 76, 252, 166, 66,
     199, 196, 313, 238, 93, 93, 87, 177, 40, 103, 224, 92, 119, 83, 53, 294, 227, 71, 52, 120,
     72, 257, 341, 143, 80, 211, 92, 124, 359, 158, 304, 344, 97, 158, 166, 142, 113, 332, 116, 224],
    [0] * 10 + [1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11, 12, 13, 13, 14, 14, 15, 15, 16, 16, 16, 17,
                17, 18, 19, 20, 20, 21, 21, 21, 22, 23, 23, 23, 23, 24, 25, 25, 26, 26, 26, 27, 27,
                28, 29, 29, 29, 30],
)
REAL = {
    # Burmese: 1.4 characters to an English one, and much longer in places.
    "mya.txt": (
        [206, 484, 257, 471, 257, 10, 15, 701, 262, 549, 541, 66, 221, 145, 108, 289, 310, 108, 262,
         323, 263, 416, 106, 165, 116, 259, 65, 150, 496, 98, 157, 138, 88, 580, 374, 86, 57, 153,
         94, 333, 418, 250, 90, 280, 116, 197, 638, 233, 321, 494, 101, 294, 230, 214, 111, 422,
         165, 317],
        [0] * 8 + [1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11, 12, 13, 13, 14, 14, 15, 15, 16, 16, 16,
                   17, 17, 18, 19, 20, 20, 21, 21, 21, 22, 23, 23, 23, 23, 24, 25, 25, 26, 26, 26,
                   27, 27, 28, 29, 29, 29, 30],
    ),
    # Malayalam: the preamble in two paragraphs, articles 1 to 9 one to a line.
    "mal-mal_chillus.txt": (
        [1117, 445, 198, 380, 83, 110, 107, 68, 238, 192, 91, 203, 172, 82, 311, 115, 130, 92, 116,
         39, 121, 188, 77, 127, 78, 55, 250, 248, 59, 65, 135, 83, 256, 375, 213, 110, 173, 130,
         125, 315, 212, 311, 353, 146, 191, 182, 158, 138, 263, 107, 226],
        [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11, 12, 13, 13, 14, 14, 15, 15, 16, 16, 16, 17, 17,
         18, 19, 20, 20, 21, 21, 21, 22, 23, 23, 23, 23, 24, 25, 25, 26, 26, 26, 27, 27, 28, 29, 29,
         29, 30],
    ),
}
# French: no "Now, therefore,"; "L’Assemblée générale" (20 characters) stands
# where English has "Now, therefore," (15) and "The General Assembly" (20).
FRENCH = [220, 332, 205, 98, 380, 200, 135, 20, 614, 186, 331, 291, 75, 126, 96, 81, 253, 197, 56,
          273, 225, 304, 261, 99, 95, 112, 182, 40, 95, 262, 87, 116, 76, 54, 335, 287, 75, 58, 171,
          101, 281, 368, 160, 83, 227, 129, 146, 454, 187, 350, 374, 97, 183, 154, 196, 129, 352, 118,
          268]


# 20 English paragraphs for synthetic tests (not the preamble's short lines 7-9).
SOURCE = ENGLISH[0][:7] + ENGLISH[0][10:23]


def texts(lengths):
    """Stand-in paragraphs of these lengths, each starting with its index."""
    return [f"{i:03}".ljust(n, "x") for i, n in enumerate(lengths)]


def translated(lengths, ratio=1.1):
    """Lengths as a translation might have them: scaled, each off by 6% one way or the other."""
    return [round(x * ratio * (1.06 if i % 2 else 0.94)) for i, x in enumerate(lengths)]


def identity(indices):
    return [((i,), (j,)) for i, j in indices]


def test_same_lengths_align_one_to_one():
    assert align(SOURCE, SOURCE) == identity(zip(range(20), range(20)))
    assert align(SOURCE, translated(SOURCE)) == identity(zip(range(20), range(20)))


@pytest.mark.parametrize("ratio", [1.1, 0.27])  # 0.27: Chinese characters against English ones
def test_two_paragraphs_merged_give_a_2_1_bead(ratio):
    target = translated(SOURCE, ratio)
    target[5:7] = [target[5] + target[6]]
    assert align(SOURCE, target) == (
        identity(zip(range(5), range(5)))
        + [((5, 6), (5,))]
        + identity(zip(range(7, 20), range(6, 19)))
    )


def test_a_dropped_paragraph_gives_a_1_0_bead():
    target = translated(SOURCE)
    del target[8]
    assert align(SOURCE, target) == (
        identity(zip(range(8), range(8)))
        + [((8,), ())]
        + identity(zip(range(9, 20), range(8, 19)))
    )


def test_a_run_of_paragraphs_merged_into_one():
    """A preamble translated as one paragraph (the UDHR's Malayalam has seven in one)."""
    target = translated(SOURCE)
    target[0:7] = [sum(target[0:7])]
    assert align(SOURCE, target) == [(tuple(range(7)), (0,))] + identity(zip(range(7, 20), range(1, 14)))


def test_one_to_one_keeps_only_1_1_beads():
    lengths = translated(SOURCE)
    lengths[5:7] = [lengths[5] + lengths[6]]
    target = texts(lengths)
    pairs = one_to_one(texts(SOURCE), target)
    assert pairs == {i: target[i if i < 5 else i - 1] for i in range(20) if i not in (5, 6)}


@pytest.mark.parametrize("name", REAL)
def test_real_paragraphs_pair_within_their_article(name):
    lengths, articles = REAL[name]
    pairs = one_to_one(texts(ENGLISH[0]), texts(lengths))
    assert [i for i, text in pairs.items() if articles[int(text[:3])] != ENGLISH[1][i]] == []
    assert len(pairs) >= 45


def test_short_paragraphs_that_lengths_cannot_place_are_not_paired():
    pairs = one_to_one(texts(ENGLISH[0]), texts(FRENCH))
    assert 7 not in pairs  # "Now, therefore," has no French counterpart
    assert all(i in pairs for i in range(10, 60))


@pytest.fixture(scope="module")
def udhr():
    with gzip.open(UDHR_PARALLEL, "rt", encoding="utf-8") as fh:
        return {record["lang"]: record for record in map(json.loads, fh)}


def test_shipped_languages(udhr):
    assert list(udhr) == sorted(udhr)
    assert SAMPLE_LANGUAGES <= set(udhr) <= CC100_LANGUAGES | SAMPLE_LANGUAGES
    assert all(text for text in udhr["en"]["paragraphs"])
    for code, record in udhr.items():
        assert len(record["paragraphs"]) == 60, code
        assert sum(text is not None for text in record["paragraphs"]) >= 45, code


def test_shipped_file_is_reproducible_gzip():
    header = UDHR_PARALLEL.read_bytes()[:10]
    assert header[3] == 0  # no file name
    assert header[4:8] == b"\0\0\0\0"  # mtime 0


def paragraph_index(udhr, english_start):
    return next(i for i, text in enumerate(udhr["en"]["paragraphs"]) if text.startswith(english_start))


@pytest.mark.parametrize("code, start", [
    ("de", "Jeder hat das Recht auf Bildung"),
    ("fr", "Toute personne a droit à l’éducation"),
    ("ru", "Каждый человек имеет право на образование"),
    ("zh", "人人都有受教育的权利"),
    ("ja", "すべて人は、教育を受ける権利を有する"),
    ("ar", "لكل شخص الحق في التعلم"),
    ("hi", "प्रत्येक व्यक्ति को शिक्षा का अधिकार है"),
    ("sw", "Kila mtu ana haki ya kuelimishwa"),
])
def test_article_26_pairs_with_its_translation(udhr, code, start):
    i = paragraph_index(udhr, "Everyone has the right to education. Education shall be free")
    assert udhr[code]["paragraphs"][i].startswith(start)


def test_aligned_lengths_agree(udhr):
    """Nine in ten pairs are within 0.6-1.6 times the language's length ratio.

    Right pairs reach 96% or more in every language; the same files shifted by
    one paragraph reach 48% at most.
    """
    english = udhr["en"]["paragraphs"]
    for code, record in udhr.items():
        pairs = [(english[i], text) for i, text in enumerate(record["paragraphs"]) if text]
        ratio = sum(len(t) for _, t in pairs) / sum(len(s) for s, _ in pairs)
        within = sum(0.6 <= len(t) / len(s) / ratio <= 1.6 for s, t in pairs)
        assert within >= 0.9 * len(pairs), code
