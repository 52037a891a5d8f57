"""Outcomes per program (ARC mobile crisis, QRT, DVERT) and the funnel, with four numbers kept apart.

Pure functions (no streamlit). SQL runs in DuckDB over the snapshot's ``calls`` and ``contacts``
views, with the shared filters from :func:`filters.build_where` applied to the calls.

Definitions (shown on the page; tested in ``tests/unit/test_outcomes*.py``):

- **Eligible**: a call the triage rules make eligible for the program, see
  :data:`PROGRAM_ELIGIBILITY`, the coverage analysis' mapping (ARC: tier ``alternative``
  except domestic violence; DVERT: domestic violence with tier co-response or alternative;
  QRT: substance use / overdose calls).
- **Routed**: a call (matching the filters) linked to at least one contact of the program, whether
  or not the call was eligible (a team may take a call the rules do not list).
- **Handled without police**: a routed call none of whose program contacts ended in
  ``police_backup_requested`` or ``arrest``.
- **Police backup requested**: a routed call with a contact that asked for police backup.
- **Arrests / transports after team contact**: routed calls with a contact outcome ``arrest`` /
  ``transported``.
  All five are counted per call, in the month the call was received; they are never summed into
  one "diversion" figure, and the share of call volume a team answers is not diversion.
- Contacts without a 911 call in the snapshot cannot be filtered like calls; they are counted
  apart as ``unlinked_contacts`` (within the date filter only).

Overdose and domestic-violence events never leave this module below area level: the QRT repeat
rule works on block addresses internally but returns one count.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from response_atlas.analysis import trends
from response_atlas.analysis.coverage import ELIGIBILITY
from response_atlas.analysis.suppression import TOTAL_LABEL
from response_atlas.filters import Filters, build_where
from response_atlas.publish import Audience, count_text, definition_key, method_note, share
from response_atlas.publish import publish_counts as publish_counts_of
from response_atlas.schema import OUTCOME_LABELS, OUTCOMES, PROGRAM_LABELS, PROGRAMS
from response_atlas.snapshot import Snapshot

# ONE mapping from triage output to program eligibility, shared with the coverage analysis
# (``coverage.ELIGIBILITY``: program -> (SQL predicate on calls columns, the rule in words)).
PROGRAM_ELIGIBILITY: dict[str, tuple[str, str]] = ELIGIBILITY
# Launch dates set by the program (none known for the demo data): otherwise the first contact.
CONFIGURED_LAUNCH: dict[str, date] = {}

POLICE_OUTCOMES = ("police_backup_requested", "arrest")
FUNNEL_COLUMNS = ("eligible", "routed", "handled_without_police", "police_backup")
AFTER_CONTACT_COLUMNS = ("arrests", "transports")
COLUMN_LABELS = {
    "eligible": "Eligible calls",
    "routed": "Routed to the team",
    "handled_without_police": "Handled without police",
    "police_backup": "Police backup requested",
    "arrests": "Arrest after team contact",
    "transports": "Transported to care",
    "overdoses": "Overdose calls",
    "visited_72h": "Visited within 72 hours",
    "visited_7d": "Visited within 7 days",
    "reached": "Person reached",
    "linked_to_treatment": "Linked to treatment",
    "dv_calls": "Domestic violence calls",
    "co_responses": "Advocate co-responses",
    "connected_to_services": "Survivor connected to services",
    "repeat_dv_calls": "Repeat DV calls (same block, 90 days)",
    "contacts": "Team contacts",
}
REPEAT_WINDOW_DAYS = 90
QRT_COLUMNS = ("overdoses", "visited_72h", "visited_7d", "reached", "linked_to_treatment")
DVERT_COLUMNS = ("dv_calls", "eligible", "co_responses", "connected_to_services")
NOT_DIVERSION_NOTE = (
    "These are separate counts, not one \"diversion\" rate: the share of call volume a team "
    "answers is not diversion, and a routed call may still involve police."
)


def eligibility_sql(program: str) -> tuple[str, list]:
    """SQL condition (and params) for calls eligible for ``program`` (unqualified columns)."""
    predicate, _ = PROGRAM_ELIGIBILITY[program]
    return f"({predicate})", []


def eligibility_text(program: str) -> str:
    """The eligibility rule of ``program`` in words."""
    return PROGRAM_ELIGIBILITY[program][1]


def _contacts(snapshot: Snapshot) -> str:
    """The contacts view, or an empty relation of the same shape when the snapshot has none."""
    if snapshot.has_table("contacts"):
        return "contacts"
    return (
        "(SELECT NULL::VARCHAR AS contact_id, NULL::VARCHAR AS call_id, NULL::VARCHAR AS program, "
        "NULL::TIMESTAMP AS contact_at, NULL::DOUBLE AS response_min, NULL::VARCHAR AS outcome, "
        "NULL::TIMESTAMP AS followup_at, NULL::VARCHAR AS followup_outcome WHERE FALSE)"
    )


# Results shared by a page's sections within and across reruns, per snapshot version (immutable
# folders) and arguments: the funnel query feeds the funnel, ARC and DVERT sections, and facts
# that ignore the filters (any calls at all, first contacts, unlinked contacts) are read once.
# Small values only (a few rows each).
_MEMO: dict[tuple, object] = {}
_MEMO_MAX = 32
_MEMO_LOCK = threading.Lock()  # sessions run in threads: one writer at a time


def _memo(snapshot: Snapshot, key: tuple, compute):
    path = getattr(snapshot, "path", None)
    if path is None:  # not a snapshot folder (a stand-in): nothing to key on
        return compute()
    full_key = (str(path), *key)
    if full_key in _MEMO:
        return _MEMO[full_key]
    value = compute()  # outside the lock: two sessions may compute it once each, harmlessly
    with _MEMO_LOCK:
        while len(_MEMO) >= _MEMO_MAX:
            _MEMO.pop(next(iter(_MEMO)), None)
        _MEMO[full_key] = value
    return value


def _has_calls(snapshot: Snapshot) -> bool:
    return _memo(snapshot, ("has_calls",), lambda: int(
        snapshot.query("SELECT count(*) AS n FROM calls")["n"].iloc[0]) > 0)


def period_for(snapshot: Snapshot, filters: Filters) -> tuple[date, date] | None:
    """The filter period cut to the snapshot's data (None when they do not overlap)."""
    first, last = snapshot.date_range
    if not _has_calls(snapshot):
        return None
    return trends.covered_period(filters.start, filters.end, first, last)


