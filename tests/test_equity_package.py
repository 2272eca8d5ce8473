"""metrics/equity is one package with one public surface: nothing outside it imports its
private modules (``_engine``, ``_gap``, ``_decompose``)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "metrics" / "equity"


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_no_module_outside_the_package_imports_its_private_modules() -> None:
    private = {f"metrics.equity.{p.stem}" for p in PACKAGE.glob("_*.py") if p.stem != "__init__"}
    assert private == {"metrics.equity._engine", "metrics.equity._gap",
                       "metrics.equity._decompose"}
    offenders = []
    for folder in ("metrics", "dashboard", "tests", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            if PACKAGE in path.parents:
                continue
            if _imports(path) & private:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_old_module_paths_are_gone() -> None:
    for old in ("equity.py", "equity_review.py", "_equity_engine.py", "_equity_gap.py",
                "_equity_decompose.py"):
        assert not (ROOT / "metrics" / old).exists(), old
