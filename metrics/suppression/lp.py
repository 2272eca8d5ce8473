"""The attacker's linear programme, solved with scipy's HiGHS.

For every hidden cell, minimise and maximise it subject to every published value, every
line constraint of :mod:`.model` (row sums, column sums, the grand total; ``<=`` where a
line has a slack), non-negativity and the a-priori upper bounds. All ``2k`` programmes of
a table are solved in one call as a block-diagonal programme (the blocks are independent,
so the joint optimum is every block's optimum).

Unbounded maxima: every variable is capped at ``2S + 2`` where ``S`` bounds every finite
optimum (the constraint matrix is totally unimodular, so a vertex is a signed sum of
right-hand sides and bounds); a maximum above ``S`` therefore means "no upper bound" and
is reported as ``inf``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from .model import BoolArray, FloatArray, TableModel

__all__ = ["lp_intervals"]

Cell = tuple[int, int]


def _lines(model: TableModel) -> list[tuple[str, list[Cell], Cell]]:
    """Every constraining line as (kind, members, total)."""
    n_r, n_c = model.shape
    last_i, last_j = n_r - 1, n_c - 1
    out: list[tuple[str, list[Cell], Cell]] = []
    for i, kind in enumerate(model.row_kind):
        if kind != "none":
            out.append((kind, [(i, j) for j in range(last_j)], (i, last_j)))
    for j, kind in enumerate(model.col_kind):
        if kind != "none":
            out.append((kind, [(i, j) for i in range(last_i)], (last_i, j)))
    return out


def lp_intervals(model: TableModel, hidden: BoolArray) -> list[tuple[Cell, float, float]]:
    """``(cell, low, high)`` for every hidden cell that exists, in row-major order."""
    vals = model.values
    mask = np.asarray(hidden, dtype=bool) & model.present
    cells: list[Cell] = [(int(i), int(j)) for i, j in zip(*np.nonzero(mask), strict=True)]
    k = len(cells)
    if k == 0:
        return []
    index = {c: n for n, c in enumerate(cells)}
    eq_rows: list[tuple[dict[int, float], float]] = []
    ub_rows: list[tuple[dict[int, float], float]] = []
    for kind, members, total in _lines(model):
        coef: dict[int, float] = {}
        rhs = 0.0
        for cell, a in [(m, 1.0) for m in members] + [(total, -1.0)]:
            if np.isnan(vals[cell]):
                continue
            if cell in index:
                coef[index[cell]] = a
            else:
                rhs -= a * float(vals[cell])
        if coef:
            (eq_rows if kind == "eq" else ub_rows).append((coef, rhs))

    scale = model.scale()
    cap = 2.0 * scale + 2.0
    upper = np.array([min(float(model.upper[c]), cap) for c in cells])
    lows, highs = _solve(eq_rows, ub_rows, upper, k)
    result = []
    for n, c in enumerate(cells):
        high = float("inf") if highs[n] > scale + 0.5 else _snap(highs[n])
        result.append((c, max(_snap(lows[n]), 0.0), high))
    return result


def _components(rows: list[tuple[dict[int, float], float]], k: int) -> list[list[int]]:
    """Groups of variables linked by shared constraints (union-find)."""
    parent = list(range(k))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for coef, _ in rows:
        first, *rest = coef
        for other in rest:
            ra, rb = find(first), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for v in range(k):
        groups.setdefault(find(v), []).append(v)
    return list(groups.values())


def _solve(
    eq_rows: list[tuple[dict[int, float], float]],
    ub_rows: list[tuple[dict[int, float], float]],
    upper: FloatArray,
    k: int,
) -> tuple[FloatArray, FloatArray]:
    """Minimum and maximum of every variable, all in one block-diagonal call.

    Variables that share no constraint are independent, so each block holds only the
    component of its target variable.
    """
    comps = _components(eq_rows + ub_rows, k)
    comp_of = np.empty(k, dtype=np.int64)
    local = np.empty(k, dtype=np.int64)
    for n, comp in enumerate(comps):
        comp_of[comp] = n
        local[comp] = np.arange(len(comp))

    def split(rows: list[tuple[dict[int, float], float]]) -> list[list[tuple[dict[int, float], float]]]:
        out: list[list[tuple[dict[int, float], float]]] = [[] for _ in comps]
        for coef, rhs in rows:
            out[int(comp_of[next(iter(coef))])].append(({int(local[v]): a for v, a in coef.items()}, rhs))
        return out

    eq_by, ub_by = split(eq_rows), split(ub_rows)
    blocks_eq: list[sparse.csr_matrix] = []
    blocks_ub: list[sparse.csr_matrix] = []
    rhs_eq: list[FloatArray] = []
    rhs_ub: list[FloatArray] = []
    objective: list[FloatArray] = []
    bounds_hi: list[FloatArray] = []
    where: list[np.ndarray] = []
    order: list[int] = []
    offset = 0
    for n, comp in enumerate(comps):
        size = len(comp)
        copies = 2 * size
        eye = sparse.identity(copies, format="csr")
        for rows, blocks, rhs in ((eq_by[n], blocks_eq, rhs_eq), (ub_by[n], blocks_ub, rhs_ub)):
            a, b = _matrix(rows, size)
            if a is None or b is None:
                blocks.append(sparse.csr_matrix((0, copies * size)))
                rhs.append(np.zeros(0))
            else:
                blocks.append(sparse.kron(eye, a, format="csr"))
                rhs.append(np.tile(b, copies))
        obj = np.zeros((copies, size))
        obj[np.arange(0, copies, 2), np.arange(size)] = 1.0
        obj[np.arange(1, copies, 2), np.arange(size)] = -1.0
        objective.append(obj.ravel())
        bounds_hi.append(np.tile(upper[comp], copies))
        where.append(offset + np.arange(copies) * size + np.repeat(np.arange(size), 2))
        order.extend(comp)
        offset += copies * size
    a_eq_all = sparse.block_diag(blocks_eq, format="csr")
    a_ub_all = sparse.block_diag(blocks_ub, format="csr")
    has_eq, has_ub = a_eq_all.shape[0] > 0, a_ub_all.shape[0] > 0
    hi = np.concatenate(bounds_hi)
    res = linprog(
        np.concatenate(objective),
        A_ub=a_ub_all if has_ub else None,
        b_ub=np.concatenate(rhs_ub) if has_ub else None,
        A_eq=a_eq_all if has_eq else None,
        b_eq=np.concatenate(rhs_eq) if has_eq else None,
        bounds=np.column_stack([np.zeros(hi.size), hi]),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"attacker LP failed: {res.message}")
    at = res.x[np.concatenate(where)]
    lows, highs = np.empty(k), np.empty(k)
    lows[order] = at[0::2]
    highs[order] = at[1::2]
    return lows, highs


def _matrix(rows: list[tuple[dict[int, float], float]], k: int) -> tuple[sparse.csr_matrix | None, FloatArray | None]:
    if not rows:
        return None, None
    data, ri, ci = [], [], []
    for r, (coef, _) in enumerate(rows):
        for col, a in coef.items():
            ri.append(r)
            ci.append(col)
            data.append(a)
    mat = sparse.csr_matrix((data, (ri, ci)), shape=(len(rows), k))
    return mat, np.array([rhs for _, rhs in rows])


def _snap(x: float) -> float:
    r = round(x)
    return float(r) if abs(x - r) <= 1e-6 * max(1.0, abs(x)) else float(x)
