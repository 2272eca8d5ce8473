"""DCAT-US 1.1 catalogs (``data.json``, Project Open Data schema): of the data inventory
(:func:`catalog`) and of a public snapshot (:func:`snapshot_catalog`).

Schema: https://project-open-data.cio.gov/v1.1/schema .  ``accessLevel`` follows the
classification: ``public`` datasets are "public"; ``internal`` ones are "restricted
public" (available under a data-sharing agreement); ``confidential`` or restricted ones are
"non-public".  Anything but "public" carries ``rights`` saying why (at most 255 characters),
as the schema requires.  ``bureauCode`` and ``programCode`` are federal codes, required of
federal agencies only: a dataset carries those of its agency (``bureau_code`` and
``program_code`` in agencies.csv) and leaves them out when the agency has none
(``statdesk validate`` warns); never a placeholder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from metrics.definitions import Kpi, Register

from .inventory import split_list

CONFORMS_TO = "https://project-open-data.cio.gov/v1.1/schema"
CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
DESCRIBED_BY = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
PERIODICITY = {"monthly": "R/P1M", "quarterly": "R/P3M", "annual": "R/P1Y"}
PUBLIC_LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"
GRAIN_PERIODICITY = {"month": "R/P1M", "rolling12": "R/P1M", "quarter": "R/P3M", "year": "R/P1Y",
                     "fiscal": "R/P1Y"}
MEDIA = {"csv": ("text/csv", "CSV"), "json": ("application/json", "JSON"),
         "parquet": ("application/vnd.apache.parquet", "Parquet")}


@dataclass(frozen=True)
class CatalogInfo:
    """Who publishes a snapshot and where its files will be served (DCAT-US fields).

    Empty ``contact_email`` and ``base_url`` are derived from the agencies' e-mail domain.
    """

    publisher: str = "Governor's Office of Results"
    contact_name: str = "Governor's Office of Results"
    contact_email: str = ""
    base_url: str = ""
    license: str = PUBLIC_LICENSE

    def resolved(self, register: Register) -> CatalogInfo:
        domain = "example.gov"
        for a in register.agencies.values():
            if "@" in a.lead_email:
                parts = a.lead_email.split("@", 1)[1].split(".")
                domain = ".".join(parts[-2:])
                break
        return CatalogInfo(
            publisher=self.publisher, contact_name=self.contact_name,
            contact_email=self.contact_email or f"results@{domain}",
            base_url=(self.base_url or f"https://data.{domain}/results").rstrip("/"),
            license=self.license)


def federal_codes(register: Register, agency_ids: Iterable[str]) -> dict[str, list[str]]:
    """``bureauCode`` and ``programCode`` of the agencies that have them; none when none do."""
    agencies = [register.agencies[a] for a in dict.fromkeys(agency_ids) if a in register.agencies]
    bureaus = sorted({a.bureau_code for a in agencies if a.bureau_code})
    programs = sorted({a.program_code for a in agencies if a.program_code})
    return ({"bureauCode": bureaus} if bureaus else {}) | ({"programCode": programs} if programs else {})


def _contact(name: str, email: str) -> dict[str, str]:
    return {"@type": "vcard:Contact", "fn": name, "hasEmail": f"mailto:{email}"}


def _catalog(datasets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": CONTEXT, "@type": "dcat:Catalog", "conformsTo": CONFORMS_TO,
            "describedBy": DESCRIBED_BY, "dataset": datasets}


def access_level(classification: str, restricted: bool) -> str:
    if restricted or classification == "confidential":
        return "non-public"
    if classification == "internal":
        return "restricted public"
    return "public"


def _rights(row: dict[str, Any], level: str) -> str | None:
    if level == "public":
        return None
    if row["restricted"] and row["restriction_citation"]:
        text = f"Restricted by {row['restriction_citation']}."
    elif level == "non-public":
        text = f"Confidential; shared between agencies only under {row['legal_basis'] or 'law'}."
    else:
        agreements = row.get("agreement_ids") or "a data-sharing agreement"
        text = f"Available to public bodies under {agreements}; ask the steward."
    return text[:255]


def dataset_entry(row: dict[str, Any], register: Register, *, modified: date,
                  base_url: str | None = None) -> dict[str, Any]:
    """One inventory row (``inventory.inventory_frame``) as a DCAT-US dataset."""
    agency = register.agencies.get(row["agency_id"])
    level = access_level(row["classification"], bool(row["restricted"]))
    keywords = split_list(row["keywords"]) or [row["agency_id"]]
    out: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "title": row["title"],
        "description": row["description"] or row["title"],
        "keyword": keywords,
        "modified": modified.isoformat(),
        "publisher": {"@type": "org:Organization",
                      "name": agency.name if agency else row["agency_id"]},
        "contactPoint": _contact(row["steward"], row["steward_email"]),
        "identifier": row["dataset_id"],
        "accessLevel": level,
        **federal_codes(register, [row["agency_id"]]),
    }
    rights = _rights(row, level)
    if rights:
        out["rights"] = rights
    if row["cadence"] in PERIODICITY:
        out["accrualPeriodicity"] = PERIODICITY[row["cadence"]]
    if row.get("kpis"):
        out["theme"] = ["Performance management"]
    if level == "public":
        out["license"] = PUBLIC_LICENSE
        if base_url:
            out["distribution"] = [{
                "@type": "dcat:Distribution",
                "downloadURL": f"{base_url.rstrip('/')}/{row['dataset_id']}.csv",
                "mediaType": "text/csv", "format": "CSV", "title": row["title"]}]
    return out


def catalog(inventory: pl.DataFrame, register: Register, *, as_of: date,
            base_url: str | None = None) -> dict[str, Any]:
    """The DCAT-US 1.1 catalog of the inventory.  ``modified`` of each dataset is its last
    batch, else its last edit, else ``as_of``."""
    datasets = []
    for row in inventory.to_dicts():
        edited = date.fromisoformat(row["updated_at"][:10]) if row.get("updated_at") else None
        modified = row.get("last_batch") or edited or as_of
        datasets.append(dataset_entry(row, register, modified=modified, base_url=base_url))
    return _catalog(datasets)


def catalog_json(inventory: pl.DataFrame, register: Register, *, as_of: date,
                 base_url: str | None = None) -> str:
    return json.dumps(catalog(inventory, register, as_of=as_of, base_url=base_url), indent=2)


def snapshot_catalog(register: Register, kpis: list[Kpi], *, version: str, modified: date,
                     temporal: dict[str, tuple[date, date]], info: CatalogInfo) -> dict[str, Any]:
    """The catalog of a public snapshot: one dataset per KPI and one for all observations."""
    info = info.resolved(register)
    root = f"{info.base_url}/{version}"

    def dist(path: str, title: str) -> list[dict[str, Any]]:
        out = []
        for ext, (media, fmt) in MEDIA.items():
            out.append({"@type": "dcat:Distribution", "title": f"{title} ({fmt})",
                        "downloadURL": f"{root}/{path}.{ext}", "mediaType": media, "format": fmt,
                        "describedBy": f"{root}/data_dictionary.json",
                        "describedByType": "application/json"})
        return out

    common = {
        "modified": modified.isoformat(),
        "publisher": {"@type": "org:Organization", "name": info.publisher},
        "contactPoint": _contact(info.contact_name, info.contact_email),
        "accessLevel": "public", "license": info.license,
        "describedBy": f"{root}/data_dictionary.json", "describedByType": "application/json",
        "language": ["en-US"],
    }
    datasets = []
    for k in kpis:
        priority = register.priority_of(k)
        words = [priority.name, register.goals[k.goal_id].name, "equity", "race and ethnicity",
                 "region", k.noun]
        d = {"@type": "dcat:Dataset", "title": k.name,
             "description": (k.description or k.name) + " Small counts are suppressed to "
                            "protect privacy; see the methodology.",
             "keyword": list(dict.fromkeys(w for w in words if w)),
             "identifier": f"{info.base_url}/kpi/{k.kpi_id}",
             "accrualPeriodicity": GRAIN_PERIODICITY.get(k.grain, "irregular"),
             "distribution": dist(f"kpis/{k.kpi_id}", k.name), **common,
             **federal_codes(register, [k.agency_id])}
        if k.kpi_id in temporal:
            a, b = temporal[k.kpi_id]
            d["temporal"] = f"{a.isoformat()}/{b.isoformat()}"
        datasets.append(d)
    all_obs = {"@type": "dcat:Dataset", "title": "Equity snapshot: all published observations",
               "description": ("Every published observation of the priority outcomes, by race "
                               "and ethnicity and by region, after suppression of small counts."),
               "keyword": ["equity", "performance", "race and ethnicity", "region"],
               "identifier": f"{info.base_url}/observations",
               "distribution": [{"@type": "dcat:Distribution", "title": "All observations (CSV)",
                                 "downloadURL": f"{root}/observations.csv",
                                 "mediaType": "text/csv", "format": "CSV"}], **common,
               **federal_codes(register, [k.agency_id for k in kpis])}
    return _catalog([all_obs, *datasets])
