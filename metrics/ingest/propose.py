"""Proposing a feed's definitions from a sample file (``statdesk feeds propose``, the set-up page).

:func:`propose` reads a sample of an agency's file and proposes what a data steward
would otherwise write by hand: the feed (``feeds.csv``), its columns and types
(``feed_columns.csv``), its shape (``feed_shapes.csv``: notes above the table, the date
format, cumulative or additive reports, groups carried in column names, the file's own
total) and the race labels mapped to SPD 15 codes (``code_maps.csv``).  Where it is not
sure it says so in :attr:`Proposal.questions` rather than guessing silently.

:func:`first_observations` runs the proposal on the file in a scratch workspace and
returns the first observations StatDesk would compute; :func:`write_proposal` writes
the definitions files, adding rows, only when asked to.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from metrics.access import Viewer, operator, require_edit
from metrics.groups import GROUP_CODES

#: Labels agencies use, lower-cased and stripped of punctuation -> SPD 15 code.
RACE_LABELS: dict[str, str] = {
    "white": "white", "white alone": "white", "nonhispanic white": "white",
    "black": "black", "black or african american": "black", "african american": "black",
    "blackafrican american": "black", "nonhispanic black": "black",
    "hispanic": "hispanic", "latino": "hispanic", "latinx": "hispanic", "latina": "hispanic",
    "hispanic or latino": "hispanic", "hispaniclatino": "hispanic",
    "asian": "asian", "asian american": "asian",
    "aian": "aian", "american indian or alaska native": "aian",
    "american indianalaska native": "aian", "native american": "aian",
    "nhpi": "nhpi", "nhopi": "nhpi", "native hawaiian or pacific islander": "nhpi",
    "native hawaiian or other pacific islander": "nhpi", "pacific islander": "nhpi",
    "native hawaiianother pacific islander": "nhpi",
    "mena": "mena", "middle eastern or north african": "mena",
    "multiracial": "multiracial", "two or more races": "multiracial", "two or more": "multiracial",
    "multiple races": "multiracial", "multiracial andor multiethnic": "multiracial",
    "unknown": "unknown", "not reported": "unknown", "missing": "unknown", "unk": "unknown",
}
TOTAL_LABELS = ("total", "all", "all races", "all groups", "overall")
_OTHER = ("'Some other race' has no SPD 15 category: proposed as 'other', counted in the "
          "all-groups figures but never shown as a group; or map it to unknown, or leave it out.")
UNSURE = {"other": _OTHER, "some other race": _OTHER}
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y")
PERIOD_NAMES = ("date", "period", "month", "year", "report_date", "reportdate", "week")
REGION_NAMES = ("state", "region", "county", "geography", "fips", "jurisdiction", "area")
GROUP_NAMES = ("race", "race_ethnicity", "raceethnicity", "race/ethnicity", "ethnicity", "group")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z ]", "", text.lower().replace("_", " ").replace("-", " ")).strip()


def race_code(label: str) -> str | None:
    """The SPD 15 code for an agency's label, or None when StatDesk cannot tell."""
    n = _norm(label)
    return RACE_LABELS.get(n) or RACE_LABELS.get(n.replace(" ", ""))


@dataclass
class Proposal:
    """Definitions rows proposed for one feed, and what StatDesk could not decide."""

    feed: dict[str, Any]
    columns: list[dict[str, Any]]
    shape: dict[str, Any] | None
    code_maps: list[dict[str, Any]]
    questions: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)  # region codes found in the file
    measures: list[str] = field(default_factory=list)  # numeric columns (or wide prefixes)

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        out = {"feeds": [self.feed], "feed_columns": self.columns, "code_maps": self.code_maps}
        if self.shape is not None:
            out["feed_shapes"] = [self.shape]
        return out

    def text(self) -> str:
        """The proposal in words, one definitions file after another."""
        lines = []
        for name, rows in self.tables().items():
            if not rows:
                continue
            lines.append(f"{name}.csv:")
            df = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})
            lines += ["  " + ln for ln in df.write_csv().splitlines()]
        if self.questions:
            lines.append("To decide (StatDesk was not sure):")
            lines += [f"  - {q}" for q in self.questions]
        return "\n".join(lines)


