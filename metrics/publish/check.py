"""Measure a published snapshot against the workspace it came from (issue targets).

:func:`snapshot_targets` reads the snapshot's files only (as the public would) and the
workspace's internal figures, and returns what a reviewer checks: the share of hidden
cells, statewide totals hidden although their counts are not small, statewide figures of
groups whose counts (events, people, and for a proportion the people without the event) are
all 20 or more hidden, hidden counts an attacker can narrow below the protection
band by one linear programme over all linked tables, hidden rows that still publish a
reliability flag or interval, and public statuses that differ from the internal scorecard.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from metrics.suppression import PUBLIC, SuppressionPolicy

from .linked import audit_release, released_truth
from .release import release
from .snapshot import feed_sources, public_register

__all__ = ["TARGETS", "snapshot_targets"]

#: The targets of a snapshot (issue 12): name -> (comparison, limit).
TARGETS = {"hidden_share": ("<=", 0.25), "statewide_totals_hidden": ("==", 0),
           "statewide_groups_20_hidden_share": ("<=", 0.02), "narrowed_below_band": ("==", 0),
           "hidden_rows_with_flag": ("==", 0), "status_mismatches": ("==", 0)}


def _read(snapshot: Path) -> pl.DataFrame:
    obs = pl.read_csv(snapshot / "observations.csv", schema_overrides={
        "period": pl.String, "region": pl.String, "group": pl.String, "grain": pl.String,
        **dict.fromkeys(("numerator", "denominator", "value", "ci_low", "ci_high"), pl.Float64),
        "reliable": pl.Boolean, "period_start": pl.Date, "period_end": pl.Date,
        "suppressed": pl.Boolean, "suppression_reason": pl.String})
    if "grain" not in obs.columns:
        raise ValueError(f"{snapshot} has no 'grain' column: it was published before "
                         "grains were declared; publish it again to measure it.")
    return obs


def snapshot_targets(ws: Any, snapshot: Path, *, as_of: date,
                     policy: SuppressionPolicy = PUBLIC) -> dict[str, Any]:
    """The targets measured on ``snapshot`` (files) against workspace ``ws``."""
    from metrics.engine import load_observations
    from metrics.feedstate import feed_through
    from metrics.scorecard import latest_month, scorecard

    snapshot = Path(snapshot)
    manifest = json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))
    kpis = manifest["settings"]["kpis"]
    pub = _read(snapshot)
    reg = public_register(ws.register, kpis)
    obs = load_observations(ws.engine).filter(pl.col("kpi_id").is_in(kpis)
                                              & (pl.col("period_end") <= as_of))
    truth = released_truth(reg, release(reg, obs, sources=feed_sources(ws),
                                          threshold=policy.threshold))
    cell = ["kpi_id", "period", "grain", "region", "group"]
    t = truth.select(*cell, _n=pl.col("numerator"), _d=pl.col("denominator"))
    counted = [k for k, v in reg.kpis.items() if v.measure in ("proportion", "rate", "count")]
    shares = [k for k, v in reg.kpis.items() if v.measure == "proportion"]
    j = pub.join(t, on=cell, how="left")
    # the counts a figure rests on: events and people, and for a proportion also the
    # people without the event (a figure of 30 of 32 tells about 2 people)
    smallest = pl.min_horizontal(
        pl.when(pl.col("kpi_id").is_in(counted)).then(pl.col("_n")).otherwise(None),
        pl.col("_d"),
        pl.when(pl.col("kpi_id").is_in(shares)).then(pl.col("_d") - pl.col("_n")).otherwise(None))
    j = j.with_columns(_min=smallest)
    total = j.filter((pl.col("region") == "all") & (pl.col("group") == "all"))
    groups = j.filter((pl.col("region") == "all") & (pl.col("group") != "all")
                      & (pl.col("_min") >= 20))
    audit = audit_release(reg, truth, pub, policy)
    flagged = pub.filter(pl.col("suppressed") & pl.any_horizontal(
        pl.col(c).is_not_null() for c in ("reliable", "ci_low", "ci_high", "value")))
    # the internal scorecard, for the internal month
    with ws.session() as s:
        through = feed_through(s, ws.register)
    all_obs = load_observations(ws.engine).filter(pl.col("period_end") <= as_of)
    internal = scorecard(ws.register, all_obs, month=latest_month(all_obs), as_of=as_of,
                         kpi_ids=kpis, feed_through=through)
    public = {s["kpi_id"]: s for s in json.loads(
        (snapshot / "status.json").read_text(encoding="utf-8"))["kpis"]}
    mismatches = [f"{s.kpi_id}: internal {s.status} for {s.period}, public "
                  f"{public.get(s.kpi_id, {}).get('status')} for "
                  f"{public.get(s.kpi_id, {}).get('period')}"
                  for s in internal
                  if (public.get(s.kpi_id, {}).get("status"), public.get(s.kpi_id, {}).get("period"))
                  != (s.status, s.period)]
    return {
        "cells": pub.height, "cells_hidden": int(pub.get_column("suppressed").sum()),
        "hidden_share": _share(pub.get_column("suppressed")),
        "statewide_totals_hidden": int(total.filter(pl.col("suppressed")
                                                    & (pl.col("_min") >= policy.threshold)).height),
        "statewide_groups_20": groups.height,
        "statewide_groups_combined": int(j.filter(
            (pl.col("region") == "all") & pl.col("group").str.contains("+", literal=True))
            .height),
        "statewide_groups_20_hidden_share": _share(groups.get_column("suppressed")),
        "hidden_counts_audited": audit.intervals.height,
        "narrowed_below_band": audit.narrowed,
        "hidden_rows_with_flag": flagged.height,
        "status_mismatches": len(mismatches), "status_mismatch_detail": mismatches,
        "audit_problems": audit.problems[:10],
    }


def _share(flags: pl.Series) -> float:
    return int(flags.sum()) / len(flags) if len(flags) else 0.0


def met(figures: dict[str, Any]) -> dict[str, bool]:
    """Whether each target is met."""
    out = {}
    for name, (op, limit) in TARGETS.items():
        v = figures[name]
        out[name] = v <= limit if op == "<=" else v == limit
    return out
