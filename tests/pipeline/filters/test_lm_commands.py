"""`xlmr-corpus lm download` against a real HTTP server on loopback (never the internet): files whole after
cut connections, resumed from an interrupted run's .part, checked to load before they take their names.
`xlmr-corpus lm train` without KenLM's training programs (as everywhere PyPI's packages are all there is)."""

from __future__ import annotations

import pytest

from flaky_http import FlakyServer
from helpers import read_corpus, write_lm_models
from xlmr.pipeline.cli import main
from xlmr.pipeline.filters.perplexity import check_models


@pytest.fixture(scope="module")
def published(sample_corpus, tmp_path_factory):
    """What CCNet's server holds, for de: <lang>.sp.model and <lang>.arpa.bin (here KenLM's ARPA text under
    the binary's name, which KenLM loads as well: PyPI's kenlm cannot write the binary format)."""
    rows, _ = read_corpus(sample_corpus)
    models = write_lm_models({"de": [r["text"] for r in rows if r["lang"] == "de"]},
                             tmp_path_factory.mktemp("published"))
    (models / "de.arpa").rename(models / "de.arpa.bin")
    return {name: models / name for name in ("de.sp.model", "de.arpa.bin")}


def _download(server, out, *extra):
    return main(["lm", "download", "--languages", "de", "--output", str(out), "--base-url", server.url(""),
                 "--http-retries", "3", *extra])


def test_download_survives_cut_connections_and_resumes_an_interrupted_run(published, tmp_path, capsys):
    with FlakyServer(published) as server:
        server.plans["de.arpa.bin"] = ["cut", "cut"]
        assert _download(server, tmp_path / "lm") == 0
        assert all((tmp_path / "lm" / name).read_bytes() == path.read_bytes() for name, path in published.items())
        assert set(check_models(str(tmp_path / "lm"))) == {"de"}
        ranges = [r for name, r, _ in server.requests if name == "de.arpa.bin"]
        assert ranges[0] is None and all(r and r.startswith("bytes=") for r in ranges[1:])  # resumed, not restarted
        assert "de.arpa.bin: fetched" in capsys.readouterr().out

        # an earlier run killed mid-file left a .part: the next one asks for the rest only
        again = tmp_path / "again"
        again.mkdir()
        whole = published["de.arpa.bin"].read_bytes()
        (again / "de.arpa.bin.part").write_bytes(whole[:1000])
        server.requests.clear()
        assert _download(server, again) == 0
        assert (again / "de.arpa.bin").read_bytes() == whole and not (again / "de.arpa.bin.part").exists()
        assert ("de.arpa.bin", "bytes=1000-", "ok") in server.requests
        assert "de.arpa.bin: resumed from byte 1,000" in capsys.readouterr().out
        server.requests.clear()
        assert _download(server, again) == 0 and server.requests == []  # nothing left to fetch
        assert "de.sp.model: have" in capsys.readouterr().out


def test_a_file_that_is_not_a_model_never_takes_its_name(published, tmp_path, capsys):
    page = tmp_path / "error.html"
    page.write_bytes(b"<html><body>Access denied</body></html>" * 10)
    with FlakyServer({**published, "de.arpa.bin": page}) as server:
        assert _download(server, tmp_path / "lm") == 2
    err = capsys.readouterr().err
    assert "de.arpa.bin: the file fetched is not a model; removed" in err and "not a KenLM model" in err
    assert sorted(p.name for p in (tmp_path / "lm").iterdir()) == ["de.sp.model"]


def test_a_language_ccnet_has_no_model_for_is_refused_before_any_request(tmp_path, capsys):
    assert main(["lm", "download", "--languages", "de", "sw", "--output", str(tmp_path)]) == 2
    assert "--languages sw: CCNet published no model for it; it has af ar" in capsys.readouterr().err


def test_lm_train_says_exactly_what_is_missing(tmp_path, monkeypatch, capsys):
    """PyPI's KenLM packages carry no lmplz or build_binary: without them on PATH, the command names both
    and how to build them, before reading any text."""
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with neither program
    assert main(["lm", "train", "--language", "sw", "--text", str(tmp_path / "none.txt"),
                 "--output", str(tmp_path / "lm")]) == 2
    err = capsys.readouterr().err
    assert "needs KenLM's lmplz and build_binary on PATH, which are not there" in err
    assert "cmake -S kenlm -B kenlm/build" in err and not (tmp_path / "lm").exists()
    assert main(["lm"]) == 2 and "xlmr-corpus lm download|train" in capsys.readouterr().err
