"""Team coverage: which eligible calls a team could have answered, and where and when the gaps are.

A call is **covered** when all three hold:

1. it is *eligible* for the team's program (:data:`ELIGIBILITY`, from the triage tier and category),
2. it lies inside the team's zone (``calls.zone_ids`` contains the zone id; for a zone drawn in a
   what-if, see :func:`drawn_zone_membership`),
3. it arrives while the team is on duty (:mod:`response_atlas.schedule`, local wall-clock time).

Scaling: the calls never leave DuckDB one by one. :func:`eligible_aggregate` first counts eligible
calls per (program, zone membership set, weekday, time bucket, area, H3 cell, special date) in SQL;
schedules are then applied to those aggregated rows in numpy. The bucket is the largest step (at most
15 minutes) that divides every schedule boundary, so bucketing never changes the answer.

Privacy: domestic violence and substance use calls are kept at area level (their H3 cell is blanked
in the aggregate), so no gap hexagon or drawn zone ever resolves them below an area.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd

from response_atlas.filters import Filters, build_where
from response_atlas.locations import UNPLACED_LABELS
from response_atlas.schedule import MINUTES_PER_DAY, Schedule, ScheduleError, parse_schedule
from response_atlas.schema import (
    PROGRAMS,
    SENSITIVE_CATEGORIES,
    zone_key_ids,
)
from response_atlas.snapshot import call_column_sql

# Which calls each program may take: a SQL predicate on the snapshot's calls columns, and the
# same rule in words for the page. One place, so figures, what-ifs and docs cannot disagree.
ELIGIBILITY: dict[str, tuple[str, str]] = {
    "ARC": (
        "tier = 'alternative' AND category <> 'domestic_violence'",
        "alternative-response calls (triage tier), except domestic violence",
    ),
    "DVERT": (
        "category = 'domestic_violence' AND tier IN ('co_response', 'alternative')",
        "domestic violence calls triaged for co-response or alternative response",
    ),
    "QRT": (
        "category = 'substance_use'",
        "substance use / overdose calls",
    ),
}
MAX_BUCKET_MINUTES = 15
UNPLACED_AREAS = UNPLACED_LABELS  # (no location, outside the county, outside the areas)
EARTH_RADIUS_KM = 6371.0088
AGG_COLUMNS = ("program", "zone_key", "weekday", "minute", "area", "h3", "special_date", "calls")


@dataclass(frozen=True)
class Team:
    """A team for coverage purposes: program, schedule and a zone.

    The zone is either an existing ``zone_id`` (membership from ``calls.zone_ids``) or, for a zone
    drawn in a what-if, a set of H3 cells (non-sensitive calls) plus a set of areas (sensitive
    calls, which are only known at area level).
    """

    team_id: str
    program: str
    schedule: Schedule
    zone_id: str | None = None
    cells: frozenset[str] | None = None
    areas: frozenset[str] | None = None
    base_lat: float | None = None
    base_lon: float | None = None

    @property
    def weekly_hours(self) -> float:
        return self.schedule.weekly_hours()


@dataclass
class CoverageData:
    """Aggregated eligible calls with a ``covered`` flag per row, and the teams that produced it."""

    rows: pd.DataFrame
    teams: list[Team]
    weeks: float
    notes: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> int:
        return int(self.rows["calls"].sum()) if not self.rows.empty else 0

    @property
    def covered(self) -> int:
        return int(self.rows.loc[self.rows["covered"], "calls"].sum()) if not self.rows.empty else 0

    @property
    def share(self) -> float:
        return self.covered / self.eligible if self.eligible else float("nan")


# --- teams ---------------------------------------------------------------------------------
def teams_from_zones(zones: gpd.GeoDataFrame) -> tuple[list[Team], list[str]]:
    """One :class:`Team` per zone row; zones with a bad schedule are left out with a note."""
    teams: list[Team] = []
    notes: list[str] = []
    if zones is None or zones.empty:
        return teams, notes
    for row in zones.itertuples(index=False):
        try:
            schedule = parse_schedule(str(row.schedule))
        except ScheduleError as exc:
            notes.append(f"Zone {row.zone_id} ({row.team_id}) left out: {exc}")
            continue
        teams.append(
            Team(
                team_id=str(row.team_id),
                program=str(row.program),
                schedule=schedule,
                zone_id=str(row.zone_id),
                base_lat=_float_or_none(getattr(row, "base_lat", None)),
                base_lon=_float_or_none(getattr(row, "base_lon", None)),
            )
        )
    return teams, notes


def _float_or_none(x) -> float | None:
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def choose_bucket(schedules: Iterable[Schedule], largest: int = MAX_BUCKET_MINUTES) -> int:
    """The largest bucket (minutes, at most ``largest``) dividing every schedule boundary."""
    step = largest
    for s in schedules:
        for b in s.boundaries():
            step = math.gcd(step, b)
    return max(step, 1)


def special_dates(schedules: Iterable[Schedule]) -> list[date]:
    """Holidays and the days after them (overnight spill): the only dates the aggregate keeps."""
    out: set[date] = set()
    for s in schedules:
        for d in s.holidays:
            out.update((d, d + timedelta(days=1)))
    return sorted(out)


# --- the aggregate (SQL) ------------------------------------------------------------------
def eligible_aggregate(
    snapshot, filters: Filters, bucket: int = MAX_BUCKET_MINUTES, keep_dates: tuple[date, ...] = ()
) -> pd.DataFrame:
    """Eligible calls counted per program, zone set, weekday, bucket, area, H3 cell, special date.

    ``keep_dates``: dates kept in ``special_date`` (holidays and their next days); other rows have
    it empty, which keeps the table small.
    """
    where, params = build_where(filters)
    union = " UNION ALL ".join(
        f"SELECT '{program}' AS program, * FROM base WHERE {predicate}"
        for program, (predicate, _) in ELIGIBILITY.items()
    )
    sensitive = ", ".join(f"'{c}'" for c in SENSITIVE_CATEGORIES)
    if keep_dates:
        special = f"CASE WHEN call_date IN ({', '.join('?' * len(keep_dates))}) THEN call_date END"
    else:
        special = "CAST(NULL AS DATE)"
    # The zone set and the minute are columns made at refresh: grouping by the zone list itself
    # cost as much as the rest of the query.
    zone_key = call_column_sql(snapshot, "zone_key")
    minute = call_column_sql(snapshot, "minute_of_day")
    sql = f"""
        WITH base AS (
            SELECT weekday, category, tier, area, h3_fine, call_date,
                   {zone_key} AS zone_key, {minute} AS minute_of_day
            FROM calls WHERE {where}
        ), eligible AS ({union})
        SELECT program, zone_key,
               CAST(weekday AS INTEGER) AS weekday,
               CAST((minute_of_day // {int(bucket)}) * {int(bucket)} AS INTEGER) AS minute,
               area,
               CASE WHEN category IN ({sensitive}) THEN NULL ELSE h3_fine END AS h3,
               {special} AS special_date,
               count(*) AS calls
        FROM eligible
        GROUP BY ALL
    """
    frame = snapshot.query_columns(sql, [*params, *keep_dates])  # tens of thousands of rows
    frame["calls"] = frame["calls"].astype("int64")
    frame = frame[list(AGG_COLUMNS)]
    # Remembered so a what-if can check the aggregate is fine enough for its schedules.
    frame.attrs["bucket"] = int(bucket)
    frame.attrs["keep_dates"] = tuple(keep_dates)
    return frame


def aggregation_for(schedules: Sequence[Schedule]) -> tuple[int, tuple[date, ...]]:
    """``(bucket, keep_dates)`` for :func:`eligible_aggregate` exact for all ``schedules``."""
    schedules = list(schedules)
    return choose_bucket(schedules), tuple(special_dates(schedules))


def aggregate_fits(agg: pd.DataFrame, schedules: Sequence[Schedule]) -> bool:
    """True when ``agg`` (from :func:`eligible_aggregate`) is exact for ``schedules``: its bucket
    divides every boundary and it kept every holiday date they need."""
    bucket = agg.attrs.get("bucket")
    if bucket is None:
        return True  # built by hand (tests): trust the caller
    needed_bucket, needed_dates = aggregation_for(schedules)
    kept = set(agg.attrs.get("keep_dates", ()))
    return needed_bucket % bucket == 0 and set(needed_dates) <= kept


def filter_weeks(filters: Filters) -> float:
    """Length of the filtered period in weeks (for per-week and per-team-hour figures)."""
    return ((filters.end - filters.start).days + 1) / 7.0


# --- applying schedules --------------------------------------------------------------------
class RowKeys:
    """The aggregate's text columns factorized once, so each team costs a few array lookups
    (membership is decided per distinct zone set / cell / area, not per row)."""

    def __init__(self, rows: pd.DataFrame):
        self.n = len(rows)
        self.program_codes, self.programs = pd.factorize(rows["program"])
        self.zone_codes, self.zone_keys = pd.factorize(rows["zone_key"])
        self.cell_codes, self.cells = pd.factorize(rows["h3"])  # -1 where blanked (sensitive)
        self.area_codes, self.areas = pd.factorize(rows["area"])
        self.weekday = rows["weekday"].to_numpy(np.int64)
        self.minute = rows["minute"].to_numpy(np.int64)
        self.dates = pd.to_datetime(rows["special_date"]).to_numpy(dtype="datetime64[D]")

    @staticmethod
    def _lookup(inside_uniques: np.ndarray, codes: np.ndarray) -> np.ndarray:
        # Code -1 (missing) picks the appended False.
        return np.append(np.asarray(inside_uniques, dtype=bool), False)[codes]

    def program_is(self, program: str) -> np.ndarray:
        return self._lookup(np.asarray(self.programs) == program, self.program_codes)

    def membership(self, team: Team) -> np.ndarray:
        """Boolean per row: inside the team's zone."""
        if team.zone_id is not None:
            inside = [team.zone_id in zone_key_ids(k) for k in self.zone_keys]
            return self._lookup(np.array(inside, dtype=bool), self.zone_codes)
        by_cell = self._lookup(
            np.isin(np.asarray(self.cells, dtype=object), list(team.cells or ())), self.cell_codes
        )
        # Sensitive calls have no cell: their membership is decided at area level.
        by_area = (self.cell_codes < 0) & self._lookup(
            np.isin(np.asarray(self.areas, dtype=object), list(team.areas or ())), self.area_codes
        )
        return by_cell | by_area

    def on_duty(self, team: Team) -> np.ndarray:
        """Boolean per row: the team is on duty at the row's weekday and time bucket."""
        dates = self.dates if team.schedule.holidays else None
        return team.schedule.on_duty(self.weekday, self.minute, dates)


def team_membership(rows: pd.DataFrame, team: Team) -> np.ndarray:
    """Boolean per aggregated row: inside the team's zone."""
    return RowKeys(rows).membership(team)


def covered_mask(keys: RowKeys, teams: Sequence[Team]) -> tuple[np.ndarray, np.ndarray]:
    """``(covered, covered_by)`` per row for ``teams`` (first matching team named)."""
    covered = np.zeros(keys.n, dtype=bool)
    covered_by = np.full(keys.n, None, dtype=object)
    for team in teams:
        hit = keys.program_is(team.program)
        if not hit.any():
            continue
        hit &= keys.on_duty(team)
        hit &= keys.membership(team)
        covered_by[hit & ~covered] = team.team_id
        covered |= hit
    return covered, covered_by


def apply_coverage(agg: pd.DataFrame, teams: Sequence[Team]) -> pd.DataFrame:
    """``agg`` plus ``covered`` (any team of the row's program, zone and hours) and ``covered_by``."""
    rows = agg.reset_index(drop=True).copy()
    rows["covered"], rows["covered_by"] = covered_mask(RowKeys(rows), teams)
    return rows


def compute_coverage(
    agg: pd.DataFrame, teams: Sequence[Team], weeks: float, notes: Sequence[str] = ()
) -> CoverageData:
    """Apply ``teams`` to an aggregate from :func:`eligible_aggregate`."""
    return CoverageData(apply_coverage(agg, teams), list(teams), weeks, list(notes))


def baseline_coverage(snapshot, filters: Filters) -> CoverageData:
    """The snapshot's own teams applied to the filtered eligible calls (cache this result)."""
    teams, notes = teams_from_zones(snapshot.zones)
    bucket, keep_dates = aggregation_for([t.schedule for t in teams])
    agg = eligible_aggregate(snapshot, filters, bucket, keep_dates)
    return compute_coverage(agg, teams, filter_weeks(filters), notes)


# --- summaries -----------------------------------------------------------------------------
def _summarize(rows: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    keys = [by] if isinstance(by, str) else list(by)
    if rows.empty:
        return pd.DataFrame(columns=[*keys, "eligible", "covered", "uncovered", "share_covered"])
    work = rows.assign(covered_calls=np.where(rows["covered"], rows["calls"], 0))
    out = (
        work.groupby(keys, dropna=False)
        .agg(eligible=("calls", "sum"), covered=("covered_calls", "sum"))
        .reset_index()
    )
    out["uncovered"] = out["eligible"] - out["covered"]
    out["share_covered"] = out["covered"] / out["eligible"].where(out["eligible"] > 0)
    return out


def coverage_by_program(data: CoverageData) -> pd.DataFrame:
    """Eligible, covered, uncovered and share per program (every program listed, zeros included)."""
    out = _summarize(data.rows, "program").set_index("program")
    out = out.reindex(list(PROGRAMS)).reset_index()
    for c in ("eligible", "covered", "uncovered"):
        out[c] = out[c].fillna(0).astype("int64")
    out["share_covered"] = out["covered"] / out["eligible"].where(out["eligible"] > 0)
    out["teams"] = [sum(t.program == p for t in data.teams) for p in out["program"]]
    out["team_hours_week"] = [
        sum(t.weekly_hours for t in data.teams if t.program == p) for p in out["program"]
    ]
    return out


def coverage_by_area(data: CoverageData, program: str | None = None) -> pd.DataFrame:
    """Per area, most uncovered eligible calls first (the gap by place)."""
    rows = _only(data.rows, program)
    return _summarize(rows, "area").sort_values(
        ["uncovered", "area"], ascending=[False, True], ignore_index=True
    )


def coverage_by_hour(data: CoverageData, program: str | None = None) -> pd.DataFrame:
    """Per local hour 0-23 (all hours listed)."""
    rows = _only(data.rows, program)
    rows = rows.assign(hour=rows["minute"] // 60)
    return _complete(_summarize(rows, "hour"), "hour", range(24))


def coverage_by_weekday(data: CoverageData, program: str | None = None) -> pd.DataFrame:
    """Per weekday 0=Mon..6=Sun (all days listed)."""
    return _complete(_summarize(_only(data.rows, program), "weekday"), "weekday", range(7))


def _complete(frame: pd.DataFrame, key: str, values: Iterable[int]) -> pd.DataFrame:
    out = frame.set_index(key).reindex(list(values))
    for c in ("eligible", "covered", "uncovered"):
        out[c] = out[c].fillna(0).astype("int64")
    out["share_covered"] = out["covered"] / out["eligible"].where(out["eligible"] > 0)
    return out.reset_index()


def _only(rows: pd.DataFrame, program: str | None) -> pd.DataFrame:
    return rows if program is None else rows[rows["program"] == program]


def uncovered_matrix(data: CoverageData, program: str | None = None) -> np.ndarray:
    """7 x 24 counts of uncovered eligible calls by weekday and local hour."""
    rows = _only(data.rows, program)
    rows = rows[~rows["covered"]]
    out = np.zeros((7, 24), dtype=np.int64)
    np.add.at(
        out,
        (rows["weekday"].to_numpy(int), (rows["minute"] // 60).to_numpy(int)),
        rows["calls"].to_numpy(np.int64),
    )
    return out


def schedule_matrices(teams: Sequence[Team], program: str | None = None) -> dict[str, np.ndarray]:
    """Team id -> 7 x 24 on-duty fractions (``Schedule.matrix``), for outlining on the heatmap."""
    return {
        t.team_id: t.schedule.matrix() for t in teams if program is None or t.program == program
    }


def gap_areas(data: CoverageData, top: int = 10, program: str | None = None,
              by_area: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``top`` areas with the most uncovered eligible calls (calls with no location or
    outside the county are not an area: see :func:`unplaced_uncovered`). ``by_area``: the
    :func:`coverage_by_area` of the same data and program, when the caller has it already."""
    out = coverage_by_area(data, program) if by_area is None else by_area
    out = out[(out["uncovered"] > 0) & ~out["area"].isin(UNPLACED_AREAS)]
    return out.head(top).reset_index(drop=True)


def unplaced_uncovered(data: CoverageData, program: str | None = None,
                       by_area: pd.DataFrame | None = None) -> int:
    """Uncovered eligible calls with no usable location (or outside the county); ``by_area``
    as for :func:`gap_areas`."""
    out = coverage_by_area(data, program) if by_area is None else by_area
    return int(out.loc[out["area"].isin(UNPLACED_AREAS), "uncovered"].sum())


def gap_hexagons(data: CoverageData, top: int = 50, program: str | None = None) -> pd.DataFrame:
    """The ``top`` H3 cells with the most uncovered eligible calls (sensitive calls never appear:
    their cell is blanked in the aggregate)."""
    rows = _only(data.rows, program)
    rows = rows[rows["h3"].notna()]
    out = _summarize(rows, "h3")
    out = out[out["uncovered"] > 0].sort_values(["uncovered", "h3"], ascending=[False, True])
    return out.head(top).rename(columns={"h3": "h3_cell"}).reset_index(drop=True)


def eligible_by_area(data: CoverageData) -> pd.DataFrame:
    """Eligible / covered per area and program (for the map under the zones)."""
    return _summarize(data.rows, ["area", "program"])


# --- drawn zones ---------------------------------------------------------------------------
def drawn_zone_membership(
    geometry, cells: Iterable[str], areas: gpd.GeoDataFrame
) -> tuple[frozenset[str], frozenset[str]]:
    """Which H3 cells and which areas a drawn polygon (lon/lat) holds.

    Approximation (documented on the page): a cell is inside when its *center* is, so calls are
    counted by the fine H3 cell they fall in (about 0.1 km2 each) rather than by exact point; an
    area is inside (for domestic violence and overdose calls, known only per area) when its
    representative point is.
    """
    import h3
    import shapely

    geom = shapely.geometry.shape(geometry) if isinstance(geometry, dict) else geometry
    cell_list = [str(c) for c in dict.fromkeys(cells) if c is not None and not pd.isna(c)]
    inside_cells: frozenset[str] = frozenset()
    if cell_list:
        centers = np.array([h3.cell_to_latlng(c) for c in cell_list])
        mask = shapely.contains_xy(geom, centers[:, 1], centers[:, 0])
        inside_cells = frozenset(np.asarray(cell_list)[mask])
    inside_areas: frozenset[str] = frozenset()
    if areas is not None and not areas.empty:
        points = areas.geometry.representative_point()
        mask = shapely.contains_xy(geom, points.x.to_numpy(), points.y.to_numpy())
        inside_areas = frozenset(areas.loc[mask, "area"].astype(str))
    return inside_cells, inside_areas


# --- distance ------------------------------------------------------------------------------
def calls_beyond_distance(
    snapshot, filters: Filters, zones: pd.DataFrame, km: float
) -> pd.DataFrame:
    """Per zone: eligible calls inside it, and how many lie more than ``km`` from the team base.

    Straight-line (great-circle, haversine) distance, not drive time: a river or a highway can
    make a near call slow to reach.
    """
    columns = ["zone_id", "team_id", "program", "eligible_in_zone", "beyond", "share_beyond"]
    if zones is None or zones.empty:
        return pd.DataFrame(columns=columns)
    where, params = build_where(filters)
    bases, base_params, based = [], [], []
    for z in zones.itertuples(index=False):
        lat, lon = (
            _float_or_none(getattr(z, "base_lat", None)),
            _float_or_none(getattr(z, "base_lon", None)),
        )
        if lat is None or lon is None or z.program not in ELIGIBILITY:
            continue
        bases.append("(?, ?, ?, ?)")
        base_params += [str(z.zone_id), str(z.program), lat, lon]
        based.append(str(z.zone_id))
    if not bases:
        return pd.DataFrame(columns=columns)
    eligible = " OR ".join(f"(z.program = '{program}' AND ({predicate}))"
                           for program, (predicate, _) in ELIGIBILITY.items())
    # One scan for every zone: each call joins the zones it lies in (``zone_ids``), then the
    # zone's program decides whether it is eligible there.
    counts = snapshot.query(
        f"""
        WITH z(zone_id, program, base_lat, base_lon) AS (VALUES {", ".join(bases)}),
        c AS (
            SELECT unnest(zone_ids) AS zone_id, lat, lon, tier, category FROM calls
            WHERE {where} AND lat IS NOT NULL AND lon IS NOT NULL AND len(zone_ids) > 0
        )
        SELECT z.zone_id, count(*) AS eligible_in_zone,
               count(*) FILTER (WHERE {_haversine_sql("z.base_lat", "z.base_lon")} > ?) AS beyond
        FROM c JOIN z USING (zone_id)
        WHERE {eligible}
        GROUP BY z.zone_id
        """,
        [*base_params, *params, float(km)],
    )
    meta = pd.DataFrame(zones)[["zone_id", "team_id", "program"]].astype(str)
    meta = meta[meta["zone_id"].isin(based)]  # zones with a base and a known program
    out = meta.merge(counts, on="zone_id", how="left")  # a zone with no eligible call: zeros
    out["eligible_in_zone"] = out["eligible_in_zone"].fillna(0).astype("int64")
    out["beyond"] = out["beyond"].fillna(0).astype("int64")
    out["share_beyond"] = out["beyond"] / out["eligible_in_zone"].where(out["eligible_in_zone"] > 0)
    return out[columns].reset_index(drop=True)


def _haversine_sql(base_lat: str, base_lon: str) -> str:
    """Great-circle km from the base (SQL expressions ``base_lat``, ``base_lon``) to the call."""
    return (
        f"2 * {EARTH_RADIUS_KM} * asin(sqrt("
        f"pow(sin(radians(lat - {base_lat}) / 2), 2) + "
        f"cos(radians({base_lat})) * cos(radians(lat)) * pow(sin(radians(lon - {base_lon}) / 2), 2)))"
    )


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (vectorized), the same formula as the SQL above."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def minute_label(minute: int) -> str:
    """``HH:MM`` for a minute of the day."""
    m = int(minute) % MINUTES_PER_DAY
    return f"{m // 60:02d}:{m % 60:02d}"
