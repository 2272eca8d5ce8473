"""The data inventory as a DCAT-US 1.1 catalog (``data.json``, Project Open Data schema).

Schema: https://project-open-data.cio.gov/v1.1/schema .  ``accessLevel`` follows the
classification: ``public`` datasets are "public"; ``internal`` ones are "restricted
public" (available under a data-sharing agreement); ``confidential`` or restricted ones are
"non-public".  Anything but "public" carries ``rights`` saying why (at most 255 characters),
as the schema requires.  ``bureauCode`` and ``programCode`` are required of federal
agencies only, so a state catalog leaves them out.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl

from metrics.definitions import Register

from .inventory import split_list

CONFORMS_TO = "https://project-open-data.cio.gov/v1.1/schema"
CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
DESCRIBED_BY = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
PERIODICITY = {"monthly": "R/P1M", "quarterly": "R/P3M", "annual": "R/P1Y"}
PUBLIC_LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"


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
        "contactPoint": {"@type": "vcard:Contact", "fn": row["steward"],
                         "hasEmail": f"mailto:{row['steward_email']}"},
        "identifier": row["dataset_id"],
        "accessLevel": level,
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
    return {"@context": CONTEXT, "@type": "dcat:Catalog", "conformsTo": CONFORMS_TO,
            "describedBy": DESCRIBED_BY, "dataset": datasets}


def catalog_json(inventory: pl.DataFrame, register: Register, *, as_of: date,
                 base_url: str | None = None) -> str:
    return json.dumps(catalog(inventory, register, as_of=as_of, base_url=base_url), indent=2)
