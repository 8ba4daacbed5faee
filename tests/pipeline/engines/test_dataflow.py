"""The job as Dataflow would receive it, with no cloud account: Beam's own DataflowRunner translates and
stages it against a GCS-protocol server on loopback (tests/gcs_peers.py), as a classic template, as a dry
run, and through the Flex Template's entry point. What only a real project shows (quotas, IAM, workers
starting, the job running) is out of reach here; docs/dataflow.md says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from apache_beam.internal import pickler
from apache_beam.portability.api import beam_runner_api_pb2

from gcs_peers import GcsPeers
from helpers import SAMPLE_WET
from xlmr.pipeline.cli import main
from xlmr.pipeline.engines.beam.stage_dofn import StageDoFn

pytestmark = pytest.mark.slow
IMAGE = "us-docker.pkg.dev/xlmr-tests/xlmr/worker:1"
PARDO = "beam:transform:pardo:v1"
# Every stage of the default recipe, both dedups among them, and the writer.
STAGES = ("ReadRecords", "ExtractText", "RepairText", "FilterQuality", "BandKeys", "SmallestInBucket",
          "SmallestPerHash", "DecideDuplicates", "FilterMinChars", "IdentifyLanguage", "TallyCrawls",
          "WriteCorpus")


@pytest.fixture(scope="module")
def gcs():
    with GcsPeers() as peers, pytest.MonkeyPatch.context() as env:
        for name, value in peers.env.items():
            env.setenv(name, value)
        peers.client().bucket(peers.bucket).blob("input/wet.warc.wet.gz").upload_from_filename(str(SAMPLE_WET))
        yield peers


def dataflow_flags(bucket: str, *extra: str) -> list[str]:
    g = f"gs://{bucket}"
    return ["--runner", "DataflowRunner", "--project", "xlmr-tests", "--region", "us-central1",
            "--temp_location", f"{g}/tmp", "--staging_location", f"{g}/staging", "--input", f"{g}/input/*.gz",
            *extra]


def blobs(gcs, prefix: str) -> dict[str, bytes]:
    return {b.name: b.download_as_bytes() for b in gcs.client().list_blobs(gcs.bucket, prefix=prefix)}


def staged_pipeline(gcs, staging: str) -> beam_runner_api_pb2.Pipeline:
    (pb,) = [data for name, data in blobs(gcs, staging).items() if name.endswith("/pipeline.pb")]
    return beam_runner_api_pb2.Pipeline.FromString(pb)


def stage_of(pipeline: beam_runner_api_pb2.Pipeline, name: str):
    """The Stage inside the DoFn that Dataflow's workers would unpickle for transform `name`."""
    (transform,) = [t for t in pipeline.components.transforms.values() if t.spec.urn == PARDO
                    and name in t.unique_name.split("/")]
    payload = beam_runner_api_pb2.ParDoPayload.FromString(transform.spec.payload)
    fn = pickler.loads(payload.do_fn.payload)[0]
    assert isinstance(fn, StageDoFn)
    return fn.stage


def test_a_classic_template_holds_every_stage_the_image_and_the_options(gcs, capsys):
    g = f"gs://{gcs.bucket}"
    assert main(dataflow_flags(gcs.bucket, "--output", f"{g}/out", "--sdk_container_image", IMAGE,
                               "--template_location", f"{g}/templates/job.json", "--quality", "tag",
                               "--extractor", "resiliparse", "--languages", "de", "fr")) == 0
    out = capsys.readouterr().out
    assert f"template: {g}/templates/job.json" in out and f"xlmr-corpus report {g}/out" in out

    template = json.loads(blobs(gcs, "templates/")["templates/job.json"])
    environment = template["environment"]
    assert "use_runner_v2" in environment["experiments"]
    assert environment["workerPools"][0]["workerHarnessContainerImage"] == IMAGE
    options = environment["sdkPipelineOptions"]["options"]  # what reaches the workers
    assert {k: options[k] for k in ("quality", "extractor", "languages", "output", "near_dup")} == {
        "quality": "tag", "extractor": "resiliparse", "languages": ["de", "fr"], "output": f"{g}/out",
        "near_dup": "on"}
    staged = {name.rsplit("/", 1)[1] for name in blobs(gcs, "staging/")}
    assert {"pipeline.pb", "pickled_main_session"} <= staged

    pipeline = staged_pipeline(gcs, "staging/")
    names = [t.unique_name for t in pipeline.components.transforms.values()]
    for stage in STAGES:
        assert any(stage in name for name in names), stage
    extract, quality = stage_of(pipeline, "ExtractText"), stage_of(pipeline, "FilterQuality")
    assert extract.extractor == "resiliparse" and quality.mode == "tag"
    assert not blobs(gcs, "out/")  # a template runs nothing now: the output is untouched


