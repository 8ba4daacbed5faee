"""A crawl-like benchmark input: thousands of distinct multilingual HTML pages as CommonCrawl-style WARC files.

Why: in a crawl nearly every page is distinct, so every page goes through
extraction, repair, the quality filters, near-dup MinHash, paragraph dedup and
LID. The older bench input (bench_pipeline.py) is the sample's 187 pages
repeated 12 times, so 11 of every 12 pages are copies that dedup drops before
the costly late stages; its docs/s says little about a real crawl.

What: the HTML pages of the Debian documentation packages in PACKAGES (the
Debian Reference in 10 languages, the installation guide in 19, the Apache
httpd manual mostly in en, fr, ja, ko, tr, the Debian project history in 10,
part of the LibreOffice help in 4): about 2,600 distinct pages in 23 declared
languages, in Latin, Cyrillic, Greek, Han, kana and Hangul scripts, 4 KB to
400 KB each (mean about 27 KB); and the 187 responses of
sample/sample.warc.gz with their request and metadata records as they are.
Nearly all pages yield text; the default quality filters drop about 4 in 10
of them (mostly alpha_words: tables of commands and file names), as they
drop a crawl's technical pages.

How: `apt-get download` fetches each package into WORK/debs (kept: a .deb
already there is not fetched again) and `dpkg-deb -x` unpacks it into
WORK/unpacked (nothing is installed). Every HTML file under the package's
document root becomes a page at the URL its site serves it at, unless it is
a symlink (an untranslated page pointing at the English one), has under
MIN_TEXT_BYTES of visible text (index and redirect stubs: trafilatura keeps
almost nothing of them), or has the same body or visible text as a page
already taken. A page is a request, a response (HTTP/1.1 200, Content-Type
with the charset the page declares, the file's bytes as the body) and a
metadata record, with uuid5 record IDs, sha1 base32 digests and WARC-Dates
as CommonCrawl writes them. Pages and sample units are shuffled (seeded) and
dealt round-robin over N gzip WARC files, each starting with a warcinfo
record. WORK/build.json records the parameters, the package versions and the
counts; a build with the same parameters is reused.

    .venv/bin/python bench/realistic_input.py               # build (or reuse) and print the summary
    .venv/bin/python bench/realistic_input.py --rebuild --files 4
"""

from __future__ import annotations

import argparse
import base64
import collections
import dataclasses
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent


@dataclasses.dataclass(frozen=True)
class Source:
    root: str  # the package's document tree, as unpacked from the .deb
    url: str  # where its site serves that tree: page URL = url + path under root
    cap: int | None = None  # keep at most this many pages (lowest body sha1 first)


_DEBIAN_REFERENCE = Source("usr/share/debian-reference", "https://www.debian.org/doc/manuals/debian-reference/")
_LIBREOFFICE_HELP = Source("usr/share/libreoffice/help", "https://help.libreoffice.org/latest/", cap=175)

# Chosen for pages that are distinct, mostly translated and in many languages and scripts:
# the Debian Reference: 15 long chapters (100-400 KB) per language, a crawl's long tail of
# costly pages (most fail the alpha_words quality check: they are tables of commands);
# the installation guide: 19 languages incl. el, ja, ko, ru, vi, zh_CN, pages of 2-100 KB;
# the Apache manual: en, fr complete, ja, ko (EUC-KR pages), tr, de, es, zh-cn partly;
# the project history: 10 languages incl. lt; the LibreOffice help: 2,561 short pages per
# language with site navigation around them, capped so that it does not swamp the rest
# (el and ru are well translated; ja and zh-cn pages mix in English UI strings). Left
# out: libreoffice-help-hi (its pages are English), developers-reference-* and
# maint-guide-* (few pages, in languages already here).
PACKAGES = {
    **{f"debian-reference-{lang}": _DEBIAN_REFERENCE
       for lang in ("de", "en", "es", "fr", "id", "it", "ja", "pt", "zh-cn", "zh-tw")},
    "installation-guide-amd64": Source("usr/share/doc/installation-guide-amd64",
                                       "https://www.debian.org/releases/stable/amd64/"),
    "apache2-doc": Source("usr/share/doc/apache2-doc/manual", "https://httpd.apache.org/docs/2.4/"),
    "debian-history": Source("usr/share/doc/debian-history/docs",
                             "https://www.debian.org/doc/manuals/project-history/"),
    **{f"libreoffice-help-{lang}": _LIBREOFFICE_HELP for lang in ("el", "ja", "ru", "zh-cn")},
}
# Visible text (tags, scripts, styles, comments stripped), in bytes as served. Below 2 KB a
# page is mostly navigation: trafilatura keeps under 300 characters (the pipeline's
# --min-chars) of a fifth of those between 1 and 2 KB.
MIN_TEXT_BYTES = 2000
CRAWL_START = datetime(2024, 5, 18, tzinfo=timezone.utc)  # WARC-Date of the first page; one second apart

