"""statdesk commands: sessions."""

from metrics.cli import app  # noqa: F401
