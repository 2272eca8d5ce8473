"""Public snapshots built from the demo state: no hidden figure anywhere, audited, immutable."""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from metrics.access import operator
from metrics.engine import load_observations
from metrics.publish import SnapshotError, build_snapshot, public_register
from metrics.publish.linked import audit_release
from metrics.publish.release import release
from metrics.suppression import PUBLIC, DisclosureError
from metrics.workspace import Workspace
from tests.conftest import AS_OF
from tests.metrics.test_summaries_es import english_words, numbers

CELL = ["kpi_id", "period", "region", "group"]
FIGURES = ["numerator", "denominator", "value", "ci_low", "ci_high"]
PRIVATE = "repeat_maltreatment"


def demo_source(workspace: Path) -> tuple[Any, pl.DataFrame]:
    ws = Workspace.open(workspace)
    return ws.register, load_observations(ws.engine)


@pytest.fixture(scope="module")
def source(demo_workspace: Path) -> tuple[Any, pl.DataFrame]:
    return demo_source(demo_workspace)


@pytest.fixture(scope="module")
def snapshot(source: tuple[Any, pl.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("published")
    result = build_snapshot(source, out, as_of=AS_OF, published_by="staff", acting=operator())
    assert result.path == out / "2026-10-v1"
    return result.path


@pytest.fixture(scope="module")
def original(source: tuple[Any, pl.DataFrame]) -> pl.DataFrame:
    register, obs = source
    public = [k for k, v in register.kpis.items() if v.public]
    obs = obs.filter(pl.col("kpi_id").is_in(public) & (pl.col("period_end") <= AS_OF))
    # the figures the snapshot releases (statewide by group per period, regions by 12 months)
    return release(public_register(register), obs)


@pytest.fixture(scope="module")
def published(snapshot: Path) -> pl.DataFrame:
    return pl.read_csv(snapshot / "observations.csv", schema_overrides={
        "period": pl.String, "region": pl.String, "group": pl.String,
        **dict.fromkeys(FIGURES, pl.Float64)})


def _records(path: Path) -> pl.DataFrame | None:
    """Observation records held by a file (CSV, Parquet or JSON list of rows), else None."""
    if path.suffix == ".csv":
        df = pl.read_csv(path, infer_schema_length=0)
    elif path.suffix == ".parquet":
        df = pl.read_parquet(path)
    elif path.suffix == ".json":
        doc = json.loads(path.read_text())
        if not (isinstance(doc, list) and doc and isinstance(doc[0], dict) and "period" in doc[0]):
            return None
        df = pl.DataFrame(doc, infer_schema_length=None)
    else:
        return None
    return df if set(CELL) <= set(df.columns) else None


def test_snapshot_has_the_promised_files(snapshot: Path) -> None:
    names = {p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()}
    for n in ("observations.csv", "data_dictionary.csv", "data_dictionary.json", "kpis.json",
              "targets.json", "status_rules.json", "status.json", "data.json", "summaries.json",
              "manifest.json", "regions.geojson", "kpis/prenatal_care.csv",
              "kpis/prenatal_care.parquet", "kpis/prenatal_care.json"):
        assert n in names
    header = (snapshot / "observations.csv").read_text().splitlines()[0].split(",")
    assert header[:10] == ["kpi_id", "period", "region", "group", "numerator", "denominator",
                           "value", "ci_low", "ci_high", "reliable"]
    assert header[-3:] == ["suppressed", "suppression_reason", "grain"]


def test_no_suppressed_figure_in_any_tabular_file(snapshot: Path, published: pl.DataFrame) -> None:
    hidden = published.filter(pl.col("suppressed")).select(CELL)
    assert hidden.height > 1000  # the demo has many small cells
    scanned = 0
    for path in sorted(snapshot.rglob("*")):
        if not path.is_file():
            continue
        df = _records(path)
        if df is None:
            continue
        scanned += 1
        rows = df.with_columns(pl.col(c).cast(pl.String) for c in CELL).join(hidden, on=CELL)
        assert rows.height > 0 or "kpis/" in path.as_posix()
        for c in FIGURES:
            if c in rows.columns:
                leaked = rows.filter(pl.col(c).cast(pl.String).fill_null("") != "")
                assert leaked.height == 0, f"{path.name}: {c} of a suppressed cell is published"
        # every suppressed row says why
        if "suppression_reason" in rows.columns:
            assert rows.get_column("suppression_reason").cast(pl.String).str.starts_with(
                "suppressed").all()
    assert scanned == 1 + 3 * 19  # observations.csv and three files per public KPI


def _small(original: pl.DataFrame, col: str) -> pl.DataFrame:
    v = pl.col(col)
    return original.filter((v > 0) & (v < PUBLIC.threshold)).select(CELL)


def test_every_small_count_is_hidden(original: pl.DataFrame, published: pl.DataFrame,
                                     source: tuple[Any, pl.DataFrame]) -> None:
    register, _ = source
    counted = [k for k, v in register.kpis.items() if v.measure in ("proportion", "rate", "count")]
    shown = published.filter(~pl.col("suppressed")).select(CELL)
    small_n = _small(original.filter(pl.col("kpi_id").is_in(counted)), "numerator")
    small_d = _small(original, "denominator")
    assert small_n.height > 1000 and small_d.height > 100
    assert small_n.join(shown, on=CELL).height == 0, "a small numerator is published"
    assert small_d.join(shown, on=CELL).height == 0, "a small denominator is published"


def test_no_hidden_count_follows_from_a_total_minus_its_parts(published: pl.DataFrame) -> None:
    """Independent of the LP audit: no row or column of a table has exactly one hidden cell."""
    tables = published.with_columns(h=pl.col("suppressed"))
    for line, other in (("region", "group"), ("group", "region")):
        per = tables.group_by("kpi_id", "period", line).agg(hidden=pl.col("h").sum(),
                                                             n=pl.len())
        # a line with exactly one hidden cell among its published parts and total
        lonely = per.filter((pl.col("hidden") == 1) & (pl.col("n") > 1))
        assert lonely.height == 0, lonely.head(5)
        assert other  # both directions checked


def test_lp_audit_of_the_published_file(original: pl.DataFrame, published: pl.DataFrame,
                                        source: tuple[Any, pl.DataFrame]) -> None:
    """Every small count hidden in the file cannot be narrowed below the band by one LP
    over all its linked tables (periods inside twelve-month windows, margins, shared
    denominators)."""
    register, _ = source
    counts = [k for k, v in register.kpis.items() if v.public and v.measure in ("proportion", "rate", "count")]
    pub = published.with_columns(pl.col("reliable").cast(pl.Boolean))
    audit = audit_release(public_register(register), original, pub, PUBLIC)
    assert audit.problems == []
    small = _small(original.filter(pl.col("kpi_id").is_in(counts)), "numerator")
    audited = audit.intervals.filter(pl.col("table").str.starts_with("numerator"))
    assert small.join(audited, on=CELL, how="anti").height == 0
    assert audited.get_column("ok").all()


def test_non_public_kpi_appears_nowhere(snapshot: Path, source: tuple[Any, pl.DataFrame]) -> None:
    register, _ = source
    name = register.kpis[PRIVATE].name.encode()
    for path in snapshot.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PRIVATE.encode() not in data, path
            assert name not in data, path


def test_manifest_hashes_verify(snapshot: Path) -> None:
    manifest = json.loads((snapshot / "manifest.json").read_text())
    files = {p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()}
    assert set(manifest["files"]) == files - {"manifest.json"}
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((snapshot / name).read_bytes()).hexdigest() == meta["sha256"]
    assert manifest["settings"]["threshold"] == 11
    assert manifest["cells_suppressed"]["primary"] > 0
    assert manifest["cells_suppressed"]["complementary"] > 0


def test_existing_version_is_never_overwritten(snapshot: Path, source: tuple[Any, pl.DataFrame]) -> None:
    before = (snapshot / "manifest.json").read_bytes()
    with pytest.raises(SnapshotError, match="already exists"):
        build_snapshot(source, snapshot.parent, as_of=AS_OF, published_by="x", version=snapshot.name, acting=operator())
    assert (snapshot / "manifest.json").read_bytes() == before
    assert [p.name for p in snapshot.parent.iterdir()] == [snapshot.name]  # no temp folder left


def test_only_approved_targets_and_statuses_from_published_figures(
        snapshot: Path, published: pl.DataFrame) -> None:
    targets = json.loads((snapshot / "targets.json").read_text())
    ids = {t["kpi_id"] for t in targets}
    assert "eviction_filings" not in ids and "ui_weekly_benefit" not in ids
    assert all(t["approved_by"] for t in targets)
    status = {s["kpi_id"]: s for s in json.loads((snapshot / "status.json").read_text())["kpis"]}
    assert len(status) == 19
    assert status["eviction_filings"]["status"] == "no agreed target"
    for s in status.values():
        if s["value"] is None:
            continue
        row = published.filter((pl.col("kpi_id") == s["kpi_id"]) & (pl.col("period") == s["period"])
                               & (pl.col("region") == "all") & (pl.col("group") == "all"))
        assert row.get_column("value").item() == pytest.approx(s["value"])
    kpis = {k["kpi_id"] for k in json.loads((snapshot / "kpis.json").read_text())}
    rules = json.loads((snapshot / "status_rules.json").read_text())
    assert set(rules["kpis"]) == kpis == set(status)


def test_summaries_match_the_published_numbers(snapshot: Path, published: pl.DataFrame,
                                               source: tuple[Any, pl.DataFrame]) -> None:
    register, _ = source
    summaries = json.loads((snapshot / "summaries.json").read_text())["en"]
    status = {s["kpi_id"]: s for s in json.loads((snapshot / "status.json").read_text())["kpis"]}
    text = summaries["prenatal_care"]["text"]
    kpi = register.kpis["prenatal_care"]
    s = status["prenatal_care"]
    assert f"was {kpi.format_value(s['value'])}." in text
    target = next(t for t in json.loads((snapshot / "targets.json").read_text())
                  if t["kpi_id"] == "prenatal_care")
    assert target["target_date"] == "2027-06-30"
    assert f"The target for June 2027 is {kpi.format_value(target['target_value'])}." in text
    assert f"Against the target, it is {s['status']}." in text
    period = published.filter((pl.col("kpi_id") == "prenatal_care") & (pl.col("period") == s["period"]))
    groups = period.filter((pl.col("region") == "all") & ~pl.col("group").is_in(["all", "unknown"])
                           & ~pl.col("suppressed") & pl.col("reliable")).sort("value")
    low, high = groups.row(0, named=True), groups.row(-1, named=True)
    assert f"({kpi.format_value(low['value'])}) and highest" in text
    assert f"({kpi.format_value(high['value'])})." in text
    hidden = period.filter(pl.col("suppressed")).height
    if hidden:
        assert f"Figures for {hidden} small groups or regions are not shown" in text
    else:
        assert "not shown" not in text
    # groups too small alone month after month are published together, named as such
    combined = [g for g in groups.get_column("group").to_list() if "+" in g]
    names = json.loads((snapshot / "groups.json").read_text())
    for code in combined:
        assert names[code].endswith("(combined)")


def test_spanish_summaries_for_every_public_kpi(snapshot: Path,
                                                source: tuple[Any, pl.DataFrame]) -> None:
    register, _ = source
    summaries = json.loads((snapshot / "summaries.json").read_text())
    public = {k for k, v in register.kpis.items() if v.public}
    assert all(register.kpis[k].name_es for k in public)  # the demo names every public KPI
    assert set(summaries["es"]) == set(summaries["en"]) == public
    for kpi_id in sorted(public):
        en, es = summaries["en"][kpi_id]["text"], summaries["es"][kpi_id]["text"]
        assert numbers(es) == numbers(en), kpi_id  # the same figures, written the same way
        assert english_words(es) == [], (kpi_id, es)
        assert len(summaries["es"][kpi_id]["sentences"]) == len(summaries["en"][kpi_id]["sentences"])
    status = {s["kpi_id"]: s for s in json.loads((snapshot / "status.json").read_text())["kpis"]}
    kpi = register.kpis["prenatal_care"]
    es = summaries["es"]["prenatal_care"]["text"]
    assert f"la proporción de nacimientos con atención prenatal en el primer trimestre fue de " \
           f"{kpi.format_value(status['prenatal_care']['value'])}." in es
    assert "La meta para junio de 2027 es de " in es
    page = (snapshot / "kpi" / "prenatal_care.html").read_text()
    assert f'<h2 lang="es">Resumen</h2><p lang="es">{html.escape(es)}</p>' in page


def test_a_kpi_without_a_spanish_name_has_no_spanish_summary(
        source: tuple[Any, pl.DataFrame], tmp_path: Path) -> None:
    register, obs = source
    kpi = replace(register.kpis["graduation_rate"], name_es="")
    no_es = replace(register, kpis={**register.kpis, "graduation_rate": kpi})
    result = build_snapshot((no_es, obs), tmp_path / "out", as_of=AS_OF, published_by="x",
                            kpi_ids=["graduation_rate"], acting=operator())
    summaries = json.loads((result.path / "summaries.json").read_text())
    assert set(summaries["en"]) == {"graduation_rate"} and summaries["es"] == {}
    page = (result.path / "kpi" / "graduation_rate.html").read_text()
    assert "Resumen" not in page and 'lang="es"' not in page


def test_hidden_values_are_not_quoted_in_texts(snapshot: Path, original: pl.DataFrame,
                                               published: pl.DataFrame,
                                               source: tuple[Any, pl.DataFrame]) -> None:
    register, _ = source
    summaries = json.loads((snapshot / "summaries.json").read_text())["en"]
    status = {s["kpi_id"]: s for s in json.loads((snapshot / "status.json").read_text())["kpis"]}
    targets = json.loads((snapshot / "targets.json").read_text())
    for kpi_id, s in status.items():
        kpi = register.kpis[kpi_id]
        text = summaries[kpi_id]["text"] + json.dumps(s)
        cells = published.filter((pl.col("kpi_id") == kpi_id) & (pl.col("period") == s["period"]))
        every = published.filter(pl.col("kpi_id") == kpi_id).get_column("value").drop_nulls()
        every = pl.concat([every, *(published.filter(pl.col("kpi_id") == kpi_id)
                                    .get_column(c).drop_nulls() for c in ("ci_low", "ci_high"))])
        shown = {kpi.format_value(v) for v in every}
        shown |= {kpi.format_value(s.get(k)) for k in ("interim_target", "value")}
        # the numbers a region's or group's status states, all computed from published cells
        shown |= {kpi.format_value(v) for v in s.get("figures", {}).values()}
        shown |= {kpi.format_value(v) for lv in ("group_status", "region_status")
                  for r in s.get(lv, {}).values() for v in r.get("figures", {}).values()}
        shown |= {kpi.format_value(t[k]) for t in targets if t["kpi_id"] == kpi_id
                  for k in ("target_value", "baseline_value")}
        hidden = cells.filter(pl.col("suppressed")).select(CELL).join(original, on=CELL)
        for v in hidden.get_column("value").drop_nulls():
            quoted = kpi.format_value(v)
            if quoted not in shown and re.search(r"\d", quoted):
                pattern = r"(?<![\d.,$])" + re.escape(quoted) + r"(?![\d])"
                assert not re.search(pattern, text), (kpi_id, quoted)


def test_refused_snapshot_writes_nothing(source: tuple[Any, pl.DataFrame], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Primary suppression alone fails the linked audit: the snapshot is refused, nothing written."""
    import metrics.publish.linked as linked

    choose = linked.protect_release

    def primary_only(register: Any, rel: pl.DataFrame, policy: Any, **kw: Any) -> pl.DataFrame:
        out = choose(register, rel, policy, **kw)
        comp = pl.col("suppression_reason") == "suppressed: to protect another small cell"
        return out.with_columns(suppression_reason=pl.when(comp).then(None)
                                .otherwise(pl.col("suppression_reason")))

    monkeypatch.setattr(linked, "protect_release", primary_only)
    register, obs = source
    with pytest.raises(DisclosureError, match="narrowed"):
        build_snapshot((register, obs), tmp_path / "out", as_of=AS_OF, published_by="x",
                       kpi_ids=["prenatal_care"], acting=operator())
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_unknown_or_private_kpi_is_refused(source: tuple[Any, pl.DataFrame]) -> None:
    register, _ = source
    with pytest.raises(SnapshotError, match="not public"):
        public_register(register, [PRIVATE])
    with pytest.raises(SnapshotError, match="unknown KPI"):
        public_register(register, ["nope"])


def test_publication_is_recorded_and_versions_increase(demo_copy: Path) -> None:
    from sqlmodel import select

    from metrics.store.tables import Publication

    ws = Workspace.open(demo_copy)
    out = demo_copy / "published"
    first = build_snapshot(ws, out, as_of=AS_OF, published_by="staff", kpi_ids=["graduation_rate"], acting=operator())
    second = build_snapshot(ws, out, as_of=AS_OF, published_by="staff", kpi_ids=["graduation_rate"], acting=operator())
    # the version is named for the month of the latest data published (graduation: 2025)
    assert (first.version, second.version) == ("2025-12-v1", "2025-12-v2")
    with ws.session() as s:
        rows = s.exec(select(Publication).order_by(Publication.id)).all()
    assert [r.version for r in rows] == ["2025-12-v1", "2025-12-v2"]
    r = rows[0]
    assert r.published_by == "staff" and r.path == str(first.path)
    assert r.manifest_hash == hashlib.sha256((first.path / "manifest.json").read_bytes()).hexdigest()
    assert (r.cells_suppressed_primary, r.cells_suppressed_complementary) == (first.primary, first.complementary)
    assert json.loads(r.settings)["threshold"] == 11


# DCAT-US 1.1 (Project Open Data Metadata Schema v1.1), required fields transcribed from the
# published JSON schemas at https://project-open-data.cio.gov/v1.1/schema
# (catalog.json, dataset.json, dataset-non-federal.json, vcard.json, organization.json,
# distribution.json). bureauCode and programCode are required of federal agencies only.
DCAT_CATALOG_REQUIRED = ["conformsTo", "dataset"]
DCAT_DATASET_REQUIRED = ["title", "description", "keyword", "modified",
                         "publisher", "contactPoint", "identifier", "accessLevel"]
DCAT_CONTACT_REQUIRED = ["fn", "hasEmail"]
DCAT_PUBLISHER_REQUIRED = ["name"]
DCAT_DISTRIBUTION_WITH_DOWNLOAD = ["mediaType", "format"]
ACCESS_LEVELS = ("public", "restricted public", "non-public")


def test_data_json_is_a_dcat_us_catalog(snapshot: Path) -> None:
    doc = json.loads((snapshot / "data.json").read_text())
    for f in DCAT_CATALOG_REQUIRED:
        assert f in doc
    assert doc["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    titles = [d["title"] for d in doc["dataset"]]
    assert len(titles) == 1 + 19 and len(set(d["identifier"] for d in doc["dataset"])) == 20
    for d in doc["dataset"]:
        for f in DCAT_DATASET_REQUIRED:
            assert d.get(f) not in (None, "", []), (d["title"], f)
        assert d["accessLevel"] == "public" and d["accessLevel"] in ACCESS_LEVELS
        # the demo's state agencies have no federal codes: none is made up
        assert "bureauCode" not in d and "programCode" not in d
        assert isinstance(d["keyword"], list) and all(d["keyword"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", d["modified"])
        for f in DCAT_CONTACT_REQUIRED:
            assert d["contactPoint"][f]
        assert re.fullmatch(r"mailto:[\w.-]+@[\w.-]+\.[\w.-]+", d["contactPoint"]["hasEmail"])
        for f in DCAT_PUBLISHER_REQUIRED:
            assert d["publisher"][f]
        assert d["license"].startswith("https://")
        assert d["distribution"]
        for dist in d["distribution"]:
            assert dist["downloadURL"].startswith("https://")
            for f in DCAT_DISTRIBUTION_WITH_DOWNLOAD:
                assert dist[f]
            assert re.fullmatch(r"[-\w]+/[-\w]+(\.[-\w]+)*([+][-\w]+)?", dist["mediaType"])
            # every download URL names a file of the snapshot
            assert (snapshot / dist["downloadURL"].split(f"/{snapshot.name}/", 1)[1]).exists()
    assert "Children with a repeat maltreatment finding within 12 months" not in titles
