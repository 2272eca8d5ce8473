"""The stat-session room: the scorecard as rows people can read at a glance.

Each KPI is one row whose status, name, value, target and reason in words wrap inside the
page's width (no horizontal scrolling at 1366 px); pace, change, equity gap and freshness
sit on a second line. A presentation mode shows one priority per screen in large type for
a projector, with the arrow keys to move between priorities.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

import streamlit as st

from metrics import presentation as P
from metrics.definitions import Register
from metrics.scorecard import KpiStatus

HEADINGS = ("Status", "KPI", "Value", "Target", "Why: the rule in words")

PRESENT_CSS = """
<style>
section[data-testid="stSidebar"], header[data-testid="stHeader"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { max-width: 100%;
  padding: 1rem 2.5rem; }
[data-testid="stMain"] p, [data-testid="stMain"] li, table.sd-card
  { font-size: 1.45rem; line-height: 1.4; }
table.sd-card .sd-sub, table.sd-card tr.sd-second td { font-size: 1.15rem; }
[data-testid="stMain"] h1 { font-size: 2.6rem; }
[data-testid="stMain"] h2 { font-size: 2.1rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.15rem; }
[data-testid="stMain"] [data-testid="stBadge"] span, [data-testid="stMain"] .stBadge p
  { font-size: 1.3rem; }
</style>
"""


CARD_CSS = """<style>
table.sd-card { width: 100%; border-collapse: collapse; table-layout: fixed; margin: 0 0 1rem; }
table.sd-card th { text-align: left; font-weight: 600; padding: .35rem .5rem;
  border-bottom: 2px solid #d0d0d0; vertical-align: bottom; }
table.sd-card td { padding: .45rem .5rem .15rem; vertical-align: top;
  overflow-wrap: anywhere; }
table.sd-card tr.sd-second td { padding: 0 .5rem .5rem; border-bottom: 1px solid #d0d0d0;
  color: #595959; font-size: .9rem; }
table.sd-card col.c0 { width: 16%; } table.sd-card col.c1 { width: 20%; }
table.sd-card col.c2 { width: 12%; } table.sd-card col.c3 { width: 13%; }
table.sd-card col.c4 { width: 39%; }
.sd-badge { display: inline-flex; align-items: center; gap: .25rem; font-weight: 600;
  border: 1px solid; border-radius: .5rem; padding: .05rem .45rem; margin: 0 .25rem .25rem 0;
  background: #fff; max-width: 100%; box-sizing: border-box; }
.sd-icon { font-family: "Material Symbols Rounded"; font-weight: normal; font-size: 1.1em;
  line-height: 1; }
.sd-sub { color: #595959; font-size: .9rem; }
table.sd-card a { color: #0b5394; font-weight: 600; }
table.sd-card details summary { cursor: pointer; color: #0b5394; }
</style>"""


def second_line(s: KpiStatus, n_open: int = 0, n_overdue: int = 0) -> str:
    """Pace, change, equity gap and freshness in one line of words."""
    parts = []
    if s.pace:
        parts.append(f"Pace: {s.pace}")
    if s.change:
        parts.append(f"Change: {s.change}")
    gap = P.gap_word(s.gap_status)
    parts.append(f"Equity gap: {gap}" + (f" ({s.gap_text})" if s.gap_status not in (
        "not applicable",) and s.gap_text else ""))
    through = P.date_words(s.data_through, "no data yet")
    parts.append(f"Data current through {through}" + (" (stale: the next batch is overdue)"
                                                       if s.stale else ""))
    if n_open:
        parts.append(f"{P.plural(n_open, 'open commitment')}"
                     + (f", {n_overdue} overdue" if n_overdue else ""))
    return " · ".join(parts)


def _icon(icon: str) -> str:
    name = icon.removeprefix(":material/").removesuffix(":")
    return f'<span class="sd-icon" aria-hidden="true">{html.escape(name)}</span>'


def _badge(word: str, icon: str, ink: str, title: str = "") -> str:
    tip = f' title="{html.escape(title)}"' if title else ""
    return (f'<span class="sd-badge" style="color:{ink}"{tip}>{_icon(icon)}'
            f"{html.escape(word)}</span>")


def _commitments_html(commitments: Sequence) -> str:
    items = []
    for x in commitments:
        due = P.date_words(getattr(x, "due_on", None), "no due date")
        late = (f", {x.days_overdue} days overdue" if getattr(x, "overdue", False) else "")
        items.append(f"<li>{html.escape(str(getattr(x, 'text', x)))} — "
                     f"{html.escape(P.text_or(getattr(x, 'owner', None), 'no owner'))}, "
                     f"due {html.escape(due)}{html.escape(late)}</li>")
    return (f"<details><summary>Open commitments ({len(commitments)})</summary>"
            f"<ul>{''.join(items)}</ul></details>")


def row_html(s: KpiStatus, reg: Register, *, month: str | None, commitments: Sequence = (),
             big: bool = False) -> str:
    """One KPI as two table rows: status | name (link) | value | target | reason, then pace,
    change, equity gap, freshness and open commitments in words."""
    look = P.status_look(s.status)
    badges = _badge(look.word, look.icon, look.ink)
    if s.stale:
        badges += _badge("Stale", ":material/schedule:", "#7A5A00",
                         "The next batch of data is overdue")
    query = urlencode({"id": s.kpi_id} | ({"month": month} if month else {}))
    agency = P.name_of(s.agency_id, reg.agencies)
    overdue = sum(1 for x in commitments if getattr(x, "overdue", False))
    more = _commitments_html(commitments) if commitments and not big else ""
    e = html.escape
    return (f'<tr class="sd-row" data-kpi="{e(s.kpi_id)}"><td>{badges}</td>'
            f'<td><a href="kpi?{e(query)}" title="Open the KPI\'s detail page">{e(s.name)}</a>'
            f'<div class="sd-sub">{e(agency)}</div></td>'
            f"<td><strong>{e(s.value_text)}</strong>"
            f'<div class="sd-sub">{e(P.period_words(s.period))}</div></td>'
            f"<td>{e(s.target_text)}</td><td class=\"sd-why\">{e(s.explanation)}</td></tr>"
            f'<tr class="sd-second" data-kpi="{e(s.kpi_id)}"><td colspan="5">'
            f"{e(second_line(s, len(commitments), overdue))}{more}</td></tr>")


def card_html(title: str, items: Sequence[KpiStatus], reg: Register, *, month: str | None,
              commitments: Mapping[str, list], big: bool = False) -> str:
    """The scorecard of one priority as one accessible table (one element for the browser to
    draw, however many KPIs)."""
    cols = "".join(f'<col class="c{i}">' for i in range(len(HEADINGS)))
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in HEADINGS)
    rows = "".join(row_html(s, reg, month=month, commitments=commitments.get(s.kpi_id) or [],
                            big=big) for s in items)
    return (f'{CARD_CSS}<table class="sd-card"><caption class="sd-sub" '
            f'style="text-align:left;caption-side:top">{html.escape(title)}: '
            f"{P.plural(len(items), 'KPI')}, riskiest first</caption><colgroup>{cols}</colgroup>"
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


def priority_block(pid: str, items: Sequence[KpiStatus], reg: Register, *, month: str | None,
                   commitments: Mapping[str, list], big: bool = False) -> None:
    pr = reg.priorities[pid]
    (st.header if big else st.subheader)(pr.name)
    if pr.description:
        st.caption(pr.description)
    st.html(card_html(pr.name, items, reg, month=month, commitments=commitments, big=big))


def present_css() -> None:
    st.html(PRESENT_CSS)


def _commitment_line(c: object) -> str:
    due = P.date_words(getattr(c, "due_on", None), "no due date")
    late = (f", {getattr(c, 'days_overdue', 0)} days overdue" if getattr(c, "overdue", False)
            else "")
    closed = getattr(c, "closed_on", None)
    done = f", done {P.date_words(closed)}" if closed is not None else ""
    return (f"{getattr(c, 'text', c)} — {P.text_or(getattr(c, 'owner', None), 'no owner')}, "
            f"due {due}{late}{done}")


CHANGES_CSS = """<style>
section.sd-changes { border: 1px solid #d0d0d0; border-radius: .5rem; padding: .75rem 1rem;
  margin: 0 0 1rem; }
section.sd-changes h2 { font-size: 1.35rem; font-weight: 600; margin: 0 0 .5rem; padding: 0; }
section.sd-changes details { margin: .35rem 0; }
section.sd-changes summary { cursor: pointer; font-weight: 600; }
section.sd-changes ul { margin: .25rem 0 .25rem 1.25rem; }
section.sd-changes .sd-icon { font-family: "Material Symbols Rounded"; font-weight: normal;
  vertical-align: -0.15em; }
</style>"""


def changes_html(ch: object) -> str:
    """The "what changed since the last session" panel as one block of HTML: the heading,
    the summary in words, and one disclosure per kind of change (statuses that changed and
    overdue commitments open)."""
    from metrics.changes import Changes

    assert isinstance(ch, Changes)
    parts: list[tuple[str, str, list[str]]] = [
        ("Statuses that changed", ":material/swap_vert:",
         [c.sentence for c in ch.status_changes]),
        ("Commitments overdue", ":material/schedule:",
         [_commitment_line(c) for c in ch.overdue]),
        ("Commitments done", ":material/task_alt:", [_commitment_line(c) for c in ch.done]),
        ("Commitments due since the session", ":material/event:",
         [_commitment_line(c) for c in ch.due]),
        ("Feeds late", ":material/running_with_errors:", ch.late),
        ("Feeds that delivered data", ":material/inbox:", ch.arrived),
        ("Annotations added", ":material/sticky_note_2:", ch.annotations),
    ]
    e = html.escape
    blocks = []
    for title, icon, lines in parts:
        if not lines:
            continue
        shown = " open" if title in ("Statuses that changed", "Commitments overdue") else ""
        items = "".join(f"<li>{e(x)}</li>" for x in lines)
        blocks.append(f'<details class="sd-change"{shown}><summary>{_icon(icon)} '
                      f"{e(title)} ({len(lines)})</summary><ul>{items}</ul></details>")
    return (f'{CHANGES_CSS}<section class="sd-changes" aria-labelledby="sd-changes-h">'
            f'<h2 id="sd-changes-h">{e(ch.heading)}</h2><p>{e(ch.summary())}</p>'
            f"{''.join(blocks)}</section>")


def what_changed(ch: object) -> None:
    """The "what changed since the last session" panel (``ch`` is a metrics.changes.Changes)."""
    st.html(changes_html(ch))