def _monthly(frame: pd.DataFrame, period, columns: Sequence[str]) -> pd.DataFrame:
    if period is None:
        empty = pd.DataFrame(columns=[trends.MONTH, *columns, *trends.PARTIAL_COLUMNS])
        return empty.astype({c: "int64" for c in columns})
    return trends.complete_months(frame, period[0], period[1], list(columns))


def count_calls(snapshot: Snapshot, filters: Filters) -> int:
    """Calls matching the filters (0 means the page shows its empty state)."""
    where, params = build_where(filters, "c")
    return int(snapshot.query(f"SELECT count(*) AS n FROM calls c WHERE {where}", params)["n"].iloc[0])


def first_contact(snapshot: Snapshot, program: str) -> date | None:
    """Date of the program's first contact in the whole snapshot (ignores filters)."""
    def compute() -> date | None:
        row = snapshot.query(
            f"SELECT min(contact_at) AS t FROM {_contacts(snapshot)} WHERE program = ?", [program]
        )
        value = row["t"].iloc[0]
        return None if pd.isna(value) else pd.Timestamp(value).date()
    return _memo(snapshot, ("first_contact", program), compute)


def program_launch(snapshot: Snapshot, program: str) -> pd.Timestamp | None:
    """Launch month: the configured date, else the month of the first contact."""
    return trends.launch_month(first_contact(snapshot, program), CONFIGURED_LAUNCH.get(program))


def count_unlinked(snapshot: Snapshot, filters: Filters, program: str) -> int:
    """Program contacts in the date filter with no matching 911 call (not filterable like calls)."""
    by_day = unlinked_by_day(snapshot)
    keep = (by_day["program"] == program) & by_day["day"].between(
        pd.Timestamp(filters.start), pd.Timestamp(filters.end))
    return int(by_day.loc[keep, "n"].sum())


