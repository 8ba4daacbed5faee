"""The `xlmr-corpus` job: read -> extract -> near-dup -> dedup paragraphs -> min length -> LID -> write.

    files  ──Reshuffle──▶ ReadRecords ─▶ ExtractText ─▶ Deduplicate (near-dup documents, then paragraphs)
           ─▶ FilterMinChars ─▶ IdentifyLanguage ─▶ WriteCorpus (shards, _stats.json, _SUCCESS)

`run(argv)` is what the console script, the tests and the Dataflow template call.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import uuid

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from .counting_dofn import COUNTS_TAG
from .http_reader import RetryPolicy
from .inputs import crawl_manifest, expand_inputs
from .language_codes import expand_languages
from .language_id import default_model_path
from .options import CorpusOptions, parse_options
from .report import write_report
from .deduplicate import NEAR_DUPLICATES_TAG, Deduplicate
from .shard_writer import STATS_FILE, SUCCESS_FILE, TEMP_DIR, WriteCorpus
from .stages import ExtractText, FilterMinChars, IdentifyLanguage, LanguageOfRemoved, ReadRecords

LIBRARIES = ("apache-beam", "trafilatura", "warcio", "fasttext-predict", "pyarrow", "xlmr-cc100")


class OutputExistsError(Exception):
    pass


def http_policy(opts: CorpusOptions) -> RetryPolicy:
    return RetryPolicy(max_retries=opts.http_retries, budget=opts.http_retry_budget)


def _stage(pcoll, label: str, dofn):
    """Apply a CountingDoFn; returns (main output, counts output)."""
    result = pcoll | label >> beam.ParDo(dofn).with_outputs(COUNTS_TAG, main="main")
    return result.main, result[COUNTS_TAG]


def build_pipeline(p: beam.Pipeline, opts: CorpusOptions, files: list[str], temp_dir: str, config: dict):
    """Add the corpus job to `p`; returns the one-element PCollection of the final stats."""
    counts = []
    # file paths, spread over workers before any record is read
    files_pc = p | "ListFiles" >> beam.Create(files) | "SpreadFiles" >> beam.Reshuffle()
    records, c = _stage(files_pc, "ReadRecords", ReadRecords(opts.max_html_bytes, http_policy(opts)))  # RawRecord
    counts.append(c)
    docs, c = _stage(records, "ExtractText", ExtractText(opts.extract_timeout))  # Document
    counts.append(c)
    near_dup = (opts.near_dup_perm, opts.near_dup_threshold) if opts.near_dup == "on" else None
    deduped = docs | "Deduplicate" >> Deduplicate(near_dup)  # Document, near-copies gone, fewer paragraphs
    counts.append(deduped[COUNTS_TAG])
    long_docs, c = _stage(deduped.docs, "FilterMinChars", FilterMinChars(opts.min_chars))
    counts.append(c)
    identifier = IdentifyLanguage(opts.lid_model, opts.lid_threshold, expand_languages(opts.languages))
    labelled, c = _stage(long_docs, "IdentifyLanguage", identifier)  # Document with lang
    counts.append(c)
    counters = counts | "AllCounts" >> beam.Flatten() | "SumCounts" >> beam.CombinePerKey(sum)
    near_dups = (  # (lang, (documents, characters)) removed as near-duplicates
        deduped[NEAR_DUPLICATES_TAG]
        | "LanguageOfNearDups" >> beam.ParDo(LanguageOfRemoved(opts.lid_model, opts.lid_threshold))
        | "SumNearDups" >> beam.CombinePerKey(beam.combiners.TupleCombineFn(sum, sum))
    )
    write = WriteCorpus(opts.output, temp_dir, opts.shard_rows, counters, near_dups, config)
    return labelled | "WriteCorpus" >> write


def prepare_output(output: str, overwrite: bool) -> None:
    """Refuse an output that holds results, or clear it with --overwrite."""
    existing = [
        m.path
        for pattern in ("lang=*/*", STATS_FILE, SUCCESS_FILE, TEMP_DIR, "README.md", "*.png")
        for m in FileSystems.match([FileSystems.join(output, pattern)])[0].metadata_list
    ]
    if not existing:
        return
    if not overwrite:
        raise OutputExistsError(
            f"--output {output} already holds results ({len(existing)} files, e.g. {existing[0]}); "
            "pass --overwrite to replace them or choose another --output"
        )
    FileSystems.delete(existing)


def _config(opts: CorpusOptions, files: list[str]) -> dict:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    flags = opts.get_all_options(current_only=True)
    return {"flags": flags, "lid_model": opts.lid_model, "input_files": len(files), "versions": versions}


def resolve(opts: CorpusOptions) -> list[str]:
    """Fill defaults that depend on the environment; returns the input files."""
    if opts.output and "://" not in opts.output:
        opts.output = os.path.abspath(opts.output)
    opts.lid_model = opts.lid_model or default_model_path()
    patterns = list(opts.input) + ([crawl_manifest(opts.crawl, opts.crawl_format)] if opts.crawl else [])
    return expand_inputs(patterns, opts.max_files)


def run(argv: list[str] | None = None, wait: bool = True) -> dict | None:
    """Run the job; when `wait`, write the dataset card (report.py) and return `_stats.json`'s content."""
    options = parse_options(argv)
    opts = options.view_as(CorpusOptions)
    files = resolve(opts)
    prepare_output(opts.output, opts.overwrite)
    temp_dir = FileSystems.join(opts.output, TEMP_DIR, uuid.uuid4().hex)
    pipeline = beam.Pipeline(options=options)
    build_pipeline(pipeline, opts, files, temp_dir, _config(opts, files))
    result = pipeline.run()
    if not wait:
        return None
    result.wait_until_finish()
    write_report(opts.output)
    return read_stats(opts.output)


def read_stats(output: str) -> dict:
    with FileSystems.open(FileSystems.join(output, STATS_FILE)) as f:
        return json.loads(f.read().decode("utf-8"))
