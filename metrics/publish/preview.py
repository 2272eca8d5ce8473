"""The public pages of a snapshot before it is published: the static site, in memory.

:func:`preview_pages` writes the static site (:mod:`.site`) of a protected release into a
temporary folder, exactly as :func:`.snapshot.build_snapshot` would (the same statuses,
summaries and pages), reads the pages back and removes the folder. Nothing is written to
the publication folder and nothing is recorded.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import polars as pl

from metrics.definitions import Register

from .site import write_site
from .snapshot import _status_doc, public_statuses, public_summaries

__all__ = ["preview_pages"]


def preview_pages(reg: Register, pub: pl.DataFrame, *, month: str, as_of: date,
                  feed_through: dict[str, date] | None = None, threshold: int = 11,
                  version: str = "preview") -> dict[str, str]:
    """The public site's pages as HTML text, keyed by path (``index.html``, ``kpi/<id>.html``,
    ``about.html``). ``pub`` is the protected release (with ``grain`` and ``suppressed``)."""
    statuses = public_statuses(reg, pub, month=month, as_of=as_of, feed_through=feed_through)
    summaries = public_summaries(reg, pub, statuses)
    y, m = (int(x) for x in month.split("-"))
    with tempfile.TemporaryDirectory(prefix="statdesk-preview-") as tmp:
        folder = Path(tmp)
        pages = write_site(folder, reg, pub, {s.kpi_id: _status_doc(s) for s in statuses},
                           summaries, month_text=f"{date(y, m, 1):%B %Y}", version=version,
                           threshold=threshold)
        return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in pages}