def unlinked_by_day(snapshot: Snapshot) -> pd.DataFrame:
    """Contacts with no matching 911 call, per program and contact date (``program, day, n``).

    It ignores the filters, so the scan of every call id runs once per snapshot (memo)."""
    def compute() -> pd.DataFrame:
        sql = f"""
            SELECT k.program, CAST(k.contact_at AS DATE) AS day, count(*) AS n
            FROM {_contacts(snapshot)} k
            WHERE k.contact_at IS NOT NULL
              AND (k.call_id IS NULL OR k.call_id NOT IN (SELECT call_id FROM calls))
            GROUP BY ALL
        """
        frame = snapshot.query(sql)
        frame["day"] = pd.to_datetime(frame["day"])
        frame["n"] = frame["n"].astype("int64")
        return frame
    return _memo(snapshot, ("unlinked_by_day",), compute)


# --- the funnel ------------------------------------------------------------------------------
FUNNEL_ALL_COLUMNS = (*FUNNEL_COLUMNS, *AFTER_CONTACT_COLUMNS)


def monthly_funnel(
    snapshot: Snapshot, filters: Filters, programs: Iterable[str] = PROGRAMS
) -> pd.DataFrame:
    """Per program and month: eligible, routed, handled without police, police backup (+ after).

    Long format: ``program, month, eligible, routed, handled_without_police, police_backup,
    arrests, transports, days_in_month, days_covered, partial``; every month of the covered
    period is present (zeros when empty).
    """
    period = period_for(snapshot, filters)
    programs = tuple(programs)
    if not programs:
        return pd.DataFrame()
    raw_all = _funnel_wide(snapshot, filters, programs)
    frames = []
    for i, program in enumerate(programs):
        raw = raw_all[["month", *(f"{c}_{i}" for c in FUNNEL_ALL_COLUMNS)]]
        raw = raw.rename(columns={f"{c}_{i}": c for c in FUNNEL_ALL_COLUMNS})
        monthly = _monthly(raw, period, FUNNEL_ALL_COLUMNS)
        monthly.insert(0, "program", program)
        frames.append(monthly)
    return pd.concat(frames, ignore_index=True)


def _funnel_wide(snapshot: Snapshot, filters: Filters, programs: tuple[str, ...]) -> pd.DataFrame:
    """Per call month: ``<count>_<i>`` for each program ``i`` (the funnel columns, plus
    ``connected_<i>``: calls with a contact or follow-up that connected the person to treatment
    or services) and ``dv_calls``. One scan of the calls, shared by the funnel, ARC and DVERT
    sections (memo)."""
    return _memo(snapshot, ("funnel", filters, programs),
                 lambda: _query_funnel_wide(snapshot, filters, programs))


def _query_funnel_wide(snapshot: Snapshot, filters: Filters, programs: tuple[str, ...]):
    where, where_params = build_where(filters, "c")
    # Per-program flags come from FILTERed aggregates over that program's contacts only (same
    # NULL behavior as one query per program).
    flags, counts, flag_params, elig_params_all = [], [], [], []
    for i, program in enumerate(programs):
        only = "FILTER (WHERE program = ?)"
        flag_params += [program] * 6
        flags.append(
            f"""bool_or(TRUE) {only} AS routed_{i},
                bool_or(outcome IN ('police_backup_requested', 'arrest')) {only} AS police_{i},
                bool_or(outcome = 'police_backup_requested') {only} AS backup_{i},
                bool_or(outcome = 'arrest') {only} AS arrest_{i},
                bool_or(outcome = 'transported') {only} AS transported_{i},
                bool_or(outcome = 'connected_to_treatment'
                        OR followup_outcome = 'connected_to_treatment') {only} AS connected_{i}"""
        )
        elig, elig_params = eligibility_sql(program)
        elig_params_all += elig_params
        counts.append(
            f"""count(*) FILTER (WHERE {elig}) AS eligible_{i},
                count(*) FILTER (WHERE t.routed_{i}) AS routed_{i},
                count(*) FILTER (WHERE t.routed_{i} AND NOT t.police_{i})
                    AS handled_without_police_{i},
                count(*) FILTER (WHERE t.backup_{i}) AS police_backup_{i},
                count(*) FILTER (WHERE t.arrest_{i}) AS arrests_{i},
                count(*) FILTER (WHERE t.transported_{i}) AS transports_{i},
                count(*) FILTER (WHERE t.connected_{i}) AS connected_{i}"""
        )
    # Parameters in the order their ? appear: flags, program list, eligibility, filters.
    params = [*flag_params, *programs, *elig_params_all, *where_params]
    sql = f"""
        WITH team AS (
            SELECT call_id, {", ".join(flags)}
            FROM {_contacts(snapshot)}
            WHERE program IN ({", ".join("?" * len(programs))})
              AND call_id IS NOT NULL
            GROUP BY call_id
        )
        SELECT c.call_month AS month, {", ".join(counts)},
            count(*) FILTER (WHERE c.category = 'domestic_violence') AS dv_calls
        FROM calls c LEFT JOIN team t ON t.call_id = c.call_id
        WHERE {where}
        GROUP BY 1
    """
    return snapshot.query(sql, params)


