"""The monthly meeting briefing: every figure, taken from the functions the pages call.

Pure (no streamlit). :func:`build_briefing` gathers, for one month and one audience, the texts the
Overview, Outcomes, Equity, Repeat addresses and Coverage pages show for that month: the same
analysis functions and the same publish / suppression steps (``overview_metrics``,
``publish_monthly``, ``public_view``, ``area_layer_frame``). Nothing is recomputed here, so a
change to a page's disclosure method reaches the briefing by itself.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from response_atlas.analysis import outcomes as oc
from response_atlas.analysis.calls import area_counts, publish_area_counts
from response_atlas.analysis.coverage import (
    baseline_coverage,
    coverage_by_area,
    coverage_by_program,
)
from response_atlas.analysis.equity import (
    DEMOGRAPHICS,
    MEASURES,
    Grouping,
    build_equity_report,
    public_view,
)
from response_atlas.analysis.manifest_report import sources_table
from response_atlas.analysis.overview import (
    busiest_areas,
    compute_overview,
    data_as_of,
    overview_metrics,
)
from response_atlas.analysis.repeats import RepeatRule, rank_repeat_locations, summarize_repeats
from response_atlas.filters import Filters, describe_filters
from response_atlas.pages_registry import PUBLIC, STAFF
from response_atlas.publish import Audience, scope_key
from response_atlas.schema import PROGRAM_LABELS, PROGRAMS
from response_atlas.snapshot import Snapshot
from response_atlas.viz.calls_figures import area_layer_frame

AUDIENCES = (PUBLIC, STAFF)
REPEATS_LISTED = 10
EQUITY_COLUMNS = ("Group", "Residents", "Per 1,000 residents", "95% range of the rate",
                  "Rate ratio vs reference", "95% range of the ratio")
NO_DATA = "no data"


class BriefingError(ValueError):
    """A briefing that cannot be made (bad month, unknown audience): the message says why."""


@dataclass(frozen=True)
class Month:
    """A calendar month."""

    year: int
    month: int

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def label(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)


def parse_month(text: str, snapshot: Snapshot | None = None) -> Month:
    """``2026-10`` -> Month; ``previous`` is the last whole month before the snapshot's data date."""
    text = (text or "").strip().lower()
    if text in ("previous", "last"):
        if snapshot is None:
            raise BriefingError("--month previous needs a snapshot")
        last = snapshot.date_range[1]
        month = Month(last.year, last.month)
        # the data's own month counts only when the data reach its last day
        return month if last == month.end else month.shifted(-1)
    try:
        year, month = (int(p) for p in text.split("-"))
        if not 1 <= month <= 12 or year < 1900:
            raise ValueError
    except ValueError:
        raise BriefingError(f"Month '{text}' is not a month like 2026-10 (or 'previous').") from None
    return Month(year, month)


def month_filters(month: Month, view: Filters | None = None) -> Filters:
    """The page filters for ``month``: a saved view's areas, call types and tiers, the month's dates."""
    if view is None:
        return Filters(start=month.start, end=month.end)
    return view.with_(start=month.start, end=month.end, notes=())


def has_data(snapshot: Snapshot, month: Month) -> bool:
    """Whether the snapshot's calls reach into ``month`` at all."""
    first, last = snapshot.date_range
    return month.start <= last and month.end >= first


@dataclass
class Briefing:
    """What the PDF shows: texts only (already published for the audience), and two map frames."""

    month: Month
    audience: str
    filters_text: str
    data_as_of: str
    snapshot_version: str
    headline: list[dict]  # label, this, previous, year_ago, help
    busiest: pd.DataFrame  # Area, Calls, Calls per 1,000 residents
    funnel: list[dict]  # program, eligible, routed, handled_without_police, police_backup
    funnel_sentences: list[str]
    equity_title: str
    equity: pd.DataFrame  # EQUITY_COLUMNS
    equity_sentences: list[str]
    calls_map: object  # GeoDataFrame: area, value (NaN where hidden)
    coverage_map: object  # GeoDataFrame: area, value (uncovered eligible, staff) or zones
    coverage_rows: list[dict] = field(default_factory=list)  # staff: per program
    repeats: dict | None = None  # staff only
    repeat_rows: pd.DataFrame | None = None  # staff only
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    definitions: list[str] = field(default_factory=list)  # the Overview's figure help texts
    eligibility: list[str] = field(default_factory=list)  # the Outcomes page's "Eligible: ..."
    caveats: list[str] = field(default_factory=list)

    @property
    def public(self) -> bool:
        return self.audience == PUBLIC


