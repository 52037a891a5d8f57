"""Where and when eligible calls will come in the next weeks: a forecast with intervals, a backtest.

What is forecast: the calls a program could take (``coverage.ELIGIBILITY``) under a given triage
ruleset, so a rule edit changes the forecast before any refresh. The codes are classified with
that ruleset (one classification per distinct code, ``triage_rules.classify_codes``) and the
calls counted per *zone set* (``zone_key`` restricted to the program's zones: calls in two
overlapping zones form their own group, so a plan's covered calls are never counted twice), per
day and per hour.

The model (statsmodels' ``UnobservedComponents``, a state-space model): daily calls of a group =
a local level + a weekly cycle (3 harmonics) + a yearly cycle (1 harmonic, with 400+ days of
history) + a holiday regressor (US federal holidays) + noise. Sample paths of the daily totals
are simulated from the fitted model and split among the day's hours by the group's weekday x hour
profile (its last ``PROFILE_WEEKS`` weeks, multinomially), so every interval shown (a day, a
weekday x hour cell, a schedule's hours in its zones) comes from the same paths, and sums keep
their joint uncertainty. (statsforecast was the first choice; its releases require pandas < 3,
which this project has left.)

The backtest: rolling origins over the last year (one every ``ORIGIN_STEP_WEEKS`` weeks), each
forecasting the chosen horizon from the data before it. The model is compared hour by hour with
the seasonal-naive forecast (the same hour one week earlier: the last observed week repeated)
and with last year's heat map (mean calls per weekday x hour in the same weeks a year earlier),
as MASE (mean absolute error over the in-sample seasonal-naive error) and, for the intervals,
the share of actual days and weekday x hour cells inside them. A group whose model is no better
than seasonal naive is forecast by seasonal naive (with intervals from the spread of week-on-week
changes), and the page says so.

Pure functions, no streamlit.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from response_atlas.analysis.coverage import ELIGIBILITY
from response_atlas.schedule import Schedule, parse_schedule
from response_atlas.triage_rules import Ruleset, classify_codes

HOURS = 24
DAYS_PER_WEEK = 7
PROFILE_WEEKS = 26  # the weekday x hour profile of a group: its last 26 weeks
MIN_HISTORY_DAYS = 8 * 7  # less than 8 weeks of calls: no forecast
MIN_CALLS = 100  # fewer eligible calls than this in the whole history: no forecast
ORIGIN_STEP_WEEKS = 4
BACKTEST_DAYS = 364  # rolling origins over the last year
YEARLY_CYCLE_DAYS = 400  # fit a yearly cycle only with this much history
LEVELS = (80, 95)
OTHER_GROUP = ""  # calls in none of the program's zones
OTHER_LABEL = "Outside the program's zones"
METHOD_MODEL = "model"
METHOD_NAIVE = "seasonal naive"
METHOD_LAST_YEAR = "last year's heat map"


class ForecastUnavailable(ValueError):
    """Too little history (or no eligible calls) to forecast; the message says why."""


@dataclass(frozen=True)
class ForecastOptions:
    """What to forecast and how many simulated paths to draw."""

    program: str = "ARC"
    horizon_weeks: int = 4  # 4 to 8
    paths: int = 400
    seed: int = 2026
    backtest: bool = True

    def __post_init__(self):
        if self.program not in ELIGIBILITY:
            raise ValueError(f"unknown program {self.program!r} (one of {sorted(ELIGIBILITY)})")
        if not 1 <= int(self.horizon_weeks) <= 8:
            raise ValueError("the horizon is 1 to 8 weeks")


@dataclass(frozen=True)
class GroupForecast:
    """One zone set's forecast. ``samples``: simulated calls, shape (paths, days, 24 hours)."""

    group: str
    zones: tuple[str, ...]
    method: str
    days: tuple[date, ...]
    samples: np.ndarray = field(repr=False)
    history: pd.DataFrame = field(repr=False)  # date, calls (the last weeks before the forecast)


