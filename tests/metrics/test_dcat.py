"""The inventory as DCAT-US 1.1 (data.json) checked against the schema's required fields.

Required fields transcribed from the Project Open Data Metadata Schema v1.1,
https://project-open-data.cio.gov/v1.1/schema (catalog.json, dataset.json,
dataset-non-federal.json, distribution.json):

* Catalog: ``conformsTo`` (= "https://project-open-data.cio.gov/v1.1/schema") and
  ``dataset`` (array) are required.
* Dataset: ``title``, ``description``, ``keyword`` (array, at least one non-empty string),
  ``modified`` (ISO 8601 date or repeating interval), ``publisher`` (object with ``name``),
  ``contactPoint`` (object with ``fn`` and ``hasEmail`` as "mailto:..."), ``identifier``
  (unique in the catalog), ``accessLevel`` ("public", "restricted public" or "non-public").
  ``bureauCode`` (``NNN:NN``) and ``programCode`` (``NNN:NNN``) are required of federal
  agencies only (absent from dataset-non-federal.json); if present they must match.
* ``rights`` (at most 255 characters) is required when ``accessLevel`` is "restricted
  public" or "non-public", to explain why and how to ask for access.
* ``license``, if present, is a URL.
* Distribution: ``mediaType`` is required when ``downloadURL`` is given.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from metrics.access import operator
from metrics.governance.dcat import CONFORMS_TO, catalog
from metrics.governance.inventory import ensure_inventory, get, inventory_frame, save_dataset
from metrics.workspace import Workspace
from tests.conftest import AS_OF

CATALOG_REQUIRED = ("conformsTo", "dataset")
DATASET_REQUIRED = ("title", "description", "keyword", "modified", "publisher", "contactPoint",
                    "identifier", "accessLevel")
FEDERAL_ONLY = {"bureauCode": r"^[0-9]{3}:[0-9]{2}$", "programCode": r"^[0-9]{3}:[0-9]{3}$"}
ACCESS_LEVELS = ("public", "restricted public", "non-public")
MAILTO = re.compile(r"^mailto:[\w_~!$&'()*+,;=:.-]+@[\w.-]+\.[\w.-]+?$")
MODIFIED = re.compile(r"^(\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?|R/P.+)$")
MEDIA_TYPE = re.compile(r"^[-\w]+/[-\w]+(\.[-\w]+)*([+][-\w]+)?$")


def problems(cat: dict[str, Any]) -> list[str]:
    out = [f"catalog lacks {k}" for k in CATALOG_REQUIRED if k not in cat]
    if cat.get("conformsTo") != "https://project-open-data.cio.gov/v1.1/schema":
        out.append("conformsTo is not the v1.1 schema")
    ids = [d.get("identifier") for d in cat.get("dataset", [])]
    if len(ids) != len(set(ids)):
        out.append("identifiers are not unique")
    for d in cat.get("dataset", []):
        where = d.get("identifier", "?")
        out += [f"{where}: lacks {k}" for k in DATASET_REQUIRED if not d.get(k)]
        kw = d.get("keyword")
        if not isinstance(kw, list) or not kw or not all(isinstance(k, str) and k for k in kw):
            out.append(f"{where}: keyword must be a non-empty array of strings")
        if not MODIFIED.match(str(d.get("modified", ""))):
            out.append(f"{where}: modified is not ISO 8601")
        if not (d.get("publisher") or {}).get("name"):
            out.append(f"{where}: publisher has no name")
        cp = d.get("contactPoint") or {}
        if not cp.get("fn") or not MAILTO.match(str(cp.get("hasEmail", ""))):
            out.append(f"{where}: contactPoint needs fn and hasEmail mailto:")
        if d.get("accessLevel") not in ACCESS_LEVELS:
            out.append(f"{where}: accessLevel {d.get('accessLevel')!r}")
        if d.get("accessLevel") != "public" and not (0 < len(d.get("rights") or "") <= 255):
            out.append(f"{where}: rights (1-255 characters) required when not public")
        for k, pat in FEDERAL_ONLY.items():
            if k in d and not all(re.match(pat, c) for c in d[k]):
                out.append(f"{where}: {k} malformed")
        if "license" in d and not str(d["license"]).startswith(("http://", "https://")):
            out.append(f"{where}: license is not a URL")
        for dist in d.get("distribution", []):
            if "downloadURL" in dist and not MEDIA_TYPE.match(dist.get("mediaType", "")):
                out.append(f"{where}: distribution with downloadURL lacks mediaType")
    return out


def test_validator_catches_what_it_should() -> None:
    bad = {"dataset": [{"identifier": "a", "title": "A", "accessLevel": "secret",
                        "keyword": [], "distribution": [{"downloadURL": "https://x/a.csv"}]}]}
    found = " | ".join(problems(bad))
    for bit in ("catalog lacks conformsTo", "a: lacks description", "a: lacks contactPoint",
                "keyword must be", "accessLevel 'secret'", "lacks mediaType", "rights"):
        assert bit in found


def test_demo_catalog_validates(demo_copy: Path) -> None:
    ws = Workspace.open(demo_copy)
    at = datetime(2026, 11, 25, tzinfo=UTC)
    with ws.session() as s:
        ensure_inventory(s, ws.register, at=at)
        d = get(s, "doc_releases")
        values = {k: getattr(d, k) for k in ("dataset_id", "title", "description",
                                             "source_system", "agency_id", "steward",
                                             "steward_email", "classification", "legal_basis",
                                             "cadence", "feed_ids", "keywords")}
        save_dataset(s, ws.register, values | {"restricted": True,
                                               "restriction_citation": "State Corrections Code s. 4-12"},
                     expected_version=1, by="steward", at=at, acting=operator())
        frame = inventory_frame(s, ws.register)
    cat = json.loads(json.dumps(catalog(frame, ws.register, as_of=AS_OF,
                                        base_url="https://data.lakeland.gov/files")))
    assert problems(cat) == []
    assert cat["conformsTo"] == CONFORMS_TO and len(cat["dataset"]) == len(ws.register.feeds)
    by = {d["identifier"]: d for d in cat["dataset"]}
    assert by["hfa_evictions"]["accessLevel"] == "public"  # classified public in its contract
    assert by["hfa_evictions"]["distribution"][0]["mediaType"] == "text/csv"
    assert by["doc_releases"]["accessLevel"] == "non-public"
    assert "State Corrections Code s. 4-12" in by["doc_releases"]["rights"]
    assert by["dhs_snap"]["accessLevel"] == "restricted public"  # internal
    assert date.fromisoformat(by["dhs_snap"]["modified"]) <= date.today()
    assert by["dhs_snap"]["contactPoint"]["hasEmail"] == "mailto:nadia.haddad@dhs.lakeland.gov"


def _with_codes(demo_copy: Path, codes: dict[str, tuple[str, str]]) -> Path:
    """The demo's definitions with bureau_code and program_code filled in for some agencies."""
    import polars as pl

    path = demo_copy / "definitions" / "agencies.csv"
    df = pl.read_csv(path)
    df = df.with_columns(
        pl.col("agency_id").replace_strict({a: b for a, (b, _p) in codes.items()}, default="")
        .alias("bureau_code"),
        pl.col("agency_id").replace_strict({a: p for a, (_b, p) in codes.items()}, default="")
        .alias("program_code"))
    df.write_csv(path)
    return demo_copy / "definitions"


