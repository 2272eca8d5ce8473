"""statdesk commands: equity.

``statdesk equity KPI_ID [--period P] [--region R] [--reference best|total|GROUP]``
prints the disparity measures of one KPI (:func:`metrics.equity.disparities` on the
group rows of the period and region, rates unscaled) as JSON, or one row per group as CSV.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from metrics.cli.core import ReportFormat, WorkspaceOpt, fail, format_choice, open_workspace

app = typer.Typer()


def _clean(value: Any) -> Any:
    """JSON-safe: non-finite floats become null (JSON has no NaN or Infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


@app.command()
def equity(
    kpi_id: str,
    workspace: WorkspaceOpt = None,
    period: Annotated[str | None, typer.Option(help="Period label, e.g. 2026-10 (default: latest).")] = None,
    region: Annotated[str, typer.Option(help="Region code, or 'all' for statewide.")] = "all",
    reference: Annotated[str, typer.Option(
        help="Reference: 'best' (best reliable group), 'total' (all groups) or a group code.")] = "best",
    format: Annotated[ReportFormat, typer.Option("--format", "-f", parser=format_choice(ReportFormat),
                                                 help="json or csv.")] = ReportFormat.json,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead.")] = None,
) -> None:
    """Disparity measures of KPI_ID between race and ethnicity groups for one period."""
    from metrics.engine import load_observations
    from metrics.equity.review import EquityRequestError, disparity_rows, kpi_disparities

    fmt = format.value
    ws = open_workspace(workspace)
    if kpi_id not in ws.register.kpis:
        fail(f"there is no KPI '{kpi_id}'. KPIs: {', '.join(sorted(ws.register.kpis))}.")
    obs = load_observations(ws.engine, [kpi_id])
    try:
        d = kpi_disparities(ws.register, obs, kpi_id, period=period, region=region,
                            reference=reference)
    except EquityRequestError as exc:
        fail(str(exc))
        raise
    from metrics.safe_output import write_csv

    text = (write_csv(disparity_rows(d)) if fmt == "csv"
            else json.dumps(_clean(d), indent=1, allow_nan=False) + "\n")
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
