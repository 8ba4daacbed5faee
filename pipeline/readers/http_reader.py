"""Streaming HTTP(S) reads that survive CommonCrawl's throttling: retry, back off, resume by Range.

data.commoncrawl.org answers bursts with 503 "SlowDown" (and sometimes 429),
and long transfers break mid-stream. A failed request or a cut stream is
retried after an exponentially growing, jittered delay (a Retry-After header
wins when the server sends one), and the transfer resumes at the byte it
reached with `Range: bytes=N-` instead of starting the file again. Failures
in a row are bounded by `max_retries` and the total waiting by `budget`
seconds per file; past either, `DownloadFailed` names the URL and the last
error, and the caller counts the file and goes on.
"""

from __future__ import annotations

import dataclasses
import http.client
import io
import logging
import random
import re
import time
import urllib.error
import urllib.request

log = logging.getLogger(__name__)

RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class DownloadFailed(OSError):
    """The file could not be read to its end within the retry policy."""


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 10  # failures in a row; progress resets the count
    budget: float = 900.0  # seconds of waiting per file, in all
    initial_delay: float = 1.0
    max_delay: float = 60.0
    timeout: float = 60.0  # per connect / read

    def delay(self, failures: int, rng: random.Random) -> float:
        """Full jitter (AWS architecture blog): uniform in [0, min(max, initial x 2^(failures-1))]."""
        return rng.uniform(0, min(self.max_delay, self.initial_delay * 2 ** (failures - 1)))


class RetryingHttpReader(io.RawIOBase):
    """A read-only, forward-only binary stream over one URL."""

    def __init__(self, url: str, policy: RetryPolicy = RetryPolicy(), sleep=time.sleep,
                 rng: random.Random | None = None, start: int = 0):
        """`start`: the byte to begin at (a download resumed from a partial file asks for the rest)."""
        self.url, self.policy, self._sleep = url, policy, sleep
        self._rng = rng or random.Random()
        self._response = None
        self._position = start
        self._length: int | None = None  # total size, once a response has told it
        self._failures = 0
        self._waited = 0.0
        self._retry_after: str | None = None  # the last 429/503's Retry-After header
        self.retries = 0  # for tests and logs

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer) -> int:
        while True:
            try:
                if self._response is None:
                    if self._length is not None and self._position >= self._length:
                        return 0
                    self._response = self._open()
                n = self._response.readinto(buffer)
                if n == 0 and len(buffer) and self._length is not None and self._position < self._length:
                    # http.client returns 0, not IncompleteRead, when the peer closes early
                    raise http.client.IncompleteRead(b"", self._length - self._position)
            except (OSError, http.client.HTTPException) as exc:  # resets and timeouts are OSErrors
                if isinstance(exc, DownloadFailed):
                    raise
                self._close_response()
                self._back_off(exc)
                continue
            self._position += n
            if n:
                self._failures = 0
            return n

    def _open(self):
        headers = {"User-Agent": "xlmr-corpus"}
        if self._position:
            headers["Range"] = f"bytes={self._position}-"
        request = urllib.request.Request(self.url, headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=self.policy.timeout)
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRY_STATUSES:
                raise DownloadFailed(f"{self.url}: HTTP {exc.code} {exc.reason}") from exc
            self._retry_after = exc.headers.get("Retry-After")
            raise
        if self._position and response.status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != self._position:
                response.close()
                raise DownloadFailed(f"{self.url}: asked for bytes {self._position}-, "
                                     f"got Content-Range {response.headers.get('Content-Range')!r}")
            if match.group(3) != "*":
                self._length = int(match.group(3))
        elif self._position:
            # The server ignored Range and sent the whole file again: skip what we have.
            log.warning("%s: server ignored Range; re-reading %d bytes", self.url, self._position)
            _discard(response, self._position)
            self._length = _length_of(response)
        else:
            self._length = _length_of(response)
        return response

    def _back_off(self, exc: BaseException) -> None:
        self._failures += 1
        self.retries += 1
        delay = self.policy.delay(self._failures, self._rng)
        retry_after, self._retry_after = self._retry_after, None
        if retry_after and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        if self._failures > self.policy.max_retries or self._waited + delay > self.policy.budget:
            raise DownloadFailed(f"{self.url}: gave up at byte {self._position} after {self.retries} retries "
                                 f"({self._waited:.0f} s waited): {type(exc).__name__}: {exc}") from exc
        log.info("%s: %s at byte %d; retry %d in %.1f s", self.url, exc, self._position, self._failures, delay)
        self._waited += delay
        self._sleep(delay)

    def _close_response(self) -> None:
        if self._response is not None:
            try:
                self._response.close()
            except OSError:
                pass
            self._response = None

    def close(self) -> None:
        self._close_response()
        super().close()


def _length_of(response) -> int | None:
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def _discard(response, n: int) -> None:
    while n:
        chunk = response.read(min(n, 1 << 20))
        if not chunk:
            raise http.client.IncompleteRead(b"", n)
        n -= len(chunk)


def open_url(url: str, policy: RetryPolicy = RetryPolicy()) -> io.BufferedReader:
    return io.BufferedReader(RetryingHttpReader(url, policy), buffer_size=1 << 20)

