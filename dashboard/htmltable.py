"""Plain tables and headline figures as HTML: what the pages show for tables of up to a few
dozen rows, and for figures side by side.

A browser draws an HTML table at once (Streamlit's table and grid elements each cost a
noticeable part of a second on a modest laptop); text wraps inside the page, nothing is cut,
and every value is escaped, so data is shown as the characters it is and never as markup.
Each cell whose text is not the value itself (numbers, dates) keeps the full value in a
``data-value`` attribute, and each heading says its column's kind in ``data-kind`` (and, when the
heading shown is not the column's name, the name in ``data-column``), so the markup can be
read back with its types.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl


def _cell_format(name: str, dtype: pl.DataType, decimals: int | None) -> Callable[[Any], str]:
    """How a plain table writes one (non-null) value of a column; the data stay as they
    are (the cell keeps the full value in its ``data-value`` attribute)."""
    if dtype == pl.Date:
        return lambda v: f"{v:%Y-%m-%d}"
    if isinstance(dtype, pl.Datetime):
        return lambda v: f"{v:%Y-%m-%d %H:%M}"
    if name in ("Value", "CI low", "CI high", "Target trajectory") and decimals is not None:
        return lambda v: "" if v != v else f"{v:,.{decimals}f}"
    if name in ("Numerator", "Denominator"):
        return lambda v: "" if v != v else f"{v:,.0f}"
    if dtype.is_float():
        return lambda v: "" if v != v else f"{v:,.4f}".rstrip("0").rstrip(".")
    return str


#: The kind of each column, written on its heading (``data-kind``) so that a reader of the
#: markup (a scraper, a test) can take the values back with their types.
def _kind(dtype: pl.DataType) -> str:
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "float"
    return "text"


TABLE_CSS = """<style>
div.sd-scroll { overflow-x: auto; max-width: 100%; margin: 0 0 .5rem; }
div.sd-scroll:focus { outline: 2px solid #0b5394; outline-offset: 2px; }
table.sd-data { width: 100%; border-collapse: collapse; font-size: .9rem; }
table.sd-data th { text-align: left; font-weight: 600; padding: .3rem .5rem;
  border-bottom: 2px solid #d0d0d0; vertical-align: bottom; overflow-wrap: anywhere; }
table.sd-data td { padding: .3rem .5rem; border-bottom: 1px solid #e6e6e6; vertical-align: top;
  overflow-wrap: anywhere; }
table.sd-data td.sd-num, table.sd-data th.sd-num { text-align: right;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
table.sd-data a { color: #0b5394; }
table.sd-data caption { caption-side: top; text-align: left; color: #595959; }
</style>"""


def safe_href(url: str) -> str | None:
    """``url`` when it is a link within the app (relative) or a web address; else None
    (``javascript:`` and other schemes are never made into links)."""
    url = url.strip()
    head = url.split("?", 1)[0].split("#", 1)[0]
    if ":" not in head.split("/", 1)[0] and not url.startswith("//"):
        return url
    return url if url.lower().startswith(("https://", "http://")) else None


def html_table(df: pl.DataFrame, *, decimals: int | None = None,
               labels: Mapping[str, str] | None = None, caption: str | None = None,
               links: Mapping[str, str] | None = None) -> str:
    """``df`` as an HTML table: values formatted for reading and escaped (data is shown
    literally, never as markup), numbers right-aligned, nulls blank; each cell whose text
    is not the value itself carries the value in ``data-value``. ``links``: columns of
    addresses, shown as links with the given words."""
    labels = labels or {}
    links = links or {}
    kinds = [_kind(t) for t in df.dtypes]
    num = {"int", "float"}
    right = ' class="sd-num"'
    head = "".join(
        f'<th scope="col" data-kind="{k}"{right if k in num else ""}'
        + (f' data-column="{html.escape(c)}">{html.escape(labels[c])}' if c in labels
           else f">{html.escape(c)}") + "</th>"
        for c, k in zip(df.columns, kinds, strict=True))
    fmts = [_cell_format(n, t, decimals) for n, t in df.schema.items()]
    rows = []
    for row in df.iter_rows():
        cells = []
        for c, v, k, f in zip(df.columns, row, kinds, fmts, strict=True):
            cls = right if k in num else ""
            if v is None:
                cells.append(f'<td{cls} data-null=""></td>')
            elif k == "text" and c in links and (href := safe_href(str(v))) is not None:
                cells.append(f'<td data-value="{html.escape(str(v))}"><a href="'
                             f'{html.escape(href)}" target="_self">{html.escape(links[c])}</a></td>')
            elif k == "text":
                cells.append(f"<td>{html.escape(str(v))}</td>")
            else:
                raw = v.isoformat() if k in ("date", "datetime") else (
                    "true" if v is True else "false" if v is False else repr(v))
                cells.append(f'<td{cls} data-value="{html.escape(raw)}">'
                             f"{html.escape(f(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    # a table wider than its column scrolls inside its own region (reachable by keyboard),
    # never the page; numbers are never broken across lines
    name = caption or "Table of " + ", ".join(labels.get(c, c) for c in df.columns[:3])
    return (f'{TABLE_CSS}<div class="sd-scroll" role="region" tabindex="0" '
            f'aria-label="{html.escape(name)}"><table class="sd-data">{cap}<thead><tr>{head}'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


FIGURES_CSS = """<style>
dl.sd-figures { display: flex; flex-wrap: wrap; gap: .75rem; margin: 0 0 1rem; }
dl.sd-figures > div { flex: 1 1 10rem; border: 1px solid #d0d0d0; border-radius: .5rem;
  padding: .5rem .75rem; }
dl.sd-figures dt { color: #595959; font-size: .9rem; font-weight: normal; }
dl.sd-figures dd { margin: .15rem 0 0; font-size: 1.6rem; font-weight: 600; line-height: 1.2;
  overflow-wrap: anywhere; }
dl.sd-figures dd.sd-note { font-size: .85rem; font-weight: normal; color: #595959; }
dl.sd-figures .sd-icon { font-family: "Material Symbols Rounded"; font-weight: normal;
  vertical-align: -0.15em; margin-right: .2rem; }
</style>"""


def figures_html(items: Sequence[tuple[str, str] | tuple[str, str, str]],
                 icons: Mapping[str, str] | None = None) -> str:
    """Headline figures side by side as a description list: each label above its value
    (and an optional note under it), wrapping instead of being cut ("34.4 per 100,…")."""
    icons = icons or {}
    cells = []
    for label, value, *note in items:
        icon = icons.get(label, "")
        mark = (f'<span class="sd-icon" aria-hidden="true">'
                f'{html.escape(icon.removeprefix(":material/").removesuffix(":"))}</span>'
                if icon else "")
        extra = f'<dd class="sd-note">{html.escape(note[0])}</dd>' if note and note[0] else ""
        cells.append(f"<div><dt>{mark}{html.escape(label)}</dt>"
                     f"<dd>{html.escape(value)}</dd>{extra}</div>")
    return f'{FIGURES_CSS}<dl class="sd-figures">{"".join(cells)}</dl>'
