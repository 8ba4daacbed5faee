"""The Dataflow Flex Template's entry point: template parameters -> `xlmr-corpus` flags.

Flex Templates pass every parameter as `--name=value`: lists arrive
comma-separated in one value and booleans as true/false, so those are turned
into what the flags expect. Under DataflowRunner the job is submitted and not
waited for (the launcher VM must exit once the job exists); under any other
runner (the local check of the template) it runs to the end.
"""

from __future__ import annotations

import logging
import os
import sys

from xlmr.common import argtypes

from .job import run
from .options import CorpusOptions

LIST_PARAMETERS = ("input", "languages")
# A template always runs on Dataflow: the Spark engine's flags are not offered.
SPARK_ONLY = ("engine", "spark_master", "conf")
BOOLEAN_PARAMETERS = ("overwrite",)

_GS_OR_HTTP = r"(gs|https?)://[^,]+"
_POSITIVE_INT = r"^[1-9][0-9]*$"
_NON_NEGATIVE_INT = r"^[0-9]+$"
_FRACTION = r"^0?\.[0-9]+$"
# What the Dataflow console checks before launching; the flags' own types check the rest.
REGEXES = {
    "input": rf"^{_GS_OR_HTTP}(,{_GS_OR_HTTP})*$",
    "crawl": r"^CC-MAIN-[0-9]{4}-[0-9]{2}$",
    "crawl_format": r"^(warc|wet)$",
    "max_files": _POSITIVE_INT,
    "output": r"^gs://.+$",
    "overwrite": r"^(true|false)$",
    "min_chars": _NON_NEGATIVE_INT,
    "recipe": r"^(cleaned|cc100)$",
    "near_dup": r"^(on|off)$",
    "repair": r"^(on|off)$",
    "quality": r"^(filter|tag|off)$",
    "quality_thresholds": r"^gs://.+$",
    "url_blocklist": r"^gs://.+$",
    "near_dup_threshold": _FRACTION,
    "near_dup_perm": _POSITIVE_INT,
    "lid_threshold": r"^(0|0?\.[0-9]+)$",
    "lid_model": r"^gs://.+$",
    "languages": r"^[a-z0-9_-]+(,[a-z0-9_-]+)*$",
    "shard_rows": _POSITIVE_INT,
    "max_html_bytes": _POSITIVE_INT,
    "http_retries": _NON_NEGATIVE_INT,
    "http_retry_budget": r"^[0-9]+(\.[0-9]+)?$",
    "extract_timeout": r"^[0-9]+(\.[0-9]+)?$",
    "progress": r"^(on|off)$",
    "progress_interval": r"^[0-9]+(\.[0-9]+)?$",
}
REQUIRED = ("output",)


def metadata() -> dict:
    """metadata.json of the Flex Template, one parameter per CorpusOptions flag."""
    import argparse

    parser = argparse.ArgumentParser()
    CorpusOptions._add_argparse_args(parser)
    parameters = []
    for action in parser._actions:
        if not action.option_strings or action.dest in ("help", *SPARK_ONLY):
            continue
        if action.dest not in REGEXES:
            raise KeyError(f"--{action.dest} has no template parameter: add it to REGEXES")
        help_text = argtypes.help_text(action)
        if action.dest in LIST_PARAMETERS:
            help_text += " Several values: comma-separated."
        parameters.append({
            "name": action.dest,
            "label": action.dest.replace("_", " ").capitalize(),
            "helpText": help_text,
            "isOptional": action.dest not in REQUIRED,
            "regexes": [REGEXES[action.dest]],
        })
    return {
        "name": "xlmr-corpus",
        "description": "CC-100-style corpus from CommonCrawl WARC/WET files: trafilatura extraction, text repair, "
                       "FineWeb-2's per-language quality filters, near-duplicate and paragraph deduplication, "
                       "fastText lid.176 language identification, per-language Parquet shards and statistics.",
        "parameters": parameters,
    }


def to_flags(argv: list[str]) -> list[str]:
    out: list[str] = []
    for arg in argv:
        name, eq, value = arg.partition("=")
        key = name.lstrip("-").replace("-", "_")
        if eq and key in LIST_PARAMETERS:
            out += [name, *[v.strip() for v in value.split(",") if v.strip()]]
        elif eq and key in BOOLEAN_PARAMETERS:
            if value.strip().lower() not in ("true", "false"):
                raise ValueError(f"{name}={value}: expected true or false")
            out += [name] if value.strip().lower() == "true" else []
        else:
            out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO)
    flags = to_flags(sys.argv[1:] if argv is None else argv)
    options = CorpusOptions(flags).get_all_options()
    on_dataflow = "Dataflow" in (options.get("runner") or "")
    # The launcher image names its worker image (Dockerfile.launcher), so a launch needs no
    # sdk_container_image parameter; an explicit one wins.
    worker_image = os.environ.get("XLMR_WORKER_IMAGE")
    if on_dataflow and worker_image and not options.get("sdk_container_image"):
        flags.append(f"--sdk_container_image={worker_image}")
    run(flags, wait=not on_dataflow)
    return 0


if __name__ == "__main__":
    sys.exit(main())
