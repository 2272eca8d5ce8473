"""Reading the register's tables (CSV or XLSX) as text, with row numbers.

Every cell is read as text so that validation, not the reader, decides what a
value means; rows are numbered as staff see them in a spreadsheet (header is
row 1, the first data row is row 2).
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from metrics.errors import Issue, issue
from metrics.textio import UnknownEncoding, decode_text

EXTENSIONS = (".csv", ".xlsx")


def find_table(folder: Path, stem: str) -> Path | None:
    for ext in EXTENSIONS:
        p = folder / f"{stem}{ext}"
        if p.exists():
            return p
    return None


def read_table(path: Path) -> tuple[list[dict[str, str]], list[str], list[Issue]]:
    """Rows as dicts of stripped strings ('' for empty), the header, and read issues."""
    try:
        if path.suffix.lower() == ".xlsx":
            df = pl.read_excel(path, infer_schema_length=0)
        else:
            try:
                text, _encoding = decode_text(path.read_bytes())
            except UnknownEncoding as exc:
                return [], [], [issue("definitions.bad_encoding", file=path.name, detail=str(exc))]
            df = pl.read_csv(io.BytesIO(text.encode("utf-8")), infer_schema=False, encoding="utf8",
                             truncate_ragged_lines=False)
    except Exception as exc:  # noqa: BLE001 - any reader error is reported, never raised
        return [], [], [issue("definitions.unreadable_file", file=path.name,
                              detail=str(exc).splitlines()[0][:200])]
    df = df.select([pl.col(c).cast(pl.String) for c in df.columns])
    header = [c.strip() for c in df.columns]
    df.columns = header
    rows = []
    for rec in df.iter_rows(named=True):
        rows.append({k: ("" if v is None else str(v).strip()) for k, v in rec.items()})
    # drop fully empty trailing rows that spreadsheets leave behind
    while rows and not any(rows[-1].values()):
        rows.pop()
    return rows, header, []


def excel_row(i: int) -> int:
    """Spreadsheet row number of the i-th data row (0-based)."""
    return i + 2
