"""Storage: SQLModel tables and engines from a URL."""

from . import tables
from .db import data_version, make_engine, migrate

__all__ = ["tables", "make_engine", "migrate", "data_version"]
