"""statdesk commands: publish, serve-public."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from metrics.cli.core import AsOfOpt, WorkspaceOpt, _as_of, fail, open_workspace, streamlit_command

app = typer.Typer()

#: Settings the public site must never see.
PRIVATE_ENV = ("STATDESK_DATABASE_URL", "STATDESK_WORKSPACE")


@app.command()
def publish(out_dir: Annotated[Path, typer.Argument(help="Folder of published snapshots.")],
            workspace: WorkspaceOpt = None, as_of: AsOfOpt = None,
            threshold: Annotated[int, typer.Option(help="Counts from 1 to threshold-1 are not published.")] = 11,
            protection_band: Annotated[float | None, typer.Option(
                help="Smallest width of a hidden count's interval (default: the threshold).")] = None,
            by: Annotated[str, typer.Option(help="Who publishes (recorded).")] = "",
            kpi: Annotated[list[str] | None, typer.Option(help="Publish only this KPI (repeatable).")] = None,
            ) -> None:
    """Write an audited public snapshot to OUT_DIR/<version>/ and record it."""
    from metrics.access import command_actor
    from metrics.publish import SnapshotError, build_snapshot
    from metrics.suppression import DisclosureError, SuppressionPolicy

    try:
        policy = SuppressionPolicy(threshold, protection_band)
    except ValueError as exc:
        fail(f"{exc}. Use --threshold 1 or more and a --protection-band of 0 or more.")
        raise
    from metrics.access import AccessDenied
    from metrics.users import acting_user

    ws = open_workspace(workspace)
    with ws.session() as s:
        acting = acting_user(s, by)
    try:
        r = build_snapshot(ws, out_dir, acting=acting, policy=policy, as_of=_as_of(as_of),
                           published_by=command_actor(by),
                           kpi_ids=list(kpi) if kpi else None)
    except DisclosureError as exc:
        fail(f"the snapshot was refused and nothing was written: {exc}")
        raise
    except (SnapshotError, AccessDenied) as exc:
        fail(str(exc))
        raise
    typer.echo(f"Published {r.version} to {r.path}")
    typer.echo(f"KPIs: {len(r.kpi_ids)}; cells suppressed: {r.primary} primary, "
               f"{r.complementary} complementary")
    typer.echo(f"Manifest SHA-256: {r.manifest_hash}")


@app.command("serve-public")
def serve_public(snapshot_dir: Annotated[Path, typer.Argument(help="A snapshot, or a folder of versions (the latest is served).")],
                 port: Annotated[int, typer.Option(help="Port to listen on.")] = 8502) -> None:
    """Start the public equity site on a published snapshot (files only, no database)."""
    from metrics.publish import SnapshotError, latest_version

    try:
        snap = latest_version(snapshot_dir).resolve()
    except SnapshotError as exc:
        fail(str(exc))
        raise
    env = {k: v for k, v in os.environ.items() if k not in PRIVATE_ENV}
    env["STATDESK_SNAPSHOT"] = str(snap)
    cmd = streamlit_command("dashboard.public_app", port)
    typer.echo(f"Public site on http://localhost:{port} (snapshot {snap})")
    raise typer.Exit(subprocess.call(cmd, env=env))