# --- mobile crisis (ARC) ---------------------------------------------------------------------
@dataclass(frozen=True)
class MobileCrisis:
    """ARC figures for the filtered calls; rates are None when their denominator is zero."""

    monthly: pd.DataFrame
    totals: dict[str, int]
    share_served: float | None  # routed / eligible
    backup_rate: float | None  # police backup / routed
    response_n: int
    response_median: float | None
    response_p90: float | None
    outcomes: pd.DataFrame  # outcome, label, contacts
    comparable_calls: int
    comparable_on_scene_min: float | None
    police_hours_freed: float | None
    unlinked_contacts: int
    launch: pd.Timestamp | None

    HOURS_ASSUMPTION = (
        "Police hours freed = calls handled without police x the average police on-scene time "
        "(arrival to close) of eligible calls the team did not take in the same period. It "
        "assumes each call would otherwise have taken one police unit that long; travel time "
        "and second units are left out."
    )


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def mobile_crisis_summary(snapshot: Snapshot, filters: Filters) -> MobileCrisis:
    """Calls handled, share of eligible served, backup rate, response times, outcomes, hours."""
    funnel = monthly_funnel(snapshot, filters)  # all programs: the query the funnel section ran
    monthly = funnel[funnel["program"] == "ARC"].drop(columns="program").reset_index(drop=True)
    totals = {c: int(monthly[c].sum()) for c in FUNNEL_ALL_COLUMNS}
    where, where_params = build_where(filters, "c")
    elig, elig_params = eligibility_sql("ARC")
    # One statement: the filtered calls and their ARC contacts are read once (materialized) for
    # the per-outcome counts, the response times (the grand-total row) and the comparable calls
    # (eligible, not taken by the team), whose figures ride along on every row.
    both = snapshot.query(
        f"""
        WITH f AS MATERIALIZED (
            SELECT c.call_id, c.on_scene_min, ({elig}) AS eligible FROM calls c WHERE {where}
        ),
        k AS MATERIALIZED (
            SELECT k.* FROM {_contacts(snapshot)} k JOIN f ON f.call_id = k.call_id
            WHERE k.program = 'ARC'
        ),
        comparable AS (
            SELECT count(on_scene_min) AS comparable_n, avg(on_scene_min) AS comparable_mean
            FROM f
            WHERE eligible AND on_scene_min IS NOT NULL
              AND call_id NOT IN (SELECT call_id FROM k WHERE call_id IS NOT NULL)
        ),
        by_outcome AS (
            SELECT outcome, GROUPING(outcome) AS total_row, count(*) AS n_contacts,
                count(response_min) AS n,
                median(response_min::DOUBLE) AS med,
                quantile_cont(response_min::DOUBLE, 0.9) AS p90
            FROM k GROUP BY GROUPING SETS ((outcome), ())
        )
        SELECT * FROM by_outcome CROSS JOIN comparable
        """,
        [*elig_params, *where_params],
    )
    stats = both[both["total_row"] == 1].iloc[0]
    counts = both.loc[both["total_row"] == 0, ["outcome", "n_contacts"]].rename(
        columns={"n_contacts": "n"})
    by_outcome = dict(zip(counts["outcome"], counts["n"], strict=True))
    known = list(OUTCOMES) + sorted(set(by_outcome) - set(OUTCOMES))
    outcomes = pd.DataFrame({
        "outcome": known,
        "label": [OUTCOME_LABELS.get(o, str(o)) for o in known],
        "contacts": [int(by_outcome.get(o, 0)) for o in known],
    })
    comparable = {"n": stats["comparable_n"], "mean_min": stats["comparable_mean"]}
    mean_min = None if pd.isna(comparable["mean_min"]) else float(comparable["mean_min"])
    hours = None if mean_min is None else totals["handled_without_police"] * mean_min / 60.0
    n = int(stats["n"])
    return MobileCrisis(
        monthly=monthly,
        totals=totals,
        share_served=_ratio(totals["routed"], totals["eligible"]),
        backup_rate=_ratio(totals["police_backup"], totals["routed"]),
        response_n=n,
        response_median=float(stats["med"]) if n else None,
        response_p90=float(stats["p90"]) if n else None,
        outcomes=outcomes,
        comparable_calls=int(comparable["n"]),
        comparable_on_scene_min=mean_min,
        police_hours_freed=hours,
        unlinked_contacts=count_unlinked(snapshot, filters, "ARC"),
        launch=program_launch(snapshot, "ARC"),
    )


