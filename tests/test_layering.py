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


def imported_packages(folder: Path) -> dict[str, set[str]]:
    """xlmr packages imported by each module of `folder` (top-level and function-level imports alike)."""
    found = {}
    for path in folder.glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            names |= {m.split(".")[1] for m in modules if m.startswith("xlmr.") and m.count(".") >= 1}
        found[path.name] = names
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package):
    for module, packages in imported_packages(ROOT / package).items():
        stray = packages - ALLOWED[package] - {package}
        assert not stray, f"{package}/{module} imports xlmr.{', xlmr.'.join(sorted(stray))}"