def test_federal_codes_come_from_the_definitions_in_both_catalogs(demo_copy: Path) -> None:
    from metrics.definitions import validate
    from metrics.governance.dcat import CatalogInfo, snapshot_catalog

    register, issues = validate(_with_codes(demo_copy, {"doh": ("009:15", "009:020")}))
    assert register is not None
    warning = next(i for i in issues if i.code == "definitions.no_federal_codes")
    assert warning.level == "warning" and "6 of 7 agencies have no bureau_code" in warning.message
    assert "doh" not in warning.message.split("(")[1].split(")")[0].split(", ")
    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        ensure_inventory(s, register, at=datetime(2026, 11, 25, tzinfo=UTC))
        frame = inventory_frame(s, register)
    inventory = catalog(frame, register, as_of=AS_OF)
    kpis = [k for k in register.kpis.values() if k.public]
    snap = snapshot_catalog(register, kpis, version="2026-10-v1", modified=AS_OF, temporal={},
                            info=CatalogInfo())
    for cat in (inventory, snap):
        assert problems(cat) == []
        assert "000:00" not in json.dumps(cat)
    for d in inventory["dataset"]:
        doh = frame.filter(frame["dataset_id"] == d["identifier"])["agency_id"][0] == "doh"
        assert (d.get("bureauCode"), d.get("programCode")) == \
            ((["009:15"], ["009:020"]) if doh else (None, None))
    by_title = {d["title"]: d for d in snap["dataset"]}
    for k in kpis:
        assert by_title[k.name].get("bureauCode") == (["009:15"] if k.agency_id == "doh" else None)
    # the dataset of all observations spans every agency: it carries the codes that exist
    assert snap["dataset"][0]["bureauCode"] == ["009:15"]


def test_a_placeholder_or_malformed_federal_code_is_refused(demo_copy: Path) -> None:
    from metrics.definitions import validate

    register, issues = validate(_with_codes(demo_copy, {"doh": ("000:00", "009:020"),
                                                        "doe": ("18", "000:000")}))
    assert register is None
    bad = sorted((i.column, i.value) for i in issues if i.code == "definitions.bad_federal_code")
    assert bad == [("bureau_code", "000:00"), ("bureau_code", "18"), ("program_code", "000:000")]
    text = next(str(i) for i in issues if i.value == "000:00")
    assert "agencies.csv" in text and "not a bureau code (NNN:NN, not all zeros)" in text
