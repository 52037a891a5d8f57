"""Play the attacker on the public models: differencing must not recover a small count.

A synthetic snapshot (the tiny snapshot's three areas, 1,500 random calls over six months) is
asked, as a public visitor would through page links, for many random pairs of filter settings
that differ by one small piece (one area, one day, one hour, one month, one call type, one
weekday), and for totals against their published parts (areas, months). The attacker knows the
method (published = suppressed 1..threshold, else rounded to 5 within 4) and works out, for the
piece, every value the published figures allow. A count from 1 to the threshold is *recovered*
when exactly one value is left. The test asserts none is, and that asking the same question in
other words gives the very same figures (so nothing can be averaged away).
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pandas as pd
import pytest

from response_atlas.analysis import calls, overview
from response_atlas.filters import Filters, month_end, snap_public
from response_atlas.publish import BASE, Audience
from response_atlas.schema import CATEGORIES, SENSITIVE_CATEGORIES
from response_atlas.snapshot import current_snapshot_dir, open_snapshot
from tests.tiny_snapshot import AREAS, build_tiny_snapshot

THRESHOLD = 10
PUBLIC = Audience(public=True, threshold=THRESHOLD)
STAFF = Audience(public=False, threshold=THRESHOLD)
AREA_NAMES = [a[0] for a in AREAS]
FIRST, LAST = date(2025, 1, 1), date(2025, 6, 30)
KINDS = {  # category -> (incident code, tier)
    "behavioral_health": ("MHC - NON-VIOLENT", "alternative"),
    "disorder": ("TRESPASSING", "alternative"),
    "domestic_violence": ("DOMESTIC DIST PHYS (IP)", "co_response"),
    "substance_use": ("OD - (C) 23C1A", "co_response"),
    "other": ("THEFTR", "police_only"),
}
PAIRS_PER_PIECE = 30


def synthetic_calls(n: int = 1500, seed: int = 23) -> list[tuple]:
    """Calls shaped like ``tiny_snapshot.CALLS``: random day, hour, area, call type."""
    rng = random.Random(seed)
    days = (LAST - FIRST).days + 1
    weights = {"behavioral_health": 5, "disorder": 4, "domestic_violence": 2,
               "substance_use": 1, "other": 6}
    rows = []
    for i in range(n):
        day = FIRST + timedelta(days=rng.randrange(days))
        category = rng.choices(list(weights), list(weights.values()))[0]
        code, tier = KINDS[category]
        area = rng.choices(AREA_NAMES, (3, 2, 1))[0]
        rows.append((f"S{i:05d}", f"{day} {rng.randrange(24):02d}:{rng.randrange(60):02d}:00",
                     code, category, tier, area, f"{rng.randrange(1, 30)}XX MAIN ST", "CLOSED"))
    return rows


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("attack-data")
    build_tiny_snapshot(data_dir, synthetic_calls())
    return open_snapshot(current_snapshot_dir(data_dir / "snapshots"))


class Pages:
    """What public pages publish for a link's filters (the published models), and the exact
    counts behind them (the staff models on the same snapped filters)."""

    def __init__(self, snapshot):
        self.snapshot = snapshot
        self._seen: dict = {}

    def figures(self, request: Filters, audience: Audience) -> dict:
        filters = snap_public(request)  # what a public session does to the link's filters
        key = (filters, audience)
        if key not in self._seen:
            self._seen[key] = self._figures(filters, audience)
        return self._seen[key]

    def _models(self, filters: Filters) -> tuple:
        """The unpublished models (built once per snapped filters, published per audience)."""
        key = ("models", filters)
        if key not in self._seen:
            snap = self.snapshot
            self._seen[key] = (overview.compute_overview(snap, filters),
                               calls.area_counts(snap, filters), calls.monthly_trend(snap, filters))
        return self._seen[key]

    def _figures(self, filters: Filters, audience: Audience) -> dict:
        result, area_counts, trend = self._models(filters)
        out: dict = {}
        metric = overview.overview_metrics(result, audience)[0]
        out["total"] = math.nan if metric.value is None else float(metric.value)
        months = overview.published_monthly(result.monthly, audience)
        for month, value in zip(months["month"], months["calls"], strict=True):
            out[("month", month.date())] = float(value)
        areas = calls.publish_area_counts(area_counts, audience)
        for area, value in zip(areas["area"], areas["calls"], strict=True):
            out[("area", area)] = float(value)
        matrix = calls.hour_weekday_matrix(self.snapshot, filters, audience)
        for hour in matrix.index:
            for day in matrix.columns:
                out[("hour_day", hour, day)] = float(matrix.at[hour, day])
        trend = calls.publish_trend(trend, audience)
        for month, category, value in trend[["call_month", "category", "calls"]].itertuples(
                index=False):
            out[("trend", month, category)] = float(value)
        return out


def feasible(published: float) -> tuple[int, int]:
    """What the attacker knows of a count from its published value."""
    if math.isnan(published):
        return 1, THRESHOLD
    if published == 0 or published % BASE:  # not a rounded figure: the attacker takes it as exact
        return int(published), int(published)
    return max(THRESHOLD + 1, int(published) - (BASE - 1)), int(published) + (BASE - 1)


def random_filters(rng: random.Random) -> Filters:
    start = FIRST + timedelta(days=rng.randrange(120))
    end = start + timedelta(days=rng.randrange(10, 60))
    areas = tuple(rng.sample(AREA_NAMES, rng.randrange(1, 3))) if rng.random() < 0.6 else ()
    cats = tuple(rng.sample(list(KINDS), rng.randrange(1, 4))) if rng.random() < 0.7 else ()
    lo = rng.randrange(0, 20)
    hours = (lo, rng.randrange(lo, 23)) if rng.random() < 0.5 else (0, 23)
    days = tuple(sorted(rng.sample(range(7), rng.randrange(1, 7)))) if rng.random() < 0.3 else ()
    return Filters(start, min(end, LAST - timedelta(days=1)), areas, cats, (), hours, days)


def grow(f: Filters, piece: str, rng: random.Random) -> Filters | None:
    """A superset of ``f`` larger by one small piece, or None when ``f`` cannot grow so."""
    if piece == "area":
        missing = [a for a in AREA_NAMES if f.areas and a not in f.areas]
        return f.with_(areas=(*f.areas, rng.choice(missing))) if missing else None
    if piece == "day":
        return f.with_(end=f.end + timedelta(days=1))
    if piece == "month":
        nxt = month_end(f.end) + timedelta(days=1)
        return f.with_(end=month_end(nxt)) if nxt <= LAST else None
    if piece == "hour":
        return f.with_(hours=(f.hours[0], f.hours[1] + 1)) if f.hours[1] < 23 else None
    if piece == "call type":
        missing = [c for c in KINDS if f.categories and c not in f.categories]
        return f.with_(categories=(*f.categories, rng.choice(missing))) if missing else None
    if piece == "weekday":
        missing = [d for d in range(7) if f.weekdays and d not in f.weekdays]
        return f.with_(weekdays=tuple(sorted((*f.weekdays, rng.choice(missing))))) \
            if missing else None
    raise ValueError(piece)


PIECES = ("area", "day", "hour", "month", "call type", "weekday")


def attack_pairs(pages: Pages, rng: random.Random, per_piece: int = PAIRS_PER_PIECE) -> dict:
    """Difference published figures of neighbouring links; count small pieces recovered."""
    stats = {"pairs": 0, "compared": 0, "small_targets": 0, "recovered": 0, "naive_right": 0}
    for piece in PIECES:
        made = 0
        while made < per_piece:
            small = random_filters(rng)
            big = grow(small, piece, rng)
            if big is None:
                continue
            made += 1
            stats["pairs"] += 1
            p1, p2 = pages.figures(small, PUBLIC), pages.figures(big, PUBLIC)
            t1, t2 = pages.figures(small, STAFF), pages.figures(big, STAFF)
            for name in p1.keys() & p2.keys():
                truth = int(t2[name] - t1[name])
                lo1, hi1 = feasible(p1[name])
                lo2, hi2 = feasible(p2[name])
                lo, hi = max(0, lo2 - hi1), hi2 - lo1  # the piece is never negative
                stats["compared"] += 1
                assert lo <= truth <= hi, (piece, name, small, big)  # the model is honest
                if 1 <= truth <= THRESHOLD:
                    stats["small_targets"] += 1
                    stats["recovered"] += lo == hi
                    both = not (math.isnan(p1[name]) or math.isnan(p2[name]))
                    stats["naive_right"] += both and p2[name] - p1[name] == truth
    return stats


def attack_totals(pages: Pages, rng: random.Random, n: int = 50) -> dict:
    """A published total against its published parts (areas; months of the sparkline)."""
    stats = {"tables": 0, "hidden_parts": 0, "recovered": 0}
    for _ in range(n):
        request = random_filters(rng)
        published, exact = pages.figures(request, PUBLIC), pages.figures(request, STAFF)
        total_lo, total_hi = feasible(published["total"])
        for kind in ("area", "month"):
            parts = [k for k in published if isinstance(k, tuple) and k[0] == kind]
            stats["tables"] += 1
            bounds = {k: feasible(published[k]) for k in parts}
            for k in parts:
                if not math.isnan(published[k]):
                    continue
                stats["hidden_parts"] += 1
                rest_lo = sum(b[0] for j, b in bounds.items() if j != k)
                rest_hi = sum(b[1] for j, b in bounds.items() if j != k)
                lo, hi = max(1, total_lo - rest_hi), min(THRESHOLD, total_hi - rest_lo)
                assert lo <= exact[k] <= hi
                stats["recovered"] += lo == hi
    return stats


def test_differencing_recovers_no_small_count(snapshot):
    pages = Pages(snapshot)
    rng = random.Random(2326)
    pairs = attack_pairs(pages, rng)
    totals = attack_totals(pages, rng)
    print(f"\nattack pairs: {pairs}\nattack totals: {totals}")
    assert pairs["pairs"] == PAIRS_PER_PIECE * len(PIECES)
    assert pairs["small_targets"] > 1000  # the attack had small pieces to go for
    assert pairs["recovered"] == 0
    assert totals["hidden_parts"] > 5
    assert totals["recovered"] == 0


def test_the_attack_recovers_counts_when_counts_above_the_threshold_are_exact(snapshot,
                                                                              monkeypatch):
    """The attacker is not toothless: under the old rule (suppression only) it wins."""
    import response_atlas.publish as publish

    rounded = publish.publish_count

    def exact_above_threshold(count, key, audience):
        value = rounded(count, key, Audience(public=False, threshold=audience.threshold))
        return math.nan if audience.public and 0 < value <= audience.threshold else value

    monkeypatch.setattr(publish, "publish_count", exact_above_threshold)
    stats = attack_pairs(Pages(snapshot), random.Random(2326), per_piece=5)
    assert stats["recovered"] > 0


def test_the_same_calls_give_the_same_figures_however_asked(snapshot):
    pages = Pages(snapshot)
    base = Filters(date(2025, 2, 3), date(2025, 4, 20), ("Beta",), ("domestic_violence",))
    same = [
        base.with_(start=date(2025, 2, 27), end=date(2025, 4, 2)),  # same whole months
        base.with_(tiers=("alternative", "co_response", "police_only")),  # every tier listed
        base.with_(hours=(1, 22)),  # widens to the whole day: no hour filter at all
    ]
    expected = pages.figures(base, PUBLIC)
    for other in same:
        assert pages.figures(other, PUBLIC) == pytest.approx(expected, nan_ok=True)
    every = base.with_(categories=tuple(CATEGORIES), areas=())
    assert pages.figures(every, PUBLIC)[("area", "Beta")] == pytest.approx(
        pages.figures(base.with_(categories=(), areas=("Beta",)), PUBLIC)[("area", "Beta")])


def test_sensitive_calls_never_reach_hours_or_weekdays(snapshot):
    pages = Pages(snapshot)
    for category in SENSITIVE_CATEGORIES:
        dv = Filters(FIRST, LAST, categories=(category,))
        whole = pages.figures(dv, STAFF)
        assert whole["total"] > 0
        assert all(v == 0 for k, v in whole.items() if k[0] == "hour_day")
        assert pages.figures(dv.with_(hours=(6, 11)), STAFF)["total"] == 0
        assert pages.figures(dv.with_(weekdays=(0, 1, 2)), STAFF)["total"] == 0


def test_every_published_count_is_zero_hidden_or_a_rounded_multiple(snapshot):
    pages = Pages(snapshot)
    rng = random.Random(5)
    for _ in range(20):
        for value in pages.figures(random_filters(rng), PUBLIC).values():
            assert math.isnan(value) or value == 0 or (value % BASE == 0 and value > THRESHOLD)


def test_keyed_rounding_is_unbiased_on_average(snapshot):
    """Over many cells rounding adds about nothing (it is random rounding, not truncation)."""
    pages = Pages(snapshot)
    rng = random.Random(11)
    diffs = []
    for _ in range(30):
        request = random_filters(rng)
        published, exact = pages.figures(request, PUBLIC), pages.figures(request, STAFF)
        diffs += [published[k] - exact[k] for k in published
                  if not math.isnan(published[k]) and exact[k] > 2 * BASE + THRESHOLD]
    assert len(diffs) > 100
    assert abs(pd.Series(diffs).mean()) < 0.5
    assert pd.Series(diffs).abs().max() <= BASE - 1


# --- what a public page sends: table data and chart data, not only text ----------------------
def _sent(at) -> tuple[list[pd.DataFrame], list[dict]]:
    """The dataframes and the Plotly figure specs a page sent to the browser."""
    import json

    from tests.apptest_helpers import element_leaves

    frames = [leaf.value for leaf in element_leaves(at._tree) if leaf.type == "dataframe"]
    charts = [json.loads(leaf.proto.spec) for leaf in element_leaves(at._tree)
              if leaf.type == "plotly_chart"]
    return frames, charts


def _numbers(data) -> list:
    """Plotly JSON values: a list, nested lists, or typed binary ({"dtype", "bdata"})."""
    import base64

    import numpy as np

    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    if isinstance(data, list):
        return [x for item in data for x in (_numbers(item) if isinstance(item, list | dict)
                                             else [item])]
    return []


def _published_number(value) -> bool:
    """A count as a public page may send it: hidden, zero, or rounded to 5 above 10."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    if isinstance(value, str):
        if value == PUBLIC.small_label:
            return True
        value = float(value.replace(",", ""))
    return value == 0 or (value % BASE == 0 and value > THRESHOLD)


