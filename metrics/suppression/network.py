"""Intervals by maximum flow, and the search for complementary suppressions.

See :mod:`.model` for the network form of a table. Capacities of an edge ``tail -> head``
are ``hi`` (forward: ``z`` may grow by ``hi``) and ``-lo`` (backward); for a cell with
true value ``x`` and a-priori bound ``ub``, ``hi = ub - x`` and ``lo = -x`` when
``s = +1``, ``hi = x`` and ``lo = x - ub`` when ``s = -1``.

Complementary suppression is a shortest-path heuristic for two-way tables (in the spirit
of Castro's and of Kelly, Golden and Assad's network heuristics): each hidden cell whose
interval is too narrow gets the cheapest cycle of cells (already-hidden cells and slacks
cost nothing, a published cell costs ``value + 1``) that lets it move by the missing
width; a cycle alone already proves the width, so every step is certified. The result is
deterministic: hidden cells are visited smallest first (then row-major), newly hidden
cells after them, and ties are broken by node and edge order. If no cycle exists (a-priori bounds too tight), the cell's whole row and column
are hidden, then the whole table.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .model import BoolArray, FloatArray, TableModel

__all__ = ["Network", "protect"]

INF = float("inf")
_EPS = 1e-9

Cell = tuple[int, int]


@dataclass
class Network:
    """The edges of a table's network and the capacities of its hidden part."""

    model: TableModel
    tail: list[int] = field(default_factory=list)
    head: list[int] = field(default_factory=list)
    fwd: list[float] = field(default_factory=list)
    bwd: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    cell: list[Cell | None] = field(default_factory=list)
    edge_of: dict[Cell, int] = field(default_factory=dict)
    n_nodes: int = 0
    _adj: list[list[tuple[int, int, bool]]] | None = None

    @classmethod
    def of(cls, model: TableModel, cost: FloatArray | None = None) -> Network:
        """Build the network; ``cost`` (full-table shape) defaults to ``value + 1``."""
        net = cls(model)
        n_r, n_c = model.shape
        ground = n_r + n_c
        net.n_nodes = ground + 1
        last_i, last_j = n_r - 1, n_c - 1
        row_node = [i if model.row_kind[i] != "none" else ground for i in range(n_r)]
        col_node = [n_r + j if model.col_kind[j] != "none" else ground for j in range(n_c)]
        vals, up = model.values, model.upper
        costs = vals + 1.0 if cost is None else np.asarray(cost, dtype=np.float64)
        for i in range(n_r):
            for j in range(n_c):
                x = float(vals[i, j])
                if np.isnan(x):
                    continue
                ub = float(up[i, j])
                if model.sign(i, j) > 0:
                    hi, lo_cap = ub - x, x
                else:
                    hi, lo_cap = x, ub - x
                net.edge_of[(i, j)] = len(net.tail)
                net._add(row_node[i], col_node[j], hi, lo_cap, float(costs[i, j]), (i, j))
        for i in range(n_r):
            if model.row_kind[i] == "le":
                s = float(model.row_slack[i])
                net._add(row_node[i], ground, INF if i < last_i else s, s if i < last_i else INF, 0.0, None)
        for j in range(n_c):
            if model.col_kind[j] == "le":
                s = float(model.col_slack[j])
                net._add(ground, col_node[j], INF if j < last_j else s, s if j < last_j else INF, 0.0, None)
        return net

    def _add(self, tail: int, head: int, fwd: float, bwd: float, cost: float, cell: Cell | None) -> None:
        self.tail.append(tail)
        self.head.append(head)
        self.fwd.append(max(fwd, 0.0))
        self.bwd.append(max(bwd, 0.0))
        self.cost.append(cost)
        self.cell.append(cell)

    # -- capacities of the hidden part -----------------------------------------------
    def capacities(self, hidden: BoolArray) -> tuple[FloatArray, NDArray[np.int64]]:
        """Finite capacity sums and counts of infinite capacities, node by node."""
        fin = np.zeros((self.n_nodes, self.n_nodes))
        ninf = np.zeros((self.n_nodes, self.n_nodes), dtype=np.int64)
        for e, c in enumerate(self.cell):
            if c is None or hidden[c]:
                self._apply(fin, ninf, e, +1)
        return fin, ninf

    def _apply(self, fin: FloatArray, ninf: NDArray[np.int64], e: int, sgn: int) -> None:
        t, h = self.tail[e], self.head[e]
        if t == h:
            return
        for a, b, cap in ((t, h, self.fwd[e]), (h, t, self.bwd[e])):
            if cap == INF:
                ninf[a, b] += sgn
            else:
                fin[a, b] += sgn * cap

    def moves(self, fin: FloatArray, ninf: NDArray[np.int64], e: int, limit: float = INF) -> tuple[float, float]:
        """How far edge ``e``'s ``z`` can rise (``up``) and fall (``down``), each capped at ``limit``.

        ``fin``/``ninf`` are the capacities of the hidden part, edge ``e`` included.
        """
        t, h = self.tail[e], self.head[e]
        if t == h:
            return min(self.fwd[e], limit), min(self.bwd[e], limit)
        self._apply(fin, ninf, e, -1)
        try:
            cap = np.where(ninf > 0, INF, np.maximum(fin, 0.0))
            up = _max_flow(cap.tolist(), h, t, min(self.fwd[e], limit))
            down = _max_flow(cap.tolist(), t, h, min(self.bwd[e], limit))
        finally:
            self._apply(fin, ninf, e, +1)
        return up, down

    def interval(self, fin: FloatArray, ninf: NDArray[np.int64], c: Cell) -> tuple[float, float]:
        """Exact ``(low, high)`` of hidden cell ``c``."""
        up, down = self.moves(fin, ninf, self.edge_of[c])
        x = float(self.model.values[c])
        if self.model.sign(*c) > 0:
            return x - down, x + up
        return x - up, x + down

    # -- cheapest cycles ---------------------------------------------------------------
    def path(self, start: int, goal: int, need: float, skip: int, hidden: BoolArray) -> list[int] | None:
        """Cheapest path ``start -> goal`` whose every step can carry ``need`` (edge ids)."""
        if start == goal:
            return []
        adj = self._adjacency()
        dist = [INF] * self.n_nodes
        prev: list[tuple[int, int] | None] = [None] * self.n_nodes
        dist[start] = 0.0
        heap: list[tuple[float, int]] = [(0.0, start)]
        floor = need - _EPS * max(1.0, need)
        while heap:
            d, u = heapq.heappop(heap)
            if d > dist[u]:
                continue
            if u == goal:
                break
            for e, v, forward in adj[u]:
                if e == skip or (self.fwd[e] if forward else self.bwd[e]) < floor:
                    continue
                c = self.cell[e]
                nd = d + (0.0 if c is None or hidden[c] else self.cost[e])
                if nd < dist[v]:
                    dist[v] = nd
                    prev[v] = (u, e)
                    heapq.heappush(heap, (nd, v))
        if dist[goal] == INF:
            return None
        edges: list[int] = []
        v = goal
        while v != start:
            step = prev[v]
            assert step is not None
            v, e = step
            edges.append(e)
        return edges

    def _adjacency(self) -> list[list[tuple[int, int, bool]]]:
        if self._adj is None:
            adj: list[list[tuple[int, int, bool]]] = [[] for _ in range(self.n_nodes)]
            for e in range(len(self.tail)):
                t, h = self.tail[e], self.head[e]
                if t != h:
                    adj[t].append((e, h, True))
                    adj[h].append((e, t, False))
            self._adj = adj
        return self._adj

    def path_cost(self, edges: list[int], hidden: BoolArray) -> float:
        """Cost of the published cells on a path."""
        return sum(self.cost[e] for e in edges if (c := self.cell[e]) is not None and not hidden[c])


