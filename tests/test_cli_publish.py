"""statdesk publish / serve-public."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from metrics.cli import app

runner = CliRunner()


def test_publish_prints_version_and_cells_suppressed(demo_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    args = ["publish", str(out), "--workspace", str(demo_copy), "--as-of", "2026-11-25",
            "--kpi", "prenatal_care", "--kpi", "graduation_rate", "--by", "staff"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert f"Published 2026-10-v1 to {out / '2026-10-v1'}" in r.output
    m = re.search(r"cells suppressed: (\d+) primary, (\d+) complementary", r.output)
    assert m, r.output
    manifest = json.loads((out / "2026-10-v1" / "manifest.json").read_text())
    assert manifest["cells_suppressed"] == {"primary": int(m[1]), "complementary": int(m[2])}
    assert int(m[1]) > 0 and int(m[2]) > 0
    assert manifest["settings"]["kpis"] == ["graduation_rate", "prenatal_care"]
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "Published 2026-10-v2" in again.output


def test_publish_refuses_bad_input(demo_copy: Path, tmp_path: Path) -> None:
    base = ["publish", str(tmp_path / "site"), "--workspace", str(demo_copy), "--as-of", "2026-11-25"]
    r = runner.invoke(app, [*base, "--kpi", "repeat_maltreatment"])
    assert r.exit_code == 1 and "not public" in r.output
    r = runner.invoke(app, [*base, "--threshold", "0"])
    assert r.exit_code == 1 and "threshold must be at least 1" in r.output
    assert not (tmp_path / "site").exists() or not any((tmp_path / "site").iterdir())


def test_serve_public_needs_a_snapshot(tmp_path: Path) -> None:
    r = runner.invoke(app, ["serve-public", str(tmp_path)])
    assert r.exit_code == 1
    assert "no snapshot in" in r.output and "statdesk publish" in r.output
