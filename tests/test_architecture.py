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
        for p in METRICS.rglob("*.py") if "migrations" not in p.parts and p.name != "__main__.py")
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- the import graph of the project -------------------------------------------------------

ROOT = METRICS.parent
PROJECT_PACKAGES = ("metrics", "dashboard")

#: Modules exempt from the cycle and private-import rules (none: every module obeys them).
EQUITY_MODULES_PENDING_PACKAGE: tuple[str, ...] = ()


def _project_modules() -> dict[str, Path]:
    modules = {}
    for package in PROJECT_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            modules[name] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import of a project module in
    ``path``, wherever it is written (top level, function body or TYPE_CHECKING block)."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".")
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join(parts[:keep] + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in modules:
                    found.append((sub, [], node.lineno))
                else:
                    found.append((base, [alias.name], node.lineno))
    return [(m, names, line) for m, names, line in found if m in modules]


def _graph() -> tuple[dict[str, Path], dict[str, set[str]]]:
    modules = _project_modules()
    edges = {m: {target for target, _n, _l in _imports(m, p, modules) if target != m}
             for m, p in modules.items()}
    return modules, edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _package_of(module: str, modules: dict[str, Path]) -> str:
    return module if modules[module].name == "__init__.py" else module.rpartition(".")[0]


def _private_import_violations(modules: dict[str, Path]) -> list[str]:
    """Imports of a private module, or of a private name, from outside the package owning it."""
    bad = []
    for name, path in modules.items():
        here = _package_of(name, modules)
        for target, names, line in _imports(name, path, modules):
            if name in EQUITY_MODULES_PENDING_PACKAGE or target in EQUITY_MODULES_PENDING_PACKAGE:
                continue
            owner = _package_of(target, modules)
            inside = here == owner or here.startswith(owner + ".")
            where = f"{path.relative_to(ROOT)}:{line}"
            parts = target.split(".")
            for i, part in enumerate(parts):
                if _private(part):
                    package = ".".join(parts[:i])
                    if not (here == package or here.startswith(package + ".")):
                        bad.append(f"{where} imports the private module {target}")
                    break
            else:
                bad += [f"{where} imports the private name {n} of {target}"
                        for n in names if _private(n) and not inside]
    return bad


def test_no_import_cycle_between_project_modules() -> None:
    _modules, edges = _graph()
    pending = set(EQUITY_MODULES_PENDING_PACKAGE)
    edges = {m: {t for t in targets if t not in pending}
             for m, targets in edges.items() if m not in pending}
    assert _cycles(edges) == []


def test_no_private_module_or_name_imported_from_another_package() -> None:
    assert _private_import_violations(_project_modules()) == []


def test_the_checks_see_cycles_and_private_imports(tmp_path: Path) -> None:
    """The two rules above fail on the faults they are for (a sanity check of the checker)."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    pkg = tmp_path / "pkg"
    (pkg / "inner").mkdir(parents=True)
    for rel, text in {"__init__.py": "", "inner/__init__.py": "", "inner/_hidden.py": "_x = 1\n",
                      "inner/ok.py": "from pkg.inner._hidden import _x\n",
                      "outside.py": "from pkg.inner import _hidden\nfrom pkg.inner.ok import _x\n"
                      }.items():
        (pkg / rel).write_text(text)
    modules = {"pkg": pkg / "__init__.py", "pkg.inner": pkg / "inner/__init__.py",
               "pkg.inner._hidden": pkg / "inner/_hidden.py", "pkg.inner.ok": pkg / "inner/ok.py",
               "pkg.outside": pkg / "outside.py"}
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        bad = _private_import_violations(modules)
    finally:
        ROOT = saved
    assert bad == ["pkg/outside.py:1 imports the private module pkg.inner._hidden",
                   "pkg/outside.py:2 imports the private name _x of pkg.inner.ok"]
