"""Statuses on the demo state, checked against the observations and targets they rest on.

Every number in every status sentence (statewide, each region and each group) is recomputed
here from the stored observations and targets.csv, independently of metrics.status; seasonal
KPIs judged on a 12-month level do not flip while that level stays on one side of a rule's
boundary (METHODS: "Status basis for seasonal or noisy series").
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from metrics.definitions import Kpi, Register
from metrics.demo.spec import AGG_KPIS
from metrics.engine import load_observations
from metrics.periods import display_label, parse_period
from metrics.scorecard import kpi_status, status_for
from metrics.workspace import Workspace
from tests.conftest import AS_OF

MONTHS = re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|"
                    r"November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b"
                    r"|\bQ[1-4] \d{4}\b|\bFY\d{4}\b|\b(?:12|3) months to\b|\bin \d{4}\b"
                    r"|\b(?:over|of) the latest 3 months\b|\b3 months to\b")
NUMBER = re.compile(r"\$?-?\d[\d,]*(?:\.\d+)?%?")


@pytest.fixture(scope="module")
def ws(demo_workspace: Path) -> Workspace:
    return Workspace.open(demo_workspace)


@pytest.fixture(scope="module")
def obs(ws: Workspace) -> pl.DataFrame:
    return load_observations(ws.engine)


def _months_back(end: date, k: int) -> list[str]:
    y, m, out = end.year, end.month, []
    for _ in range(k):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


def _level(kpi: Kpi, o: pl.DataFrame, period: str, region: str, group: str) -> float | None:
    """The value the KPI's status is judged on, recomputed from the observations."""
    cell = o.filter((pl.col("region") == region) & (pl.col("group") == group))
    k = {"rolling12": 12, "latest_quarter": 3}.get(kpi.status_basis)
    if not k:
        v = cell.filter(pl.col("period") == period).get_column("value")
        return v[0] if v.len() else None
    rows = cell.filter(pl.col("period").is_in(_months_back(parse_period(period).end, k)))
    if rows.height != k or rows["numerator"].null_count():
        return None
    if kpi.measure == "count":
        return rows["numerator"].sum() / k * kpi.multiplier
    return rows["numerator"].sum() / rows["denominator"].sum() * kpi.multiplier


def _line(b_date: date, base: float, t_date: date, final: float, on: date) -> float:
    if on <= b_date:
        return base
    if on >= t_date:
        return final
    return base + (final - base) * (on - b_date).days / (t_date - b_date).days


def _expected(register: Register, kpi: Kpi, o: pl.DataFrame, period: str, region: str,
              group: str) -> dict[str, float]:
    """Every figure a status sentence may state, recomputed from observations and targets."""
    state = register.target_for(kpi.kpi_id)
    own = register.target_for(kpi.kpi_id, region, group)
    t = own if own is not None else state
    out: dict[str, float] = {}
    value = _level(kpi, o, period, region, group)
    if value is not None:
        out["value"] = value
    if t is None or not t.agreed or t.baseline_date is None or t.target_value is None:
        return out
    assert t.target_date is not None and t.baseline_value is not None
    b_period = o.filter(pl.col("period_end") == t.baseline_date).get_column("period")[0]
    if (region, group) == ("all", "all") or own is not None:
        base = float(t.baseline_value)
    else:
        own_base = _level(kpi, o, b_period, region, group)
        if own_base is None:
            return out
        base = own_base
    out["baseline"] = base
    out["final_target"] = float(t.target_value)
    k = {"rolling12": 12, "latest_quarter": 3}.get(kpi.status_basis) if kpi.grain == "month" else None
    ends = ([parse_period(m).end for m in _months_back(parse_period(period).end, k)] if k
            else [parse_period(period, fiscal_start=kpi.fiscal_start).end])
    interim = sum(_line(t.baseline_date, base, t.target_date, float(t.target_value), d)
                  for d in ends) / len(ends)
    out["interim_target"] = interim
    sgn = 1 if kpi.direction == "higher" else -1
    if value is not None and sgn * (interim - base) > 1e-9 * max(abs(interim), abs(base), 1):
        out["progress_pct"] = 100 * sgn * (value - base) / (sgn * (interim - base))
    if kpi.grain == "month" and not k:  # a single month: checked against the latest three
        three = o.filter((pl.col("region") == region) & (pl.col("group") == group)
                         & pl.col("period").is_in(_months_back(parse_period(period).end, 3)))
        if three.height == 3 and kpi.measure not in ("proportion", "rate", "count"):
            vals = three["value"].drop_nulls()
            if vals.len() == 3:  # the least favourable of the three
                out["met_check"] = vals.min() if kpi.direction == "higher" else vals.max()
        elif three.height == 3:
            if kpi.measure == "count":
                out["met_check"] = three["numerator"].sum() / 3 * kpi.multiplier
            else:
                out["met_check"] = (three["numerator"].sum() / three["denominator"].sum()
                                    * kpi.multiplier)
    return out


