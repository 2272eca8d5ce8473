"""A static, accessible public site for a snapshot: plain HTML files beside the data.

``write_site(folder, ...)`` writes ``index.html`` (a tile per outcome: the statewide
figure, its status in words and colour, a sparkline and the largest gap between groups),
one page per outcome (``kpi/<id>.html``: summary, the trend as an inline SVG chart with
its table, groups and regions with their tables, downloads) and ``about.html``. Charts
are inline SVG with a text alternative and the same figures in a table; nothing is
loaded from another host and no server code runs, so the folder works from any web host
or object store. Only published rows are read: a hidden row shows its reason, never a
figure.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from metrics.definitions import Kpi, Register
from metrics.groups import GROUP_CODES, combined_note, is_combined
from metrics.groups import label as group_label
from metrics.public_html import largest_gap, svg_line

from .release import COARSE

__all__ = ["STATUS_COLOURS", "write_site"]

#: Status words and their colours (text on white passes WCAG AA contrast).
STATUS_COLOURS = {"met": "#1b5e20", "on track": "#1b5e20", "at risk": "#8a4b00",
                  "off track": "#b00020", "no agreed target": "#444444", "no data": "#444444"}
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1a1a1a;margin:0;
line-height:1.5;background:#fff}
header,main,footer{max-width:68rem;margin:0 auto;padding:0 1rem}
a{color:#0b4f8a}a:focus{outline:3px solid #0b4f8a;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(19rem,1fr));gap:1rem;
padding:0;list-style:none}
.tile{border:1px solid #767676;border-radius:6px;padding:1rem}
.tile h3{margin:.2rem 0;font-size:1.05rem}.figure{font-size:1.6rem;font-weight:700}
.status{font-weight:700}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #b0b0b0;padding:.25rem .5rem;text-align:left}
caption{text-align:left;font-weight:700;padding:.25rem 0}
.hidden-reason{color:#444;font-style:italic}
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _page(title: str, body: str, *, root: str = "") -> str:
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            f'<a class="skip" href="#main">Skip to content</a>'
            f'<header><p><a href="{root}index.html">Equity snapshot</a> · '
            f'<a href="{root}about.html">About the data</a></p></header>'
            f'<main id="main">{body}</main>'
            f"<footer><p>Counts from 1 to 10, and figures from which they could be worked "
            f"out, are not shown.</p></footer></body></html>\n")


def _status(s: dict[str, Any]) -> str:
    word = s.get("status") or "no data"
    colour = STATUS_COLOURS.get(word, "#444444")
    return f'<span class="status" style="color:{colour}">Status: {_e(word)}</span>'


def _table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    th = "".join(f'<th scope="col">{_e(h)}</th>' for h in head)
    body = "".join("<tr>" + "".join(
        (f'<th scope="row">{_e(c)}</th>' if i == 0 else f"<td>{c}</td>")
        for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><caption>{_e(caption)}</caption><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _cell(kpi: Kpi, r: dict[str, Any]) -> str:
    if r.get("suppressed"):
        return f'<span class="hidden-reason">{_e(r.get("suppression_reason"))}</span>'
    text = _e(kpi.format_value(r.get("value")))
    if r.get("reliable") is False:
        text += " (unreliable: fewer than 20 events)"
    return text


def write_site(folder: Path, reg: Register, pub: pl.DataFrame, statuses: dict[str, dict[str, Any]],
               summaries: dict[str, dict[str, dict[str, Any]]], *, month_text: str,
               version: str, threshold: int) -> list[Path]:
    """Write the static site into ``folder`` (the snapshot's own folder); returns its pages."""
    groups = {c: group_label(c) for c in ("all", *GROUP_CODES,
                                         *pub.get_column("group").unique().sort().to_list())}
    regions = {r.region_id: r.name for r in reg.regions.values()}
    (folder / "kpi").mkdir(exist_ok=True)
    pages: list[Path] = []
    tiles = []
    kpis = sorted(reg.kpis.values(), key=lambda k: (reg.priority_of(k).order, k.name))
    for k in kpis:
        s = statuses.get(k.kpi_id, {})
        rows = pub.filter(pl.col("kpi_id") == k.kpi_id)
        native = rows.filter(pl.col("grain") != COARSE)
        trend = native.filter((pl.col("region") == "all") & (pl.col("group") == "all")).sort(
            "period_end")
        points = [(p, None if h else v) for p, v, h in trend.select(
            "period", "value", "suppressed").rows()]
        latest = native.filter(pl.col("period") == s.get("period"))
        tiles.append(
            f'<li class="tile"><h3><a href="kpi/{_e(k.kpi_id)}.html">{_e(k.name)}</a></h3>'
            f'<p class="figure">{_e(k.format_value(s.get("value")))}</p>'
            f"<p>{_status(s)} · {_e(s.get('period_display') or s.get('period') or '')}</p>"
            f"{svg_line(points, label=f'{k.name}: trend, {len(points)} periods', spark=True)}"
            f"<p>{largest_gap(k.format_value, latest, groups)}</p></li>")
        pages.append(_kpi_page(folder, k, rows, s, summaries, groups, regions, points, threshold))
    body = (f"<h1>Equity snapshot: the state's priority outcomes</h1>"
            f"<p>Data current through {_e(month_text)} (version {_e(version)}). Each tile shows "
            f"the latest statewide figure, its status against the target in words, the trend "
            f"and the largest gap between groups whose figures are reliable.</p>"
            f'<h2>Outcomes</h2><ul class="tiles">{"".join(tiles)}</ul>')
    (folder / "index.html").write_text(_page("Equity snapshot", body), encoding="utf-8")
    pages.append(folder / "index.html")
    about = (f"<h1>About the data</h1><p>Counts from 1 to {threshold - 1} are not published. "
             "Statewide figures by race and ethnicity are published for each period; regions "
             "are published as twelve-month figures so that fewer figures have to be hidden. "
             "Groups too small to publish in most periods on their own are published together "
             "for each period (for example American Indian or Alaska Native and Native Hawaiian "
             "or Pacific Islander, combined) and each on its own as a twelve-month figure. "
             "Before publication, one linear programme over every published table of the "
             "snapshot (periods inside twelve-month windows, overlapping rolling windows, "
             "statewide and regional totals, KPIs that share a denominator) finds, for every "
             f"hidden count of 1 to {threshold - 1}, the smallest and largest value consistent "
             f"with everything published; the snapshot is refused unless that range is at least "
             f"{threshold} wide (or, for a percentage, the whole range from 0 to its "
             "denominator). A hidden row publishes nothing about itself: no figure, interval "
             "or reliability flag. Figures from fewer than 20 events are marked unreliable "
             "and are not used in comparisons.</p>"
             '<h2>Downloads</h2><ul><li><a href="observations.csv">All published observations '
             '(CSV)</a></li><li><a href="data_dictionary.csv">Data dictionary (CSV)</a></li>'
             '<li><a href="data.json">Catalog (DCAT-US data.json)</a></li></ul>')
    (folder / "about.html").write_text(_page("About the data", about), encoding="utf-8")
    pages.append(folder / "about.html")
    return pages


def _kpi_page(folder: Path, k: Kpi, rows: pl.DataFrame, s: dict[str, Any],
              summaries: dict[str, dict[str, dict[str, Any]]], groups: dict[str, str],
              regions: dict[str, str], points: list[tuple[str, float | None]],
              threshold: int) -> Path:
    native = rows.filter(pl.col("grain") != COARSE)
    trend = native.filter((pl.col("region") == "all") & (pl.col("group") == "all")).sort(
        "period_end")
    latest = native.filter(pl.col("period") == s.get("period"))
    grp = latest.filter((pl.col("region") == "all") & (pl.col("group") != "all"))
    win = rows.filter(pl.col("grain") == COARSE)
    reg_rows = pl.DataFrame()
    win_text = ""
    if win.height:
        last = win.filter(pl.col("period_end") == win.get_column("period_end").max())
        reg_rows = last.filter((pl.col("group") == "all") & (pl.col("region") != "all"))
        win_text = f"the 12 months to {last.item(0, 'period_end'):%B %Y}"
    else:
        reg_rows = latest.filter((pl.col("group") == "all") & (pl.col("region") != "all"))
        win_text = str(s.get("period_display") or s.get("period") or "")
    en = summaries.get("en", {}).get(k.kpi_id, {}).get("text", "")
    es = summaries.get("es", {}).get(k.kpi_id, {}).get("text", "")
    body = [f"<h1>{_e(k.name)}</h1><p>{_status(s)}. {_e(s.get('explanation', ''))}</p>",
            f"<h2>Summary</h2><p>{_e(en)}</p>"]
    if es:
        body.append(f'<h2 lang="es">Resumen</h2><p lang="es">{_e(es)}</p>')
    body.append(f"<h2>Over time ({_e(k.grain)})</h2>")
    body.append(svg_line(points, label=f"{k.name} over time, statewide; hidden periods are "
                                        "gaps in the line"))
    body.append(_table(f"{k.name}, statewide, by period", ["Period", "Value"],
                       [(r["period"], _cell(k, r)) for r in trend.iter_rows(named=True)]))
    body.append(f"<h2>By race and ethnicity ({_e(s.get('period_display') or s.get('period'))})</h2>")
    body.append(_table(f"{k.name} by race and ethnicity", ["Group", "Value"],
                       [(groups.get(r["group"], r["group"]), _cell(k, r))
                        for r in grp.iter_rows(named=True)]))
    for code in sorted({g for g in grp.get_column("group").to_list() if is_combined(g)}):
        body.append(f"<p>{_e(combined_note(code))}</p>")
    year_groups = (last.filter((pl.col("region") == "all") & (pl.col("group") != "all"))
                   if win.height else pl.DataFrame())
    if year_groups.height and any(is_combined(g) for g in grp.get_column("group").to_list()):
        body.append(f"<h2>By race and ethnicity ({_e(win_text)})</h2>")
        body.append(_table(f"{k.name} by race and ethnicity, {win_text}", ["Group", "Value"],
                           [(groups.get(r["group"], r["group"]), _cell(k, r))
                            for r in year_groups.iter_rows(named=True)]))
    body.append(f"<h2>By region ({_e(win_text)})</h2>")
    body.append(_table(f"{k.name} by region, {win_text}", ["Region", "Value"],
                       [(regions.get(r["region"], r["region"]), _cell(k, r))
                        for r in reg_rows.sort("region").iter_rows(named=True)]))
    body.append(f'<h2>Download the data</h2><ul><li><a href="../kpis/{_e(k.kpi_id)}.csv">'
                f'{_e(k.name)} (CSV)</a></li><li><a href="../kpis/{_e(k.kpi_id)}.json">'
                f'{_e(k.name)} (JSON)</a></li><li><a href="../kpis/{_e(k.kpi_id)}.parquet">'
                f'{_e(k.name)} (Parquet)</a></li></ul>')
    body.append(f"<h2>Methodology</h2><p>{_e(k.description)}</p><p>{_e(k.methodology)}</p>"
                f"<p>Counts from 1 to {threshold - 1} are not shown.</p>")
    path = folder / "kpi" / f"{k.kpi_id}.html"
    path.write_text(_page(k.name, "".join(body), root="../"), encoding="utf-8")
    return path
