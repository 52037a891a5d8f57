"""Outcomes metrics on the hand-built fixture (tests/outcomes_fixture.py; figures worked out there)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from response_atlas.analysis import outcomes as oc
from response_atlas.filters import Filters
from response_atlas.snapshot import current_snapshot_dir, open_snapshot
from tests.outcomes_fixture import build_outcomes_snapshot

ALL = Filters(date(2024, 12, 1), date(2025, 4, 30))
MONTHS = ["2024-12-01", "2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("outcomes-data")
    build_outcomes_snapshot(data_dir)
    return open_snapshot(current_snapshot_dir(data_dir / "snapshots"))


def _program(funnel: pd.DataFrame, program: str) -> pd.DataFrame:
    return funnel[funnel["program"] == program].set_index("month")


def test_funnel_keeps_four_separate_columns_and_every_month(snap):
    funnel = oc.monthly_funnel(snap, ALL)
    for column in oc.FUNNEL_COLUMNS:
        assert column in funnel.columns
    assert not {"diversion", "diverted"} & set(funnel.columns)
    arc = _program(funnel, "ARC")
    assert [str(m.date()) for m in arc.index] == MONTHS  # Feb (empty) and Dec present
    assert arc["eligible"].tolist() == [0, 4, 0, 6, 2]
    assert arc["routed"].tolist() == [0, 2, 0, 3, 1]
    assert arc["handled_without_police"].tolist() == [0, 1, 0, 2, 1]
    assert arc["police_backup"].tolist() == [0, 1, 0, 0, 0]
    assert arc["arrests"].tolist() == [0, 0, 0, 1, 0]
    assert arc["transports"].tolist() == [0, 0, 0, 1, 0]
    assert arc.loc["2025-02-01", list(oc.FUNNEL_ALL_COLUMNS)].sum() == 0


def test_funnel_partial_months_compare_days_covered(snap):
    arc = _program(oc.monthly_funnel(snap, ALL), "ARC")
    assert arc["partial"].tolist() == [True, False, False, False, True]
    assert arc["days_covered"].tolist() == [21, 31, 28, 31, 10]
    assert arc["days_in_month"].tolist() == [31, 31, 28, 31, 30]


def test_dvert_routed_counts_an_ineligible_call(snap):
    dvert = _program(oc.monthly_funnel(snap, ALL), "DVERT")
    # D04 (police only, weapon) is not eligible but DVERT went: routed 3 > eligible-routed 2
    assert dvert["eligible"].sum() == 4
    assert dvert["routed"].sum() == 3
    assert dvert["handled_without_police"].sum() == 2
    assert dvert["arrests"].sum() == 1


def test_funnel_respects_shared_filters(snap):
    alpha = _program(oc.monthly_funnel(snap, ALL.with_(areas=("Alpha",))), "ARC")
    assert alpha["eligible"].sum() == 10  # R11, R12 are in Beta
    assert alpha["routed"].sum() == 5  # K6 answered R11 in Beta
    march = _program(oc.monthly_funnel(snap, Filters(date(2025, 3, 1), date(2025, 3, 31))), "ARC")
    assert march["eligible"].tolist() == [6] and not march["partial"].any()


def test_mobile_crisis_metrics(snap):
    arc = oc.mobile_crisis_summary(snap, ALL)
    assert arc.totals["routed"] == 6 and arc.totals["eligible"] == 12
    assert arc.share_served == pytest.approx(0.5)
    assert arc.backup_rate == pytest.approx(1 / 6)
    # response 10 30 20 15 40 25 -> sorted 10 15 20 25 30 40: median 22.5; p90 at 4.5 -> 35
    assert arc.response_n == 6
    assert arc.response_median == pytest.approx(22.5)
    assert arc.response_p90 == pytest.approx(35.0)
    # comparable: eligible calls not routed, on-scene known: 30 50 40 40 40 -> 40 min
    assert arc.comparable_calls == 5
    assert arc.comparable_on_scene_min == pytest.approx(40.0)
    assert arc.police_hours_freed == pytest.approx(4 * 40 / 60)
    outcomes = arc.outcomes.set_index("outcome")["contacts"]
    assert outcomes["resolved_on_scene"] == 2 and outcomes["police_backup_requested"] == 1
    assert outcomes["no_contact"] == 0 and outcomes.sum() == 6
    assert arc.unlinked_contacts == 1  # K7
    assert arc.launch == pd.Timestamp("2025-01-01")


def test_mobile_crisis_empty_selection_has_no_rates(snap):
    arc = oc.mobile_crisis_summary(snap, Filters(date(2025, 2, 1), date(2025, 2, 28)))
    assert arc.totals["eligible"] == 0 and arc.share_served is None and arc.backup_rate is None
    assert arc.response_median is None and arc.police_hours_freed is None
    assert arc.monthly["eligible"].tolist() == [0]


def test_qrt_visits_reach_linkage_and_repeats(snap):
    qrt = oc.qrt_summary(snap, ALL)
    assert qrt.monthly["overdoses"].tolist() == [2, 1, 0, 3, 1]
    # V1 48 h, V2 exactly 72 h (boundary counts), V3 72 h + 1 min, V4 8 days
    assert qrt.totals["visited_72h"] == 2
    assert qrt.totals["visited_7d"] == 3
    assert qrt.totals["reached"] == 4  # V2 reached at the follow-up
    assert qrt.totals["linked_to_treatment"] == 2
    assert qrt.repeat_overdoses == 2  # 44 days and exactly 90 days; 90 days + 1 min is not
    assert qrt.unlinked_contacts == 1
    assert qrt.launch == pd.Timestamp("2025-03-01")


def test_repeat_window_boundary(snap):
    assert oc.count_repeat_events(snap, ALL, "substance_use", window_days=89) == 1
    assert oc.count_repeat_events(snap, ALL, "substance_use", window_days=91) == 3


def test_dvert_figures_and_area_level_repeats(snap):
    dv = oc.dvert_summary(snap, ALL)
    assert dv.monthly["dv_calls"].tolist() == [0, 2, 0, 2, 1]
    assert dv.totals == {"dv_calls": 5, "eligible": 4, "co_responses": 3,
                         "connected_to_services": 1}
    areas = dv.repeats_by_area
    assert list(areas.columns) == ["area", "dv_calls", "repeat_dv_calls"]  # no address column
    assert areas.set_index("area")["repeat_dv_calls"].to_dict() == {"Alpha": 2, "Beta": 1}


def test_qrt_results_never_carry_locations(snap):
    qrt = oc.qrt_summary(snap, ALL)
    assert not {"address", "lat", "lon", "h3_fine"} & set(qrt.monthly.columns)
    assert isinstance(qrt.repeat_overdoses, int)


def test_empty_period_gives_empty_frames(snap):
    later = Filters(date(2026, 1, 1), date(2026, 2, 1))
    assert oc.monthly_funnel(snap, later).empty
    assert oc.qrt_summary(snap, later).totals["overdoses"] == 0
    assert oc.count_calls(snap, later) == 0


def test_tiny_snapshot_contacts(tiny_snapshot):
    f = Filters(date(2025, 1, 1), date(2025, 6, 30))
    arc = oc.mobile_crisis_summary(tiny_snapshot, f)
    assert (arc.totals["eligible"], arc.totals["routed"]) == (22, 3)
    assert (arc.totals["handled_without_police"], arc.totals["police_backup"]) == (2, 1)
    assert arc.response_median == pytest.approx(21.0)
    assert arc.response_p90 == pytest.approx(24.2)  # 21 + 0.8 * (25 - 21)
    assert arc.police_hours_freed == pytest.approx(1.0)  # 2 calls x 30 min
    dv = oc.dvert_summary(tiny_snapshot, f)
    assert dv.totals["co_responses"] == 1 and dv.totals["connected_to_services"] == 1
    assert dv.repeats_by_area.set_index("area")["repeat_dv_calls"].to_dict() == {"Alpha": 3}