def _numbers(text: str) -> list[str]:
    """Numbers stated in ``text`` outside the rule's parenthesis and the period names."""
    text = text.split(" (rule:")[0]
    text = MONTHS.sub(" ", text)
    return NUMBER.findall(text)


def _shown(kpi: Kpi, x: float) -> set[str]:
    """How ``x`` may be written: the KPI's format, or a progress percentage (0 to 3 decimals)."""
    out = {kpi.format_value(x).split(" ")[0]}
    out |= {f"{round(x, d):.{d}f}%" for d in range(4)}
    return out


def _check(kpi: Kpi, text: str, figures: dict[str, float], expected: dict[str, float]) -> None:
    for name, got in figures.items():
        if name in ("ci_low", "ci_high"):
            continue
        assert name in expected, (kpi.kpi_id, name, text)
        assert got == pytest.approx(expected[name], rel=1e-9, abs=1e-9), (kpi.kpi_id, name, text)
    allowed = set().union(*(_shown(kpi, v) for v in expected.values())) if expected else set()
    if kpi.unit.startswith("per "):  # "per 1,000 live births" names the unit, not a figure
        text = text.replace(kpi.unit, "")
    for n in _numbers(text):
        assert n.lstrip("$") in {a.lstrip("$") for a in allowed}, (kpi.kpi_id, n, text)


def test_every_number_in_every_status_sentence_is_recomputed(ws: Workspace,
                                                             obs: pl.DataFrame) -> None:
    reg = ws.register
    checked = 0
    for kpi in reg.kpis.values():
        o = obs.filter(pl.col("kpi_id") == kpi.kpi_id)
        ks = kpi_status(reg, o, kpi, month="2026-10", as_of=AS_OF, detail=False)
        if ks.period is None:
            continue
        levels = [("all", "all")] + [(r, "all") for r in reg.regions] + [
            ("all", g) for g in o.filter((pl.col("period") == ks.period) & (pl.col("region") == "all"))
            .get_column("group").unique().to_list() if g not in ("all", "unknown")]
        for region, group in levels:
            lv = status_for(reg, o, kpi, ks.period, region=region, group=group)
            r = lv.result
            exp = _expected(reg, kpi, o, ks.period, region, group)
            _check(kpi, r.explanation, dict(r.figures), exp)
            if r.status not in ("no data", "no agreed target"):
                assert "value" in r.figures
            if "baseline" in exp and r.status not in ("no data", "too few cases"):
                assert lv.baseline_value == pytest.approx(exp["baseline"])
                label = display_label(lv.baseline_period or "")
                k = {"rolling12": 12, "latest_quarter": 3}.get(kpi.status_basis)
                if k and kpi.grain == "month":
                    label = f"{k} months to {label}" + (" as a monthly average"
                                                        if kpi.measure == "count" else "")
                if "the baseline (" in r.explanation:  # it names the baseline period used
                    assert f"the baseline ({r.explanation.split('the baseline (')[1].split(' in ')[0]}" \
                        f" in {label})" in r.explanation, r.explanation
            checked += 1
        # the scorecard's statewide sentence is this one (or it, downgraded by the equity rule)
        state = status_for(reg, o, kpi, ks.period).result.explanation
        assert ks.explanation == state or (kpi.equity_rule and state.split(": ", 1)[1]
                                           in ks.explanation)
    assert checked > 300


