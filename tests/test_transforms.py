"""Each PTransform/DoFn with TestPipeline and assert_that."""

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from helpers import DATA, SAMPLE_WET
from xlmr.pipeline.engines.beam.stage_dofn import COUNTS_TAG, StageDoFn
from xlmr.pipeline.engines.beam.dedup import Deduplicate
from xlmr.pipeline.records import Document, RawRecord
from xlmr.pipeline.extractors.extract_text import ExtractText
from xlmr.pipeline.filters.language_id import IdentifyLanguage
from xlmr.pipeline.filters.length_filter import FilterMinChars
from xlmr.pipeline.readers.read_records import ReadRecords


def doc(doc_id, text):
    return Document(id=doc_id, url=f"http://x/{doc_id}", date="", source="s", text=text)


def counts_of(result):
    return result[COUNTS_TAG] | "Sum" >> beam.CombinePerKey(sum)


def test_dedup_keeps_each_paragraph_once_in_the_smallest_id():
    docs = [
        doc("<b>", "Shared line 2\nonly in b\n\nonly in b"),
        doc("<a>", "Hello world\nshared LINE 1！\nonly in a"),
        doc("<c>", "hello   world\nonly in a"),  # "hello   world" differs: spaces are kept
        doc("<d>", "Hello, world\nSHARED line 9"),
    ]
    with TestPipeline() as p:
        result = p | beam.Create(docs) | Deduplicate(near_dup=None)
        assert_that(
            result.main | beam.Map(lambda d: (d.id, d.text, d.n_paragraphs_extracted)),
            equal_to([
                ("<a>", "Hello world\nshared LINE 1！\nonly in a", 3),
                ("<b>", "only in b", 3),
                ("<c>", "hello   world", 2),
                ("<d>", "Hello, world", 2),
            ]),
        )
        assert_that(
            counts_of(result),
            equal_to([
                ("dedup:paragraphs_in", 10), ("dedup:paragraphs_kept", 6), ("dedup:passed", 4),
                ("dedup:filtered:duplicate_paragraph", 3), ("dedup:duplicate_paragraph_chars", 35),
                ("dedup:filtered:repeated_in_document", 1),
            ]),
            label="counts",
        )


def test_dedup_drops_a_document_left_empty_and_a_record_read_twice():
    docs = [doc("<a>", "one\ntwo"), doc("<b>", "TWO\nOne"), doc("<a>", "one\ntwo")]
    with TestPipeline() as p:
        result = p | beam.Create(docs) | Deduplicate(near_dup=None)
        assert_that(result.main | beam.Map(lambda d: d.id), equal_to(["<a>"]))
        assert_that(
            counts_of(result) | beam.Filter(lambda kv: "filtered" in kv[0]),
            equal_to([("dedup:filtered:duplicate_record_id", 1), ("dedup:filtered:no_paragraph_left", 1),
                      ("dedup:filtered:duplicate_paragraph", 2)]),
            label="counts",
        )


def test_read_records_counts_a_missing_file():
    files = [str(SAMPLE_WET), str(DATA / "no-such-file.warc.gz")]
    with TestPipeline() as p:
        result = p | beam.Create(files) | beam.ParDo(StageDoFn(ReadRecords(1 << 20))).with_outputs(COUNTS_TAG, main="main")
        assert_that(result.main | beam.Map(lambda r: r.is_text), equal_to([True] * 4))
        assert_that(
            counts_of(result),
            equal_to([("read:files", 2), ("read:filtered:unopenable_file", 1), ("read:records", 5),
                      ("read:passed", 4), ("read:skipped:warcinfo", 1), ("read:files_done", 2),
                      ("read:bytes", SAMPLE_WET.stat().st_size)]),  # bytes: the whole file, as stored
            label="counts",
        )


def test_extract_text_times_out_and_goes_on():
    page = b"<html><body>" + b"<p>Ein ganz normaler Absatz mit Text.</p>" * 2000 + b"</body></html>"
    record = RawRecord(id="<r>", url="http://x/", date="", source="s", offset=0, payload=page)
    wet = RawRecord(id="<w>", url="http://y/", date="", source="s", offset=0, payload="Text".encode(), is_text=True)
    with TestPipeline() as p:
        result = (
            p | beam.Create([record, wet])
            | beam.ParDo(StageDoFn(ExtractText(timeout=0.001))).with_outputs(COUNTS_TAG, main="main")
        )
        assert_that(result.main | beam.Map(lambda d: d.id), equal_to(["<w>"]))
        assert_that(counts_of(result), equal_to([("extract:filtered:timeout", 1), ("extract:passed", 1)]),
                    label="counts")


def test_min_chars_and_language_stages():
    docs = [
        doc("<fr>", "Le conseil municipal a voté hier soir le budget de la bibliothèque du quartier."),
        doc("<de>", "Der Gemeinderat hat gestern Abend den Haushalt für die Stadtbibliothek beschlossen."),
        doc("<short>", "Kurz."),
    ]
    with TestPipeline() as p:
        long_docs = p | beam.Create(docs) | "Length" >> beam.ParDo(StageDoFn(FilterMinChars(20)))
        labelled = long_docs | "LID" >> beam.ParDo(StageDoFn(IdentifyLanguage(None, 0.5, frozenset({"de"}))))
        assert_that(labelled | beam.Map(lambda d: (d.id, d.lang)), equal_to([("<de>", "de")]))


def test_language_stats_sum_per_language():
    from xlmr.pipeline.engines.beam.write import LanguageStats

    docs = [
        Document(id="<1>", url="", date="", source="s", text="ab\ncd", lang="de"),
        Document(id="<2>", url="", date="", source="s", text="ü", lang="de"),
        Document(id="<3>", url="", date="", source="s", text="中文", lang="zh"),
    ]
    with TestPipeline() as p:
        assert_that(p | beam.Create(docs) | LanguageStats(),
                    equal_to([("de", (2, 3, 6, 7, 0)), ("zh", (1, 1, 2, 6, 0))]))
