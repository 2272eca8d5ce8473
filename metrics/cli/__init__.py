"""The ``statdesk`` command line: one Typer app made of the command groups of each area.

Each module here owns its commands on its own Typer app; this package only puts them
together. Shared options and helpers live in :mod:`metrics.cli.core`.
"""

from __future__ import annotations

import typer

from metrics.cli import core, equity, governance, publish, sessions, users

app = typer.Typer(help="StatDesk: performance management and equity review for a results office.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
for _group in (core, equity, governance, publish, sessions, users):
    app.add_typer(_group.app)

__all__ = ["app"]