def test_words_say_which_target(ws: Workspace, obs: pl.DataFrame) -> None:
    reg = ws.register
    kpi = reg.kpis["infant_mortality"]
    o = obs.filter(pl.col("kpi_id") == kpi.kpi_id)
    own = status_for(reg, o, kpi, "R12-2026-10", group="black")
    assert own.target_scope == "own" and "(against its own target)" in own.result.explanation
    t = reg.target_for(kpi.kpi_id, "all", "black")
    assert t is not None and own.baseline_value == t.baseline_value
    region = status_for(reg, o, kpi, "R12-2026-10", region="R05")
    assert region.target_scope == "statewide"
    assert "(own baseline, against the statewide target)" in region.result.explanation
    state = reg.target_for(kpi.kpi_id)
    assert state is not None and region.baseline_value != state.baseline_value
    # the region's baseline is its own value at the statewide baseline period
    b = o.filter((pl.col("period") == "R12-2025-03") & (pl.col("region") == "R05")
                 & (pl.col("group") == "all"))["value"][0]
    assert region.baseline_value == pytest.approx(b)


def _se(kpi: Kpi, o: pl.DataFrame, period: str) -> float:
    """Normal-approximation standard error of the 12-month level (Poisson or binomial)."""
    cell = o.filter((pl.col("region") == "all") & (pl.col("group") == "all"))
    if kpi.grain == "rolling12":
        row = cell.filter(pl.col("period") == period).row(0, named=True)
        x, n = row["numerator"], row["denominator"]
    else:
        rows = cell.filter(pl.col("period").is_in(_months_back(parse_period(period).end, 12)))
        x, n = rows["numerator"].sum(), rows["denominator"].sum()
    if kpi.measure == "count":
        return x**0.5 / 12 * kpi.multiplier
    if kpi.measure == "proportion":
        p = x / n
        return (p * (1 - p) / n) ** 0.5 * kpi.multiplier
    return x**0.5 / n * kpi.multiplier


def _bin(kpi: Kpi, exp: dict[str, float], se: float) -> tuple[int, bool, bool, bool]:
    """Which side of every boundary of the rule the level lies: the share of the planned
    change (100%, threshold) and the one-sided 5% tests of shortfall, move away and gain."""
    ratio, thr = exp["progress_pct"] / 100, kpi.at_risk_threshold
    sgn = 1 if kpi.direction == "higher" else -1
    v, b, i = exp["value"], exp["baseline"], exp["interim_target"]
    z = 1.6448536269514722
    share = 2 if ratio >= 1 - 1e-9 else 1 if ratio >= thr - 1e-9 else 0
    return (share, sgn * (i - v) > z * se, sgn * (b - v) > z * se, sgn * (v - b) > z * se)


def test_seasonal_kpis_do_not_flip_without_crossing_a_boundary(ws: Workspace,
                                                               obs: pl.DataFrame) -> None:
    """Over the last 12 months, a KPI judged on a 12-month level changes status only where
    that level, recomputed from the monthly observations, crosses 100% or the threshold."""
    reg = ws.register
    seasonal = [k for k, v in AGG_KPIS.items() if v.get("seasonal", 0) >= 0.2]
    assert seasonal and all(reg.kpis[k].status_basis == "rolling12" for k in seasonal)
    months = list(reversed(_months_back(date(2026, 10, 31), 12)))
    flips: dict[str, int] = {}
    for kpi in reg.kpis.values():
        pooled = kpi.grain == "month" and kpi.status_basis == "rolling12"
        if not (pooled or kpi.grain == "rolling12"):
            continue
        o = obs.filter(pl.col("kpi_id") == kpi.kpi_id)
        statuses: list[str] = []
        bins: list[tuple[int, bool, bool, bool]] = []
        for m in months:
            ks = kpi_status(reg, o, kpi, month=m, as_of=AS_OF, detail=False)
            exp = _expected(reg, kpi, o, ks.period or m, "all", "all")
            if "progress_pct" not in exp:
                continue
            statuses.append(ks.status)
            bins.append(_bin(kpi, exp, _se(kpi, o, ks.period or m)))
        flips[kpi.kpi_id] = sum(a != b for a, b in zip(statuses, statuses[1:], strict=False))
        for i in range(1, len(statuses)):
            if bins[i] == bins[i - 1]:
                assert statuses[i] == statuses[i - 1], (kpi.kpi_id, months[i], statuses, bins)
    assert set(seasonal) <= set(flips)
    # chronic absenteeism's 12-month level stays on one side of every boundary all year
    assert flips["chronic_absenteeism"] == 0, flips
