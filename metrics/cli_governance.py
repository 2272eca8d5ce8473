"""statdesk commands: governance."""

from metrics.cli import app  # noqa: F401
