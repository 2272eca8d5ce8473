"""The core ``statdesk`` commands and the options every command group shares.

Every command takes ``--workspace`` (or ``STATDESK_WORKSPACE``; default
``data/demo``); the database is ``STATDESK_DATABASE_URL`` or the SQLite file in
the workspace.  Errors print what is wrong and what to do, and exit non-zero.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import polars as pl
import typer

app = typer.Typer()


class DataFormat(StrEnum):
    """Formats of a data export."""

    csv = "csv"
    json = "json"
    parquet = "parquet"


class TableFormat(StrEnum):
    """Formats of a listing: a table for people, CSV or JSON for programs."""

    table = "table"
    csv = "csv"
    json = "json"


class ReportFormat(StrEnum):
    """Formats of a structured report."""

    json = "json"
    csv = "csv"


E = TypeVar("E", bound=Enum)


def format_choice(kind: type[E]) -> Callable[[str | E], E]:
    """Parse a --format option into the Enum ``kind``, case-insensitively; anything else fails
    clearly (the one place formats are checked)."""
    names = [str(m.value) for m in kind]
    allowed = f"{', '.join(names[:-1])} or {names[-1]}"

    def parse(value: str | E) -> E:
        if isinstance(value, kind):
            return value
        try:
            return kind(str(value).lower())
        except ValueError:
            fail(f"unknown format '{value}'; use {allowed}.")

    return parse


WorkspaceOpt = Annotated[Path | None, typer.Option("--workspace", "-w", envvar="STATDESK_WORKSPACE",
                                                   help="Workspace folder (default data/demo).")]
FormatOpt = Annotated[DataFormat, typer.Option("--format", "-f", parser=format_choice(DataFormat),
                                                help="csv, json or parquet.")]
TableFormatOpt = Annotated[TableFormat, typer.Option("--format", "-f", parser=format_choice(TableFormat),
                                                     help="table, csv or json.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Today's date for the computation (YYYY-MM-DD).")]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _as_of(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--as-of '{value}' is not a date; write YYYY-MM-DD.")
        raise


def open_workspace(path: Path | None):  # type: ignore[no-untyped-def]
    from metrics.errors import ValidationFailed
    from metrics.workspace import Workspace

    ws = Workspace.open(path)
    if not ws.exists():
        fail(f"no workspace at {ws.root}: it needs a 'definitions' folder. "
             "Run 'statdesk demo' to build the demo state, or pass --workspace.")
    try:
        ws.register  # noqa: B018 - validate now, with every problem listed
    except ValidationFailed as exc:
        fail(f"{exc}\nRun 'statdesk validate' for the full report.")
    try:
        ws.init_db()
    except Exception as exc:  # noqa: BLE001
        fail(f"cannot open the database {ws.database_url.split('@')[-1]}: "
             f"{str(exc).splitlines()[0]}. Check STATDESK_DATABASE_URL and that the server is up.")
    return ws


def _emit(df: pl.DataFrame, fmt: str, out: Path | None = None) -> None:
    fmt = fmt.lower()
    if fmt == "parquet":
        if out is None:
            buf = io.BytesIO()
            df.write_parquet(buf)
            sys.stdout.buffer.write(buf.getvalue())
        else:
            df.write_parquet(out)
        return
    from metrics.safe_output import write_csv

    text = write_csv(df) if fmt == "csv" else json.dumps(df.to_dicts(), default=str, indent=1)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)


@app.command()
def validate(workspace: WorkspaceOpt = None,
             definitions: Annotated[Path | None, typer.Option(help="A definitions folder to check instead.")] = None) -> None:
    """Check the definitions: every problem at once, with file, row and column."""
    from metrics.definitions import validate as run
    from metrics.workspace import Workspace

    folder = definitions or Workspace.open(workspace).definitions_dir
    register, issues = run(folder)
    if register is not None and any(f.location for f in register.feeds.values()):
        from metrics.engine.checks import check_locations  # feeds in outside engines: ask them

        issues = [*issues, *check_locations(register)]
        if any(i.level == "error" for i in issues):
            register = None
    for i in issues:
        typer.echo(f"{i.level.upper()}: {i}")
    if register is None:
        n = sum(1 for i in issues if i.level == "error")
        fail(f"{n} problem(s) in {folder}; nothing was loaded. Fix them and run 'statdesk validate' again.")
    typer.echo(f"OK: {len(register.kpis)} KPIs, {len(register.feeds)} feeds, "
               f"{len(register.regions)} regions, {len(register.targets)} targets in {folder}.")


@app.command()
def ingest(feed_id: str, file: Path, workspace: WorkspaceOpt = None,
           by: Annotated[str, typer.Option(help="Who is loading the file.")] = "",
           as_of: AsOfOpt = None,
           errors: Annotated[Path | None, typer.Option(help="Write the error report (CSV) here.")] = None) -> None:
    """Check FILE against the contract of FEED_ID and apply it as one atomic batch."""
    from metrics.access import command_actor
    from metrics.ingest import ingest as run

    ws = open_workspace(workspace)
    if feed_id not in ws.register.feeds:
        fail(f"there is no feed '{feed_id}' [feed.unknown_feed]. Feeds: "
             f"{', '.join(sorted(ws.register.feeds))}. Nothing was applied.", code=2)
    from sqlalchemy.exc import OperationalError

    from metrics.access import AccessDenied
    from metrics.users import acting_user

    with ws.session() as s:
        acting = acting_user(s, by)
    try:
        report = run(ws, feed_id, file, received_by=command_actor(by),
                     received_on=_as_of(as_of), acting=acting)
    except AccessDenied as exc:
        fail(f"{exc} [access.denied]", code=3)
    except OperationalError as exc:
        text = str(exc.orig or exc).lower()
        if "locked" in text or "busy" in text:
            fail("the database is busy: another program is writing to it. Nothing was applied; "
                 "wait a moment and try again.")
        if "disk" in text and "full" in text:
            fail("the database could not write: is the disk full? Nothing was applied; free "
                 "some space and run the same command again.")
        fail(f"the database failed ({str(exc.orig or exc).splitlines()[0]}). Nothing was "
             "applied; check STATDESK_DATABASE_URL and that the database is up, then try again.")
    except OSError as exc:
        import errno

        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) or exc.errno is None:
            fail(f"could not write the accepted rows{where} ({exc.strerror or exc}): is the "
                 "disk full? Nothing was applied; free some space and run the same command again.")
        fail(f"could not read or write{where} ({exc.strerror or exc}). Nothing was applied; "
             "check the file and the workspace folder, then try again.")
    typer.echo(report.summary())
    if errors is not None and report.errors.height:
        from metrics.safe_output import write_csv

        write_csv(report.errors.with_columns(pl.lit(report.file_name).alias("file")).select(
            "file", "row_number", "column", "value", "code", "message"), errors)
        typer.echo(f"Error report written to {errors}")
    if report.status == "refused":
        raise typer.Exit(2)


@app.command()
def demo(workspace: WorkspaceOpt = None, as_of: AsOfOpt = None,
         seed: Annotated[int, typer.Option(help="Random seed.")] = 20261125,
         claims: Annotated[int, typer.Option(help="Unemployment claims to generate (record level).")] = 1_050_000,
         force: Annotated[bool, typer.Option(help="Rebuild even if the workspace exists.")] = False) -> None:
    """Build the fictional demo state and ingest its feeds."""
    import shutil

    from metrics.demo import build_demo
    from metrics.workspace import resolve_workspace

    root = resolve_workspace(workspace)
    if (root / "definitions").exists():
        if not force:
            typer.echo(f"The demo workspace already exists at {root}; use --force to rebuild it.")
            return
        shutil.rmtree(root)
    t0 = time.perf_counter()
    s = build_demo(root, as_of=_as_of(as_of), seed=seed, claims=claims,
                   progress=lambda msg: typer.echo(msg))
    typer.echo(f"Demo state built in {root}: {s.batches} batches, {s.rows_ingested:,} rows accepted "
               f"({s.record_rows:,} record-level rows), {time.perf_counter() - t0:.1f} s.")


@app.command()
def refresh(workspace: WorkspaceOpt = None,
            by: Annotated[str, typer.Option(help="Who is recomputing (for the audit log).")] = "",
            feed: Annotated[str | None, typer.Option(help="Only what new months of this feed change.")] = None,
            months: Annotated[str | None, typer.Option(help="With --feed: the months, e.g. 2026-10,2026-11.")] = None) -> None:
    """Recompute every observation from the feeds in force (or, with --feed, only what changed)."""
    from metrics.access import command_actor
    from metrics.engine import recompute_all

    ws = open_workspace(workspace)
    if feed is not None or months is not None:
        from metrics.engine.refresh import refresh_feed
        from metrics.periods import parse_period

        if not feed or not months:
            fail("give both --feed and --months (e.g. --feed dlw_ui_claims --months 2026-10,2026-11), "
                 "or neither to recompute everything.")
        try:
            ms = [parse_period(m.strip()).start for m in months.split(",") if m.strip()]
            if any(len(m.strip()) != 7 for m in months.split(",") if m.strip()):
                raise ValueError(months)
        except ValueError:
            fail(f"'{months}' is not a list of months; write YYYY-MM,YYYY-MM (e.g. 2026-10,2026-11).")
        with ws.session() as s:
            try:
                n, scope = refresh_feed(s, ws.register, str(ws.feed_store), feed, ms)
            except ValueError as exc:
                fail(str(exc) + ".")
        periods = sorted({p for ps in scope.values() for p in ps})
        typer.echo(f"{n} observations recomputed for {len(scope)} KPIs of {feed}, "
                   f"periods {', '.join(periods) or 'none'}.")
        return
    with ws.session() as s:
        n = recompute_all(s, ws.register, str(ws.feed_store), actor=command_actor(by))
    typer.echo(f"{n} observations recomputed.")


@app.command()
def observations(kpi_id: str, workspace: WorkspaceOpt = None,
                 period: Annotated[str | None, typer.Option(help="Only this period.")] = None,
                 format: FormatOpt = DataFormat.csv,
                 output: Annotated[Path | None, typer.Option("--output", "-o")] = None) -> None:
    """Print what the engine computed for KPI_ID, one row per observation."""
    from metrics.engine import load_observations

    ws = open_workspace(workspace)
    if kpi_id not in ws.register.kpis:
        fail(f"there is no KPI '{kpi_id}'. KPIs: {', '.join(sorted(ws.register.kpis))}.")
    obs = load_observations(ws.engine, [kpi_id])
    if period is not None:
        known = obs.get_column("period").unique().sort().to_list()
        if period not in known:
            shown = ", ".join(known[-6:]) if known else "none yet"
            fail(f"KPI '{kpi_id}' has no period '{period}'. Latest periods: {shown}.")
        obs = obs.filter(pl.col("period") == period)
    cols = ["kpi_id", "period", "region", "group", "numerator", "denominator", "value", "ci_low",
            "ci_high", "reliable", "period_start", "period_end", "events", "rse"]
    _emit(obs.select(cols), format, output)


@app.command()
def status(workspace: WorkspaceOpt = None,
           period: Annotated[str | None, typer.Option(help="Month reviewed, YYYY-MM (default: latest).")] = None,
           format: FormatOpt = DataFormat.csv, as_of: AsOfOpt = None,
           levels: Annotated[bool, typer.Option(
               "--levels", help="Also one row per region and per group, each judged on its "
               "own baseline (region, group, baseline_value, target_scope).")] = False) -> None:
    """Status of every KPI: status, rule in words, pace, change, equity gap."""
    from metrics.engine import load_observations
    from metrics.feedstate import feed_through
    from metrics.periods import parse_period
    from metrics.scorecard import latest_month, scorecard, status_for

    ws = open_workspace(workspace)
    obs = load_observations(ws.engine)
    month = period or latest_month(obs)
    if period is not None:
        try:
            p = parse_period(period)
        except ValueError as exc:
            fail(str(exc))
        if p.grain != "month":
            fail(f"--period takes a month (YYYY-MM), not '{period}'.")
        starts: list[date] = obs.get_column("period_start").to_list()
        ends: list[date] = obs.get_column("period_end").to_list()
        if not starts or p.end < min(starts):
            fail(f"there is no data for {period}; data starts {min(starts) if starts else 'nowhere yet'}.")
        if p.start > max(ends):
            fail(f"there is no data for {period} yet; the latest month with data is {latest_month(obs)}.")
    with ws.session() as s:
        through = feed_through(s, ws.register)
    rows = []
    parts = obs.partition_by("kpi_id", as_dict=True) if obs.height else {}
    for st in scorecard(ws.register, obs, month=month, as_of=_as_of(as_of), feed_through=through):
        base = {"kpi_id": st.kpi_id, "period": st.period, "status": st.status,
                "explanation": st.explanation, "pace": st.pace, "change": st.change,
                "change_since_baseline": st.change_since_baseline,
                "value": st.value, "basis": st.basis_label, "basis_value": st.basis_value,
                "interim_target": st.interim_target, "gap_status": st.gap_status,
                "gap": st.gap_text,
                "data_through": st.data_through.isoformat() if st.data_through else None,
                "stale": st.stale}
        if not levels:
            rows.append(base)
            continue
        rows.append({**base, "region": "all", "group": "all", "baseline_value": st.baseline_value,
                     "target_scope": "own"})
        kpi = ws.register.kpis[st.kpi_id]
        o = parts.get((st.kpi_id,), obs.clear())
        here = o.filter(pl.col("period") == st.period)
        wanted = [(r, "all") for r in ws.register.regions] + [
            ("all", g) for g in here.filter(pl.col("region") == "all")
            .get_column("group").unique().sort().to_list() if g != "all"]
        have = set(zip(here.get_column("region").to_list(), here.get_column("group").to_list(),
                       strict=True))
        for region, group in wanted:
            if (region, group) not in have:
                continue
            lv = status_for(ws.register, o, kpi, st.period, region=region, group=group)
            r = lv.result
            rows.append({**base, "status": r.status, "explanation": r.explanation,
                         "pace": r.pace, "change": r.change,
                         "change_since_baseline": r.change_since_baseline,
                         "value": r.current_value if lv.basis is None or not lv.basis.month_ends
                         else _row_value(o, st.period, region, group),
                         "basis_value": r.current_value, "interim_target": r.interim_target,
                         "gap_status": "not applicable", "gap": "",
                         "region": region, "group": group, "baseline_value": lv.baseline_value,
                         "target_scope": lv.target_scope})
    _emit(pl.DataFrame(rows, infer_schema_length=None), format)


def _row_value(obs: pl.DataFrame, period: str | None, region: str, group: str) -> float | None:
    hit = obs.filter((pl.col("period") == period) & (pl.col("region") == region)
                     & (pl.col("group") == group)).get_column("value")
    return hit[0] if hit.len() else None


@app.command()
def run(workspace: WorkspaceOpt = None,
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
        allow_network_without_sign_in: Annotated[bool, typer.Option(
            "--allow-network-without-sign-in",
            help="Serve the internal app beyond this computer although no sign-in is configured "
                 "(everyone who reaches it sees everything).")] = False) -> None:
    """Start the internal app (builds the demo state first if the workspace is empty).

    Without sign-in ([auth] in .streamlit/secrets.toml) it listens on 127.0.0.1 only;
    STATDESK_ADDRESS chooses another address.
    """
    from metrics import serving
    from metrics.workspace import resolve_workspace

    address = os.environ.get("STATDESK_ADDRESS", "127.0.0.1")
    auth = serving.auth_configured()
    refused = serving.refusal(address, auth=auth, allow_open=allow_network_without_sign_in)
    if refused:
        fail(refused, code=2)
    root = resolve_workspace(workspace)
    if not (root / "definitions").exists():
        if root.name == "demo":
            demo(workspace=root, as_of=None, seed=20261125, claims=1_050_000, force=False)
        else:
            fail(f"no workspace at {root}: it needs a 'definitions' folder.")
    env = {**os.environ, "STATDESK_WORKSPACE": str(root)}
    env.pop(serving.OPEN_ENV, None)
    if allow_network_without_sign_in and not auth and not serving.is_loopback(address):
        env[serving.OPEN_ENV] = "1"
        typer.echo(f"Warning: no sign-in is configured and StatDesk listens on {address}: "
                   "everyone who can reach it sees every KPI and the admin page.", err=True)
    cmd = streamlit_command("dashboard.app", port)
    where = f"http://localhost:{port}" if serving.is_loopback(address) else f"{address}:{port}"
    typer.echo(f"StatDesk on {where}, {'with sign-in' if auth else 'no sign-in (local mode)'} "
               f"(workspace {root})")
    raise typer.Exit(subprocess.call(cmd, env=env))


def streamlit_command(module: str, port: int) -> list[str]:
    """The command that serves the Streamlit app ``module`` (found by module name) on ``port``
    (``dashboard.serve``: Streamlit, with the app's pages prepared as soon as it answers)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        fail(f"the app module '{module}' is not installed; reinstall StatDesk.")
    return [sys.executable, "-m", "dashboard.serve", spec.origin, "--server.port", str(port),
            "--server.address", os.environ.get("STATDESK_ADDRESS", "127.0.0.1"),
            "--server.headless", "true", "--browser.gatherUsageStats", "false"]
