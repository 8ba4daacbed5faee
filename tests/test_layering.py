"""The packages depend one way: common <- pipeline, tokenizer, trainer <- evaluation."""

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


def imported_packages(folder: Path) -> dict[str, set[str]]:
    """xlmr packages imported by each module of `folder`."""
    return {path.name: {m.split(".")[1] for m in imported_modules(path) if m.startswith("xlmr.")}
            for path in folder.glob("*.py")}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package):
    for module, packages in imported_packages(ROOT / package).items():
        stray = packages - ALLOWED[package] - {package}
        assert not stray, f"{package}/{module} imports xlmr.{', xlmr.'.join(sorted(stray))}"


def test_only_the_trainer_cli_imports_the_training_loop():
    """Evaluation and the trainer's own modules use its parts (loading, distributed, errors), never the loop."""
    importers = sorted(str(path.relative_to(ROOT)) for package in ALLOWED for path in (ROOT / package).rglob("*.py")
                       if "xlmr.trainer.train" in imported_modules(path))
    assert importers == ["trainer/cli.py"]