def headline_rows(snapshot: Snapshot, month: Month, view: Filters | None, public: bool,
                  threshold: int) -> tuple[list[dict], list]:
    """The Overview's four figures for the month, the month before and a year earlier."""
    columns = {}
    for name, shift in (("this", 0), ("previous", -1), ("year_ago", -12)):
        m = month.shifted(shift)
        if shift and not has_data(snapshot, m):
            columns[name] = None
            continue
        result = compute_overview(snapshot, month_filters(m, view))
        columns[name] = overview_metrics(result, Audience(public, threshold))
    rows = []
    for i, metric in enumerate(columns["this"]):
        rows.append({
            "label": metric.label, "help": metric.help, "this": metric.text,
            **{k: (NO_DATA if columns[k] is None else columns[k][i].text)
               for k in ("previous", "year_ago")},
        })
    return rows, columns["this"]


def funnel_rows(snapshot: Snapshot, filters: Filters, public: bool,
                threshold: int) -> tuple[list[dict], list[str], list[str]]:
    """The Outcomes page's funnel totals per program (its publish step, its sentence)."""
    funnel = oc.monthly_funnel(snapshot, filters)
    audience, scope = Audience(public, threshold), scope_key(snapshot, filters)
    rows, sentences, notes = [], [], []
    for program in PROGRAMS:
        monthly = funnel[funnel["program"] == program].drop(columns="program").reset_index(drop=True)
        pub = oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS, audience, scope,
                                 f"funnel_{program}")
        rows.append({"program": oc.program_label(program),
                     **{c: oc.total_text(pub, c) for c in oc.FUNNEL_COLUMNS}})
        sentences.append(oc.summarize_funnel(oc.program_label(program), monthly, pub))
        notes.extend(n for n in pub.notes if n not in notes)
    return rows, sentences, notes


def equity_section(snapshot: Snapshot, filters: Filters, audience: Audience):
    """The Equity page with its default choices: the first demographic in bands, 911 calls, by
    quarter, the first group as reference. The page shows ``public_view`` to everyone."""
    column = next(iter(DEMOGRAPHICS))
    measure = next(iter(MEASURES))
    grouping = Grouping(column, "bands", Grouping(column).effective_cuts())
    report = build_equity_report(snapshot, filters, grouping, None, measure, "quarter")
    groups = list(report.groups.index)
    if groups and groups[0] != report.reference:  # the page's reference box starts on groups[0]
        report = build_equity_report(snapshot, filters, grouping, groups[0], measure, "quarter")
    by = DEMOGRAPHICS[column][0]
    title = f"{MEASURES[measure].label} per 1,000 residents, by {by[0].lower()}{by[1:]}"
    if report.areas.empty or int(report.areas["calls"].sum()) == 0:
        return title, pd.DataFrame(columns=list(EQUITY_COLUMNS)), [], []
    view = public_view(report, audience)
    table = view.group_table[list(EQUITY_COLUMNS)]
    return title, table, list(view.headlines), list(view.warnings)


def repeat_section(snapshot: Snapshot, filters: Filters) -> tuple[dict, pd.DataFrame]:
    """The Repeat addresses page's headline and the top of its ranked list (default rule)."""
    ranking = rank_repeat_locations(snapshot, filters, RepeatRule())
    summary = summarize_repeats(ranking.ranked, ranking.block)
    texts = {
        "Repeat locations": f"{summary['repeat_locations']:,}",
        "Calls at repeat locations": f"{summary['repeat_calls']:,}",
        "Share of block-level calls": f"{summary['share_of_calls']:.0%}",
        "Repeat locations with a team contact": f"{summary['with_contact']:,}",
    }
    top = ranking.ranked.head(REPEATS_LISTED)
    rows = pd.DataFrame({
        "Rank": top["rank"].astype(str), "Block": top["address"].astype(str),
        "Area": top["area"].astype(str), "Calls": top["calls"].map("{:,}".format),
        "Team contact": top["team_contact"].map({True: "yes", False: "no"}),
    })
    return texts, rows


