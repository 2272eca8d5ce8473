"""Typed columns of the register's tables and their parsing into Python values.

A table is described by a list of :class:`Field`; :func:`parse_rows` turns text
rows into typed dicts, recording an :class:`~metrics.errors.Issue` (file, row,
column, what would be valid) for every cell that does not parse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from metrics.errors import Issue, issue
from metrics.periods import parse_period

from .tables import excel_row

TRUE = {"true", "yes", "y", "1", "t"}
FALSE = {"false", "no", "n", "0", "f"}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"  # text | int | float | bool | date | period | choice | list
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()


def _parse(f: Field, raw: str) -> tuple[Any, tuple[str, dict[str, Any]] | None]:
    """(value, error) where error is (code, fields) or None."""
    if raw == "":
        return f.default, None
    if f.kind == "text":
        return raw, None
    if f.kind == "int":
        try:
            return int(float(raw)) if float(raw).is_integer() else int(raw), None
        except ValueError:
            return None, ("definitions.bad_number", {})
    if f.kind == "float":
        try:
            return float(raw), None
        except ValueError:
            return None, ("definitions.bad_number", {})
    if f.kind == "bool":
        low = raw.lower()
        if low in TRUE:
            return True, None
        if low in FALSE:
            return False, None
        return None, ("definitions.bad_choice", {"valid": "yes, no"})
    if f.kind == "date":
        try:
            return date.fromisoformat(raw[:10]), None
        except ValueError:
            return None, ("definitions.bad_date", {})
    if f.kind == "period":
        try:
            parse_period(raw)
            return raw, None
        except ValueError:
            return None, ("definitions.bad_period", {})
    if f.kind == "choice":
        low = raw.lower()
        if low in f.choices:
            return low, None
        return None, ("definitions.bad_choice", {"valid": ", ".join(f.choices)})
    if f.kind == "list":
        return tuple(p.strip() for p in raw.replace(",", ";").split(";") if p.strip()), None
    raise ValueError(f"unknown field kind {f.kind}")


def parse_rows(file: str, rows: list[dict[str, str]], header: Sequence[str],
               fields: Sequence[Field], issues: list[Issue]) -> list[dict[str, Any]]:
    """Typed rows; every problem appended to ``issues``. Each row gets ``_row``."""
    missing = [f.name for f in fields if f.required and f.name not in header]
    for name in missing:
        issues.append(issue("definitions.missing_column", file=file, column=name,
                            found=", ".join(header) or "(none)"))
    if missing:
        return []
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        rec: dict[str, Any] = {"_row": excel_row(i)}
        for f in fields:
            raw = row.get(f.name, "")
            if raw == "" and f.required:
                issues.append(issue("definitions.required", file=file, row=excel_row(i),
                                    column=f.name))
                rec[f.name] = None
                continue
            val, err = _parse(f, raw)
            if err:
                code, extra = err
                issues.append(issue(code, file=file, row=excel_row(i), column=f.name,
                                    value=raw, **extra))
            rec[f.name] = val
        out.append(rec)
    return out


def check_unique(file: str, rows: list[dict[str, Any]], key: str, issues: list[Issue]) -> None:
    seen: dict[Any, int] = {}
    for r in rows:
        v = r.get(key)
        if v is None:
            continue
        if v in seen:
            issues.append(issue("definitions.duplicate_id", file=file, row=r["_row"], column=key,
                                value=v, first_row=seen[v]))
        else:
            seen[v] = r["_row"]


def check_refs(file: str, rows: list[dict[str, Any]], column: str, known: Sequence[str] | set[str],
               kind: str, issues: list[Issue], *, allow: Callable[[str], bool] | None = None) -> None:
    known_set = set(known)
    for r in rows:
        v = r.get(column)
        if v in (None, ""):
            continue
        values = v if isinstance(v, tuple) else (v,)
        for one in values:
            if one in known_set or (allow and allow(one)):
                continue
            shown = ", ".join(sorted(known_set)[:12]) + (" …" if len(known_set) > 12 else "")
            issues.append(issue("definitions.unknown_reference", file=file, row=r["_row"],
                                column=column, value=one, kind=kind, valid=shown or "(none)"))
