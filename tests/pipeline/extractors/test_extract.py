"""Charset handling and both extractors on real non-UTF-8 pages, and on hostile ones."""

import pytest

from helpers import DATA, SAMPLE_WARC
from xlmr.pipeline.extractors.charset import decode_html, python_codec
from xlmr.pipeline.extractors import EXTRACTORS
from xlmr.pipeline.extractors.extract_text import ExtractText, html_to_text, to_document
from xlmr.pipeline.records import RawRecord
from xlmr.pipeline.stage import DictCount
from xlmr.pipeline.readers.warc import read_records


def record_by_url(path, url):
    with open(path, "rb") as f:
        return next(r for r in read_records(f, str(path), 5_000_000) if r.url == url)


@pytest.mark.parametrize("extractor", EXTRACTORS)
@pytest.mark.parametrize(
    "path, url, charset, expected",
    [
        (SAMPLE_WARC, "http://01spb.ru/company/", "windows-1251", "Стратегия пожарной безопасности"),
        (SAMPLE_WARC, "http://0760.jxtdw.com/area/sanxiang/", "gb2312", "职位名称"),
        (DATA / "resiliparse_clueweb09-ja_quirk.warc.gz",
         "http://www.uraharajuku.st/shopdetail/001005000005/019/000/order/", "EUC-JP", "人気ランキング"),
    ],
)
def test_declared_charsets_give_readable_text(extractor, path, url, charset, expected):
    record = record_by_url(path, url)
    assert charset in record.content_type
    with pytest.raises(UnicodeDecodeError):
        record.payload.decode("utf-8")  # so the declared-charset path is what is tested
    text, how = html_to_text(extractor)(record.payload, record.content_type, record.url)
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


def test_stray_bytes_in_utf8_text_stay_readable():
    """Not UTF-8 (two stray bytes), nothing declared: the text is still read as UTF-8, the two bytes
    replaced. (resiliparse's own detection reads such a page as windows-1252: "GrÃ¶ÃŸe".)"""
    page = ("<p>" + "Größe " * 50 + "</p>").encode()
    page = page[:100] + b"\xff\xfe" + page[100:]
    text, how = decode_html(page, "text/html")
    assert how == "fallback" and text.count("Größe") >= 49 and "Ã" not in text


def test_declared_utf8_with_a_cut_sequence_stays_utf8():
    """One UTF-8 sequence cut in a declared UTF-8 page: one replacement character, not the whole page
    read in the charset that detection guesses."""
    text = "Sprzeciw wobec ataków na fundację, zażółć gęślą jaźń. " * 40
    page = f'<html><head><meta charset="UTF-8"></head><body><p>{text}</p></body></html>'.encode()
    cut = page.index("ł".encode()) + 1
    decoded, how = decode_html(page[:cut] + page[cut + 1:], "text/html")
    assert how == "declared" and decoded.count("\ufffd") == 1 and decoded.count("gęślą jaźń") == 40


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


def _record(payload: bytes, content_type: str = "text/html") -> RawRecord:
    return RawRecord(id="<h>", url="http://x/", date="", source="s", offset=0, payload=payload,
                     content_type=content_type)


NESTED = b"<html><body>" + b"<div>" * 20_000 + b"Tief verschachtelt." + b"</div>" * 20_000 + b"</body></html>"
ARTICLE = "<html><body><article>" + "<p>Der Gemeinderat hat gestern Abend den Haushalt beschlossen.</p>" * 40 + \
          "</article></body></html>"


@pytest.mark.slow
@pytest.mark.parametrize("extractor", EXTRACTORS)
def test_hostile_pages_are_counted_and_the_rest_kept(extractor):
    """Deep nesting and a 25 MB page run into the time bound, binary served as HTML yields nothing
    or noise; each is counted, and the ordinary page after them is extracted all the same."""
    huge = ("<html><body>" + "<p>Ein Absatz, immer wieder derselbe, auf einer sehr langen Seite.</p>" * 380_000 +
            "</body></html>").encode()
    assert len(huge) > 25_000_000
    binary = bytes(range(256)) * 4096  # 1 MB that is no text at all
    stage = ExtractText(timeout=2.0, extractor=extractor)
    count = DictCount()
    stage.bind(count, DictCount())
    stage.setup()
    try:
        kept = [doc for payload in (NESTED, huge, binary, ARTICLE.encode())
                for doc in stage.process(_record(payload))]
    finally:
        stage.teardown()
    assert kept and "Haushalt beschlossen" in kept[-1].text  # the ordinary page, after the hostile ones
    assert count["filtered:binary"] == 1
    hostile = sum(v for k, v in count.items() if k.startswith("filtered:"))
    assert count["passed"] + hostile == 4 and count["passed"] == len(kept)
    # every page but the binary one reached the extractor: it decided the charset, or ran out of time
    assert sum(v for k, v in count.items() if k.startswith("charset:")) + count["filtered:timeout"] == 3


def test_binary_is_told_from_text_in_any_script():
    from xlmr.pipeline.extractors.extract_text import looks_binary

    assert looks_binary(bytes(range(256)) * 64) and looks_binary(b"\x89PNG\r\n\x1a\n" + bytes(4000))
    assert looks_binary(b"%PDF-1.7\n" + bytes(range(256)) * 16)
    for text in (ARTICLE, "<p>市议会昨晚通过了预算。</p>" * 100, "<p>Городской совет</p>\t\r\n" * 100):
        assert not looks_binary(text.encode()) and not looks_binary(text.encode("utf-16"))
    assert not looks_binary(b"")


def test_an_unknown_extractor_is_refused():
    with pytest.raises(ValueError, match="expected one of trafilatura, resiliparse"):
        ExtractText(timeout=1.0, extractor="boilerpipe")


@pytest.mark.parametrize("extractor", EXTRACTORS)
def test_one_paragraph_a_line_and_a_table_row_as_its_cells(extractor):
    """The document contract both extractors keep (trafilatura's `| a | b |` rows after text repair)."""
    from xlmr.pipeline.formatters.text_repair import clean_tables

    page = ("<html><body><main><h1>Haushalt 2024</h1><p>Der Gemeinderat hat gestern Abend den Haushalt "
            "für die Stadtbibliothek beschlossen, mit großer Mehrheit.</p><table><tr><th>Posten</th><th>Euro</th>"
            "</tr><tr><td>Bücher</td><td>12.000</td></tr><tr><td></td><td></td></tr></table><p>Die Bibliothek "
            "öffnet im Herbst wieder, nach einem Umbau von zwei Jahren.</p></main></body></html>").encode()
    text, _ = html_to_text(extractor)(page, "text/html; charset=utf-8", "http://x/")
    lines = clean_tables(text).split("\n")
    assert "Posten\tEuro" in lines and "Bücher\t12.000" in lines
    assert lines[-1] == "Die Bibliothek öffnet im Herbst wieder, nach einem Umbau von zwei Jahren."
    assert all(line.strip() == line and line for line in lines)
