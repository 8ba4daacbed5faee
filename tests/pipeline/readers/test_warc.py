"""The WARC reader on real files, whole and broken: exact counters, nothing else lost."""

import collections
import shutil
from pathlib import Path

from helpers import DATA, SAMPLE_WARC, SAMPLE_WET
from xlmr.pipeline.stage import DictCount
from xlmr.pipeline.readers.warc import read_records

MAX = 2 * 1024 * 1024


def read(path: Path, max_bytes: int = MAX):
    count = DictCount()
    with open(path, "rb") as f:
        records = list(read_records(f, str(path), max_bytes, count))
    return records, dict(count)


def test_sample_warc_yields_every_html_response():
    records, count = read(SAMPLE_WARC)
    assert len(records) == 187
    assert count == {"records": 562, "passed": 187, "skipped:warcinfo": 2,
                     "skipped:request": 187, "skipped:metadata": 186}
    assert all(r.id.startswith("<urn:uuid:") and r.url and r.date for r in records)
    assert len({r.id for r in records}) == 187


def test_each_record_names_its_crawl(tmp_path):
    """The warcinfo's isPartOf that the record names; else the crawl in the file's path; else None."""
    records, _ = read(SAMPLE_WARC)
    # the sample's own pages, the real CC-MAIN-2020-34 excerpts, two whose warcinfo the excerpt lacks
    assert collections.Counter(r.dump for r in records) == {"xlmr-sample": 169, "CC-MAIN-2020-34": 16, None: 2}
    laid_out = tmp_path / "crawl-data/CC-MAIN-2019-04/segments/1547583656530.8/warc/CC-MAIN-20190115-00000.warc.gz"
    laid_out.parent.mkdir(parents=True)
    shutil.copy(DATA / "warcio_example.warc.gz", laid_out)  # its warcinfo has no isPartOf
    assert [r.dump for r in read(laid_out)[0]] == ["CC-MAIN-2019-04"]
    assert [r.dump for r in read(DATA / "warcio_example.warc.gz")[0]] == [None]


def test_wet_conversions_are_text_records():
    records, count = read(SAMPLE_WET)
    assert [r.is_text for r in records] == [True] * 4
    assert count == {"records": 5, "passed": 4, "skipped:warcinfo": 1}
    assert "Escopete" in records[0].payload.decode("utf-8") or any(
        "Escopete" in r.payload.decode("utf-8") for r in records)


def test_warc_0_18_clueweb():
    records, count = read(DATA / "resiliparse_clueweb09-ja_quirk.warc.gz")
    assert count == {"records": 30, "passed": 29, "skipped:warcinfo": 1}
    assert "EUC-JP" in records[0].content_type


def test_chunked_transfer_encoding_is_undone():
    records, count = read(DATA / "warcio_example-iana.org-chunked.warc")
    assert count == {"records": 3, "passed": 1, "skipped:warcinfo": 1, "skipped:request": 1}
    assert records[0].payload.lstrip().lower().startswith(b"<!doctype html>")
    assert records[0].payload.rstrip().endswith(b"</html>")


def test_revisit_and_non_200_are_skipped():
    _, count = read(DATA / "warcio_example.warc.gz")
    assert count == {"records": 6, "passed": 1, "skipped:warcinfo": 2,
                     "skipped:request": 2, "skipped:revisit": 1}


def test_truncated_record_is_counted(caplog):
    records, count = read(DATA / "resiliparse_clipped.warc.gz")
    assert records == []
    assert count == {"records": 1, "filtered:truncated_record": 1}
    assert "resiliparse_clipped.warc.gz@0: truncated record" in caplog.text


def test_truncated_gzip_keeps_everything_before_the_cut(broken_files):
    records, count = read(broken_files / "truncated_gzip.warc.gz")
    whole, _ = read(SAMPLE_WARC)
    assert count["filtered:truncated_record"] == 1
    assert len(records) == count["passed"] >= 1
    assert [r.id for r in records] == [r.id for r in whole[: len(records)]]


def test_corrupt_member_resyncs_to_the_next_record(broken_files, caplog):
    records, count = read(broken_files / "corrupt_member.warc.gz")
    unspoiled, _ = read(broken_files / "truncated_gzip.warc.gz")  # same bytes, not spoiled
    assert count["resynced"] == 1
    # only the spoiled record is lost; the records after it come back
    lost = {r.id for r in unspoiled} - {r.id for r in records}
    assert len(lost) == 1
    assert len(records) == len(unspoiled) - 1
    assert "resuming at the next record" in caplog.text


def test_empty_and_non_warc_files(broken_files):
    assert read(broken_files / "empty.warc.gz") == ([], {"filtered:empty_file": 1})
    assert read(broken_files / "not_a_warc.warc.gz") == ([], {"filtered:not_warc": 1})
    assert read(broken_files / "plain_text.warc") == ([], {"filtered:not_warc": 1})


def test_oversized_payload_is_skipped_and_counted():
    records, count = read(SAMPLE_WARC, max_bytes=100_000)
    assert count["filtered:payload_too_large"] > 0
    assert len(records) + count["filtered:payload_too_large"] == 187
    assert all(len(r.payload) <= 100_000 for r in records)