def _sample_lines(path: Path, n: int = 60) -> list[list[str]]:
    with open(path, newline="", encoding="utf8", errors="replace") as f:
        rows = []
        for i, row in enumerate(csv.reader(f)):
            if i >= n:
                break
            rows.append(row)
    return rows


def _header_row(rows: list[list[str]]) -> int:
    """Spreadsheet row of the column names: the first row as wide as the table."""
    widths = [sum(1 for c in r if c.strip()) for r in rows]
    if not widths:
        return 1
    full = max(widths)
    for i, w in enumerate(widths):
        if w >= max(2, int(full * 0.8)):
            return i + 1
    return 1


def _read_sample(path: Path) -> tuple[pl.DataFrame, int]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header = _header_row(_sample_lines(path))
        df = pl.read_csv(path, infer_schema=False, skip_rows=header - 1,
                         truncate_ragged_lines=True, encoding="utf8-lossy")
    elif suffix in (".xlsx", ".xlsm"):
        header = 1
        df = pl.read_excel(path, infer_schema_length=0)
    elif suffix == ".parquet":
        header = 1
        df = pl.read_parquet(path)
        df = df.select([pl.col(c).cast(pl.String) for c in df.columns])
    else:
        raise ValueError(f"{path.name}: send a .csv, .xlsx or .parquet file to propose a feed from.")
    df = df.rename({c: c.strip().lstrip("\ufeff") for c in df.columns})
    return df, header


def _values(df: pl.DataFrame, col: str) -> pl.Series:
    s = df.get_column(col).cast(pl.String).str.strip_chars()
    return s.filter(s.is_not_null() & (s != ""))


def _date_format(values: pl.Series) -> str | None:
    if values.len() == 0:
        return None
    for fmt in DATE_FORMATS:
        parsed = values.str.to_date(fmt, strict=False)
        if parsed.null_count() == 0 and parsed.min() is not None and \
                1900 <= parsed.min().year <= 2100:  # type: ignore[union-attr]
            return fmt
    return None


def _column_type(values: pl.Series) -> str:
    if values.len() == 0:
        return "string"
    num = values.str.replace_all(",", "").cast(pl.Float64, strict=False)
    if num.null_count() == 0:
        return "int" if bool((num == num.round(0)).all()) else "float"
    return "string"


def _markers(values: pl.Series) -> set[str]:
    """Cells of a numeric column that are suppression markers ('.', '*', '<5', 'NA')."""
    found = set()
    for v in values.unique().to_list():
        if v in (".", "*", "NA", "N/A", "n/a", "**", "-", "S", "(S)") or re.fullmatch(r"<\s*\d+", v):
            found.add(v)
    return found


