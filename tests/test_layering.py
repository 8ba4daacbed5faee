"""Imports point one way, in every module of every sub-package.

Packages: common <- pipeline, tokenizer, trainer <- evaluation. Inside the pipeline:
the concept rooms (readers, extractors, formatters, filters, dedup, writers, stats and
the shared stage/records/progress modules) import no engine and nothing of the job above
them; each engine imports only its own framework and not the other engine; job.py
assembles, cli.py and template.py call it. apache_beam is imported only by the Beam engine,
the options and the template; pyspark only by the Spark engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What each package may import besides itself.
ALLOWED = {
    "common": set(),
    "pipeline": {"common"},
    "tokenizer": {"common"},
    "trainer": {"common"},
    "evaluation": {"common", "trainer"},
}
ROOMS = ("readers", "extractors", "formatters", "filters", "dedup", "writers", "stats")
SHARED = ("stage", "records", "progress")  # pipeline modules every room may use
TOP = ("job", "cli", "template", "options", "__main__")  # the job's assembly and its entry points
BEAM_HOMES = ("pipeline/engines/beam/", "pipeline/options.py", "pipeline/template.py")
SPARK_HOMES = ("pipeline/engines/spark/",)


def imported_modules(path: Path) -> set[str]:
    """Absolute names of what a module imports (top-level and function-level imports alike): relative
    imports resolved, and `from a import b` counted as importing a and a.b (b may be a module)."""
    package = ["xlmr", *path.relative_to(ROOT).parent.parts]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            parts = package[:len(package) + 1 - node.level] if node.level else []
            base = ".".join(parts + ([node.module] if node.module else []))
            names |= {base} | {f"{base}.{a.name}" for a in node.names}
    return names


def modules(package: str) -> dict[str, set[str]]:
    """Every module under `package` (sub-packages too), by path relative to the repository: its imports."""
    return {path.relative_to(ROOT).as_posix(): imported_modules(path)
            for path in sorted((ROOT / package).rglob("*.py"))}


PIPELINE = modules("pipeline")


def test_every_module_is_seen():
    """The walk reaches the sub-packages (a one-level glob would miss them)."""
    assert {_part_of(path) for path in PIPELINE} >= {*ROOMS, *SHARED, *TOP, "engines.beam", "engines.spark"}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package):
    for module, imports in modules(package).items():
        stray = {m.split(".")[1] for m in imports if m.startswith("xlmr.")} - ALLOWED[package] - {package}
        assert not stray, f"{module} imports xlmr.{', xlmr.'.join(sorted(stray))}"


def _pipeline_part(name: str) -> str | None:
    """xlmr.pipeline.<part>... -> part (engines.beam / engines.spark count as their own parts)."""
    parts = name.split(".")
    if parts[:2] != ["xlmr", "pipeline"] or len(parts) < 3:
        return None
    return ".".join(parts[2:4]) if parts[2] == "engines" and len(parts) > 3 else parts[2]


def _part_of(path: str) -> str:
    parts = Path(path).with_suffix("").parts[1:]
    return ".".join(parts[:2]) if parts[0] == "engines" and len(parts) > 2 else parts[0]


@pytest.mark.parametrize("path", [p for p in PIPELINE if _part_of(p) in (*ROOMS, *SHARED)])
def test_rooms_import_no_engine_and_nothing_above_them(path):
    used = {_pipeline_part(m) for m in PIPELINE[path]} - {None}
    above = {p for p in used if p.startswith("engines") or p in TOP}
    assert not above, f"{path} imports xlmr.pipeline.{', '.join(sorted(above))}"


@pytest.mark.parametrize("engine, other", [("engines.beam", "engines.spark"), ("engines.spark", "engines.beam")])
def test_engines_do_not_import_each_other_or_the_job(engine, other):
    for path, imports in PIPELINE.items():
        if _part_of(path) == engine:
            used = {_pipeline_part(m) for m in imports}
            assert not used & {other, "job", "cli", "template"}, f"{path} imports {used & {other, 'job'}}"


@pytest.mark.parametrize("framework, homes", [("apache_beam", BEAM_HOMES), ("pyspark", SPARK_HOMES)])
def test_frameworks_are_imported_only_by_their_engine(framework, homes):
    importers = [path for package in ALLOWED for path, imports in modules(package).items()
                 if any(m == framework or m.startswith(framework + ".") for m in imports)]
    assert importers, f"nothing imports {framework}: the test looks for the wrong name"
    stray = [path for path in importers if not path.startswith(homes)]
    assert not stray, f"{framework} imported outside {homes}: {stray}"


def test_only_the_trainer_cli_imports_the_training_loop():
    """Evaluation and the trainer's own modules use its parts (loading, distributed, errors), never the loop."""
    importers = sorted(path for package in ALLOWED for path, imports in modules(package).items()
                       if "xlmr.trainer.train" in imports)
    assert importers == ["trainer/cli.py"]
