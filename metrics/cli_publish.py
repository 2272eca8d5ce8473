"""statdesk commands: publish."""

from metrics.cli import app  # noqa: F401
