"""Feed ingest: contracts, validation, quarantine, atomic batches."""

from .apply import (
           BatchReport,
           Preview,
           apply_preview,
           file_hash,
           ingest,
           preview,
           quarantine_report,
)
from .validate import FeedRefused, check_feed, read_feed_file

__all__ = ["BatchReport", "FeedRefused", "Preview", "apply_preview", "check_feed", "file_hash",
           "ingest", "preview", "quarantine_report", "read_feed_file"]