# --- QRT ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuickResponse:
    """QRT figures per overdose call; repeat overdoses leave only as a count."""

    monthly: pd.DataFrame
    totals: dict[str, int]
    repeat_overdoses: int
    unlinked_contacts: int
    launch: pd.Timestamp | None
    window_days: int = REPEAT_WINDOW_DAYS


def count_repeat_events(
    snapshot: Snapshot, filters: Filters, category: str, window_days: int = REPEAT_WINDOW_DAYS
) -> int:
    """Calls of ``category`` that follow another at the same block within ``window_days`` days.

    The window is inclusive: exactly 90 days after counts, 90 days and one minute does not.
    Only the number leaves this function; the blocks never do.
    """
    where, params = build_where(filters, "c")
    sql = f"""
        SELECT count(*) AS n FROM (
            SELECT c.received_at,
                lag(c.received_at) OVER (PARTITION BY trim(c.address) ORDER BY c.received_at)
                    AS prev
            FROM calls c
            WHERE {where} AND c.category = ? AND nullif(trim(c.address), '') IS NOT NULL
        ) WHERE prev >= received_at - to_days(?)
    """
    return int(snapshot.query(sql, [*params, category, int(window_days)])["n"].iloc[0])


def qrt_summary(snapshot: Snapshot, filters: Filters) -> QuickResponse:
    """Overdoses, visits within 72 hours / 7 days, people reached, treatment linkage, repeats.

    Per overdose call: the first visit is the earliest QRT contact or follow-up at or after the
    call; *reached* means a contact or follow-up outcome other than ``no_contact``; *linked*
    means an outcome or follow-up outcome ``connected_to_treatment``.
    """
    period = period_for(snapshot, filters)
    where, params = build_where(filters, "c")
    contacts = _contacts(snapshot)
    sql = f"""
        WITH od AS (
            SELECT c.call_id, c.call_month, c.received_at FROM calls c
            WHERE {where} AND c.category = 'substance_use'
        ),
        q AS (
            SELECT call_id, contact_at, followup_at, outcome, followup_outcome FROM {contacts}
            WHERE program = 'QRT' AND call_id IS NOT NULL
        ),
        visits AS (
            SELECT call_id, contact_at AS t FROM q
            UNION ALL SELECT call_id, followup_at FROM q WHERE followup_at IS NOT NULL
        ),
        first_visit AS (
            SELECT od.call_id, min(v.t) AS t FROM od
            JOIN visits v ON v.call_id = od.call_id AND v.t >= od.received_at
            GROUP BY od.call_id
        ),
        reach AS (
            SELECT call_id,
                bool_or(outcome <> 'no_contact'
                        OR coalesce(followup_outcome, 'no_contact') <> 'no_contact') AS reached,
                bool_or(outcome = 'connected_to_treatment'
                        OR followup_outcome = 'connected_to_treatment') AS linked
            FROM q GROUP BY call_id
        )
        SELECT od.call_month AS month, count(*) AS overdoses,
            count(*) FILTER (WHERE epoch(fv.t) - epoch(od.received_at) <= 72 * 3600)
                AS visited_72h,
            count(*) FILTER (WHERE epoch(fv.t) - epoch(od.received_at) <= 7 * 24 * 3600)
                AS visited_7d,
            count(*) FILTER (WHERE r.reached) AS reached,
            count(*) FILTER (WHERE r.linked) AS linked_to_treatment
        FROM od LEFT JOIN first_visit fv ON fv.call_id = od.call_id
        LEFT JOIN reach r ON r.call_id = od.call_id
        GROUP BY 1
    """
    monthly = _monthly(snapshot.query(sql, params), period, QRT_COLUMNS)
    return QuickResponse(
        monthly=monthly,
        totals={c: int(monthly[c].sum()) for c in QRT_COLUMNS},
        repeat_overdoses=count_repeat_events(snapshot, filters, "substance_use"),
        unlinked_contacts=count_unlinked(snapshot, filters, "QRT"),
        launch=program_launch(snapshot, "QRT"),
    )