@dataclass(frozen=True)
class ForecastModel:
    """The forecast of one program's eligible calls, with its backtest."""

    program: str
    first_day: date
    last_day: date
    groups: tuple[GroupForecast, ...]
    backtest: pd.DataFrame  # group, method, origins, MASE, MAE, coverage (days / cells, 80 / 95)
    history_start: date
    history_end: date
    notes: tuple[str, ...] = ()

    @property
    def zone_ids(self) -> tuple[str, ...]:
        """Every zone of the program that has calls in the history."""
        return tuple(sorted({z for g in self.groups for z in g.zones}))

    def group_samples(self, zone: str | None = None) -> np.ndarray:
        """Simulated hourly calls (paths, days, 24) of the calls in ``zone`` (None: all)."""
        picked = [g.samples for g in self.groups if zone is None or zone in g.zones]
        if not picked:
            return np.zeros_like(self.groups[0].samples)
        return np.sum(picked, axis=0)

    def history(self, zone: str | None = None) -> pd.DataFrame:
        """Daily calls before the forecast (``date, calls``) in ``zone`` (None: all)."""
        frames = [g.history for g in self.groups if zone is None or zone in g.zones]
        both = pd.concat(frames) if frames else pd.DataFrame({"date": [], "calls": []})
        return both.groupby("date", as_index=False)["calls"].sum()


@dataclass(frozen=True)
class Interval:
    """An expected count with its 80% and 95% prediction intervals."""

    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float

    @classmethod
    def of(cls, totals: np.ndarray) -> Interval:
        """From simulated totals (one per path)."""
        q = np.quantile(totals, [0.10, 0.90, 0.025, 0.975])
        return cls(float(np.mean(totals)), *(float(v) for v in q))


# --- counts from the snapshot ------------------------------------------------------------------
def eligible_codes(code_counts: pd.DataFrame, ruleset: Ruleset, program: str) -> pd.DataFrame:
    """``incident_code, category, tier`` of the codes whose calls ``program`` may take under
    ``ruleset`` (``code_counts`` has an ``incident_code`` column, e.g. from
    ``triage_impact.code_counts``)."""
    codes = code_counts["incident_code"].dropna().astype(str).drop_duplicates()
    classes = classify_codes(codes.reset_index(drop=True), ruleset)
    table = pd.DataFrame({"incident_code": codes.to_numpy(),
                          "category": classes["category"].to_numpy(),
                          "tier": classes["tier"].to_numpy()})
    predicate = _eligibility_test(program)
    return table[predicate(table)].reset_index(drop=True)


def _eligibility_test(program: str) -> Callable[[pd.DataFrame], pd.Series]:
    """``ELIGIBILITY[program]``'s SQL predicate evaluated on a small code table (DuckDB)."""
    import duckdb

    sql = ELIGIBILITY[program][0]

    def test(table: pd.DataFrame) -> pd.Series:
        con = duckdb.connect()
        try:
            con.register("codes", table)
            keep = con.execute(f"SELECT ({sql}) AS ok FROM codes").fetchnumpy()["ok"]
        finally:
            con.close()
        return pd.Series(np.asarray(keep, dtype=bool), index=table.index)

    return test


def hourly_counts(snapshot, codes: pd.DataFrame, zone_ids: Sequence[str]) -> pd.DataFrame:
    """Calls with one of ``codes`` per zone set (within ``zone_ids``), day and hour:
    ``group, call_date, hour, calls`` (``group`` is the zone ids joined by '|', '' for none)."""
    zone_list = sorted(str(z) for z in zone_ids)
    frame = snapshot.query(
        """
        SELECT coalesce(array_to_string(list_sort(list_filter(zone_ids,
                   lambda z: list_contains(?::VARCHAR[], z))), '|'), '') AS "group",
               call_date, hour, count(*) AS calls
        FROM calls
        WHERE incident_code IN (SELECT unnest(?::VARCHAR[]))
        GROUP BY ALL
        """,
        [zone_list, list(codes["incident_code"])],
    )
    frame["calls"] = frame["calls"].astype("int64")
    frame["hour"] = frame["hour"].astype("int64")
    frame["call_date"] = pd.to_datetime(frame["call_date"]).dt.date
    return frame


def program_zone_ids(zones, program: str) -> list[str]:
    """The zone ids of ``program`` in a snapshot's zones table."""
    if zones is None or len(zones) == 0:
        return []
    return sorted(str(z) for z in zones.loc[zones["program"] == program, "zone_id"])


