"""statdesk commands: governance (feeds, error reports, inventory, roadmap)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from metrics.cli.core import (
    AsOfOpt,
    TableFormat,
    TableFormatOpt,
    WorkspaceOpt,
    _as_of,
    _emit,
    fail,
    open_workspace,
)

app = typer.Typer()

inventory_app = typer.Typer(help="The data inventory: export it as CSV or DCAT-US data.json.",
                            no_args_is_help=True)
app.add_typer(inventory_app, name="inventory")

FEED_COLUMNS = ["feed_id", "agency_id", "agency", "cadence", "last_batch_at", "last_file",
                "last_rows_accepted", "last_rows_rejected", "data_through", "next_expected",
                "status", "days_overdue", "rows_quarantined", "explanation"]


feeds_app = typer.Typer(help="Every feed's status; 'feeds propose FILE' sets up a new feed.")
app.add_typer(feeds_app, name="feeds")


@feeds_app.callback(invoke_without_command=True)
def feeds(ctx: typer.Context, workspace: WorkspaceOpt = None,
          format: TableFormatOpt = TableFormat.table,
          as_of: AsOfOpt = None) -> None:
    """Every feed: last batch, data current through, next batch expected, status."""
    from metrics.governance import feed_health, feeds_frame

    if ctx.invoked_subcommand is not None:
        return

    ws = open_workspace(workspace)
    with ws.session() as s:
        df = feeds_frame(feed_health(s, ws.register, _as_of(as_of))).select(FEED_COLUMNS)
    fmt = format.value
    if fmt == "table":
        words = {"on_time": "on time", "late": "LATE", "missing": "MISSING"}
        with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, tbl_hide_dataframe_shape=True,
                       tbl_hide_column_data_types=True):
            typer.echo(df.select("feed_id", "agency_id", "data_through", "next_expected",
                                 pl.col("status").replace_strict(words, default=pl.col("status")),
                                 "rows_quarantined"))
        return
    _emit(df, fmt)


@feeds_app.command("propose")
def feeds_propose(
        file: Path, feed_id: Annotated[str, typer.Option(help="Id of the new feed.")] = "",
        agency: Annotated[str, typer.Option(help="agency_id of the sending agency.")] = "",
        numerator: Annotated[str, typer.Option(help="Column (or column prefix) counted.")] = "",
        denominator: Annotated[str, typer.Option(help="Column (or prefix) divided by.")] = "",
        definitions: Annotated[Path | None, typer.Option(
            help="Definitions folder to write to (default: the workspace's).")] = None,
        workspace: WorkspaceOpt = None,
        write: Annotated[bool, typer.Option("--write", help="Write the definitions files.")] = False,
        yes: Annotated[bool, typer.Option("--yes", help="Write without asking.")] = False) -> None:
    """Propose a feed from a sample FILE: columns, types, shape, race codes, first observations."""
    from metrics.access import operator
    from metrics.ingest.propose import proposal_report, write_proposal
    from metrics.workspace import Workspace

    if not file.exists():
        fail(f"no file {file}; give the path of a sample of the agency's file.")
    ws = Workspace.open(workspace)
    folder = definitions or ws.root / "definitions"
    regions = None
    if (folder / "regions.csv").exists():
        regions = pl.read_csv(folder / "regions.csv", infer_schema=False)["region_id"].to_list()
    fid = feed_id or "".join(ch if ch.isalnum() else "_" for ch in file.stem.lower())[:40]
    try:
        proposal, text = proposal_report(file, fid, agency_id=agency, numerator=numerator,
                                         denominator=denominator, regions=regions)
    except ValueError as exc:
        fail(str(exc))
    typer.echo(text)
    if not write:
        typer.echo(f"\nNothing written. To add these rows to {folder}, run again with --write.")
        return
    if not yes and not typer.confirm(f"Add these rows to the definitions files in {folder}?"):
        typer.echo("Nothing written.")
        return
    try:
        paths = write_proposal(proposal, folder, acting=operator())
    except ValueError as exc:
        fail(str(exc))
    typer.echo("Written: " + ", ".join(str(p) for p in paths)
               + ". Check them with 'statdesk validate'.")


@app.command("error-report")
def error_report(feed_id: str, out: Path, workspace: WorkspaceOpt = None,
                 batch: Annotated[int | None, typer.Option(help="Only this batch.")] = None) -> None:
    """Write the quarantined rows of FEED_ID (file, row, column, value, code, message) to OUT."""
    from metrics.governance import error_report_frame

    ws = open_workspace(workspace)
    if feed_id not in ws.register.feeds:
        fail(f"there is no feed '{feed_id}'. Feeds: {', '.join(sorted(ws.register.feeds))}.")
    from metrics.safe_output import write_csv

    df = error_report_frame(ws, feed_id, batch)
    write_csv(df, out)
    typer.echo(f"{df.height} problem(s) of feed '{feed_id}' written to {out}."
               if df.height else f"Feed '{feed_id}' has no quarantined rows; {out} has the header only.")


def _inventory(workspace: Path | None):  # type: ignore[no-untyped-def]
    from metrics.governance.inventory import ensure_inventory, inventory_frame

    ws = open_workspace(workspace)
    with ws.session() as s:
        ensure_inventory(s, ws.register, at=datetime.now(UTC))
        return ws, inventory_frame(s, ws.register)


@inventory_app.command("export")
def inventory_export(out: Path, workspace: WorkspaceOpt = None) -> None:
    """Write the data inventory to OUT (CSV)."""
    from metrics.safe_output import write_csv

    _ws, df = _inventory(workspace)
    write_csv(df, out)
    typer.echo(f"{df.height} datasets written to {out}.")


@inventory_app.command("dcat")
def inventory_dcat(out: Path, workspace: WorkspaceOpt = None, as_of: AsOfOpt = None,
                   base_url: Annotated[str | None, typer.Option(
                       help="Where public datasets are downloaded (adds distributions).")] = None
                   ) -> None:
    """Write the data inventory as a DCAT-US 1.1 catalog (data.json) to OUT."""
    from metrics.governance.dcat import catalog

    ws, df = _inventory(workspace)
    cat = catalog(df, ws.register, as_of=_as_of(as_of), base_url=base_url)
    out.write_text(json.dumps(cat, indent=2))
    typer.echo(f"DCAT-US catalog of {len(cat['dataset'])} datasets written to {out}.")


@app.command()
def roadmap(workspace: WorkspaceOpt = None,
            format: TableFormatOpt = TableFormat.table,
            as_of: AsOfOpt = None) -> None:
    """The data roadmap: actions by stage and pillar, status, owner, due date and win."""
    from metrics.governance.roadmap import ensure_roadmap, roadmap_frame

    ws = open_workspace(workspace)
    with ws.session() as s:
        ensure_roadmap(s)
        df = roadmap_frame(s, _as_of(as_of))
    if format == TableFormat.table:
        with pl.Config(tbl_rows=-1, tbl_width_chars=200, fmt_str_lengths=70,
                       tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
            typer.echo(df.select("id", "stage", "pillar", "title", "status", "owner", "due_on",
                                 "win_horizon"))
        return
    _emit(df, format)