def _max_flow(cap: list[list[float]], s: int, t: int, limit: float) -> float:
    """Edmonds-Karp on a small dense residual matrix (modified in place), up to ``limit``."""
    if s == t:
        return limit
    n = len(cap)
    flow = 0.0
    while flow < limit:
        parent = [-1] * n
        parent[s] = s
        queue = [s]
        found = False
        for u in queue:
            row = cap[u]
            for v in range(n):
                if parent[v] < 0 and row[v] > _EPS:
                    parent[v] = u
                    if v == t:
                        found = True
                        break
                    queue.append(v)
            if found:
                break
        if not found:
            break
        push = limit - flow
        v = t
        while v != s:
            u = parent[v]
            push = min(push, cap[u][v])
            v = u
        if push == INF:
            return INF
        v = t
        while v != s:
            u = parent[v]
            cap[u][v] -= push
            cap[v][u] += push
            v = u
        flow += push
    return flow


def protect(
    model: TableModel,
    hidden: BoolArray,
    band: float,
    *,
    cost: FloatArray | None = None,
    recheck: list[Cell] | None = None,
) -> tuple[BoolArray, list[Cell]]:
    """Hide more cells until every hidden cell's interval reaches its required width.

    Args:
        model: the table.
        hidden: cells already hidden (primary suppressions, full-table shape).
        band: the protection band.
        cost: cost of hiding each cell (default ``value + 1``).
        recheck: cells to escalate at once (their row and column are hidden); used when
            an independent audit disagreed.

    Returns:
        The new mask, and the cells that could not be protected even with the whole table
        hidden (empty in practice).
    """
    net = Network.of(model, cost)
    mask = np.array(hidden, dtype=bool) & model.present
    required = model.required(band)
    fin, ninf = net.capacities(mask)
    n_r, n_c = model.shape
    vals = model.values
    pending: deque[Cell] = deque(sorted((c for c in net.edge_of if mask[c]), key=lambda c: (vals[c], c)))
    queued = set(pending)
    stage: dict[Cell, int] = {}
    unprotected: list[Cell] = []

    def hide(cells: list[Cell]) -> None:
        for a in sorted(set(cells)):
            if not mask[a]:
                mask[a] = True
                net._apply(fin, ninf, net.edge_of[a], +1)
                if a not in queued:
                    pending.append(a)
                    queued.add(a)

    def escalate(c: Cell) -> bool:
        stage[c] = stage.get(c, 0) + 1
        i, j = c
        if stage[c] == 1:
            line = [(i, jj) for jj in range(n_c)] + [(ii, j) for ii in range(n_r)]
            new = [a for a in line if a in net.edge_of and not mask[a]]
            if new:
                hide(new)
                return True
        new = [a for a in net.edge_of if not mask[a]]
        hide(new)
        return bool(new)

    for c in recheck or []:
        escalate(c)
    while pending:
        c = pending.popleft()
        queued.discard(c)
        need = float(required[c])
        e = net.edge_of[c]
        up, down = net.moves(fin, ninf, e, need)
        if up + down >= need - _EPS * max(1.0, need):
            continue
        new = _plan(net, mask, e, up, down, need)
        if new:
            hide(new)
        elif not escalate(c):
            unprotected.append(c)
            continue
        pending.appendleft(c)
        queued.add(c)
    return mask, unprotected


def _plan(net: Network, mask: BoolArray, e: int, up: float, down: float, need: float) -> list[Cell]:
    """Published cells to hide so that edge ``e`` can move by ``need`` in total."""
    t, h = net.tail[e], net.head[e]
    tol = _EPS * max(1.0, need)
    options: list[tuple[float, int, list[int]]] = []
    need_up, need_down = need - down, need - up
    if net.fwd[e] >= need_up - tol:
        p = net.path(h, t, need_up, e, mask)
        if p is not None:
            options.append((net.path_cost(p, mask), 0, p))
    if net.bwd[e] >= need_down - tol:
        p = net.path(t, h, need_down, e, mask)
        if p is not None:
            options.append((net.path_cost(p, mask), 1, p))
    chosen: list[int] | None = min(options)[2] if options else None
    if chosen is None:
        a = min(net.fwd[e], need)
        b = need - a
        if b <= net.bwd[e] + tol:
            p_up = net.path(h, t, a, e, mask) if a > tol else []
            p_down = net.path(t, h, b, e, mask) if b > tol else []
            if p_up is not None and p_down is not None:
                chosen = p_up + p_down
    if not chosen:
        return []
    return [c for x in chosen if (c := net.cell[x]) is not None and not mask[c]]
