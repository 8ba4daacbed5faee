"""Input listing: globs, CommonCrawl manifests, --crawl, and http(s) streaming from a loopback server."""

import functools
import gzip
import http.server
import threading

import pytest

from helpers import SAMPLE_WARC, SAMPLE_WET
from xlmr.pipeline.stage import DictCount
from xlmr.pipeline.options import CorpusOptions, parse_options
from xlmr.pipeline.readers.inputs import crawl_in_path, crawl_manifest, expand_inputs, open_input, read_manifest
from xlmr.pipeline.readers.warc import read_records


@pytest.fixture
def http_root(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_several_crawls_each_give_a_manifest_whose_paths_name_their_crawl():
    opts = parse_options(["--output", "o", "--crawl", "CC-MAIN-2018-05", "CC-MAIN-2018-09"]).view_as(CorpusOptions)
    assert [crawl_manifest(c) for c in opts.crawl] == [
        f"https://data.commoncrawl.org/crawl-data/{c}/warc.paths.gz" for c in ("CC-MAIN-2018-05", "CC-MAIN-2018-09")]
    listed = "crawl-data/CC-MAIN-2018-09/segments/1518891808539.63/warc/CC-MAIN-20180217-00000.warc.gz"
    assert crawl_in_path("https://data.commoncrawl.org/" + listed) == "CC-MAIN-2018-09"
    assert crawl_in_path("/data/CC-MAIN-20180217-00000.warc.gz") is None  # a file's timestamp is not a crawl


def test_crawl_id_resolves_to_its_manifest():
    assert crawl_manifest("CC-MAIN-2024-10", "wet") == (
        "https://data.commoncrawl.org/crawl-data/CC-MAIN-2024-10/wet.paths.gz")
    with pytest.raises(ValueError, match="CC-MAIN-2024-10"):
        crawl_manifest("2024-10")


def test_manifest_lines_become_urls_or_stay_paths(tmp_path):
    manifest = tmp_path / "warc.paths.gz"
    manifest.write_bytes(gzip.compress(
        f"crawl-data/CC-MAIN-2024-10/segments/1/warc/a.warc.gz\n{SAMPLE_WARC}\n".encode()))
    assert read_manifest(str(manifest)) == [
        "https://data.commoncrawl.org/crawl-data/CC-MAIN-2024-10/segments/1/warc/a.warc.gz", str(SAMPLE_WARC)]


def test_expand_keeps_order_drops_repeats_and_cuts(tmp_path):
    manifest = tmp_path / "wet.paths.gz"
    manifest.write_bytes(gzip.compress(f"{SAMPLE_WET}\n".encode()))
    pattern = str(SAMPLE_WARC.parent / "*.gz")
    assert expand_inputs([str(manifest), pattern]) == [str(SAMPLE_WET), str(SAMPLE_WARC)]
    assert expand_inputs([pattern, pattern], max_files=1) == [str(SAMPLE_WARC)]


def test_http_input_is_streamed(http_root):
    root, url = http_root
    (root / "x.warc.wet.gz").write_bytes(SAMPLE_WET.read_bytes())
    count = DictCount()
    with open_input(f"{url}/x.warc.wet.gz") as stream:
        records = list(read_records(stream, "x", 1 << 20, count))
    assert len(records) == 4 and count["passed"] == 4
    (root / "wet.paths").write_text(f"{url}/x.warc.wet.gz\n")
    assert expand_inputs([f"{url}/wet.paths"]) == [f"{url}/x.warc.wet.gz"]