# --- DVERT -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DomesticViolence:
    """DVERT figures; repeat DV calls only per area, never below."""

    monthly: pd.DataFrame
    totals: dict[str, int]
    repeats_by_area: pd.DataFrame  # area, dv_calls, repeat_dv_calls
    unlinked_contacts: int
    launch: pd.Timestamp | None
    window_days: int = REPEAT_WINDOW_DAYS


def dv_repeats_by_area(
    snapshot: Snapshot, filters: Filters, window_days: int = REPEAT_WINDOW_DAYS
) -> pd.DataFrame:
    """Per area: DV calls and those following another DV call at the same block within the window."""
    where, params = build_where(filters, "c")
    sql = f"""
        SELECT area, count(*) AS dv_calls,
            count(*) FILTER (WHERE prev >= received_at - to_days(?)) AS repeat_dv_calls
        FROM (
            SELECT c.area, c.received_at,
                CASE WHEN nullif(trim(c.address), '') IS NULL THEN NULL ELSE
                lag(c.received_at) OVER (PARTITION BY c.area, trim(c.address)
                                         ORDER BY c.received_at) END AS prev
            FROM calls c WHERE {where} AND c.category = 'domestic_violence'
        )
        GROUP BY area ORDER BY area
    """
    out = snapshot.query(sql, [int(window_days), *params])
    for c in ("dv_calls", "repeat_dv_calls"):
        out[c] = out[c].astype("int64")
    return out.reset_index(drop=True)


def dvert_summary(snapshot: Snapshot, filters: Filters) -> DomesticViolence:
    """DV calls, co-responses (DVERT contacts on calls), survivors connected to services."""
    period = period_for(snapshot, filters)
    # From the funnel query: DVERT's eligible, routed (co-responses) and connected columns.
    i = PROGRAMS.index("DVERT")
    raw = _funnel_wide(snapshot, filters, tuple(PROGRAMS))
    raw = raw[["month", "dv_calls", f"eligible_{i}", f"routed_{i}", f"connected_{i}"]]
    raw.columns = ["month", *DVERT_COLUMNS]
    monthly = _monthly(raw, period, DVERT_COLUMNS)
    return DomesticViolence(
        monthly=monthly,
        totals={c: int(monthly[c].sum()) for c in DVERT_COLUMNS},
        repeats_by_area=dv_repeats_by_area(snapshot, filters),
        unlinked_contacts=count_unlinked(snapshot, filters, "DVERT"),
        launch=program_launch(snapshot, "DVERT"),
    )


# --- publishing (response_atlas.publish: suppression and keyed rounding) -------------------
@dataclass(frozen=True)
class Published:
    """A table ready to show: display values (strings in public views), a hidden-cell mask and
    chart numbers (the published counts, NaN where hidden). The last display row is the total."""

    display: pd.DataFrame
    hidden: pd.DataFrame
    chart: pd.DataFrame
    notes: tuple[str, ...] = field(default=())
    totals: dict[str, float] = field(default_factory=dict)  # published column totals


