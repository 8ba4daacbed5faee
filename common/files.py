"""The one file layer of every stage and engine: local paths, gs:// and s3:// through fsspec.

fsspec is what datatrove, `datasets` and pandas read and write through; gs:// is gcsfs
(installed with the project), s3:// is s3fs (`pip install 'xlmr-cc100[aws]'`). The
corpus job, the Spark engine, the tokenizer, the trainer and the evaluation all use these
functions, so no stage needs Beam's or pyarrow's own filesystems. http(s) inputs are not
files here: the readers stream them with their own retries (pipeline/readers/http_reader.py).

Object stores have no rename: `rename` copies, then deletes (what Beam's GCS rename does).
When STORAGE_EMULATOR_HOST names a GCS-protocol server (the tests' loopback one), gs://
goes there anonymously with gcsfs's plain JSON-API client.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

import fsspec
from fsspec.implementations.local import LocalFileSystem

# Reads of remote inputs are sequential and long (a WARC is ~1 GB): read ahead in large blocks.
_READ_BLOCK = 8 << 20


def is_remote(uri: str) -> bool:
    return "://" in uri and not uri.startswith("file://")


def absolute(uri: str) -> str:
    """`uri` as it is when remote, else its absolute local path (without file://): what a worker
    with another working directory (a Spark executor above all) can open."""
    return uri if is_remote(uri) else os.path.abspath(uri.removeprefix("file://"))


def filesystem(uri: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """(fsspec filesystem, path within it) for `uri`; local paths are made absolute."""
    if not is_remote(uri):
        return LocalFileSystem(auto_mkdir=True), absolute(uri)
    if uri.startswith("gs://") and os.environ.get("STORAGE_EMULATOR_HOST"):
        from gcsfs.core import GCSFileSystem

        # the address passed, not left to gcsfs to read: fsspec caches a filesystem by its arguments
        endpoint = os.environ["STORAGE_EMULATOR_HOST"]
        return GCSFileSystem(token="anon", endpoint_url=endpoint), uri[len("gs://"):].rstrip("/")
    fs, path = fsspec.core.url_to_fs(uri)
    return fs, path.rstrip("/")


def _uris(uri: str, fs: fsspec.AbstractFileSystem, paths) -> list[str]:
    """Paths `fs` listed, sorted, as URIs of the kind `uri` is."""
    return sorted(fs.unstrip_protocol(p) if is_remote(uri) else p for p in paths)


def join(base: str, *parts: str) -> str:
    return posixpath.join(base, *parts) if is_remote(base) else os.path.join(base, *parts)


def open_read(uri: str) -> BinaryIO:
    """A binary stream over the file, bytes as stored (no decompression: warcio reads gzip itself)."""
    fs, path = filesystem(uri)
    if is_remote(uri):
        return fs.open(path, "rb", block_size=_READ_BLOCK, cache_type="readahead")
    return fs.open(path, "rb")


def open_write(uri: str) -> BinaryIO:
    """A binary stream that creates (or replaces) the file; a local file's folders are made."""
    fs, path = filesystem(uri)
    return fs.open(path, "wb")


def read_text(uri: str) -> str:
    with open_read(uri) as f:
        return f.read().decode("utf-8")


def write_text(uri: str, text: str) -> None:
    with open_write(uri) as f:
        f.write(text.encode("utf-8"))


def exists(uri: str) -> bool:
    fs, path = filesystem(uri)
    return fs.exists(path)


def glob(pattern: str) -> list[str]:
    """The files matching `pattern` (`*`, `?`, `[...]`, `**`), sorted, as URIs of the pattern's kind."""
    fs, path = filesystem(pattern)
    found = fs.glob(path, detail=True)  # with each match's type: no request per file to tell files from folders
    return _uris(pattern, fs, (p for p, info in found.items() if info["type"] == "file"))


def size(uri: str) -> int:
    fs, path = filesystem(uri)
    return fs.size(path)


def find(uri: str) -> list[str]:
    """Every file under the folder `uri` (recursively), sorted; [] when there is none."""
    fs, path = filesystem(uri)
    return _uris(uri, fs, fs.find(path))


def rename(source: str, target: str) -> None:
    """Move a file; on an object store a copy and then a delete."""
    fs, src = filesystem(source)
    _, dst = filesystem(target)
    if is_remote(source):
        fs.copy(src, dst)
        fs.rm(src)
    else:
        fs.makedirs(os.path.dirname(dst), exist_ok=True)
        os.replace(src, dst)


@contextlib.contextmanager
def local_file(uri: str) -> Iterator[str]:
    """A local path to write the file at `uri` through (pyarrow's writers need a seekable local file):
    the path itself, its folder made, or a temporary file copied to a remote `uri` once written."""
    if not is_remote(uri):
        local = absolute(uri)
        os.makedirs(os.path.dirname(local), exist_ok=True)
        yield local
        return
    with tempfile.TemporaryDirectory(prefix="xlmr-") as tmp:
        local = os.path.join(tmp, posixpath.basename(uri))
        yield local
        put(local, uri)


def put(local: str | Path, uri: str) -> None:
    """Copy one local file to `uri`."""
    fs, path = filesystem(uri)
    fs.put_file(str(local), path)


def delete(*uris: str) -> None:
    """Remove files or whole trees; what is not there is ignored."""
    for uri in uris:
        fs, path = filesystem(uri)
        if fs.exists(path):
            fs.rm(path, recursive=True)


def download(uri: str, local: Path) -> bool:
    """Copy the file or tree at `uri` to `local`; False if there is nothing there."""
    fs, path = filesystem(uri)
    if fs.isfile(path):
        local.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(path, str(local))
        return True
    found = fs.find(path)
    for p in found:
        target = local / p[len(path) + 1:]
        target.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(p, str(target))
    return bool(found)


def upload(local: Path, uri: str) -> None:
    """Copy a local file or tree to `uri`."""
    if local.is_file():
        put(local, uri)
        return
    for f in sorted(local.rglob("*")):
        if f.is_file():
            put(f, join(uri, f.relative_to(local).as_posix()))


def local_copy(uri: str, suffix: str = "") -> str:
    """A local path holding the file at `uri`: the path itself, or a downloaded temporary copy."""
    if not is_remote(uri):
        return absolute(uri)
    fd, local = tempfile.mkstemp(suffix=suffix, prefix="xlmr-")
    os.close(fd)
    fs, path = filesystem(uri)
    fs.get_file(path, local)
    return local


def local_input(uri: str) -> Path:
    """A local directory with the contents of `uri`: the path itself, or a downloaded copy."""
    if not is_remote(uri):
        return Path(uri.removeprefix("file://"))
    local = Path(tempfile.mkdtemp(prefix="xlmr-"))
    if not download(uri, local):
        raise FileNotFoundError(f"{uri} holds nothing")
    return local


@contextlib.contextmanager
def local_output(uri: str) -> Iterator[Path]:
    """A local directory to write into; uploaded to `uri` afterwards when that is remote."""
    if not is_remote(uri):
        local = Path(uri.removeprefix("file://"))
        local.mkdir(parents=True, exist_ok=True)
        yield local
        return
    with tempfile.TemporaryDirectory(prefix="xlmr-") as tmp:
        yield Path(tmp)
        upload(Path(tmp), uri)
