"""Local, gs:// and s3:// paths for the tokenizer and the trainer: pyarrow filesystems, and whole-tree copies.

Google's clients (google-cloud-storage, Beam's GCS IO) talk to a GCS-protocol
server other than Google's when STORAGE_EMULATOR_HOST names one, and so does
`from_uri`: pyarrow's own GCS client does not look at that variable, and would
instead go looking for credentials on a metadata server.

Copies and deletions of gs:// trees go through google-cloud-storage (resumable uploads,
checksummed downloads); pyarrow's GCS reads of multi-megabyte objects never
finished against the loopback server of the tests.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import pyarrow.fs as pafs


def from_uri(uri: str) -> tuple[pafs.FileSystem, str]:
    """(filesystem, path within it) for `uri`; local paths are made absolute."""
    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    if uri.startswith("gs://") and emulator:
        endpoint = urlparse(emulator if "://" in emulator else f"http://{emulator}")
        fs = pafs.GcsFileSystem(anonymous=True, scheme=endpoint.scheme, endpoint_override=endpoint.netloc)
        return fs, uri[len("gs://"):].rstrip("/")
    return pafs.FileSystem.from_uri(uri if "://" in uri else os.path.abspath(uri))


def is_remote(uri: str) -> bool:
    return "://" in uri and not uri.startswith("file://")


def _bucket(uri: str):
    from google.cloud import storage

    bucket, _, prefix = uri[len("gs://"):].partition("/")
    return storage.Client().bucket(bucket), prefix.rstrip("/")


def download(uri: str, local: Path) -> bool:
    """Copy the file or tree at `uri` to `local`; False if there is nothing there."""
    if uri.startswith("gs://"):
        bucket, prefix = _bucket(uri)
        blob = bucket.get_blob(prefix)
        blobs = [(blob, local)] if blob else [(b, local / b.name[len(prefix) + 1:])
                                              for b in bucket.list_blobs(prefix=prefix + "/")]
        for b, target in blobs:
            target.parent.mkdir(parents=True, exist_ok=True)
            b.download_to_filename(str(target))
        return bool(blobs)
    fs, path = from_uri(uri)
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return False
    pafs.copy_files(path, str(local), source_filesystem=fs, destination_filesystem=pafs.LocalFileSystem())
    return True


def upload(local: Path, uri: str) -> None:
    """Copy a local file or tree to `uri`."""
    if uri.startswith("gs://"):
        bucket, prefix = _bucket(uri)
        files = [(local, prefix)] if local.is_file() else [
            (f, f"{prefix}/{f.relative_to(local).as_posix()}") for f in sorted(local.rglob("*")) if f.is_file()]
        for f, name in files:
            bucket.blob(name).upload_from_filename(str(f))
        return
    fs, path = from_uri(uri)
    pafs.copy_files(str(local), path, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=fs)


def delete(uri: str) -> None:
    """Remove the file or tree at `uri`, if any."""
    if uri.startswith("gs://"):
        bucket, prefix = _bucket(uri)
        for blob in [*bucket.list_blobs(prefix=prefix + "/"), bucket.get_blob(prefix)]:
            if blob is not None:
                blob.delete()
        return
    fs, path = from_uri(uri)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.Directory:
        fs.delete_dir(path)
    elif info.type == pafs.FileType.File:
        fs.delete_file(path)


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