_HTML_FILE = re.compile(r"\.x?html?$")
_LANG_DIR = re.compile(r"^([a-z]{2}(?:[-_][A-Za-z]{2})?)/")
_LANG_SUFFIX = re.compile(r"\.([a-z]{2}(?:-[a-z]{2})?)\.x?html?$")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_INVISIBLE = re.compile(rb"<(script|style|noscript)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_TAG = re.compile(rb"<[^>]*>")
_SPACE = re.compile(rb"\s+")


@dataclasses.dataclass(frozen=True)
class Page:
    package: str
    url: str
    lang: str
    charset: str
    body: bytes


# ----------------------------------------------------------------- packages


def fetch_packages(debs: Path) -> dict[str, Path]:
    """The .deb of every package in PACKAGES, downloaded into `debs` unless one is there."""
    debs.mkdir(parents=True, exist_ok=True)
    have = {name: sorted(debs.glob(f"{name}_*.deb")) for name in PACKAGES}
    missing = [name for name, found in have.items() if not found]
    if missing:
        print(f"apt-get download {' '.join(missing)}", flush=True)
        proc = subprocess.run(["apt-get", "download", *missing], cwd=debs, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"apt-get download failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
        have = {name: sorted(debs.glob(f"{name}_*.deb")) for name in PACKAGES}
    return {name: found[-1] for name, found in have.items()}


def unpack(deb: Path, dest: Path) -> None:
    """dest = the files of `deb`, fresh (a stale tree from another version would mix in)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)


def deb_version(deb: Path) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True,
                          text=True).stdout.strip()


# -------------------------------------------------------------------- pages


def visible_text(body: bytes) -> bytes:
    """The page's text, roughly: scripts, styles, comments and tags dropped, spaces collapsed."""
    return _SPACE.sub(b" ", _TAG.sub(b" ", _INVISIBLE.sub(b" ", body))).strip()


def declared_charset(body: bytes) -> str | None:
    """The page's <meta> charset if its bytes decode with it, else utf-8 if they decode as that."""
    meta = _META_CHARSET.search(body[:4096])
    for label in ([meta.group(1).decode("ascii").lower()] if meta else []) + ["utf-8"]:
        try:
            body.decode(label)
            return label
        except (LookupError, UnicodeDecodeError):
            continue
    return None


def declared_language(path: str) -> str:
    """From the path: a language directory (ru/, zh_CN/, pt-br/) or a .LANG.html suffix; else und."""
    match = _LANG_DIR.match(path) or _LANG_SUFFIX.search(path)
    return match.group(1).lower().replace("_", "-") if match else "und"


def collect_pages(package: str, tree: Path, seen: set[bytes], dropped: collections.Counter) -> list[Page]:
    """The package's pages that pass the filters; `seen` holds the body and text digests taken so far."""
    source = PACKAGES[package]
    root = tree / source.root
    pages = []
    for dirpath, dirnames, names in os.walk(root):
        dirnames.sort()  # a fixed order: the first of two equal pages is the one kept
        for name in sorted(names):
            file = Path(dirpath) / name
            if not _HTML_FILE.search(name):
                continue
            if file.is_symlink():  # apache2-doc: an untranslated page links to the English one
                dropped["symlink"] += 1
                continue
            body = file.read_bytes()
            text = visible_text(body)
            body_digest, text_digest = hashlib.sha1(body).digest(), hashlib.sha1(b"text:" + text).digest()
            charset = declared_charset(body)
            reason = ("little_text" if len(text) < MIN_TEXT_BYTES else
                      "duplicate_body" if body_digest in seen else
                      "duplicate_text" if text_digest in seen else
                      "undecodable" if charset is None else None)
            if reason:
                dropped[reason] += 1
                continue
            seen.update((body_digest, text_digest))
            path = file.relative_to(root).as_posix()
            pages.append(Page(package, source.url + path, declared_language(path), charset, body))
    if source.cap is not None and len(pages) > source.cap:
        dropped["over_cap"] += len(pages) - source.cap
        pages = sorted(pages, key=lambda page: hashlib.sha1(page.body).digest())[:source.cap]
    return pages


# ------------------------------------------------------------------ records


def _record_id(key: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}>"


def _digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _warc_date(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _record(rec_type: str, record_id: str, when: datetime, content_type: str, block: bytes,
            extra: list[tuple[str, str]]) -> tuple[StatusAndHeaders, bytes]:
    headers = [("WARC-Type", rec_type), ("WARC-Date", _warc_date(when)), ("WARC-Record-ID", record_id),
               ("Content-Length", str(len(block))), ("Content-Type", content_type), *extra,
               ("WARC-Block-Digest", _digest(block))]
    return StatusAndHeaders("", headers, protocol="WARC/1.0"), block


def warcinfo(name: str) -> tuple[StatusAndHeaders, bytes]:
    block = ("software: xlmr-cc100 bench/realistic_input.py (warcio)\r\n"
             "format: WARC File Format 1.0\r\n"
             "conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.0/\r\n"
             "isPartOf: xlmr-bench-realistic\r\n"
             "publisher: xlmr-cc100 (benchmark input, not a crawl)\r\n"
             "description: HTML pages of Debian documentation packages at their sites' URLs, and the "
             "records of sample/sample.warc.gz, as CommonCrawl-style records\r\n").encode()
    return _record("warcinfo", _record_id(f"urn:xlmr-bench:{name}"), CRAWL_START, "application/warc-fields",
                   block, [("WARC-Filename", name)])


def page_records(page: Page, when: datetime, warcinfo_id: str) -> list[tuple[StatusAndHeaders, bytes]]:
    """request, response and metadata records of one page, as CommonCrawl writes them."""
    url = urlsplit(page.url)
    ids = {kind: _record_id(f"{page.url}#{kind}") for kind in ("request", "response", "metadata")}
    request = (f"GET {url.path} HTTP/1.1\r\n"
               "User-Agent: CCBot/2.0 (https://commoncrawl.org/faq/)\r\n"
               "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
               "Accept-Language: en-US,en;q=0.5\r\n"
               "Accept-Encoding: br,gzip\r\n"
               f"Host: {url.netloc}\r\n"
               "Connection: Keep-Alive\r\n\r\n").encode()
    response = (f"HTTP/1.1 200 OK\r\n"
                f"Date: {format_datetime(when, usegmt=True)}\r\n"
                f"Content-Type: text/html; charset={page.charset}\r\n"
                f"Content-Length: {len(page.body)}\r\n\r\n").encode() + page.body
    metadata = f"charset-detected: {page.charset}\r\n\r\n".encode()
    common = [("WARC-Warcinfo-ID", warcinfo_id), ("WARC-Target-URI", page.url)]
    return [
        _record("request", ids["request"], when, "application/http; msgtype=request", request, common),
        _record("response", ids["response"], when, "application/http; msgtype=response", response,
                common + [("WARC-Concurrent-To", ids["request"]), ("WARC-Payload-Digest", _digest(page.body)),
                          ("WARC-Identified-Payload-Type", "text/html")]),
        _record("metadata", ids["metadata"], when, "application/warc-fields", metadata,
                common + [("WARC-Concurrent-To", ids["response"])]),
    ]


def _html_bytes(item) -> int:
    if isinstance(item, Page):
        return len(item.body)
    return sum(len(block) for headers, block in item if headers.get_header("WARC-Type") == "response")


def balanced_files(items: list, n_files: int) -> list[int]:
    """The file of each item: largest first into the file with the fewest HTML bytes so far.

    A CommonCrawl WARC holds ~35,000 pages, so its files cost about the same to
    process; a few hundred pages a file, dealt round-robin, would not (one file
    could draw several 400 kB chapters), and a worker left with the costliest
    files would measure that draw instead of the pipeline.
    """
    totals, where = [0] * n_files, [0] * len(items)
    for i in sorted(range(len(items)), key=lambda i: -_html_bytes(items[i])):
        where[i] = min(range(n_files), key=totals.__getitem__)
        totals[where[i]] += _html_bytes(items[i])
    return where


def write_warcs(paths: list[Path], items: list) -> None:
    """Each item (a Page, or a sample unit written as it is) in its balanced_files file, in `items` order."""
    # Imported here, not at the top: bench_pipeline may import this module.
    from bench_pipeline import _CopyingWriter, _write

    files = balanced_files(items, len(paths))
    handles = [open(p, "wb") for p in paths]
    try:
        writers = [_CopyingWriter(h, gzip=True) for h in handles]
        infos = [warcinfo(p.name) for p in paths]
        for writer, (headers, block) in zip(writers, infos):
            _write(writer, headers, block)
        for i, item in enumerate(items):
            n = files[i]
            records = (page_records(item, CRAWL_START + timedelta(seconds=i), infos[n][0].get_header("WARC-Record-ID"))
                       if isinstance(item, Page) else item)
            for headers, block in records:
                _write(writers[n], headers, block)
    finally:
        for h in handles:
            h.close()


# -------------------------------------------------------------------- build


def duplicate_rate(paths: list[Path]) -> dict:
    """{responses, distinct_payloads, duplicate_rate}: the share of response records whose HTTP body
    is byte-identical to an earlier one's, over all of `paths` in order."""
    responses, payloads = 0, set()
    for path in paths:
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "response":
                    responses += 1
                    payloads.add(hashlib.sha1(record.raw_stream.read()).digest())
    return {"responses": responses, "distinct_payloads": len(payloads),
            "duplicate_rate": 1 - len(payloads) / responses if responses else 0.0}


def build(work_dir: Path, n_files: int = 8, sample: Path = REPO / "sample" / "sample.warc.gz", seed: int = 0,
          *, rebuild: bool = False) -> list[Path]:
    """The input's WARC files in `work_dir`; reused when built with the same parameters and PACKAGES."""
    # here, not at the top: bench_pipeline imports this module
    from bench_pipeline import _sha256, read_sample, reusable_input

    meta_path = work_dir / "build.json"
    params = {"packages": {name: dataclasses.asdict(source) for name, source in PACKAGES.items()},
              "min_text_bytes": MIN_TEXT_BYTES, "files": n_files, "layout": "balanced by HTML bytes", "seed": seed,
              "sample_sha256": _sha256(sample)}
    paths = None if rebuild else reusable_input(work_dir, params)
    if paths:
        return paths
    start = time.perf_counter()
    debs = fetch_packages(work_dir / "debs")
    seen: set[bytes] = set()
    _, units = read_sample(sample)
    for unit in units:  # a package page equal to a sample page would be a duplicate too
        for headers, block in unit:
            if headers.get_header("WARC-Type") == "response":
                seen.add(hashlib.sha1(block.partition(b"\r\n\r\n")[2]).digest())
    pages, dropped = [], {}
    for name, deb in debs.items():
        tree = work_dir / "unpacked" / name
        unpack(deb, tree)
        dropped[name] = collections.Counter()
        pages += collect_pages(name, tree, seen, dropped[name])
    items = [*pages, *units]
    random.Random(seed).shuffle(items)
    for old in work_dir.glob("*.warc.gz"):
        old.unlink()
    paths = [work_dir / f"realistic-{i:02d}-of-{n_files:02d}.warc.gz" for i in range(n_files)]
    write_warcs(paths, items)
    sample_bytes = sum(len(block.partition(b"\r\n\r\n")[2]) for unit in units for headers, block in unit
                       if headers.get_header("WARC-Type") == "response")
    html_bytes = sum(len(page.body) for page in pages) + sample_bytes
    per_package = collections.Counter(page.package for page in pages)
    meta = {
        "params": params,
        "versions": {name: deb_version(deb) for name, deb in debs.items()},
        "files": [p.name for p in paths],
        "pages_per_package": {**{name: per_package[name] for name in PACKAGES}, sample.name: len(units)},
        "dropped_per_package": {name: dict(counter) for name, counter in dropped.items()},
        "pages_per_language": dict(collections.Counter(page.lang for page in pages).most_common()),
        "charsets": dict(collections.Counter(page.charset for page in pages).most_common()),
        "html_bytes": html_bytes,
        "mean_page_bytes": round(html_bytes / (len(pages) + len(units))),
        "warc_bytes": sum(p.stat().st_size for p in paths),
        "duplicate_rate": duplicate_rate(paths),
        "build_s": round(time.perf_counter() - start, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    print(f"input: built {len(paths)} files in {work_dir} ({meta['build_s']}s)")
    return paths


def print_summary(meta: dict) -> None:
    print("pages per package (dropped: why):")
    for name, n in meta["pages_per_package"].items():
        why = ", ".join(f"{k} {v}" for k, v in meta["dropped_per_package"].get(name, {}).items())
        print(f"  {name:<26}{n:>6}  {meta['versions'].get(name, '(as crawled)'):<22}{why}")
    languages = meta["pages_per_language"]
    print(f"pages per declared language ({len(languages)}, package pages only): "
          + ", ".join(f"{lang} {n}" for lang, n in languages.items()))
    print("charsets: " + ", ".join(f"{c} {n}" for c, n in meta["charsets"].items()))
    dup = meta["duplicate_rate"]
    print(f"{dup['responses']} responses, {meta['html_bytes'] / 1e6:.1f} MB of HTML "
          f"(mean {meta['mean_page_bytes'] / 1e3:.1f} KB a page), {len(meta['files'])} files, "
          f"{meta['warc_bytes'] / 1e6:.1f} MB of gzip WARC")
    print(f"duplicate rate {dup['duplicate_rate']:.3f} ({dup['distinct_payloads']} distinct payloads)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "out" / "realistic", metavar="DIR",
                        help="where the .debs, their unpacked trees, the WARC files and build.json go")
    parser.add_argument("--files", type=int, default=8, metavar="N", help="gzip WARC files to deal the pages over")
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffle that mixes the pages")
    parser.add_argument("--sample", type=Path, default=REPO / "sample" / "sample.warc.gz", metavar="WARC",
                        help="the WARC whose responses, with their request and metadata records, are added as they are")
    parser.add_argument("--rebuild", action="store_true", help="build even if the parameters are unchanged")
    args = parser.parse_args(argv)
    if args.files < 1:
        parser.error("--files must be at least 1")
    work_dir = args.work_dir.resolve()
    paths = build(work_dir, args.files, args.sample, args.seed, rebuild=args.rebuild)
    print_summary(json.loads((work_dir / "build.json").read_text()))
    print("files: " + " ".join(str(p) for p in paths))


if __name__ == "__main__":
    main()
