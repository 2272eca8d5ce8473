"""Run ``statdesk`` in this process and kill it (SIGKILL) at one point of an ingest.

    python -m tests.faultpoints POINT statdesk-arguments...

POINT is where the process dies, seen through SQLAlchemy session events on the session that
writes the batch (so the product carries no test hook):

- ``after_files``: the accepted rows are written to the feed store, nothing is in the database;
- ``before_commit``: every row of the batch is flushed, the transaction is not committed;
- ``after_commit``: the transaction is committed.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from metrics.cli import app
from metrics.store.tables import Batch

POINTS = ("after_files", "before_commit", "after_commit")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    """Kill this process when the session writing a batch reaches ``point``."""
    if point not in POINTS:
        raise SystemExit(f"unknown fault point '{point}'; use one of {', '.join(POINTS)}.")

    @event.listens_for(Session, "before_flush")
    def _flushing(session: Session, _context: Any, _instances: Any) -> None:
        if any(isinstance(o, Batch) for o in session.new):
            if point == "after_files":
                _die()
            session.info["writes_batch"] = True

    @event.listens_for(Session, "before_commit")
    def _committing(session: Session) -> None:
        if point == "before_commit" and session.info.get("writes_batch"):
            _die()

    @event.listens_for(Session, "after_commit")
    def _committed(session: Session) -> None:
        if point == "after_commit" and session.info.get("writes_batch"):
            _die()


if __name__ == "__main__":
    arm(sys.argv[1])
    app(sys.argv[2:], prog_name="statdesk")
