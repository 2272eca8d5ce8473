"""statdesk commands: users (who may sign in, with which role).

    statdesk users add EMAIL --role agency_lead --agency doh [--name "..."]
    statdesk users list [--format csv|json]
    statdesk users remove EMAIL
"""

from __future__ import annotations

from typing import Annotated

import polars as pl
import typer

from metrics.access import ROLES, command_actor
from metrics.cli.core import TableFormat, TableFormatOpt, WorkspaceOpt, _emit, fail, open_workspace

app = typer.Typer()
users_app = typer.Typer(help="Who may sign in to the app, with which role and agency.",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")

ByOpt = Annotated[str, typer.Option("--by", help="Who is making the change (for the audit log).")]


@users_app.command("add")
def add(email: str,
        role: Annotated[str, typer.Option("--role", "-r", help=f"One of {', '.join(ROLES)}.")],
        agency: Annotated[str, typer.Option("--agency", "-a", help="Agency id (needed for agency_lead).")] = "",
        name: Annotated[str, typer.Option("--name", help="The person's name.")] = "",
        workspace: WorkspaceOpt = None, by: ByOpt = "") -> None:
    """Add EMAIL (or change their role and agency, and reactivate them)."""
    from metrics.access import AccessDenied
    from metrics.users import UserError, acting_user, add_user, get_user

    ws = open_workspace(workspace)
    with ws.session() as s:
        existed = get_user(s, email) is not None
        try:
            user = add_user(s, email, role, agency_id=agency, name=name, register=ws.register,
                            actor=command_actor(by), acting=acting_user(s, by))
        except (UserError, AccessDenied) as exc:
            fail(str(exc))
            return
    verb = "Updated" if existed else "Added"
    where = f", agency {user.agency_id}" if user.agency_id else ""
    typer.echo(f"{verb} {user.email}: {user.role}{where}.")


@users_app.command("list")
def list_(workspace: WorkspaceOpt = None,
          fmt: TableFormatOpt = TableFormat.table,
          active_only: Annotated[bool, typer.Option("--active-only", help="Hide removed users.")] = False,
          ) -> None:
    """List the users: e-mail, name, role, agency, active."""
    from metrics.users import list_users

    ws = open_workspace(workspace)
    with ws.session() as s:
        users = list_users(s, include_inactive=not active_only)
    df = pl.DataFrame([{"email": u.email, "name": u.name, "role": u.role, "agency_id": u.agency_id,
                        "active": u.active} for u in users],
                      schema={"email": pl.String, "name": pl.String, "role": pl.String,
                              "agency_id": pl.String, "active": pl.Boolean})
    if fmt == TableFormat.table:
        if df.is_empty():
            typer.echo("No users yet. Add one with 'statdesk users add EMAIL --role ROLE'.")
            return
        for u in df.iter_rows(named=True):
            state = "" if u["active"] else "  (removed)"
            agency = u["agency_id"] or "-"
            typer.echo(f"{u['email']:<40} {u['role']:<15} {agency:<8} {u['name']}{state}")
        return
    _emit(df, fmt)


@users_app.command("remove")
def remove(email: str, workspace: WorkspaceOpt = None, by: ByOpt = "") -> None:
    """Remove EMAIL: they can no longer sign in (the audit log keeps their history)."""
    from metrics.access import AccessDenied
    from metrics.users import UserError, acting_user, remove_user

    ws = open_workspace(workspace)
    with ws.session() as s:
        try:
            user = remove_user(s, email, actor=command_actor(by), acting=acting_user(s, by))
        except (UserError, AccessDenied) as exc:
            fail(str(exc))
            return
    typer.echo(f"Removed {user.email}: they can no longer sign in.")
