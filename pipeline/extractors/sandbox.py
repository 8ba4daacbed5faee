"""Run a function in a long-lived child process with a time limit per call.

trafilatura has no timeout of its own, and a thread cannot be stopped while
lxml or a regex runs in C, so a pathological page is handled the way
datatrove's ExtractorSandbox does it: the work runs in a child process that
is killed and restarted when a call overruns. A call costs one pickle round
trip over a pipe (~0.14 ms for a 30 kB page, against ~25 ms of extraction).

The child is a fresh interpreter (`python -c`, talking over two pipes) that
imports the function's module and nothing else. multiprocessing's `spawn`
would also re-import the parent's `__main__`, which in a Beam worker is the
whole SDK harness: measured, that child took ~2.5 s longer to start, held
~100 MB more, and extracted ~7% slower per page than this one. (`fork` is
unsafe in a multi-threaded Beam worker.)
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from multiprocessing.connection import Connection
from typing import Any, Callable


class SandboxTimeout(Exception):
    """The call ran over its time limit; the child was restarted."""


class SandboxCrash(Exception):
    """The child died during the call (e.g. out of memory); it was restarted."""


def _serve(module: str, name: str, read_fd: int, write_fd: int) -> None:
    """The child's loop: call `module.name(*args)` for each args received, send back (ok, result)."""
    fn = importlib.import_module(module)
    for part in name.split("."):
        fn = getattr(fn, part)
    requests, replies = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    replies.send("ready")
    while True:
        try:
            args = requests.recv()
        except EOFError:  # the parent closed the pipe or died
            return
        try:
            replies.send((True, fn(*args)))
        except Exception as exc:  # reported to the parent, which counts it
            replies.send((False, f"{type(exc).__name__}: {exc}"))


class Sandbox:
    """`Sandbox(fn, timeout)(*args)` returns `fn(*args)` computed in a child process.

    Raises SandboxTimeout, SandboxCrash, or RuntimeError carrying the child's
    exception text. `fn` must be importable (a module-level function).
    """

    STARTUP_TIMEOUT = 120.0  # imports on a cold, busy worker can take a while

    def __init__(self, fn: Callable, timeout: float):
        self.fn, self.timeout = fn, timeout
        self._process: subprocess.Popen | None = None
        self._requests = self._replies = None

    def start(self) -> None:
        """Start the child and wait until it is ready, so that start-up never
        counts against a call's time limit."""
        to_child, from_parent = os.pipe()[::-1]  # (write end, read end)
        from_child, to_parent = os.pipe()
        code = f"from {__name__} import _serve; _serve({self.fn.__module__!r}, {self.fn.__qualname__!r}, " \
               f"{from_parent}, {to_parent})"
        self._process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                                         pass_fds=(from_parent, to_parent))
        os.close(from_parent)
        os.close(to_parent)
        self._requests = Connection(to_child, readable=False)
        self._replies = Connection(from_child, writable=False)
        try:
            ready = self._replies.poll(self.STARTUP_TIMEOUT) and self._replies.recv() == "ready"
        except (EOFError, OSError):  # it died while importing
            ready = False
        if not ready:
            self.close()
            raise SandboxCrash(f"the child process exited or was not ready within {self.STARTUP_TIMEOUT:g}s")

    def close(self) -> None:
        if self._process is not None:
            self._requests.close()
            self._replies.close()
            self._process.kill()
            self._process.wait()
            self._process = self._requests = self._replies = None

    def __call__(self, *args: Any) -> Any:
        if self._process is None:
            self.start()
        try:
            self._requests.send(args)
        except OSError:  # the child is gone (broken pipe)
            self.close()
            raise SandboxCrash("the child process died") from None
        if not self._replies.poll(self.timeout):
            self.close()
            raise SandboxTimeout(f"no result after {self.timeout:g}s")
        try:
            ok, result = self._replies.recv()
        except (EOFError, OSError):
            self.close()
            raise SandboxCrash("the child process died") from None
        if not ok:
            raise RuntimeError(result)
        return result