def propose(path: str | Path, feed_id: str, *, agency_id: str = "", numerator: str = "",
            denominator: str = "", regions: list[str] | None = None) -> Proposal:
    """Definitions rows for ``path`` as feed ``feed_id`` (see the module docstring).

    ``numerator``/``denominator``: the columns (or, for a wide file, the column-name
    prefixes) to divide; StatDesk asks when they are not given.  ``regions``: the
    register's region codes, to recognise the region column.
    """
    p = Path(path)
    df, header = _read_sample(p)
    questions: list[str] = []
    cols = list(df.columns)
    low = {c: c.lower().strip() for c in cols}
    vals = {c: _values(df, c) for c in cols}
    # period: a column of dates (any declared format) or of YYYY-MM / YYYY labels
    period, fmt, grain = "", "", "month"
    for c in sorted(cols, key=lambda c: low[c] not in PERIOD_NAMES):
        f = _date_format(vals[c])
        if f:
            period, fmt = c, f
            break
        if vals[c].len() and bool(vals[c].str.contains(r"^\d{4}-\d{2}$").all()):
            period, fmt = c, ""
            break
        if low[c] in ("year", "period") and vals[c].len() and \
                bool(vals[c].str.contains(r"^\d{4}$").all()):
            period, fmt, grain = c, "", "year"
            break
    if not period:
        questions.append("No column of dates or periods found: name the period column "
                         "(period_column in feeds.csv) and its format (period_format in "
                         "feed_shapes.csv).")
    # wide: numeric columns sharing a prefix, e.g. Cases_White, Cases_Black …
    prefixes: Counter[str] = Counter()
    numeric = [c for c in cols if c != period and _column_type(vals[c]) in ("int", "float")
               or (c != period and _markers(vals[c]) and
                   _column_type(vals[c].filter(~vals[c].is_in(list(_markers(vals[c]))))) != "string")]
    for c in numeric:
        if "_" in c:
            prefixes[c.split("_", 1)[0]] += 1
    wide = [m for m, n in prefixes.items() if n >= 3]
    # region: codes of the register, or a column named like one
    known = set(regions or [])
    region = ""
    for c in cols:
        if c in (period, *numeric):
            continue
        v = set(vals[c].unique().to_list())
        if known and v and len(v & known) >= 0.8 * len(v):
            region = c
            break
    if not region:
        region = next((c for c in cols if low[c] in REGION_NAMES and c not in numeric), "")
    if not region:
        questions.append("No region column recognised: name it (region_column in feeds.csv).")
    markers: set[str] = set()
    for c in numeric:
        markers |= _markers(vals[c])
    code_maps: list[dict[str, Any]] = []
    total_code = ""

    def map_labels(column: str, labels: list[str]) -> None:
        nonlocal total_code
        for lb in labels:
            code = race_code(lb)
            if code is not None:
                code_maps.append(dict(feed_id=feed_id, column=column, from_value=lb, to_value=code))
            elif _norm(lb) in TOTAL_LABELS:
                total_code = lb
            elif _norm(lb).startswith("ethnicity"):
                questions.append(f"'{lb}' ({column}) answers a separate Hispanic-ethnicity "
                                 "question: left out of the race groups (race alone); the file's "
                                 "total keeps everyone. A KPI by ethnicity needs its own feed.")
            elif _norm(lb) in UNSURE:
                code_maps.append(dict(feed_id=feed_id, column=column, from_value=lb,
                                      to_value="other"))
                questions.append(f"'{lb}' ({column}): {UNSURE[_norm(lb)]}")
            else:
                questions.append(f"'{lb}' ({column}) is not a race label StatDesk knows; map it "
                                 f"in code_maps.csv to one of {', '.join(GROUP_CODES)}, or leave "
                                 "it out.")

    shape: dict[str, Any] = dict(feed_id=feed_id, header_row=header, notes_below="no",
                                 period_format=fmt, reports="single", wide_measures="",
                                 wide_separator="_", wide_into="", total_code="",
                                 suppressed=";".join(sorted(markers)))
    if wide:
        group = "race"
        suffixes = list(dict.fromkeys(c.split("_", 1)[1] for c in numeric
                                      if c.split("_", 1)[0] in wide))
        map_labels(group, suffixes)
        chosen = [m for m in (numerator, denominator) if m in wide]
        measures = chosen if len(chosen) == 2 else wide
        columns = [dict(feed_id=feed_id, column=period, type="string", required="yes",
                        description="Period of the report"),
                   *([dict(feed_id=feed_id, column=region, type="string", required="yes",
                           description="Region")] if region else []),
                   dict(feed_id=feed_id, column=group, type="string", required="no",
                        description="Race group, from the column-name suffix"),
                   *[dict(feed_id=feed_id, column=m, type="int" if all(
                       _column_type(vals[c]) == "int" for c in numeric if c.startswith(m + "_"))
                       else "float", required="no", description=f"Columns {m}_*")
                     for m in measures]]
        shape.update(wide_measures=";".join(measures), wide_into=group)
    else:
        group = ""
        for c in cols:
            if c in (period, region, *numeric):
                continue
            labels = vals[c].unique(maintain_order=True).to_list()
            hits = sum(1 for lb in labels if race_code(lb) is not None)
            if low[c] in GROUP_NAMES or (labels and hits >= max(2, len(labels) // 2)):
                group = c
                map_labels(c, labels[:50])
                break
        measures = numeric
        columns = []
        for c in cols:
            t = "string" if c == period else (
                _column_type(vals[c].filter(~vals[c].is_in(list(markers)))) if c in numeric
                else "string")
            columns.append(dict(feed_id=feed_id, column=c, type=t,
                                required="no" if c in numeric or c == group else "yes",
                                description=""))
        if not group:
            questions.append("No race and ethnicity column recognised: name it (group_column "
                             "in feeds.csv), or declare the KPIs without the 'group' breakdown.")
    shape["total_code"] = total_code
    num, den = numerator, denominator
    if not (num and den):
        pick = [m for m in measures if m not in (num, den)]
        num = num or (pick[1] if len(pick) > 1 else (pick[0] if pick else ""))
        den = den or (pick[0] if pick else "")
        questions.append(f"Numerator and denominator: proposed {num or '?'} / {den or '?'} "
                         f"(choose from {', '.join(measures) or 'no numeric columns'}).")
    if period and fmt:
        shape["reports"] = _reports(df, period, fmt, region, group if not wide else "",
                                    numeric, grain)
    if not agency_id:
        questions.append("agency_id: the id of the agency that sends the file, as in "
                         "agencies.csv (written empty; 'statdesk validate' will ask for it).")
    feed = dict(feed_id=feed_id, name=p.stem.replace("_", " "), agency_id=agency_id,
                kind="aggregate", period_column=period, period_grain=grain,
                region_column=region, group_column=group, numerator_column=num,
                denominator_column=den,
                race_standard="1997-race-alone" if wide else ("1997" if group else "2024"))
    plain = (not wide and not fmt and header == 1 and not markers and not total_code
             and not any(m["to_value"] == "other" for m in code_maps))
    region_codes = sorted(vals[region].unique().to_list()) if region else []
    return Proposal(feed, columns, None if plain else shape, code_maps, questions,
                    region_codes, list(measures))


def _reports(df: pl.DataFrame, period: str, fmt: str, region: str, group: str,
             numeric: list[str], grain: str) -> str:
    """single, cumulative (counts never fall between reports) or additive."""
    keys = [k for k in (region, group) if k]
    d = pl.col(period).str.strip_chars().str.to_date(fmt, strict=False)
    lab = d.dt.strftime("%Y" if grain == "year" else "%Y-%m")
    per = df.with_columns(d.alias("_d"), lab.alias("_p")).drop_nulls("_d")
    many = per.group_by([*keys, "_p"]).agg(pl.col("_d").n_unique().alias("n"))
    if many.height == 0 or int(many["n"].max() or 0) <= 1:  # type: ignore[arg-type]
        return "single"
    col = next((c for c in numeric if per.get_column(c).null_count() < per.height), None)
    if col is None:
        return "single"
    v = per.sort([*keys, "_d"]).with_columns(
        pl.col(col).str.replace_all(",", "").cast(pl.Float64, strict=False).alias("_v"))
    change = v.select((pl.col("_v") - pl.col("_v").shift(1).over(keys or None)).alias("c")) \
        if keys else v.select((pl.col("_v") - pl.col("_v").shift(1)).alias("c"))
    c = change.get_column("c").drop_nulls()
    if c.len() and float((c >= 0).mean() or 0) >= 0.95:  # type: ignore[arg-type]
        return "cumulative"
    return "additive"


def write_proposal(proposal: Proposal, folder: str | Path, *, acting: Viewer) -> list[Path]:
    """Add the proposal's rows to the definitions files in ``folder`` (created if absent).

    Only those who may change feed contracts (data stewards, administrators) may write them
    (AccessDenied otherwise). Refuses (ValueError) when ``feeds.csv`` already has the feed:
    nothing is written then.
    """
    require_edit(acting, "feed_contract")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    fid = proposal.feed["feed_id"]
    feeds = out / "feeds.csv"
    if feeds.exists():
        have = pl.read_csv(feeds, infer_schema=False)
        if "feed_id" in have.columns and fid in have.get_column("feed_id").to_list():
            raise ValueError(f"{feeds} already has a feed '{fid}'; choose another feed id or "
                             "edit that file by hand. Nothing was written.")
    written = []
    for name, rows in proposal.tables().items():
        if not rows:
            continue
        path = out / f"{name}.csv"
        new = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}).with_columns(
            pl.all().fill_null(""))
        if path.exists():
            old = pl.read_csv(path, infer_schema=False)
            new = pl.concat([old, new], how="diagonal_relaxed")
        new.write_csv(path)
        written.append(path)
    return written


