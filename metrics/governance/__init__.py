"""Data governance: feed health, data quality, inventory, agreements, roadmap, programme health.

Every function takes the clock (``as_of``) and a ``Session`` or a ``Workspace``; none
reads the time or opens a database by itself.
"""

from .feedhealth import (
    LATE,
    MISSING,
    ON_TIME,
    STATUS_WORDS,
    FeedHealth,
    batch_history,
    error_report,
    error_report_frame,
    feed_health,
    feed_status,
    feeds_frame,
    missing_after,
    quarantine_by_code,
)

__all__ = ["LATE", "MISSING", "ON_TIME", "STATUS_WORDS", "FeedHealth", "batch_history",
           "error_report", "error_report_frame", "feed_health", "feed_status", "feeds_frame",
           "missing_after", "quarantine_by_code"]