# --- the arrays the models work on -------------------------------------------------------------
def hourly_matrix(counts: pd.DataFrame, first: date, last: date) -> dict[str, np.ndarray]:
    """Per group, a (days, 24) array of calls from ``first`` to ``last`` (zeros filled in)."""
    n_days = (last - first).days + 1
    out: dict[str, np.ndarray] = {}
    if counts.empty:
        return out
    day_index = (pd.to_datetime(counts["call_date"]) - pd.Timestamp(first)).dt.days.to_numpy()
    inside = (day_index >= 0) & (day_index < n_days)
    for group, rows in counts[inside].groupby("group", sort=True):
        grid = np.zeros((n_days, HOURS), dtype=np.int64)
        idx = day_index[inside][counts[inside]["group"].to_numpy() == group]
        np.add.at(grid, (idx, rows["hour"].to_numpy()), rows["calls"].to_numpy())
        out[str(group)] = grid
    return out


def holiday_flags(days: Sequence[date]) -> np.ndarray:
    """1.0 on US federal holidays (observed), else 0.0."""
    if len(days) == 0:
        return np.zeros(0)
    holidays = _federal_holidays(min(days).year, max(days).year)
    return np.array([d in holidays for d in days], dtype=float)


@lru_cache(maxsize=16)
def _federal_holidays(first_year: int, last_year: int) -> frozenset[date]:
    # pandas' holiday calendar takes a tenth of a second a call; the backtest asks often
    from pandas.tseries.holiday import USFederalHolidayCalendar

    dates = USFederalHolidayCalendar().holidays(f"{first_year}-01-01", f"{last_year}-12-31")
    return frozenset(d.date() for d in dates)


def weekday_hour_profile(grid: np.ndarray, weekdays: np.ndarray) -> np.ndarray:
    """7 x 24 shares of each weekday's calls by hour (rows sum to 1), lightly smoothed toward the
    group's all-days hour profile so a quiet weekday-hour is not forecast as never."""
    overall = grid.sum(axis=0).astype(float) + 1.0
    overall /= overall.sum()
    profile = np.empty((DAYS_PER_WEEK, HOURS))
    for wd in range(DAYS_PER_WEEK):
        rows = grid[weekdays == wd].sum(axis=0).astype(float)
        prior = 10.0 * HOURS * overall  # worth ten average days of calls
        profile[wd] = (rows + prior) / (rows.sum() + prior.sum())
    return profile


def _weekdays(first: date, n_days: int) -> np.ndarray:
    return (np.arange(n_days) + first.weekday()) % DAYS_PER_WEEK


# --- the models --------------------------------------------------------------------------------
def simulate_model(daily: np.ndarray, first: date, horizon_days: int, paths: int,
                   rng: np.random.Generator,
                   params: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Simulated daily totals (paths, horizon_days) after the history ``daily`` (from ``first``)
    from statsmodels' unobserved-components model (level, weekly and yearly cycles, holidays),
    and the model's parameters. With ``params`` (from an earlier fit of the same kind of
    history) the model is only filtered, not fitted again: the backtest's later origins."""
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    n = len(daily)
    days = [first + timedelta(days=i) for i in range(n + horizon_days)]
    holidays = holiday_flags(days)
    seasons = [{"period": 7, "harmonics": 3}]
    if n >= YEARLY_CYCLE_DAYS:
        seasons.append({"period": 365.25, "harmonics": 1})
    exog = holidays[:n] if holidays[:n].any() else None
    with warnings.catch_warnings():
        # convergence and start-parameter chatter from the optimizer; the backtest judges the fit
        warnings.simplefilter("ignore")
        model = UnobservedComponents(daily.astype(float), level="local level",
                                     freq_seasonal=seasons, exog=exog)
        if params is not None and len(params) == len(model.start_params):
            result = model.filter(params, cov_type="none")
        else:
            result = model.fit(disp=False, maxiter=200, cov_type="none")
        future = holidays[n:].reshape(-1, 1) if exog is not None else None
        forecast = result.get_forecast(horizon_days, exog=future)
        mean = np.asarray(forecast.predicted_mean, dtype=float)
        cov = np.asarray(forecast.var_pred_mean, dtype=float)
        shape = result.simulate(horizon_days, repetitions=paths, anchor="end", exog=future,
                                rng=rng)
    # The simulation gives the joint shape of the paths from the end state; scale it to the
    # forecast's own spread (which includes the uncertainty of that state) day by day.
    sims = np.asarray(shape, dtype=float).reshape(horizon_days, paths).T
    centred = sims - sims.mean(axis=0)
    spread = centred.std(axis=0)
    spread[spread == 0] = 1.0
    scaled = mean + centred / spread * np.sqrt(np.maximum(cov, 0.0))
    return np.clip(np.rint(scaled), 0, None), np.asarray(result.params)


