"""Charset handling and trafilatura extraction on real non-UTF-8 pages."""

import pytest

from helpers import DATA, SAMPLE_WARC
from xlmr.pipeline.extractors.charset import decode_html, python_codec
from xlmr.pipeline.extractors.extract_text import to_document
from xlmr.pipeline.extractors.trafilatura import html_to_text
from xlmr.pipeline.stage import DictCount
from xlmr.pipeline.readers.warc import read_records


def record_by_url(path, url):
    with open(path, "rb") as f:
        return next(r for r in read_records(f, str(path), 5_000_000) if r.url == url)


@pytest.mark.parametrize(
    "path, url, charset, expected",
    [
        (SAMPLE_WARC, "http://01spb.ru/company/", "windows-1251", "Стратегия пожарной безопасности"),
        (SAMPLE_WARC, "http://0760.jxtdw.com/area/sanxiang/", "gb2312", "职位名称"),
        (DATA / "resiliparse_clueweb09-ja_quirk.warc.gz",
         "http://www.uraharajuku.st/shopdetail/001005000005/019/000/order/", "EUC-JP", "人気ランキング"),
    ],
)
def test_declared_charsets_give_readable_text(path, url, charset, expected):
    record = record_by_url(path, url)
    assert charset in record.content_type
    with pytest.raises(UnicodeDecodeError):
        record.payload.decode("utf-8")  # so the declared-charset path is what is tested
    text, how = html_to_text(record.payload, record.content_type, record.url)
    assert how == "declared"
    assert expected in text
    assert "\ufffd" not in text


def test_meta_charset_when_the_header_has_none():
    html = '<html><head><meta charset="iso-8859-15"></head><body><p>Año €</p></body></html>'
    text, how = decode_html(html.encode("iso-8859-15"), "text/html")
    assert (how, "Año €" in text) == ("declared", True)


def test_valid_utf8_beats_a_wrong_declaration():
    html = "<html><head><meta charset=latin-1></head><body>Привет, мир</body></html>".encode()
    assert decode_html(html, "text/html; charset=iso-8859-1") == (html.decode(), "utf-8")


def test_whatwg_labels():
    assert python_codec("GB2312") == "gb18030"
    assert python_codec("ISO-8859-1") == "cp1252"
    assert python_codec("x-no-such-charset") is None


def test_undeclared_non_utf8_is_detected():
    text = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 20
    page, how = decode_html(f"<p>{text}</p>".encode("koi8-r"), "text/html")
    assert how == "detected"
    assert "французских булок" in page


def test_empty_extraction_is_counted():
    record = record_by_url(SAMPLE_WARC, "http://01spb.ru/company/")
    count = DictCount()
    assert to_document(record, "  \n ", count) is None
    assert to_document(record, "text", count).text == "text"
    assert dict(count) == {"filtered:no_text": 1, "passed": 1}