def test_a_dry_run_builds_the_job_and_stages_nothing(gcs, capsys):
    g = f"gs://{gcs.bucket}"
    before = set(blobs(gcs, ""))
    assert main(dataflow_flags(gcs.bucket, "--output", f"{g}/dry", "--dry_run=True", "--recipe", "cc100")) == 0
    assert "dry run: the Dataflow job was built and checked" in capsys.readouterr().out
    assert set(blobs(gcs, "")) == before


def test_the_flex_template_entry_point_builds_the_job_from_its_parameters(gcs, monkeypatch):
    """Parameters as the Flex Template launcher passes them (lists comma-separated, switches true/false), the
    worker image from the launcher image's environment: the classic template it writes shows the job."""
    from xlmr.pipeline import template

    g = f"gs://{gcs.bucket}"
    monkeypatch.setenv("XLMR_WORKER_IMAGE", IMAGE)
    assert template.main([f"--{a}" if not a.startswith("--") else a for a in [
        "--runner=DataflowRunner", "--project=xlmr-tests", "--region=us-central1", f"--temp_location={g}/tmp",
        f"--staging_location={g}/flex-staging", f"--input={g}/input/wet.warc.wet.gz,{g}/input/*.gz",
        f"--output={g}/flex-out", "--languages=de,fr", "--overwrite=false", "--quality=filter",
        f"--template_location={g}/templates/flex.json"]]) == 0
    environment = json.loads(blobs(gcs, "templates/")["templates/flex.json"])["environment"]
    assert environment["workerPools"][0]["workerHarnessContainerImage"] == IMAGE
    options = environment["sdkPipelineOptions"]["options"]
    assert options["input"] == [f"{g}/input/wet.warc.wet.gz", f"{g}/input/*.gz"]
    assert options["languages"] == ["de", "fr"] and options["quality"] == "filter" and not options["overwrite"]
    names = [t.unique_name for t in staged_pipeline(gcs, "flex-staging/").components.transforms.values()]
    assert all(any(stage in name for name in names) for stage in STAGES)
    assert os.environ["XLMR_WORKER_IMAGE"] == IMAGE


def test_an_emulator_without_credentials_connects_anonymously_at_once(gcs, tmp_path):
    """No metadata server and no credentials (a user's emulator): the template is built in seconds with no
    traceback, not after Beam's ~20 s of credential retries. In a child: Beam caches credentials per process."""
    g = f"gs://{gcs.bucket}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GCE_METADATA")}
    env["HOME"] = str(tmp_path)  # no gcloud credentials either
    started = time.monotonic()
    child = subprocess.run([sys.executable, "-m", "xlmr.pipeline", *dataflow_flags(
        gcs.bucket, "--output", f"{g}/anonymous", "--template_location", f"{g}/templates/anonymous.json")],
        env=env, capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr[-3000:]
    assert "Traceback" not in child.stderr and "Retry with exponential backoff" not in child.stderr
    assert time.monotonic() - started < 15
    assert "templates/anonymous.json" in blobs(gcs, "templates/")
