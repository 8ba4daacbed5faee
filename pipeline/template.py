"""The Dataflow Flex Template's entry point: template parameters -> `xlmr-corpus` flags.

Flex Templates pass every parameter as `--name=value`: lists arrive
comma-separated in one value and booleans as true/false, so those are turned
into what the flags expect. Under DataflowRunner the job is submitted and not
waited for (the launcher VM must exit once the job exists); under any other
runner (the local check of the template) it runs to the end.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions, WorkerOptions

from xlmr.common import argtypes

from . import options
from .filters.perplexity import BUCKETS
from .job import run

# A template always runs on Dataflow: the Spark engine's flags are not offered.
SPARK_ONLY = ("engine", "spark_master", "conf")
REQUIRED = ("output",)

# What the Dataflow console checks before launching, as one value's pattern (a list flag
# takes them comma-separated); the flags' own types check the rest.
_SECONDS = r"[0-9]+(\.[0-9]+)?"
_BUCKET = "|".join(BUCKETS)
TYPE_PATTERNS = {
    argtypes.positive_int: r"[1-9][0-9]*",
    argtypes.non_negative_int: r"[0-9]+",
    options.open_fraction: r"0?\.[0-9]+",
    options.probability: r"(0|0?\.[0-9]+)",
    options.seconds: _SECONDS,
    options.positive_seconds: _SECONDS,
    options.lm_buckets: rf"(off|({_BUCKET})(,({_BUCKET}))*)",
}
# Flags that take any string: on Dataflow, files are on GCS (inputs may be http too).
_GCS = r"gs://.+"
STRING_PATTERNS = {
    "input": r"(gs|https?)://[^,]+",
    "crawl": r"CC-MAIN-[0-9]{4}-[0-9]{2}",
    "output": _GCS,
    "quality_thresholds": _GCS,
    "url_blocklist": _GCS,
    "lid_model": _GCS,
    "lm_models": _GCS,
    "lm_cutoffs": _GCS,
    "dedup_against": _GCS,
    "languages": r"[a-z0-9_-]+",
}


def template_flags() -> list[argparse.Action]:
    """The flags the template offers as parameters: every CorpusOptions flag but the Spark engine's."""
    return [action for action in options.corpus_flags() if action.dest not in SPARK_ONLY]


def _is_list(action: argparse.Action) -> bool:
    return action.nargs in ("+", "*")


def _is_switch(action: argparse.Action) -> bool:
    return action.nargs == 0 and action.const is True  # store_true: the template passes true/false


def parameter_regex(action: argparse.Action) -> str:
    """The parameter's regex, from the flag: its choices, else its type, else STRING_PATTERNS."""
    if _is_switch(action):
        pattern = "(true|false)"
    elif action.choices:
        pattern = "(" + "|".join(re.escape(str(choice)) for choice in action.choices) + ")"
    elif action.type is not None:
        if action.type not in TYPE_PATTERNS:
            raise KeyError(f"--{action.dest}: its type has no template regex: add it to TYPE_PATTERNS")
        pattern = TYPE_PATTERNS[action.type]
    elif action.dest in STRING_PATTERNS:
        pattern = STRING_PATTERNS[action.dest]
    else:
        raise KeyError(f"--{action.dest} takes any string: add its template regex to STRING_PATTERNS")
    return f"^{pattern}(,{pattern})*$" if _is_list(action) else f"^{pattern}$"


def regexes() -> dict[str, str]:
    """Each template parameter's regex, by name."""
    return {action.dest: parameter_regex(action) for action in template_flags()}


LIST_PARAMETERS = tuple(action.dest for action in template_flags() if _is_list(action))
BOOLEAN_PARAMETERS = tuple(action.dest for action in template_flags() if _is_switch(action))


def metadata() -> dict:
    """metadata.json of the Flex Template, one parameter per CorpusOptions flag."""
    parameters = []
    for action in template_flags():
        help_text = argtypes.help_text(action)
        if _is_list(action):
            help_text += " Several values: comma-separated."
        parameters.append({
            "name": action.dest,
            "label": action.dest.replace("_", " ").capitalize(),
            "helpText": help_text,
            "isOptional": action.dest not in REQUIRED,
            "regexes": [parameter_regex(action)],
        })
    return {
        "name": "xlmr-corpus",
        "description": "CC-100-style corpus from CommonCrawl WARC/WET files: trafilatura or resiliparse extraction, "
                       "text repair, "
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
    launch = PipelineOptions(flags)
    on_dataflow = "Dataflow" in (launch.view_as(StandardOptions).runner or "")
    # The launcher image names its worker image (Dockerfile.launcher), so a launch needs no
    # sdk_container_image parameter; an explicit one wins.
    worker_image = os.environ.get("XLMR_WORKER_IMAGE")
    if on_dataflow and worker_image and not launch.view_as(WorkerOptions).sdk_container_image:
        flags.append(f"--sdk_container_image={worker_image}")
    result = run(flags, wait=not on_dataflow)
    if "launched" in result:  # the launcher's log: what was created
        logging.info("xlmr-corpus: launched %s", json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
