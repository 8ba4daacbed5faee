"""The dedup rules without an engine: pipeline/dedup/rules.py's functions, and both dedups as
pipeline/dedup/deduplicate.py describes them, run on plain lists (helpers.ListShuffles)."""

from __future__ import annotations

import dataclasses

import pytest

from helpers import deduplicate_lists
from xlmr.pipeline.dedup.index import index_row, read_index, write_index
from xlmr.pipeline.dedup.hashing import paragraph_hash
from xlmr.pipeline.dedup.rules import (competing_hashes, decide, hash_paragraphs, keep_paragraphs, keeper_id,
                                       keeper_key, won_all_bands)
from xlmr.pipeline.records import Document
from xlmr.pipeline.stage import DictCount


def doc(doc_id, text, **fields):
    return Document(id=doc_id, url=f"http://x/{doc_id}", date="", source="s", text=text, **fields)


def test_the_smallest_id_wins_and_a_tagged_document_loses_to_every_untagged_one():
    tagged = doc("<a>", "x", quality={"chars": 1}, quality_drops=("line_punct",))
    assert keeper_key(doc("<b>", "x")) < keeper_key(doc("<c>", "x")) < keeper_key(tagged)
    assert keeper_id(keeper_key(tagged)) == "<a>"


def test_a_document_competes_for_paragraphs_only_when_it_won_all_its_buckets():
    key, hashes = keeper_key(doc("<a>", "x")), (1, 2, 2, 3)
    assert sorted(competing_hashes([(key, hashes)], bands_won=[0, 1, 2], bands=3)) == [(1, key), (2, key), (3, key)]
    assert list(competing_hashes([(key, hashes)], bands_won=[0, 2, 2], bands=3)) == []
    assert won_all_bands([], 0) and not won_all_bands([0], 2)


def test_keep_paragraphs_keeps_what_it_won_at_first_position_and_counts_the_rest():
    d = doc("<a>", "one\ntwo\nONE\nthree")
    hashes = hash_paragraphs(d)
    assert hashes[0] == hashes[2] == paragraph_hash("one")  # CCNet's normalisation: case does not count
    count = DictCount()
    kept = keep_paragraphs(d, hashes, won={hashes[0], hashes[3]}, count=count)
    assert kept.text == "one\nthree" and kept.n_paragraphs_extracted == 4
    assert count == {"filtered:repeated_in_document": 1, "filtered:duplicate_paragraph": 1,
                     "duplicate_paragraph_chars": 3, "paragraphs_kept": 2, "paragraphs_in": 4, "passed": 1}
    count = DictCount()
    assert keep_paragraphs(d, hashes, won=set(), count=count) is None
    assert count["filtered:no_paragraph_left"] == 1 and "passed" not in count


def test_decide_keeps_one_copy_of_a_record_read_twice_and_removes_a_near_duplicate_whole():
    a = doc("<a>", "one\ntwo")
    copies = [(dataclasses.replace(a, source="t"), hash_paragraphs(a)), (a, hash_paragraphs(a))]
    count = DictCount()
    kept, removed = decide(copies, won=hash_paragraphs(a), bands_won=[], bands=0, count=count)
    assert kept.source == "s" and removed is None and count["filtered:duplicate_record_id"] == 1
    count = DictCount()
    kept, removed = decide(copies[:1], won=hash_paragraphs(a), bands_won=[0], bands=2, count=count)
    assert kept is None and removed.id == "<a>"
    assert count == {"filtered:near_duplicate": 1, "near_duplicate_chars": 7}


def test_each_paragraph_survives_once_in_the_smallest_id():
    docs = [
        doc("<b>", "Shared line 2\nonly in b\n\nonly in b"),
        doc("<a>", "Hello world\nshared LINE 1！\nonly in a"),
        doc("<c>", "hello   world\nonly in a"),  # "hello   world" differs: spaces are kept
        doc("<d>", "Hello, world\nSHARED line 9"),
    ]
    kept, removed, counts, _ = deduplicate_lists(docs)
    assert [(d.id, d.text, d.n_paragraphs_extracted) for d in kept] == [
        ("<a>", "Hello world\nshared LINE 1！\nonly in a", 3),
        ("<b>", "only in b", 3),
        ("<c>", "hello   world", 2),
        ("<d>", "Hello, world", 2),
    ]
    assert removed == []
    assert counts == {"paragraphs_in": 10, "paragraphs_kept": 6, "passed": 4, "filtered:duplicate_paragraph": 3,
                      "duplicate_paragraph_chars": 35, "filtered:repeated_in_document": 1}


