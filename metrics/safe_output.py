"""Spreadsheet files that are safe to open: no cell of text is run as a formula.

A cell of a CSV file that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read by Excel and LibreOffice as a formula (OWASP "CSV injection"): a
commitment text or a quarantined value such as ``=HYPERLINK("http://…")`` would become a
live link, or worse.  Every CSV StatDesk writes goes through :func:`write_csv`, which
puts a single quote before such text (the quote shows the cell is text and is not part of
the formula); every workbook through :func:`workbook_options`, which stores text as text.

Only text columns change: numbers, dates and booleans are written as they are, so a
negative number stays a number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

#: First characters that make a spreadsheet program read a cell as a formula (ASCII and
#: the full-width forms some programs also accept).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PATTERN = "^[" + "".join("\\t" if c == "\t" else "\\r" if c == "\r" else "\\" + c
                          if c in "=+-@" else c for c in FORMULA_PREFIXES) + "]"


def neutralise_text(value: str) -> str:
    """``value`` with a leading quote if a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def neutralise(df: pl.DataFrame) -> pl.DataFrame:
    """The same frame with every text cell that would start a formula quoted."""
    text = [c for c, t in df.schema.items() if t == pl.String or isinstance(t, pl.Categorical | pl.Enum)]
    if not text:
        return df
    return df.with_columns(
        pl.when(pl.col(c).cast(pl.String).str.contains(_PATTERN))
        .then(pl.lit("'") + pl.col(c).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String)).alias(c) for c in text)


def write_csv(df: pl.DataFrame, path: str | Path | None = None) -> str:
    """CSV text of ``df`` with formula prefixes neutralised; written to ``path`` if given."""
    text = neutralise(df).write_csv()
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def workbook_options() -> dict[str, Any]:
    """xlsxwriter options: text is always stored as text, never as a formula or a link."""
    return {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


__all__ = ["FORMULA_PREFIXES", "neutralise", "neutralise_text", "workbook_options", "write_csv"]
