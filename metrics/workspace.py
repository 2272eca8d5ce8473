"""A workspace: one state's register, database and feed storage, in one folder.

::

    WORKSPACE/
      definitions/     the register staff maintain (CSV or XLSX, regions.geojson)
      inbox/           drop folder for agency files
      store/feeds/     accepted rows, Parquet, one file per feed, month and batch
      statdesk.db      the embedded database (unless STATDESK_DATABASE_URL is set)

Every command and the app take the workspace from ``--workspace`` or
``STATDESK_WORKSPACE`` (default ``data/demo``), and the database from
``STATDESK_DATABASE_URL`` (default: the SQLite file above).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from metrics.definitions import Register, load_register
from metrics.store import make_engine, migrate

DEFAULT_WORKSPACE = "data/demo"


def resolve_workspace(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get("STATDESK_WORKSPACE") or DEFAULT_WORKSPACE).resolve()


@dataclass
class Workspace:
    root: Path
    database_url: str = ""
    _engine: Engine | None = field(default=None, repr=False)

    @classmethod
    def open(cls, path: str | Path | None = None, database_url: str | None = None) -> Workspace:
        root = resolve_workspace(path)
        url = database_url or os.environ.get("STATDESK_DATABASE_URL") or ""
        if not url:
            url = f"sqlite:///{root / 'statdesk.db'}"
        return cls(root=root, database_url=url)

    @property
    def definitions_dir(self) -> Path:
        return self.root / "definitions"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def feed_store(self) -> Path:
        return self.root / "store" / "feeds"

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            if self.database_url.startswith("sqlite:///"):
                Path(self.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self._engine = make_engine(self.database_url)
        return self._engine

    def init_db(self) -> None:
        migrate(self.engine)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    @cached_property
    def definitions_register(self) -> Register:
        """The register as the definitions folder says it."""
        return load_register(self.definitions_dir)

    @cached_property
    def register(self) -> Register:
        """The register in force: the definitions, with targets agreed in the app."""
        from metrics.target_edits import effective_register

        with self.session() as s:  # no database yet, or not migrated: the definitions alone
            return effective_register(self.definitions_register, s)

    def reload(self) -> Register:
        self.__dict__.pop("register", None)
        self.__dict__.pop("definitions_register", None)
        return self.register

    def exists(self) -> bool:
        return self.definitions_dir.is_dir()
