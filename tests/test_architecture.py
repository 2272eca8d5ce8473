"""metrics/ is a UI-free library: it never imports streamlit, plotly or dashboard."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

METRICS = Path(__file__).resolve().parent.parent / "metrics"
FORBIDDEN = ("streamlit", "plotly", "dashboard")


def test_no_ui_imports_in_metrics_source() -> None:
    offenders = []
    for path in METRICS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for n in names:
                if n.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.relative_to(METRICS.parent)}: {n}")
    assert offenders == []


def test_importing_every_metrics_module_loads_no_ui_package() -> None:
    modules = sorted(
        ".".join(p.relative_to(METRICS.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in METRICS.rglob("*.py") if "migrations" not in p.parts)
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
