"""Where a feed's records live: the workspace store, or a table in an outside engine.

A feed's ``location`` (feeds.csv) is empty for the workspace store (ingested Parquet)
or a URL naming the engine that holds the records, with ``location_table`` naming the
table there:

===========================================  ==========================================
``postgresql://user@host:5432/db``           PostgreSQL (``postgresql+psycopg://`` too)
``duckdb:///srv/data/state.duckdb``          a DuckDB database file (opened read-only)
``spark:local[*]``                           a local Apache Spark session (``local[2]``…)
``spark://master-host:7077``                 a Spark standalone cluster
``sc://spark-connect-host:15002``            a Spark Connect server (Databricks, EMR…)
===========================================  ==========================================

This module only reads the text; it imports no driver.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("postgres", "duckdb", "spark")
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$")
EXAMPLES = ("postgresql://user@host:5432/db, duckdb:///path/to/file.duckdb, spark:local[*], "
            "spark://host:7077 or sc://host:15002")


@dataclass(frozen=True)
class Location:
    kind: str  # postgres | duckdb | spark
    url: str  # as written
    table: str  # [catalog.][schema.]table

    @property
    def dialect(self) -> str:
        """SQLGlot's name for the engine's SQL dialect."""
        return {"postgres": "postgres", "duckdb": "duckdb", "spark": "spark"}[self.kind]

    @property
    def dsn(self) -> str:
        """PostgreSQL: the libpq connection string."""
        return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", self.url)

    @property
    def path(self) -> str:
        """DuckDB: the database file."""
        return self.url.removeprefix("duckdb://")

    @property
    def same_engine(self) -> str:
        """Two feeds can be joined in the engine when this key is equal."""
        return f"{self.kind}|{self.url}"


def parse_location(url: str, table: str) -> Location:
    """The location of a feed's records; ``ValueError`` says what is wrong and what to write."""
    url, table = url.strip(), table.strip()
    low = url.lower()
    if low.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        kind = "postgres"
    elif low.startswith("duckdb://"):
        kind = "duckdb"
        if not url.removeprefix("duckdb://"):
            raise ValueError("a DuckDB location needs the database file, e.g. duckdb:///srv/state.duckdb")
    elif low.startswith(("spark:local", "spark://", "sc://")):
        kind = "spark"
    else:
        raise ValueError(f"'{url}' is not a location StatDesk can read; write one of {EXAMPLES}, "
                         "or leave it empty for the workspace store")
    if not table:
        raise ValueError(f"the feed's records are at '{url}' but 'location_table' is empty; "
                         "name the table there, e.g. public.ui_claims")
    if not _TABLE.match(table):
        raise ValueError(f"'{table}' is not a table name; write [catalog.][schema.]table with "
                         "letters, digits and underscores")
    return Location(kind=kind, url=url, table=table)


def spark_master(url: str) -> tuple[str, str]:
    """('master', 'local[*]') or ('master', 'spark://h:7077') or ('remote', 'sc://h:15002')."""
    if url.startswith("sc://"):
        return "remote", url
    if url.startswith("spark:local"):
        return "master", url.removeprefix("spark:")
    return "master", url