def publish_counts(
    frame: pd.DataFrame,
    key: str,
    columns: Sequence[str],
    audience: Audience,
    scope: int = 0,
    table: str = "",
    key_format=None,
) -> Published:
    """Publish a count table with a ``Total`` row added (the totals published on their own).

    Each cell's key is its place (``table``, column, row) mixed with ``scope``, the key of the
    calls the filters select (:func:`response_atlas.publish.scope_key`): the same calls give
    the same table. Staff (``audience.public`` False) get exact counts.
    """
    keys = [key_format(k) if key_format else k for k in frame[key]]
    rows: list[Hashable] = [*keys, TOTAL_LABEL]
    raw = {c: [*(float(v) for v in frame[c]), float(frame[c].sum())] for c in columns}
    published = {
        c: publish_counts_of(raw[c], [definition_key(table, c, str(r), scope) for r in rows],
                             audience)
        for c in columns
    }
    hidden = pd.DataFrame({c: pd.isna(published[c]) for c in columns})
    labels = [COLUMN_LABELS.get(c, c) for c in columns]
    if audience.public:
        cells = {label: [count_text(v, audience) for v in published[c]]
                 for c, label in zip(columns, labels, strict=True)}
    else:
        cells = {label: [int(v) for v in published[c]]
                 for c, label in zip(columns, labels, strict=True)}
    display = pd.DataFrame(cells, columns=labels)
    display.insert(0, COLUMN_LABELS.get(key, key.capitalize()), [str(r) for r in rows])
    chart = frame.copy().reset_index(drop=True)
    for c in columns:
        chart[c] = published[c][:-1]
    notes = (method_note(audience),) if audience.public else ()
    return Published(display, hidden, chart, notes,
                     {c: float(published[c][-1]) for c in columns})


def publish_monthly(
    monthly: pd.DataFrame,
    columns: Sequence[str],
    audience: Audience,
    scope: int = 0,
    table: str = "",
) -> Published:
    """:func:`publish_counts` for a monthly frame; adds a 'Partial month' column to the display."""
    pub = publish_counts(monthly, trends.MONTH, columns, audience, scope, table,
                         key_format=trends.month_label)
    display = pub.display
    partial = [
        f"partial ({r.days_covered} of {r.days_in_month} days)" if r.partial else ""
        for r in monthly.itertuples()
    ]
    display["Partial month"] = [*partial, ""]
    return Published(display, pub.hidden, pub.chart, pub.notes, pub.totals)


def published_total(pub: Published, column: str) -> float:
    """The published total of ``column`` (NaN when suppressed)."""
    return pub.totals[column]


def published_rate_text(pub: Published, num: str, den: str, digits: int = 0) -> str:
    """``num / den`` of two published totals as a percentage (see :func:`rate_text`)."""
    part, whole = published_total(pub, num), published_total(pub, den)
    if whole == 0:
        return "no calls"
    value = share(part, whole)
    return "not shown" if value != value else f"{100.0 * value:.{digits}f}%"


def program_label(program: str) -> str:
    """Plain label of a program code."""
    return PROGRAM_LABELS.get(program, program)


def total_text(pub: Published, column: str) -> str:
    """The published total of ``column`` as text ("fewer than 11" / "suppressed" when hidden)."""
    value = pub.display[COLUMN_LABELS.get(column, column)].iloc[-1]
    return value if isinstance(value, str) else f"{int(value):,}"


def summarize_funnel(program: str, monthly: pd.DataFrame, pub: Published) -> str:
    """One sentence with the four funnel totals kept apart, and the caveats (from ``pub``)."""
    if monthly.empty:
        return f"{program}: no calls in the selected period."
    first, last = monthly[trends.MONTH].iloc[0], monthly[trends.MONTH].iloc[-1]
    span = f"{trends.month_label(first)} to {trends.month_label(last)}"
    counts = ", ".join(
        f"{total_text(pub, c)} {COLUMN_LABELS[c].lower()}" for c in FUNNEL_COLUMNS
    )
    parts = [f"{program}, {span}: {counts}; four separate counts, not a diversion rate."]
    partial = monthly[monthly["partial"]]
    caveats = []
    if len(partial):
        caveats.append(
            ", ".join(trends.month_label(m) for m in partial[trends.MONTH])
            + (" is a partial month" if len(partial) == 1 else " are partial months")
        )
    caveats.extend(n.rstrip(".") for n in pub.notes)
    if caveats:
        parts.append("Note: " + "; ".join(caveats) + ".")
    return " ".join(parts)