def coverage_section(snapshot: Snapshot, filters: Filters):
    """The Coverage page's per-program figures and its uncovered calls by area (staff)."""
    data = baseline_coverage(snapshot, filters)
    rows = []
    for r in coverage_by_program(data).itertuples():
        if not r.teams and not r.eligible:
            continue
        share = f"{r.covered / r.eligible:.0%}" if r.eligible else "n/a"
        rows.append({"program": PROGRAM_LABELS.get(r.program, r.program),
                     "eligible": f"{r.eligible:,}", "covered": f"{r.covered:,}", "share": share,
                     "team_hours": f"{r.team_hours_week:,.0f}"})
    by_area = coverage_by_area(data)
    gdf = snapshot.areas[["area", "geometry"]].merge(by_area[["area", "uncovered"]], on="area",
                                                      how="left")
    gdf["value"] = gdf["uncovered"].astype("float64")
    return rows, gdf


def _unique_notes(notes: list[str]) -> list[str]:
    """The pages' caveats once each (two pages word the small-count rule alike: keep the first)."""
    out: list[str] = []
    for note in notes:
        if note not in out and not any(note.startswith(p) and any(o.startswith(p) for o in out)
                                       for p in ("Counts from 1 to", "Public counts:")):
            out.append(note)
    return out


def build_briefing(snapshot: Snapshot, month: Month, audience: str = PUBLIC,
                   view: Filters | None = None, threshold: int = 10) -> Briefing:
    """Every figure of the briefing for ``month`` and ``audience`` (see the module note)."""
    if audience not in AUDIENCES:
        raise BriefingError(f"Audience '{audience}' is not one of {', '.join(AUDIENCES)}.")
    if not has_data(snapshot, month):
        first, last = snapshot.date_range
        raise BriefingError(f"No calls in {month.label}: the snapshot covers {first} to {last}.")
    public = audience == PUBLIC
    filters = month_filters(month, view)
    headline, metrics = headline_rows(snapshot, month, view, public, threshold)
    published = Audience(public, threshold)
    counts = publish_area_counts(area_counts(snapshot, filters), published)
    funnel, funnel_sentences, funnel_notes = funnel_rows(snapshot, filters, public, threshold)
    equity_title, equity, equity_sentences, equity_warnings = equity_section(
        snapshot, filters, published)
    calls_map = area_layer_frame(snapshot.areas, counts, "rate", published)
    caveats = _unique_notes([oc.NOT_DIVERSION_NOTE, *funnel_notes, *equity_warnings])
    if public and any(m.suppressed for m in metrics):
        caveats.append(f"Counts from 1 to {threshold} (and shares that would reveal one) are not "
                       "shown in public views, to protect privacy.")
    if public:
        caveats.append("Domestic violence and overdose calls are never shown below area level.")
    briefing = Briefing(
        month=month, audience=audience, filters_text=describe_filters(filters),
        data_as_of=data_as_of(snapshot), snapshot_version=snapshot.version,
        headline=headline, busiest=busiest_areas(counts, published),
        funnel=funnel, funnel_sentences=funnel_sentences,
        equity_title=equity_title, equity=equity, equity_sentences=equity_sentences,
        calls_map=calls_map, coverage_map=snapshot.zones,
        sources=sources_table(snapshot.manifest),
        definitions=[f"{r['label']}: {r['help']}" for r in headline],
        eligibility=[f"{oc.program_label(p)}: eligible means {oc.eligibility_text(p)}."
                     for p in PROGRAMS],
        caveats=caveats,
    )
    if not public:
        briefing.coverage_rows, briefing.coverage_map = coverage_section(snapshot, filters)
        briefing.repeats, briefing.repeat_rows = repeat_section(snapshot, filters)
        briefing.caveats.append("Staff briefing: block-level repeat locations and exact small "
                                "counts. Do not share it outside the working group.")
    return briefing
