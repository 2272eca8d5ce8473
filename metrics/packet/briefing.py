"""The briefing packet sent before a stat session: accessible HTML, printable to PDF.

Off-track KPIs first; for each KPI its chart (inline SVG), the numbers behind the chart
in a table beside it, and a short summary written from the numbers; then the open and
overdue commitments. "Data current through" is stamped at the top and on every KPI.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from metrics import presentation as P
from metrics.changes import Changes
from metrics.commitments import CommitmentView
from metrics.definitions import Kpi, Register
from metrics.groups import statewide
from metrics.periods import display_label, parse_period, previous_year_label
from metrics.scorecard import KpiStatus
from metrics.status import RISK_ORDER
from metrics.targets import trajectory

from .base import STATUS_STYLE, badge, document, esc, table
from .svg import line_chart

POINTS = {"month": 12, "rolling12": 12, "quarter": 12, "year": 6, "fiscal": 6}


def _series(obs: pl.DataFrame, kpi: Kpi, month_end: date) -> pl.DataFrame:
    return (obs.filter((pl.col("kpi_id") == kpi.kpi_id) & statewide()
                       & (pl.col("period_end") <= month_end))
            .sort("period_end").tail(POINTS.get(kpi.grain, 12)))


def _change_words(kpi: Kpi, now: float, then: float) -> str:
    diff = now - then
    if abs(diff) < 10 ** -(kpi.decimals + 1):
        return "about the same"
    size = f"{abs(diff):.{kpi.decimals}f} points" if kpi.unit == "%" else kpi.format_value(abs(diff))
    better = (diff > 0) == kpi.higher_is_better
    return f"{'up' if diff > 0 else 'down'} {size} ({'better' if better else 'worse'})"


def summary_sentences(kpi: Kpi, st: KpiStatus, series: pl.DataFrame, obs: pl.DataFrame) -> list[str]:
    """Short sentences written from the numbers (what, against what, since when, for whom)."""
    if st.value is None:
        return [f"There is no data for {kpi.name} in this period."]
    out = [f"{kpi.name} was {st.value_text} in {st.period_display}"
           + (f", against a pro-rated target of {st.target_text}." if st.interim_target is not None
              else "; no target has been agreed.")]
    out.append(f"Status: {STATUS_STYLE.get(st.status, ('', st.status))[1].lower()}.")
    prev_label = previous_year_label(st.period) if st.period else None
    prev = obs.filter((pl.col("kpi_id") == kpi.kpi_id) & (pl.col("period") == prev_label)
                      & (pl.col("region") == "all") & (pl.col("group") == "all"))
    if prev.height and prev["value"][0] is not None and prev_label:
        then = float(prev["value"][0])
        out.append(f"A year earlier ({display_label(prev_label)}) it was {kpi.format_value(then)}: "
                   f"{_change_words(kpi, st.value, then)}.")
    if st.change and st.change != "no data":
        out.append(f"Against the same period a year earlier: {st.change}.")
    if st.pace:
        out.append(f"{st.pace}.")
    if st.gap_status not in ("not applicable", "no data", ""):
        out.append(f"Largest gap between groups: {st.gap_text}; {st.gap_status} "
                   "compared with a year earlier.")
    if st.reliable is False:
        out.append("The latest value rests on few cases: read it with care.")
    if st.stale:
        out.append("The feed is late: newer data were expected by now.")
    return out


def _kpi_block(register: Register, obs: pl.DataFrame, st: KpiStatus, month_end: date,
               open_for: Sequence[CommitmentView]) -> str:
    kpi = register.kpis[st.kpi_id]
    s = _series(obs, kpi, month_end)
    labels = [display_label(p) for p in s["period"].to_list()]
    target = register.target_for(kpi.kpi_id)
    tvals = trajectory(target, s["period_end"].to_list()) if target else [None] * s.height
    values = s["value"].to_list()
    fmt = kpi.format_value
    anchor = f"kpi-{kpi.kpi_id}"
    desc = (f"Line chart of {kpi.name}, statewide, {labels[0]} to {labels[-1]}: "
            f"from {fmt(values[0]) if values[0] is not None else 'no data'} to "
            f"{fmt(values[-1]) if values[-1] is not None else 'no data'}"
            + (f"; the dashed line is the target, {fmt(tvals[-1])} in {labels[-1]}"
               if tvals and tvals[-1] is not None else "; no agreed target line")
            + ". The table beside it has every value." if labels else
            f"No statewide data for {kpi.name}.")
    chart = line_chart(chart_id=f"chart-{kpi.kpi_id}", title=f"{kpi.name}, statewide", description=desc,
                       labels=labels, values=values, ci_low=s["ci_low"].to_list(),
                       ci_high=s["ci_high"].to_list(), target=tvals, fmt=fmt,
                       tick_fmt=lambda v: f"{v:,.{kpi.decimals}f}", unit=kpi.unit or "")

    def ci(lo: float | None, hi: float | None) -> str:
        return f"{fmt(lo)} to {fmt(hi)}" if lo is not None and hi is not None else "–"

    rows = [(lab, fmt(v) if v is not None else "no data", ci(lo, hi),
             fmt(t) if t is not None else "–")
            for lab, v, lo, hi, t in zip(labels, values, s["ci_low"].to_list(),
                                         s["ci_high"].to_list(), tvals, strict=True)]
    data = table(caption=f"{kpi.name}, statewide ({kpi.unit})",
                 headers=["Period", "Value", "95% interval", "Target"], rows=rows, numeric=(1, 2, 3))
    agency = register.agencies.get(kpi.agency_id)
    through = f"{st.data_through:%d %b %Y}" if st.data_through else "no data"
    summary = " ".join(esc(x) for x in summary_sentences(kpi, st, s, obs))
    commits = ""
    if open_for:
        items = "".join(f"<li>{esc(c.text)} ({esc(c.owner)}, due {c.due_on:%d %b %Y}"
                        + (f", <strong>overdue {c.days_overdue} days</strong>" if c.overdue else "")
                        + ")</li>" for c in open_for)
        commits = f"<p><strong>Open commitments:</strong></p><ul>{items}</ul>"
    return (f'<article class="kpi" id="{esc(anchor)}" aria-labelledby="{esc(anchor)}-h">'
            f'<h3 id="{esc(anchor)}-h">{esc(kpi.name)} {badge(st.status)}</h3>'
            f'<p class="meta">{esc(register.priority_of(kpi).name)} · '
            f"{esc(agency.name if agency else kpi.agency_id)} · owner {esc(kpi.owner or 'not named')} · "
            f"data current through {esc(through)}{' · late data' if st.stale else ''}</p>"
            f'<div class="pair"><figure>{chart}<figcaption>{esc(desc)}</figcaption></figure>'
            f"{data}</div><p>{summary}</p>"
            f'<p class="meta">Why this status: {esc(st.explanation)}</p>{commits}</article>')


def _commitments(commitments: Sequence[CommitmentView], register: Register) -> str:
    open_ = [c for c in commitments if c.is_open]
    late = sorted((c for c in open_ if c.overdue), key=lambda c: -c.days_overdue)
    rest = sorted((c for c in open_ if not c.overdue), key=lambda c: c.due_on)

    def rows(items: Sequence[CommitmentView]) -> list[tuple[object, ...]]:
        return [(f"#{c.id}", c.text, c.owner,
                 register.agencies[c.agency_id].name if c.agency_id in register.agencies else c.agency_id,
                 f"{c.due_on:%d %b %Y}" + (f" (overdue {c.days_overdue} days)" if c.overdue else ""),
                 c.status, ", ".join(register.kpis[k].name if k in register.kpis else k for k in c.kpis),
                 f"{c.made_on:%d %b %Y}", c.last_note) for c in items]

    headers = ["No.", "Commitment", "Owner", "Agency", "Due", "Status", "KPIs", "Made on", "Latest note"]
    out = ['<section aria-labelledby="commitments-h"><h2 id="commitments-h">Commitments</h2>',
           f"<p>{len(open_)} open commitment(s), {len(late)} overdue.</p>"]
    if late:
        out.append(table(caption=f"Overdue commitments ({len(late)}), most overdue first",
                         headers=headers, rows=rows(late), css_class="wide"))
    if rest:
        out.append(table(caption=f"Other open commitments ({len(rest)}), by due date",
                         headers=headers, rows=rows(rest), css_class="wide"))
    if not open_:
        out.append("<p>No open commitments.</p>")
    out.append("</section>")
    return "".join(out)


def _changes_section(ch: Changes) -> str:
    """What changed since the last session, as lists under one heading."""

    def line(c: CommitmentView) -> str:
        return (f"{c.text} ({c.owner}, due {P.date_words(c.due_on)}"
                + (f", {c.days_overdue} days overdue" if c.overdue else "")
                + (f", done {P.date_words(c.closed_on)}" if c.closed_on else "") + ")")

    parts = [("Statuses that changed", [c.sentence for c in ch.status_changes]),
             ("Commitments overdue", [line(c) for c in ch.overdue]),
             ("Commitments done", [line(c) for c in ch.done]),
             ("Commitments due since the session", [line(c) for c in ch.due]),
             ("Feeds late", ch.late), ("Feeds that delivered data", ch.arrived),
             ("Annotations added", ch.annotations)]
    out = ['<section aria-labelledby="changed-h"><h2 id="changed-h">'
           f"{esc(ch.heading)}</h2><p>{esc(ch.summary())}</p>"]
    for title, lines in parts:
        if lines:
            out.append(f"<h3>{esc(title)} ({len(lines)})</h3><ul>"
                       + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>")
    out.append("</section>")
    return "".join(out)


def build_packet_html(register: Register, observations: pl.DataFrame, statuses: Sequence[KpiStatus],
                      commitments: Sequence[CommitmentView], *, month: str, as_of: date,
                      title: str | None = None, changes: Changes | None = None) -> str:
    """The briefing packet for ``month`` (YYYY-MM) as one self-contained HTML document;
    ``changes`` (what changed since the last session) comes first when given."""
    month_end = parse_period(month).end
    order = {p.priority_id: p.order for p in register.priorities.values()}
    ordered = sorted(statuses, key=lambda s: (RISK_ORDER.get(s.status, 99),
                                              order.get(s.priority_id, 99), s.name))
    through = max((s.data_through for s in statuses if s.data_through), default=None)
    heading = title or f"Briefing packet: {display_label(month)}"
    by_kpi: dict[str, list[CommitmentView]] = {}
    for c in commitments:
        if c.is_open:
            for k in c.kpis:
                by_kpi.setdefault(k, []).append(c)
    counts = [(STATUS_STYLE.get(k, ("", k))[1], sum(1 for s in statuses if s.status == k))
              for k in sorted(RISK_ORDER, key=RISK_ORDER.__getitem__)]
    late = sum(1 for c in commitments if c.is_open and c.overdue)
    body = [f'<header><h1>{esc(heading)}</h1>'
            f'<p class="stamp">Data current through {esc(f"{through:%d %B %Y}" if through else "no data")}</p>'
            f'<p class="meta">Month reviewed: {esc(display_label(month))} · prepared {as_of:%d %B %Y} · '
            "Governor's Office of Results · internal: not for publication</p></header>",
            "<main>" + (_changes_section(changes) if changes is not None else "")
            + '<section aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>',
            f"<p>{sum(1 for s in statuses if s.status == 'off track')} of {len(statuses)} KPIs are "
            f"off track and {sum(1 for s in statuses if s.status == 'at risk')} at risk; "
            f"{late} commitment(s) are overdue. Off-track KPIs come first.</p>",
            table(caption="KPIs by status", headers=["Status", "KPIs"], rows=[c for c in counts if c[1]],
                  numeric=(1,)),
            '<nav aria-label="KPIs in this packet"><ul>'
            + "".join(f'<li><a href="#kpi-{esc(s.kpi_id)}">{esc(s.name)}</a>: '
                      f"{esc(STATUS_STYLE.get(s.status, ('', s.status))[1])}</li>" for s in ordered)
            + "</ul></nav></section>"]
    for status in sorted(RISK_ORDER, key=RISK_ORDER.__getitem__):
        group = [s for s in ordered if s.status == status]
        if not group:
            continue
        sid = f"status-{STATUS_STYLE.get(status, (status,))[0]}"
        body.append(f'<section aria-labelledby="{sid}"><h2 id="{sid}">'
                    f"{esc(STATUS_STYLE.get(status, ('', status))[1])} ({len(group)})</h2>")
        body.extend(_kpi_block(register, observations, s, month_end, by_kpi.get(s.kpi_id, []))
                    for s in group)
        body.append("</section>")
    others = [s for s in ordered if s.status not in RISK_ORDER]
    if others:
        body.append('<section aria-labelledby="status-other"><h2 id="status-other">Other</h2>')
        body.extend(_kpi_block(register, observations, s, month_end, by_kpi.get(s.kpi_id, []))
                    for s in others)
        body.append("</section>")
    body.append(_commitments(commitments, register))
    body.append("</main>")
    return document(title=heading, body="".join(body))
