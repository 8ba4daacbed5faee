"""`ReadRecords`, the job's first Stage: an input file's path -> its HTML 200 responses and WET conversions."""

from __future__ import annotations

import functools
import logging

from ..progress import ProgressFile
from ..stage import READ, Stage
from .http_reader import DownloadFailed, RetryPolicy
from .inputs import open_input
from .url_blocklist import is_blocked, load_blocklist
from .warc import read_records

log = logging.getLogger(__name__)


class ReadRecords(Stage):
    """file path -> RawRecord for each HTML 200 response / WET conversion."""

    namespace = READ

    def __init__(self, max_payload_bytes: int, http_policy: RetryPolicy = RetryPolicy(),
                 url_blocklist: str | None = None, progress_dir: str | None = None):
        self.max_payload_bytes = max_payload_bytes
        self.http_policy = http_policy
        self.url_blocklist = url_blocklist
        self.progress_dir = progress_dir  # a local run's progress channel (progress.py)

    def setup(self):
        self._blocked = None
        if self.url_blocklist:
            self._blocked = functools.partial(is_blocked, domains=load_blocklist(self.url_blocklist))
        self._progress = ProgressFile(self.progress_dir) if self.progress_dir else None

    def process(self, path: str):
        self.count("files")
        try:
            stream = open_input(path, self.http_policy)
        except Exception as exc:  # missing file, no credentials...
            self.count("filtered:unopenable_file")
            log.warning("%s: cannot open, %s: %s", path, type(exc).__name__, exc)
            self._file_done()
            return
        read = 0  # bytes of this file read so far, as stored (compressed): the progress measure
        try:
            with stream:
                for record in read_records(stream, path, self.max_payload_bytes, self.count, self._blocked):
                    self._advance(record.offset - read, pages=1)
                    read = record.offset
                    yield record
                self._advance(_position(stream, read) - read, pages=0)
        except DownloadFailed as exc:
            # The records read before the failure are kept; the rest of the file is lost.
            self.count("filtered:download_failed")
            log.error("%s", exc)
        self._file_done()

    def _file_done(self) -> None:
        self.count("files_done")
        if self._progress:
            self._progress.progress.files_done += 1
            self._progress.flush()

    def _advance(self, n: int, pages: int) -> None:
        """`n` more bytes read and `pages` more records passed on: a counter, and the local progress."""
        self.count("bytes", n)
        if self._progress:
            self._progress.progress.bytes += n
            self._progress.progress.pages += pages
            self._progress.update()


def _position(stream, default: int) -> int:
    """Where `stream` is (its end, once read through), or `default` when it cannot tell."""
    try:
        return stream.tell()
    except (OSError, ValueError):
        return default
