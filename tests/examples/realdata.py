"""Where the real public files are: ``$STATDESK_REALDATA``, else ``../shared/realdata`` beside
the repository (as CI has them). They are never committed; tests that need one skip, saying
where they looked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLACES = [Path(p) for p in (os.environ.get("STATDESK_REALDATA", ""),) if p] + [
    ROOT.parent / "shared" / "realdata"]


def real_file(name: str, what: str) -> tuple[Path, pytest.MarkDecorator]:
    """The path of the real file ``name`` and a skip mark for when it is absent."""
    path = next((d / name for d in PLACES if (d / name).exists()), PLACES[0] / name)
    return path, pytest.mark.skipif(
        not path.exists(), reason=f"real {what} file {name} not found (looked in "
        f"{', '.join(str(d) for d in PLACES)}; set STATDESK_REALDATA); it is never committed")