def split_hours(daily_paths: np.ndarray, profile: np.ndarray, weekdays: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """(paths, days, 24) hourly calls: each simulated day's total split by its weekday's profile."""
    paths, n_days = daily_paths.shape
    out = np.zeros((paths, n_days, HOURS), dtype=np.int32)
    totals = daily_paths.astype(np.int64)
    for wd in range(DAYS_PER_WEEK):
        cols = np.flatnonzero(weekdays == wd)
        if len(cols):
            out[:, cols, :] = rng.multinomial(totals[:, cols], profile[wd])
    return out


def seasonal_naive_paths(grid: np.ndarray, horizon_days: int, paths: int,
                         rng: np.random.Generator) -> np.ndarray:
    """(paths, days, 24): the last observed week repeated. Its spread: for the k-th week ahead,
    the sum of k week-on-week changes drawn from the history (whole weeks, so the hours of a
    day keep their joint spread)."""
    week = grid[-DAYS_PER_WEEK:].astype(float)
    reps = -(-horizon_days // DAYS_PER_WEEK)
    mean = np.tile(week, (reps, 1))[:horizon_days]
    starts = np.arange(DAYS_PER_WEEK, len(grid) - DAYS_PER_WEEK + 1)
    if len(starts) == 0:
        return np.broadcast_to(mean, (paths, *mean.shape)).astype(np.int32)
    changes = np.zeros((paths, reps * DAYS_PER_WEEK, HOURS))
    total = np.zeros((paths, DAYS_PER_WEEK, HOURS))
    for k in range(reps):
        picks = rng.choice(starts, size=paths)
        offsets = picks[:, None] + np.arange(DAYS_PER_WEEK)
        total = total + (grid[offsets] - grid[offsets - DAYS_PER_WEEK])
        changes[:, k * DAYS_PER_WEEK:(k + 1) * DAYS_PER_WEEK] = total
    return np.clip(np.rint(mean + changes[:, :horizon_days]), 0, None).astype(np.int32)


def model_paths(grid: np.ndarray, first: date, horizon_days: int, paths: int,
                rng: np.random.Generator,
                params: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(paths, days, 24) hourly calls after ``grid`` (days from ``first``) from the model, and
    its parameters (see :func:`simulate_model`)."""
    n = len(grid)
    weekdays = _weekdays(first, n)
    recent = slice(max(0, n - PROFILE_WEEKS * DAYS_PER_WEEK), n)
    profile = weekday_hour_profile(grid[recent], weekdays[recent])
    daily, params = simulate_model(grid.sum(axis=1), first, horizon_days, paths, rng, params)
    future_weekdays = _weekdays(first + timedelta(days=n), horizon_days)
    return split_hours(daily, profile, future_weekdays, rng), params


# --- backtest ----------------------------------------------------------------------------------
def backtest_group(grid: np.ndarray, first: date, horizon_days: int, paths: int,
                   rng: np.random.Generator) -> pd.DataFrame:
    """One row per method over rolling origins: errors per hour (MAE, MASE) and per weekday x
    hour total over the horizon (the heat map a schedule is planned from: "cell MASE"), and the
    share of actual days and cells inside the 80% and 95% ranges."""
    n = len(grid)
    step = ORIGIN_STEP_WEEKS * DAYS_PER_WEEK
    origins = [o for o in range(n - horizon_days, max(MIN_HISTORY_DAYS, n - BACKTEST_DAYS) - 1,
                                -step) if o >= MIN_HISTORY_DAYS]
    methods = (METHOD_MODEL, METHOD_NAIVE, METHOD_LAST_YEAR)
    hour_err = {m: [] for m in methods}
    cell_err = {m: [] for m in methods}
    hour_scale, cell_scale = [], []
    inside = {(m, kind, level): [] for m in methods[:2] for kind in ("days", "cells")
              for level in LEVELS}
    params = None  # fitted at the first origin, then reused: later origins only filter
    for origin in sorted(origins):
        train, actual = grid[:origin], grid[origin:origin + horizon_days]
        weekdays = _weekdays(first + timedelta(days=origin), horizon_days)
        hour_scale.append(_naive_scale(train))
        cell_scale.append(_naive_cell_scale(train, first, horizon_days))
        sims, params = model_paths(train, first, horizon_days, paths, rng, params)
        naive_paths = seasonal_naive_paths(train, horizon_days, paths, rng)
        last_year = _last_year_heat_map(grid, first, origin, horizon_days)
        points = {METHOD_MODEL: sims.mean(axis=0), METHOD_NAIVE: _repeat_last_week(train,
                                                                                  horizon_days),
                  METHOD_LAST_YEAR: last_year}
        actual_cells = _cell_totals(actual[None], weekdays)[0]
        for method, point in points.items():
            if point is None:
                hour_err[method].append(np.nan)
                cell_err[method].append(np.nan)
                continue
            hour_err[method].append(_mae(point, actual))
            cell_err[method].append(_mae(_cell_totals(point[None], weekdays)[0], actual_cells))
        for method, samples in ((METHOD_MODEL, sims), (METHOD_NAIVE, naive_paths)):
            for level in LEVELS:
                inside[(method, "days", level)].append(
                    _covered(samples.sum(axis=2), actual.sum(axis=1), level))
                inside[(method, "cells", level)].append(
                    _covered(_cell_totals(samples, weekdays), actual_cells, level))
    rows = []
    for method in methods:
        row = {"method": method, "origins": int(np.isfinite(hour_err[method]).sum())}
        for name, errs, scales in (("", hour_err, hour_scale), ("cell ", cell_err, cell_scale)):
            mae = float(np.nanmean(errs[method])) if np.isfinite(errs[method]).any() else np.nan
            scale = float(np.nanmean(scales)) if np.isfinite(scales).any() else np.nan
            row[f"{name}MAE"] = mae
            row[f"{name}MASE"] = mae / scale if scale > 0 else np.nan
        for kind in ("days", "cells"):
            for level in LEVELS:
                values = inside.get((method, kind, level), [])
                row[f"{kind} in {level}%"] = float(np.mean(values)) if values else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _repeat_last_week(train: np.ndarray, horizon_days: int) -> np.ndarray:
    """Seasonal naive's point forecast: the last observed week repeated (days, 24)."""
    reps = -(-horizon_days // DAYS_PER_WEEK)
    return np.tile(train[-DAYS_PER_WEEK:], (reps, 1))[:horizon_days].astype(float)


def _naive_cell_scale(train: np.ndarray, first: date, horizon_days: int) -> float:
    """In-sample error of seasonal naive on weekday x hour totals over horizon-long windows
    (the denominator of the cell MASE)."""
    errors = []
    for start in range(len(train) - horizon_days, DAYS_PER_WEEK - 1, -horizon_days):
        window = train[start:start + horizon_days]
        weekdays = _weekdays(first + timedelta(days=start), horizon_days)
        point = _repeat_last_week(train[:start], horizon_days)
        errors.append(_mae(_cell_totals(point[None], weekdays)[0],
                           _cell_totals(window[None], weekdays)[0]))
    scale = float(np.mean(errors)) if errors else np.nan
    return scale if scale > 0 else np.nan


def _naive_scale(train: np.ndarray) -> float:
    """In-sample mean absolute error of the same hour one week earlier (MASE's denominator)."""
    flat = train.reshape(-1)
    lag = DAYS_PER_WEEK * HOURS
    if len(flat) <= lag:
        return np.nan
    scale = float(np.mean(np.abs(flat[lag:] - flat[:-lag])))
    return scale if scale > 0 else np.nan


def _mae(forecast: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(forecast, dtype=float) - actual)))


def _covered(samples: np.ndarray, actual: np.ndarray, level: int) -> float:
    """Share of ``actual`` values inside the central ``level``% of ``samples`` (paths first)."""
    tail = (100 - level) / 200
    lo, hi = np.quantile(samples, [tail, 1 - tail], axis=0)
    return float(np.mean((actual >= lo) & (actual <= hi)))


def _cell_totals(paths: np.ndarray, weekdays: np.ndarray) -> np.ndarray:
    """(paths, 7 * 24): calls per weekday x hour summed over the days of the horizon."""
    out = np.zeros((paths.shape[0], DAYS_PER_WEEK, HOURS))
    for wd in range(DAYS_PER_WEEK):
        out[:, wd] = paths[:, weekdays == wd].sum(axis=1)
    return out.reshape(paths.shape[0], -1)


def _last_year_heat_map(grid: np.ndarray, first: date, origin: int,
                        horizon_days: int) -> np.ndarray | None:
    """(days, 24): last year's mean calls per weekday x hour in the same weeks (52 weeks back)."""
    start = origin - 52 * DAYS_PER_WEEK
    if start < 0:
        return None
    past = grid[start:start + horizon_days]
    weekdays = _weekdays(first + timedelta(days=start), horizon_days)
    means = np.zeros((DAYS_PER_WEEK, HOURS))
    for wd in range(DAYS_PER_WEEK):
        rows = past[weekdays == wd]
        if len(rows):
            means[wd] = rows.mean(axis=0)
    # weeks a year apart fall on the same weekdays, so the target days' weekdays are these
    return means[weekdays]


# --- the whole forecast ------------------------------------------------------------------------
def forecast_counts(counts: pd.DataFrame, history_start: date, history_end: date,
                    options: ForecastOptions = ForecastOptions(),
                    progress: Callable[[float, str], None] | None = None) -> ForecastModel:
    """Forecast every zone set in ``counts`` (from :func:`hourly_counts`) for the weeks after
    ``history_end``; raises :class:`ForecastUnavailable` when the history is too short."""
    n_days = (history_end - history_start).days + 1
    if n_days < MIN_HISTORY_DAYS:
        raise ForecastUnavailable(
            f"The data covers {n_days} days; a forecast needs at least {MIN_HISTORY_DAYS} "
            f"days ({MIN_HISTORY_DAYS // 7} weeks) of calls."
        )
    grids = hourly_matrix(counts, history_start, history_end)
    total = int(sum(int(g.sum()) for g in grids.values()))
    if total < MIN_CALLS:
        raise ForecastUnavailable(
            f"The data holds {total} eligible calls for {options.program}; a forecast needs at "
            f"least {MIN_CALLS}."
        )
    horizon = int(options.horizon_weeks) * DAYS_PER_WEEK
    rng = np.random.default_rng(options.seed)
    first_day = history_end + timedelta(days=1)
    days = tuple(first_day + timedelta(days=i) for i in range(horizon))
    groups, tests, notes = [], [], []
    for i, (group, grid) in enumerate(sorted(grids.items())):
        if progress:
            progress(i / len(grids), f"Forecasting {_group_label(group)}")
        method = METHOD_MODEL
        if options.backtest:
            test = backtest_group(grid, history_start, horizon, max(100, options.paths // 4), rng)
            test.insert(0, "group", group)
            tests.append(test)
            # judged on the weekday x hour heat map a schedule is planned from
            mase = test.set_index("method")["cell MASE"]
            if not mase[METHOD_MODEL] < mase[METHOD_NAIVE]:
                method = METHOD_NAIVE
                notes.append(
                    f"{_group_label(group)}: the model is no better than seasonal naive in the "
                    f"backtest (weekday x hour MASE {mase[METHOD_MODEL]:.2f} against "
                    f"{mase[METHOD_NAIVE]:.2f}), so the forecast uses seasonal naive."
                )
        if method == METHOD_MODEL:
            samples, _ = model_paths(grid, history_start, horizon, options.paths, rng)
        else:
            samples = seasonal_naive_paths(grid, horizon, options.paths, rng)
        recent = grid[-8 * DAYS_PER_WEEK:].sum(axis=1)
        history = pd.DataFrame({
            "date": [history_end - timedelta(days=len(recent) - 1 - k) for k in range(len(recent))],
            "calls": recent,
        })
        groups.append(GroupForecast(group, tuple(sorted(set(group.split("|")) - {""})), method,
                                    days, samples, history))
    if progress:
        progress(1.0, "Forecast ready")
    backtest = pd.concat(tests, ignore_index=True) if tests else pd.DataFrame()
    return ForecastModel(options.program, first_day, days[-1], tuple(groups), backtest,
                         history_start, history_end, tuple(notes))


def build_forecast(snapshot, ruleset: Ruleset, options: ForecastOptions = ForecastOptions(),
                   progress: Callable[[float, str], None] | None = None) -> ForecastModel:
    """The forecast of ``options.program``'s eligible calls in ``snapshot`` under ``ruleset``."""
    from response_atlas.analysis.triage_impact import code_counts

    codes = eligible_codes(code_counts(snapshot), ruleset, options.program)
    if codes.empty:
        raise ForecastUnavailable(
            f"No incident code is eligible for {options.program} under these triage rules."
        )
    zone_ids = program_zone_ids(snapshot.zones, options.program)
    counts = hourly_counts(snapshot, codes, zone_ids)
    start, end = snapshot.date_range
    return forecast_counts(counts, start, end, options, progress)


def _group_label(group: str) -> str:
    return OTHER_LABEL if group == OTHER_GROUP else "zone " + group.replace("|", " + ")


# --- what the pages read -----------------------------------------------------------------------
def daily_table(model: ForecastModel, zone: str | None = None) -> pd.DataFrame:
    """``date, mean, lo80, hi80, lo95, hi95``: calls per forecast day (all groups or a zone)."""
    totals = model.group_samples(zone).sum(axis=2)
    rows = [Interval.of(totals[:, d]) for d in range(totals.shape[1])]
    frame = pd.DataFrame([r.__dict__ for r in rows])
    frame.insert(0, "date", list(model.groups[0].days))
    return frame


def cell_table(model: ForecastModel, zone: str | None = None) -> pd.DataFrame:
    """``weekday, hour, mean, lo80, hi80, lo95, hi95``: calls per weekday x hour over the whole
    horizon (all groups or a zone)."""
    samples = model.group_samples(zone)
    weekdays = np.array([d.weekday() for d in model.groups[0].days])
    cells = _cell_totals(samples, weekdays)
    rows = []
    for k in range(cells.shape[1]):
        wd, hour = divmod(k, HOURS)
        rows.append({"weekday": wd, "hour": hour, **Interval.of(cells[:, k]).__dict__})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class TeamShift:
    """A team of a plan: the zone it works in and its weekly schedule."""

    zone_id: str
    schedule: Schedule


def teams_from_pairs(pairs: Iterable[tuple[str, str]]) -> list[TeamShift]:
    """``(zone id, schedule text)`` pairs to teams; raises ``ScheduleError`` on a bad schedule."""
    return [TeamShift(str(zone), parse_schedule(str(text))) for zone, text in pairs]


def _duty_weights(schedule: Schedule, days: Sequence[date]) -> np.ndarray:
    """(days, 24): the share of each hour of each forecast day that the team is on duty."""
    n = len(days)
    minutes = np.tile(np.arange(24 * 60), n)
    day_of = np.repeat(np.arange(n), 24 * 60)
    weekdays = np.array([d.weekday() for d in days])[day_of]
    dates = np.array(days, dtype="datetime64[D]")[day_of]
    on = schedule.on_duty(weekdays, minutes, dates)
    return on.reshape(n, 24, 60).mean(axis=2)


def covered_weights(model: ForecastModel, teams: Sequence[TeamShift]) -> dict[str, np.ndarray]:
    """Per group, the (days, 24) share of each hour in which some team of the plan covers the
    group's calls (a call in two zones is covered when either zone's team works)."""
    days = model.groups[0].days
    per_team = [(t.zone_id, _duty_weights(t.schedule, days)) for t in teams]
    out = {}
    for g in model.groups:
        weights = np.zeros((len(days), HOURS))
        for zone, duty in per_team:
            if zone in g.zones:
                weights = np.maximum(weights, duty)
        out[g.group] = weights
    return out


def expected_in_plan(model: ForecastModel, teams: Sequence[TeamShift]) -> Interval:
    """Eligible calls expected inside the plan's hours and zones over the forecast horizon."""
    weights = covered_weights(model, teams)
    totals = sum((g.samples * weights[g.group]).sum(axis=(1, 2)) for g in model.groups)
    return Interval.of(np.asarray(totals, dtype=float))


def best_hours_to_add(model: ForecastModel, teams: Sequence[TeamShift], zones: Sequence[str],
                      top: int = 3) -> pd.DataFrame:
    """The weekday-hours, per zone, with the most expected eligible calls that no team of the
    plan covers: ``zone_id, weekday, hour, mean, lo80, hi80`` (over the whole horizon)."""
    weights = covered_weights(model, teams)
    weekdays = np.array([d.weekday() for d in model.groups[0].days])
    rows = []
    for zone in zones:
        uncovered = sum(g.samples * (1.0 - weights[g.group]) for g in model.groups
                        if zone in g.zones)
        if isinstance(uncovered, int):
            continue
        cells = _cell_totals(uncovered, weekdays)
        for k in range(cells.shape[1]):
            wd, hour = divmod(k, HOURS)
            rows.append({"zone_id": zone, "weekday": wd, "hour": hour,
                         **{n: v for n, v in Interval.of(cells[:, k]).__dict__.items()
                            if n in ("mean", "lo80", "hi80")}})
    table = pd.DataFrame(rows, columns=["zone_id", "weekday", "hour", "mean", "lo80", "hi80"])
    # Zones that hold the same calls (two teams' identical zones) name one hour once.
    table["key"] = table["mean"].round(6)
    table = (table.groupby(["weekday", "hour", "key"], as_index=False, sort=False)
             .agg(zone_id=("zone_id", " or ".join), mean=("mean", "first"),
                  lo80=("lo80", "first"), hi80=("hi80", "first")))
    table = table[["zone_id", "weekday", "hour", "mean", "lo80", "hi80"]]
    return table.sort_values(["mean", "weekday", "hour"], ascending=[False, True, True],
                             ignore_index=True).head(top)


def monthly_total(model: ForecastModel) -> Interval:
    """All eligible calls expected over the horizon (for the public Outcomes page)."""
    return Interval.of(model.group_samples().sum(axis=(1, 2)).astype(float))


def backtest_verdict(model: ForecastModel) -> str:
    """The backtest in one plain sentence."""
    if model.backtest.empty:
        return "No backtest was run."
    mase = model.backtest.groupby("method")["cell MASE"].mean()
    fallback = [g.group for g in model.groups if g.method == METHOD_NAIVE]
    origins = int(model.backtest["origins"].max())
    text = (f"Backtest over {origins} forecasts made from earlier dates in the last year "
            f"(rolling origins): on the weekday x hour map of the weeks ahead, the model's "
            f"error was {mase[METHOD_MODEL]:.2f} (MASE: 1 is the error of repeating the last "
            f"week, lower is better), seasonal naive {mase[METHOD_NAIVE]:.2f}")
    if np.isfinite(mase.get(METHOD_LAST_YEAR, np.nan)):
        text += f", last year's heat map {mase[METHOD_LAST_YEAR]:.2f}"
    text += "."
    if fallback:
        text += (f" In {len(fallback)} of {len(model.groups)} zone groups the model was no better "
                 "than seasonal naive, so seasonal naive is used there.")
    else:
        text += " The model beats seasonal naive in every zone group and is used throughout."
    return text


def forecast_for(snapshot, rules_text: str, program: str = "ARC",
                 horizon_weeks: int = 4) -> ForecastModel:
    """:func:`build_forecast` from a ruleset's YAML text (a small, hashable cache key)."""
    from response_atlas.triage_rules import load_rules

    return build_forecast(snapshot, load_rules(rules_text),
                          ForecastOptions(program=program, horizon_weeks=horizon_weeks))


def format_interval(value: Interval, level: int = 80) -> str:
    """'208 (80%: 190 to 227)': an expected count and one of its intervals, in words."""
    lo, hi = (value.lo80, value.hi80) if level == 80 else (value.lo95, value.hi95)
    return f"{value.mean:,.0f} ({level}% range {lo:,.0f} to {hi:,.0f})"


def hours_to_add_table(best: pd.DataFrame) -> pd.DataFrame:
    """:func:`best_hours_to_add` in words: zone, hour ('Sat 15:00-16:00'), expected calls."""
    from response_atlas.filters import WEEKDAY_NAMES

    return pd.DataFrame({
        "Zone": best["zone_id"],
        "Hour no team works": [f"{WEEKDAY_NAMES[int(w)]} {int(h):02d}:00-{int(h) + 1:02d}:00"
                               for w, h in zip(best["weekday"], best["hour"], strict=True)],
        "Expected eligible calls": best["mean"].round(1),
        "80% range": [f"{lo:.0f} to {hi:.0f}" for lo, hi in zip(best["lo80"], best["hi80"],
                                                               strict=True)],
    })


def backtest_table(model: ForecastModel) -> pd.DataFrame:
    """The backtest per zone group and method, with readable labels and rounded figures."""
    table = model.backtest.copy()
    if table.empty:
        return table
    table["group"] = table["group"].map(_group_label)
    table = table.rename(columns={"group": "Zone group", "method": "Method",
                                  "origins": "Origins"})
    for column in table.columns:
        if "%" in column:
            table[column] = (table[column] * 100).round(0)
    return table.round({"MAE": 2, "MASE": 2, "cell MAE": 2, "cell MASE": 2})
