"""Shared pieces of the printed documents: page shell, styles, tables, status badges.

Every piece of data or user text goes through ``esc``; the documents carry no script and
no external reference, so they open offline and print the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

STATUS_STYLE = {  # status -> (css class, short label); the word is always printed
    "not met": ("off", "Not met"),
    "off track": ("off", "Off track"),
    "at risk": ("risk", "At risk"),
    "uncertain": ("few", "Uncertain"),
    "too few cases": ("few", "Too few cases"),
    "no data": ("nodata", "No data"),
    "no agreed target": ("notarget", "No agreed target"),
    "on track": ("on", "On track"),
    "met": ("met", "Met"),
}

CSS = """
:root { --ink:#1a1a1a; --muted:#555; --rule:#bbb; }
* { box-sizing: border-box; }
body { font-family: "Liberation Sans", "DejaVu Sans", Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 60rem; padding: 1rem 1.25rem; font-size: 11pt; line-height: 1.4; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid var(--ink); padding-bottom: .15rem; margin-top: 1.5rem; }
h3 { font-size: 1.05rem; margin: 0 0 .35rem; }
p { margin: .3rem 0; }
.stamp { font-weight: bold; }
.meta { color: var(--muted); font-size: .9rem; }
.badge { display: inline-block; border: 1.5px solid currentColor; border-radius: .25rem;
         padding: 0 .35rem; font-weight: bold; font-size: .9rem; }
.off { color: #a33c00; } .risk { color: #7a5a00; } .on { color: #005f8f; } .met { color: #00664d; }
.few, .nodata, .notarget { color: #444; }
.kpi { border-top: 1px solid var(--rule); padding: .6rem 0 .8rem; break-inside: avoid; page-break-inside: avoid; }
.pair { display: flex; gap: 1rem; align-items: flex-start; flex-wrap: wrap; }
figure { margin: 0; }
figcaption { font-size: .8rem; color: var(--muted); max-width: 420px; }
table { border-collapse: collapse; font-size: .85rem; }
caption { text-align: left; font-weight: bold; font-size: .85rem; padding-bottom: .2rem; }
th, td { border: 1px solid var(--rule); padding: .15rem .4rem; vertical-align: top; }
th { background: #f0f0f0; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.wide { width: 100%; }
.overdue { font-weight: bold; }
nav ul { columns: 2; font-size: .9rem; }
@page { size: Letter; margin: 14mm 12mm; }
@media print { body { max-width: none; padding: 0; } a { color: inherit; text-decoration: none; } }
"""


def esc(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def badge(status: str) -> str:
    cls, label = STATUS_STYLE.get(status, ("nodata", status.capitalize() or "Unknown"))
    return f'<span class="badge {cls}">{esc(label)}</span>'


def document(*, title: str, body: str, extra_css: str = "") -> str:
    return ("<!DOCTYPE html>\n"
            f'<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}{extra_css}</style></head>"
            f"<body>{body}</body></html>\n")


def table(*, caption: str, headers: Sequence[str], rows: Sequence[Sequence[object]],
          numeric: Sequence[int] = (), row_header: bool = True, css_class: str = "",
          row_classes: Sequence[str] | None = None) -> str:
    """An accessible table: caption, ``scope`` on every header cell, first cell a row header."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = []
    for r_i, row in enumerate(rows):
        cells = []
        for i, v in enumerate(row):
            if i == 0 and row_header:
                cells.append(f'<th scope="row">{esc(v)}</th>')
            else:
                cls = ' class="num"' if i in numeric else ""
                cells.append(f"<td{cls}>{esc(v)}</td>")
        rc = f' class="{row_classes[r_i]}"' if row_classes and row_classes[r_i] else ""
        body.append(f"<tr{rc}>{''.join(cells)}</tr>")
    cls = f' class="{css_class}"' if css_class else ""
    return (f"<table{cls}><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")
