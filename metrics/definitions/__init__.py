"""The register: priorities, goals, KPIs, targets, feed contracts, agreements."""

from .loader import load_register, validate
from .models import (
    Agency,
    Agreement,
    Feed,
    FeedColumn,
    FeedShape,
    Goal,
    Kpi,
    Link,
    Priority,
    Region,
    Register,
)

__all__ = ["Agency", "Agreement", "Feed", "FeedColumn", "FeedShape", "Goal", "Kpi", "Link", "Priority",
           "Region", "Register", "load_register", "validate"]
