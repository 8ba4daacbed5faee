"""WARC/WET records -> RawRecord, with every broken input counted, never fatal.

Handles what CommonCrawl and older crawls contain: per-record gzip members,
WARC/1.0, 1.1 and 0.18, HTTP chunked and content encodings (warcio undoes
both). What it cannot read is counted under the `read` namespace and logged
with file and byte offset:

  filtered:not_warc          the file is not WARC (or is empty: `empty_file`)
  filtered:truncated_record  the record ends before its Content-Length
  filtered:unreadable        warcio raised on the record
  resynced                   reading resumed at the next gzip member after a
                             broken one, so the rest of the file is not lost

Each record's crawl (`dump`) is the `isPartOf` of the warcinfo record it names by
`WARC-Warcinfo-ID` (CommonCrawl writes one a file: `isPartOf: CC-MAIN-2024-10`), else the
crawl ID in the file's path, else None.
"""

from __future__ import annotations

import logging
import zlib
from typing import BinaryIO, Callable, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..records import RawRecord
from ..stage import PASSED, Count, no_count
from .http_reader import DownloadFailed
from .inputs import crawl_in_path

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
RECORDS = "records"  # every WARC record met, whatever its fate: the funnel's first row
_GZIP_MAGIC = b"\x1f\x8b\x08"


def read_records(
    stream: BinaryIO, source: str, max_payload_bytes: int, count: Count = no_count,
    blocked: Callable[[str], bool] | None = None,
) -> Iterator[RawRecord]:
    """Yield the HTML responses (status 200) and WET conversions of one file.

    Records whose URL is `blocked` are counted and skipped before their payload is read.
    """
    start: int | None = stream.tell() if stream.seekable() else 0
    seen_any = False
    crawls = Crawls(source)
    while start is not None:
        broken_at = None
        offset = start
        try:
            for offset, record in _iter_from(stream, start):
                seen_any = True
                result = _to_raw(record, source, offset, max_payload_bytes, count, blocked, crawls)
                if result is _NOT_WARC:
                    return
                if result is _TRUNCATED:
                    broken_at = offset
                    break
                if result is not None:
                    yield result
        except DownloadFailed:
            raise  # not the file's fault: the caller counts the file
        except Exception as exc:  # warcio raises a variety of errors on junk
            if not seen_any and isinstance(exc, ArchiveLoadFailed):
                count("filtered:not_warc")  # "Unknown archive format" on the first line
                log.warning("%s: not a WARC file, %s", source, exc)
                return
            broken_at = offset
            count("filtered:unreadable")
            log.warning("%s@%s: unreadable record, %s: %s", source, offset, type(exc).__name__, exc)
        start = None if broken_at is None else _resync(stream, broken_at, source, count)
    if not seen_any:
        count("filtered:empty_file")
        log.warning("%s: empty file", source)


def _iter_from(stream: BinaryIO, start: int) -> Iterator[tuple[int, object]]:
    if stream.seekable():
        stream.seek(start)
    iterator = ArchiveIterator(stream)
    for record in iterator:
        # `offset` is where this record's member starts; get_record_offset()
        # would read the record to its end first.
        yield iterator.offset, record


class Crawls:
    """The crawl of each record of one file (the module's docstring says how it is found)."""

    def __init__(self, source: str):
        self.by_warcinfo: dict[str, str] = {}
        self.in_path = crawl_in_path(source)

    def learn(self, record) -> None:
        """Note a warcinfo record's `isPartOf` (its block is a few hundred bytes of `name: value` lines)."""
        for line in record.content_stream().read(65536).decode("utf-8", errors="replace").splitlines():
            name, _, value = line.partition(":")
            if name.strip().lower() == "ispartof" and value.strip():
                self.by_warcinfo[record.rec_headers.get_header("WARC-Record-ID") or ""] = value.strip()

    def of(self, headers) -> str | None:
        return self.by_warcinfo.get(headers.get_header("WARC-Warcinfo-ID") or "", self.in_path)


_TRUNCATED = object()
_NOT_WARC = object()


def _to_raw(record, source: str, offset: int, max_payload_bytes: int, count: Count, blocked, crawls: Crawls):
    """One warcio record -> RawRecord, None (skipped), or a marker for a broken file."""
    if record.format != "warc":
        count("filtered:not_warc")
        log.warning("%s@%s: not a WARC file, skipped", source, offset)
        return _NOT_WARC
    rec_type = record.rec_type
    count(RECORDS)
    if rec_type == "warcinfo":
        crawls.learn(record)
    if rec_type not in ("response", "conversion"):
        count(f"skipped:{rec_type}")  # warcinfo, request, metadata, revisit, resource
        return None
    headers = record.rec_headers
    if blocked is not None and blocked(headers.get_header("WARC-Target-URI") or ""):
        count("filtered:url_blocklist")
        return None
    content_type = ""
    if rec_type == "response":
        if record.http_headers is None or record.http_headers.get_statuscode() != "200":
            count("filtered:http_status")
            return None
        content_type = record.http_headers.get_header("Content-Type") or ""
        # CommonCrawl's own sniffed type beats the server's claim.
        payload_type = headers.get_header("WARC-Identified-Payload-Type") or content_type
        if not payload_type.lower().startswith(HTML_TYPES):
            count("filtered:not_html")
            return None
    payload = record.content_stream().read(max_payload_bytes + 1)
    if len(payload) > max_payload_bytes:
        count("filtered:payload_too_large")
        return None
    record.content_stream().read()  # drain, so truncation shows in the limit below
    if record.raw_stream.limit > 0:
        count("filtered:truncated_record")
        log.warning("%s@%s: truncated record (%d bytes missing), skipped", source, offset, record.raw_stream.limit)
        return _TRUNCATED
    count(PASSED)
    return RawRecord(
        id=headers.get_header("WARC-Record-ID") or f"<{source}@{offset}>",
        url=headers.get_header("WARC-Target-URI") or "",
        date=headers.get_header("WARC-Date") or "",
        source=source,
        offset=offset,
        payload=payload,
        content_type=content_type,
        is_text=rec_type == "conversion",
        dump=crawls.of(headers),
    )


def _resync(stream: BinaryIO, broken_at: int, source: str, count: Count) -> int | None:
    """Offset of the next gzip member after `broken_at` that starts a WARC record."""
    if not stream.seekable():
        return None
    block_size, overlap = 1 << 20, 4096
    position = broken_at + 1
    while True:
        stream.seek(position)
        block = stream.read(block_size)
        i = block.find(_GZIP_MAGIC)
        while i >= 0:
            if _starts_warc_member(block[i : i + overlap]):
                count("resynced")
                log.warning("%s@%s: resuming at the next record, %s", source, broken_at, position + i)
                return position + i
            i = block.find(_GZIP_MAGIC, i + 1)
        if len(block) < block_size:
            return None
        position += block_size - overlap  # a member head cut by the block end is seen again


def _starts_warc_member(head: bytes) -> bool:
    try:
        return zlib.decompressobj(31).decompress(head)[:5] == b"WARC/"
    except zlib.error:
        return False