def first_observations(proposal: Proposal, path: str | Path, *, limit: int = 20,
                       received_on: date | None = None) -> tuple[pl.DataFrame, str]:
    """The first observations the proposal gives on ``path``, from a scratch workspace.

    Returns (observations, the ingest summary).  The KPI is numerator / denominator x 100
    by region and group; nothing is written outside a temporary folder.
    """
    from metrics.engine import load_observations
    from metrics.ingest import ingest
    from metrics.workspace import Workspace

    fid = proposal.feed["feed_id"]
    with tempfile.TemporaryDirectory(prefix="statdesk-propose-") as tmp:
        defs = Path(tmp) / "definitions"
        feed = dict(proposal.feed, agency_id="agency", name=proposal.feed["name"] or fid)
        tables: dict[str, list[dict[str, Any]]] = {
            "agencies": [dict(agency_id="agency", name="Agency")],
            "regions": [dict(region_id=r, name=r, parent="") for r in proposal.regions]
            or [dict(region_id="all-regions", name="All", parent="")],
            "priorities": [dict(priority_id="p", name="Set-up", description="", order="1")],
            "goals": [dict(goal_id="g", priority_id="p", name="Set-up")],
            "kpis": [dict(kpi_id="preview", name="Preview", goal_id="g", agency_id="agency",
                          measure="proportion", direction="higher", grain=feed["period_grain"],
                          feed_id=fid, unit="%", plausible_min="", plausible_max="",
                          total_from="file" if proposal.shape and proposal.shape["total_code"]
                          else "groups")],
        }
        tables.update(proposal.tables())
        tables["feeds"] = [feed]
        write_proposal(Proposal(feed, proposal.columns, proposal.shape, proposal.code_maps),
                       defs, acting=operator())  # a scratch folder of its own
        for name, rows in tables.items():
            if name in ("feeds", "feed_columns", "code_maps", "feed_shapes"):
                continue
            pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}).write_csv(defs / f"{name}.csv")
        ws = Workspace.open(tmp, f"sqlite:///{Path(tmp) / 'statdesk.db'}")
        ws.init_db()
        report = ingest(ws, fid, path, received_on=received_on or date.today())
        obs = pl.DataFrame()
        if report.status == "applied":
            obs = (load_observations(ws.engine, ["preview"])
                   .sort("period", "region", "group", descending=[True, False, False])
                   .select("period", "region", "group", "numerator", "denominator",
                           pl.col("value").round(2), "reliable").head(limit))
        ws.engine.dispose()
        return obs, report.summary()


def proposal_report(path: str | Path, feed_id: str, *, agency_id: str = "",
                    numerator: str = "", denominator: str = "",
                    regions: list[str] | None = None, limit: int = 12) -> tuple[Proposal, str]:
    """The proposal and, below it, the first observations it gives on the file, as text."""
    proposal = propose(path, feed_id, agency_id=agency_id, numerator=numerator,
                       denominator=denominator, regions=regions)
    lines = [proposal.text(), ""]
    try:
        obs, summary = first_observations(proposal, path, limit=limit)
    except Exception as exc:  # noqa: BLE001 - a proposal that cannot run yet says why
        lines.append(f"The proposal cannot be run on the file yet: {str(exc).splitlines()[0]}")
        return proposal, "\n".join(lines)
    lines += ["Checked on the file:", summary, ""]
    if obs.height:
        lines.append(f"First observations (numerator / denominator x 100; latest period first, "
                     f"{obs.height} shown):")
        with pl.Config(tbl_rows=-1, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
            lines.append(str(obs))
    return proposal, "\n".join(lines)
