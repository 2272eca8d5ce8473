"""``python -m metrics.cli``: the ``statdesk`` command line."""

from metrics.cli import app

app()