COUNT_HEADERS = {"Calls", "Calls before", "Calls after"}


@pytest.mark.parametrize("page", ["views/public/overview.py", "views/public/calls_map.py"])
def test_public_pages_send_only_published_counts_and_links_a_day_apart_send_the_same(
        tiny_data_dir, page):
    from tests.apptest_helpers import run_page

    sent, checked = [], 0
    for to in ("2025-06-29", "2025-06-30"):  # one day apart
        at = run_page(page, tiny_data_dir, query={"from": "2025-01-01", "to": to,
                                                  "cat": "Domestic violence"})
        assert not at.exception, [e.value for e in at.exception]
        frames, charts = _sent(at)
        for frame in frames:
            for column in COUNT_HEADERS & set(frame.columns):
                assert all(_published_number(v) for v in frame[column]), (column, frame)
                checked += len(frame)
        for spec in charts:
            for trace in spec["data"]:
                if trace.get("type") == "heatmap":  # hour x day: DV never reaches it
                    z = _numbers(trace["z"])
                    assert z and all(v in (0, None) or v != v for v in z)
                elif "Calls" in str(spec["layout"].get("title", "")) or page.endswith(
                        "overview.py") and trace.get("line", {}).get("color") == "#0072B2":
                    values = _numbers(trace.get("y", []))
                    assert all(_published_number(v) for v in values)
                    checked += len(values)
        sent.append(([f.to_csv() for f in frames], charts))
    assert checked > 10 and sent[0][1]  # tables and charts were looked at
    assert sent[0] == sent[1]  # nothing to subtract
