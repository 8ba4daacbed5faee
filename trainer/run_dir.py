"""Where a run's files live: OUT itself when it is a local (or shared) directory; for gs:// or
s3:// OUT, a local staging directory whose finished pieces are uploaded.

Object stores cannot rename a directory, so a remote checkpoint is published by
uploading its files and then a COMPLETE marker: a checkpoint without the
marker (an upload cut short) is never resumed from.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from xlmr.common.files import delete, download, find, is_remote, upload, write_text

STEP_DIR = re.compile(r"^step-(\d+)$")
COMPLETE = "COMPLETE"


class RunDir:
    def __init__(self, uri: str, staging: str | None = None, rank: int = 0):
        self.uri = uri
        self.remote = is_remote(uri)
        if self.remote:
            # one staging directory per rank: ranks of a node must not clean up each other's files
            self.local = Path(staging or tempfile.mkdtemp(prefix="xlmr-train-")) / f"rank-{rank}"
        else:
            self.local = Path(uri.removeprefix("file://"))
        self.local.mkdir(parents=True, exist_ok=True)

    def _remote(self, relative: str) -> str:
        return f"{self.uri.rstrip('/')}/{relative}"

    def checkpoints(self) -> list[str]:
        """Names of finished checkpoints (step-N), oldest first."""
        if self.remote:
            # Recursive: object stores have no directories, only names (and some servers
            # answer a one-level listing with nothing); a step counts once its marker is there.
            names = [Path(p).parent.name for p in find(self._remote("checkpoints")) if Path(p).name == COMPLETE]
        else:
            root = self.local / "checkpoints"
            names = [p.name for p in root.glob("step-*")] if root.exists() else []
        found = [(int(m.group(1)), n) for n in names if (m := STEP_DIR.match(n))]
        return [n for _, n in sorted(found)]

    def fetch(self, relative: str) -> Path:
        """The local copy of OUT/relative (a file or a directory), downloaded when OUT is remote."""
        local = self.local / relative
        if self.remote:
            download(self._remote(relative), local)
        return local

    def push(self, relative: str, target: str | None = None) -> None:
        """Upload local relative (file or directory) to OUT/target (default: the same name); no-op when local."""
        if self.remote:
            upload(self.local / relative, self._remote(target or relative))

    def mark_complete(self, name: str) -> None:
        write_text(self._remote(f"checkpoints/{name}/{COMPLETE}"), "")

    def delete(self, relative: str) -> None:
        """Remove OUT/relative (file or directory) wherever it is."""
        if self.remote:
            delete(self._remote(relative))
        local = self.local / relative
        if local.is_dir():
            shutil.rmtree(local)
        else:
            local.unlink(missing_ok=True)

    def __str__(self) -> str:
        return self.uri
