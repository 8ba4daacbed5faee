"""Run a function in a long-lived child process with a time limit per call.

trafilatura has no timeout of its own, and a thread cannot be stopped while
lxml or a regex runs in C, so a pathological page is handled the way
datatrove's ExtractorSandbox does it: the work runs in a child process that
is killed and restarted when a call overruns. The child is started with
`spawn` because Beam workers are multi-threaded (gRPC), where `fork` is unsafe.
A call costs one pickle round trip over a pipe (~0.1 ms for a 100 kB page,
against ~20 ms of extraction).
"""

from __future__ import annotations

import multiprocessing
from typing import Any, Callable


class SandboxTimeout(Exception):
    """The call ran over its time limit; the child was restarted."""


class SandboxCrash(Exception):
    """The child died during the call (e.g. out of memory); it was restarted."""


def _serve(fn: Callable, conn) -> None:
    conn.send("ready")  # `fn`'s module is imported by now (unpickling it did that)
    while True:
        try:
            args = conn.recv()
        except EOFError:
            return
        try:
            conn.send((True, fn(*args)))
        except Exception as exc:  # reported to the parent, which counts it
            conn.send((False, f"{type(exc).__name__}: {exc}"))


class Sandbox:
    """`Sandbox(fn, timeout)(*args)` returns `fn(*args)` computed in a child process.

    Raises SandboxTimeout, SandboxCrash, or RuntimeError carrying the child's
    exception text. `fn` must be importable (a module-level function).
    """

    STARTUP_TIMEOUT = 120.0  # imports on a cold, busy worker can take a while

    def __init__(self, fn: Callable, timeout: float):
        self.fn, self.timeout = fn, timeout
        self._ctx = multiprocessing.get_context("spawn")
        self._process = self._conn = None

    def start(self) -> None:
        """Start the child and wait until it is ready, so that start-up never
        counts against a call's time limit."""
        self._conn, child = self._ctx.Pipe()
        self._process = self._ctx.Process(target=_serve, args=(self.fn, child), daemon=True)
        self._process.start()
        child.close()
        try:
            ready = self._conn.poll(self.STARTUP_TIMEOUT) and self._conn.recv() == "ready"
        except (EOFError, OSError):  # it died while importing
            ready = False
        if not ready:
            self.close()
            raise SandboxCrash(f"the child process did not start within {self.STARTUP_TIMEOUT:g}s")

    def close(self) -> None:
        if self._process is not None:
            self._conn.close()
            self._process.kill()
            self._process.join()
            self._process = self._conn = None

    def __call__(self, *args: Any) -> Any:
        if self._process is None:
            self.start()
        self._conn.send(args)
        if not self._conn.poll(self.timeout):
            self.close()
            raise SandboxTimeout(f"no result after {self.timeout:g}s")
        try:
            ok, result = self._conn.recv()
        except (EOFError, OSError):
            self.close()
            raise SandboxCrash("the child process died") from None
        if not ok:
            raise RuntimeError(result)
        return result
