"""The one list of the internal app's pages (navigation is built from it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to dashboard/
    title: str
    url_path: str
    icon: str
    section: str
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("views/session.py", "Stat session", "session", "📋", "Results", default=True),
    PageSpec("views/kpi.py", "KPI detail", "kpi", "📈", "Results"),
    PageSpec("views/agency.py", "Agency", "agency", "🏛️", "Results"),
    PageSpec("views/equity.py", "Equity review", "equity", "⚖️", "Results"),
    PageSpec("views/commitments.py", "Commitments and sessions", "commitments", "✅", "Results"),
    PageSpec("views/data_health.py", "Data health", "data-health", "🩺", "Data"),
    PageSpec("views/catalog.py", "Catalog and governance", "catalog", "🗂️", "Data"),
    PageSpec("views/feed_setup.py", "Set up a feed", "feed-setup", "🧩", "Data"),
    PageSpec("views/publish.py", "Publish", "publish", "🌐", "Data"),
    PageSpec("views/admin.py", "Users and audit log", "admin", "🛡️", "Admin"),
)
