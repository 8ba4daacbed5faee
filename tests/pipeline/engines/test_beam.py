"""The Beam engine: each PTransform/DoFn with TestPipeline and assert_that."""

import pickle
import re

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from helpers import DATA, SAMPLE_WET, deduplicate_lists
from xlmr.pipeline.dedup.deduplicate import NEAR_DUPLICATES
from xlmr.pipeline.engines.beam.dedup import MAIN, Deduplicate, SmallestValue
from xlmr.pipeline.engines.beam.stage_dofn import COUNTS_TAG, StageDoFn
from xlmr.pipeline.extractors.extract_text import ExtractText
from xlmr.pipeline.filters.language_id import IdentifyLanguage
from xlmr.pipeline.filters.length_filter import FilterMinChars
from xlmr.pipeline.readers.read_records import ReadRecords
from xlmr.pipeline.records import Document, RawRecord


def doc(doc_id, text):
    return Document(id=doc_id, url=f"http://x/{doc_id}", date="", source="s", text=text)


def counts_of(result):
    return result[COUNTS_TAG] | "Sum" >> beam.CombinePerKey(sum)


WORDS = [a + b + c for a in "klmnop" for b in "aeiou" for c in "rstvz"]  # distinct words, no digits
PAGE = "\n".join(" ".join(WORDS[i:i + 10]) for i in range(0, len(WORDS), 10))
DOCS = [
    doc("<b>", "Shared line 2\nonly in b\n\nonly in b"),
    doc("<a>", "Hello world\nshared LINE 1！\nonly in a"),
    doc("<c>", "hello   world\nonly in a"),
    doc("<d>", "Hello, world\nSHARED line 9"),
    doc("<e>", "one\ntwo"), doc("<f>", "TWO\nOne"), doc("<e>", "one\ntwo"),  # a record read twice
    doc("<g>", PAGE + "\nfirst ending"), doc("<h>", PAGE + "\nonly in b"),  # a near-copy
]


@pytest.mark.parametrize("near_dup", [None, (128, 0.8)], ids=["paragraphs", "near-dup"])
def test_deduplicate_on_beam_gives_what_the_rules_give(near_dup):
    """The wiring: Beam's shuffles of both dedups decide as the rules do on plain lists (test_dedup_rules.py)."""
    kept, removed, counts, _ = deduplicate_lists(DOCS, near_dup)
    assert removed if near_dup else not removed  # the near-copy is caught only with near-dup on
    with TestPipeline() as p:
        result = p | beam.Create(DOCS) | Deduplicate(near_dup=near_dup)
        assert_that(result[MAIN] | beam.Map(lambda d: (d.id, d.text)), equal_to([(d.id, d.text) for d in kept]))
        assert_that(result[NEAR_DUPLICATES] | beam.Map(lambda d: d.id), equal_to([d.id for d in removed]),
                    label="near-duplicates")
        assert_that(counts_of(result), equal_to([(f"dedup:{k}", v) for k, v in counts.items()]), label="counts")


def test_read_records_counts_a_missing_file():
    files = [str(SAMPLE_WET), str(DATA / "no-such-file.warc.gz")]
    with TestPipeline() as p:
        result = p | beam.Create(files) | beam.ParDo(StageDoFn(ReadRecords(1 << 20))).with_outputs(COUNTS_TAG, main="main")
        assert_that(result[MAIN] | beam.Map(lambda r: r.is_text), equal_to([True] * 4))
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
        assert_that(result[MAIN] | beam.Map(lambda d: d.id), equal_to(["<w>"]))
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


def test_hot_bucket_of_identical_pages():
    same = [doc(f"<{i:05d}>", PAGE) for i in range(3000)]
    with TestPipeline() as p:
        result = p | beam.Create(same) | Deduplicate(near_dup=(128, 0.8))
        assert_that(result[MAIN] | beam.Map(lambda d: d.id), equal_to(["<00000>"]))
        assert_that(result[NEAR_DUPLICATES] | beam.combiners.Count.Globally(), equal_to([2999]), label="removed")


def test_bucket_accumulator_does_not_grow():
    """A bucket's combiner state is one id however many documents share it (a list would grow)."""
    fn = SmallestValue()
    small = fn.add_input(fn.create_accumulator(), "<z>")
    acc = fn.create_accumulator()
    for i in range(10_000, 0, -1):
        acc = fn.add_input(acc, f"<urn:uuid:{i:08d}>")
    acc = fn.merge_accumulators([acc, fn.create_accumulator(), small])
    assert fn.extract_output(acc) == "<urn:uuid:00000001>"
    assert len(pickle.dumps(acc)) < 2 * len(pickle.dumps("<urn:uuid:00000001>"))


def test_local_worker_logs_print_as_plain_lines():
    """A worker process's warning as Beam's local job service logs it ('Worker: ' and the LogEntry protobuf in
    text form) reaches the user as its message and where it was logged; start-up noise is dropped."""
    import logging

    from apache_beam.portability.api import beam_fn_api_pb2

    from xlmr.pipeline.engines.beam.job import WorkerLogLines

    def logged(message: str) -> logging.LogRecord:
        entry = beam_fn_api_pb2.LogEntry(severity=beam_fn_api_pb2.LogEntry.Severity.WARN, message=message,
                                         instruction_id="bundle_7", transform_id="ReadRecords",
                                         log_location="xlmr.pipeline.readers.warc:warc.py:108")
        entry.timestamp.seconds = 1765000000
        return logging.LogRecord("apache_beam.runners.portability.local_job_service", logging.WARNING, __file__, 1,
                                 "Worker: %s", (str(entry).replace("\n", " "),), None)

    record = logged('/in/arc.arc.gz@0: not a WARC file, "skipped"')
    assert WorkerLogLines().filter(record)
    assert record.getMessage() == ('worker: /in/arc.arc.gz@0: not a WARC file, "skipped" '
                                   "(xlmr.pipeline.readers.warc:warc.py:108)")
    assert not WorkerLogLines().filter(logged("No semi_persistent_directory found: ..."))


def test_a_job_that_runs_elsewhere_is_followed_by_its_read_counters(capsys):
    """What the CLI prints while it waits for a Dataflow job, from the job's metrics (here a finished local job's)."""
    from xlmr.pipeline.engines.beam.job import follow_job

    files = [str(SAMPLE_WET), str(DATA / "no-such-file.warc.gz")]
    p = beam.Pipeline()
    _ = p | beam.Create(files) | beam.ParDo(StageDoFn(ReadRecords(1 << 20))).with_outputs(COUNTS_TAG, main="main")
    follow_job(p.run(), files=2, total_bytes=2 * SAMPLE_WET.stat().st_size, interval=0.01)
    line = capsys.readouterr().err.strip()
    # both files done, the WET's 4 pages, the half of the bytes the missing file never had
    assert re.fullmatch(r"DONE: 2/2 files, 4 pages \([\d.]+/s\), 50% of [\d.]+ kB(, ETA [\d:]+)?", line), line