def test_a_document_left_empty_and_a_record_read_twice_are_dropped():
    docs = [doc("<a>", "one\ntwo"), doc("<b>", "TWO\nOne"), doc("<a>", "one\ntwo")]
    kept, _, counts, _ = deduplicate_lists(docs)
    assert [d.id for d in kept] == ["<a>"]
    assert {k: v for k, v in counts.items() if "filtered" in k} == {
        "filtered:duplicate_record_id": 1, "filtered:no_paragraph_left": 1, "filtered:duplicate_paragraph": 2}


def test_a_near_copy_does_not_take_a_paragraph_from_the_document_that_stays():
    """<a> is a near-copy of <0> and removed whole; <b> shares a paragraph with both, and <a> (a smaller id
    than <b>) must not win it: only near-dup survivors compete."""
    words = [a + b + c for a in "klmnop" for b in "aeiou" for c in "rstvz"]  # 150 distinct words, no digits
    body = "\n".join(" ".join(words[i:i + 10]) for i in range(0, len(words), 10))
    shared = "a paragraph three documents share"
    docs = [doc("<0>", body + "\nfirst ending"), doc("<a>", body + "\n" + shared), doc("<b>", "own words\n" + shared)]
    kept, removed, _, _ = deduplicate_lists(docs, near_dup=(128, 0.8))
    assert [d.id for d in removed] == ["<a>"]
    assert {d.id: d.text for d in kept}["<b>"] == "own words\n" + shared


@pytest.mark.parametrize("near_dup", [None, (128, 0.8)], ids=["paragraphs", "near-dup"])
def test_a_run_against_an_earlier_corpus_is_one_run_where_the_earlier_documents_outrank(tmp_path, near_dup):
    """The documented semantics of --dedup-against: B against A's index keeps what one run over A and B
    keeps when every A document outranks every B document, and the two indexes are that run's. B's ids
    are smaller here, so without the index B would win; its near-copy <a> of A's <z> goes, as does every
    paragraph A holds, including one A's removed near-copy <y> never held."""
    words = [a + b + c for a in "klmnop" for b in "aeiou" for c in "rstvz"]
    body = "\n".join(" ".join(words[i:i + 10]) for i in range(0, len(words), 10))
    a_docs = [doc("<z>", body + "\nA's ending"), doc("<y>", body + "\nonly in the near-copy"),
              doc("<x>", "shared with B\nonly in A"), doc("<w>", "Only In A\nA's own")]
    b_docs = [doc("<a>", body + "\nB's ending"), doc("<b>", "SHARED with b\nonly in B"),
              doc("<c>", "only in the near-copy\nB's own"), doc("<d>", "only in A\nonly in B")]
    a = deduplicate_lists(a_docs, near_dup)
    prior = {}
    for kind, entries in a.index.items():
        prior[kind] = [str(tmp_path / f"{kind}.parquet")]
        write_index([index_row(kind, e) for e in entries], kind, prior[kind][0])
    assert sorted(row for kind, paths in prior.items() for row in read_index(paths[0], kind)) == sorted(
        index_row(kind, e) for kind, entries in a.index.items() for e in entries)
    b = deduplicate_lists(b_docs, near_dup, prior)

    ranked = ([dataclasses.replace(d, id="0" + d.id) for d in a_docs]
              + [dataclasses.replace(d, id="1" + d.id) for d in b_docs])
    one = deduplicate_lists(ranked, near_dup)
    assert [(d.id[1:], d.text) for d in one.kept] == [(d.id, d.text) for d in a.kept + b.kept]
    assert [d.id[1:] for d in one.removed] == [d.id for d in a.removed + b.removed]
    for kind, entries in one.index.items():
        assert not set(a.index[kind]) & set(b.index[kind])
        assert entries == sorted(a.index[kind] + b.index[kind])
    # <d>'s paragraphs: one A holds, one <b> (a smaller id) wins; without near-dup <a> keeps its ending only
    expected = {"<b>": "only in B", "<c>": "B's own", **({} if near_dup else {"<a>": "B's ending"})}
    assert {d.id: d.text for d in b.kept} == expected
    assert [d.id for d in b.removed] == (["<a>"] if near_dup else [])
