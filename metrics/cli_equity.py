"""statdesk commands: equity."""

from metrics.cli import app  # noqa: F401
