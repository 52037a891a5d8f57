"""Shared filters: SQL WHERE clauses (run against the tiny snapshot), words, and URL round trips."""

from __future__ import annotations

from datetime import date

from response_atlas.filters import (
    Filters,
    build_where,
    describe_filters,
    filters_from_params,
    filters_to_params,
)

BASE = Filters(start=date(2025, 1, 1), end=date(2025, 12, 31))
AREAS = frozenset({"Alpha", "Beta", "Gamma"})


def _count(snapshot, f: Filters) -> int:
    where, params = build_where(f)
    return int(snapshot.query(f"SELECT count(*) AS n FROM calls WHERE {where}", params).iloc[0]["n"])


def test_where_clauses_select_the_hand_counted_calls(tiny_snapshot):
    assert _count(tiny_snapshot, BASE) == 48
    assert _count(tiny_snapshot, BASE.with_(areas=("Alpha", "Gamma"))) == 32
    assert _count(tiny_snapshot, BASE.with_(categories=("behavioral_health",))) == 21  # 12 + 6 + 3
    assert _count(tiny_snapshot, BASE.with_(tiers=("alternative",))) == 22
    # Beta trespassing calls are at 14:59, Beta suicide threats at 15:00
    assert _count(tiny_snapshot, BASE.with_(areas=("Beta",), hours=(15, 15))) == 6
    # Saturdays and Sundays only: 4 of the Beta trespassing calls, 2 Alpha MHC, others below
    weekend = BASE.with_(weekdays=(5, 6))
    assert _count(tiny_snapshot, weekend.with_(areas=("Beta",), tiers=("alternative",))) == 4
    assert _count(tiny_snapshot, BASE.with_(end=date(2025, 1, 31))) == 4


def test_all_weekdays_add_no_clause():
    sql, params = build_where(BASE.with_(weekdays=tuple(range(7))))
    assert "weekday" not in sql and len(params) == 2


def test_alias_prefixes_every_column():
    sql, _ = build_where(BASE.with_(areas=("Alpha",), hours=(8, 17)), table_alias="c")
    assert "c.call_date" in sql and "c.area IN" in sql and "c.hour BETWEEN" in sql


def test_describe_filters_in_words():
    f = BASE.with_(areas=("Beta",), categories=("behavioral_health",), hours=(7, 14),
                   weekdays=(4, 0))
    assert describe_filters(f) == (
        "01 Jan 2025 to 31 Dec 2025; Beta; Behavioral health; 07:00-14:59; Mon, Fri"
    )
    assert describe_filters(BASE) == "01 Jan 2025 to 31 Dec 2025; all areas; all call types"


def test_url_round_trip():
    f = BASE.with_(start=date(2025, 3, 1), areas=("Alpha", "Beta"), tiers=("alternative",),
                   hours=(7, 15), weekdays=(0, 1, 2, 3, 4))
    params = filters_to_params(f, BASE)
    assert params == {"from": "2025-03-01", "area": "Alpha|Beta", "tier": "alternative",
                      "hours": "7-15", "days": "0,1,2,3,4"}
    assert filters_from_params(params, BASE, AREAS) == f
    assert filters_to_params(BASE, BASE) == {}


def test_bad_link_values_fall_back_with_notes():
    f = filters_from_params(
        {"from": "2025-13-01", "area": "Alpha|<script>", "cat": "nope", "hours": "20-3",
         "days": "9"}, BASE, AREAS)
    assert (f.start, f.areas, f.categories, f.hours, f.weekdays) == (
        BASE.start, ("Alpha",), (), (0, 23), ())
    assert len(f.notes) == 5
    swapped = filters_from_params({"from": "2025-06-01", "to": "2025-02-01"}, BASE, AREAS)
    assert (swapped.start, swapped.end) == (BASE.start, BASE.end) and swapped.notes


def test_public_grid_snaps_to_whole_months_and_hour_bands():
    from response_atlas.filters import build_where, snap_public

    f = Filters(date(2025, 11, 14), date(2026, 10, 30), hours=(8, 22))
    snapped = snap_public(f)
    assert (snapped.start, snapped.end) == (date(2025, 11, 1), date(2026, 10, 31))
    assert snapped.hours == (6, 23)
    assert snap_public(f.with_(end=date(2026, 10, 31))) == snapped  # one day apart: the same
    sql, params = build_where(snapped)
    assert "category NOT IN" in sql and "domestic_violence" in params  # DV left out by hour
    whole_days = snap_public(f.with_(hours=(1, 22)))
    assert whole_days.hours == (0, 23) and not whole_days.drops_sensitive
    assert "category NOT IN" not in build_where(whole_days)[0]
    assert "domestic violence" in describe_filters(snapped)
