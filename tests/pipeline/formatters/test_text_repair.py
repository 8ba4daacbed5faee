"""Text repair (ftfy, table rows, PII) and the URL blocklist, on real strings."""

import ftfy
import pytest

from helpers import ROOT
from xlmr.pipeline.stage import DictCount
from xlmr.pipeline.formatters.text_repair import (_FTFY_CONFIG, EMAIL_PLACEHOLDER, IPV4_PLACEHOLDER, IPV6_PLACEHOLDER,
                                       clean_tables, fix_mojibake, looks_bad, mask_pii, repair_text)
from xlmr.pipeline.readers.url_blocklist import BlocklistError, is_blocked, load_blocklist, parse_domains

GERMAN = "Alle Menschen sind frei und gleich an Würde und Rechten geboren. Sie sind mit Vernunft und Gewissen begabt."


def test_ftfy_repairs_real_mojibake():
    # UTF-8 read as windows-1252, the commonest web mojibake, and the same twice over
    once = GERMAN.encode("utf-8").decode("cp1252")
    assert "WÃ¼rde" in once and fix_mojibake(once) == GERMAN
    assert fix_mojibake(once.encode("utf-8").decode("cp1252")) == GERMAN
    assert fix_mojibake("The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows.") == \
        "The Mona Lisa doesn’t have eyebrows."
    # what it leaves: curly quotes, full-width punctuation, ligatures
    kept = "“Quoted” ﬁne！ ＬＯＵＤ"
    assert fix_mojibake(kept) == kept


def test_the_fast_path_equals_ftfy_on_the_sample_texts():
    from warcio.archiveiterator import ArchiveIterator
    texts = []
    with open(ROOT / "sample" / "sample.warc.gz", "rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_type == "response":
                texts.append(record.content_stream().read().decode("utf-8", errors="replace")[:20000])
    mojibake = [t.encode("utf-8").decode(enc, errors="replace") for t in texts[:40] for enc in ("cp1252", "cp1251")]
    assert len(texts) > 150
    for text in texts + mojibake:
        assert fix_mojibake(text) == ftfy.fix_text(text, _FTFY_CONFIG)
        assert looks_bad(text) == ftfy.badness.is_bad(text)


def test_table_rows_become_readable_lines():
    text = "Intro | here\n|---|---|\n| Sprache: | Englisch |\n|  |  |  |\n| 在别人怀疑时，你行动了； |"
    count = DictCount()
    assert clean_tables(text, count) == "Intro | here\nSprache:\tEnglisch\n在别人怀疑时，你行动了；"
    assert count == {"table_rows_rewritten": 2, "table_lines_removed": 2}


def test_pii_is_masked_and_counted():
    text = ("Write to Jane.Doe@mail.example.org or johnnycastro.asesor@larepublica.net; "
            "server 8.8.8.8, router 192.168.1.1, version 1.2.3.4.5, dns 2001:4860:4860::8888, at 12:30:45")
    count = DictCount()
    masked, n = mask_pii(text, count)
    assert masked == (f"Write to {EMAIL_PLACEHOLDER} or {EMAIL_PLACEHOLDER}; server {IPV4_PLACEHOLDER}, "
                      f"router 192.168.1.1, version 1.2.3.4.5, dns {IPV6_PLACEHOLDER}, at 12:30:45")
    assert n == 4 and count == {"pii:email": 2, "pii:ip": 2}
    assert mask_pii(masked)[1] == 0  # placeholders are not addresses to mask again


def test_repair_runs_every_step():
    count = DictCount()
    text, n = repair_text("| KontaktÂ : info@example.de |\n|---|", count)
    assert text == f"Kontakt\xa0: {EMAIL_PLACEHOLDER}" and n == 1  # "Â " was a no-break space
    assert count["mojibake_fixed"] == 1 and count["table_lines_removed"] == 1


def test_blocklist_matches_domains_and_their_subdomains(tmp_path):
    listed = tmp_path / "domains"
    listed.write_text("# adult\nexample.com\n*.Spam.net\n0.0.0.0 ads.test\n\n")
    domains = load_blocklist(str(listed))
    assert domains == {"example.com", "spam.net", "ads.test"}
    assert is_blocked("http://example.com/a", domains) and is_blocked("https://www.example.com:8080/", domains)
    assert is_blocked("http://a.b.spam.net/", domains) and is_blocked("http://ADS.test/x", domains)
    assert not is_blocked("http://notexample.com/", domains) and not is_blocked("http://example.org/", domains)
    assert not is_blocked("not a url", domains) and parse_domains([""]) == frozenset()
    with pytest.raises(BlocklistError, match="cannot read it.*one domain a line"):
        load_blocklist(str(tmp_path / "missing"))
