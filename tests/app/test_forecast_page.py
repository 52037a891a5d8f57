"""Demand forecast page (staff) on a small generated county, and its rule sensitivity."""

from __future__ import annotations

from pathlib import Path

import pytest

from response_atlas.analysis import forecast as fc
from response_atlas.snapshot import current_snapshot_dir, open_snapshot
from response_atlas.triage_rules import default_rules, dump_rules, load_rules
from tests.apptest_helpers import run_page

PAGE = "views/staff/forecast.py"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    """A one-year demo county of 20,000 calls, refreshed."""
    from response_atlas.demo.generate import write_demo
    from response_atlas.ingest.refresh import run_refresh

    data = tmp_path_factory.mktemp("forecast-demo")
    write_demo(data, calls=20_000, years=1)
    assert run_refresh(data, progress=False).ok
    return data


def test_a_rule_change_changes_the_forecast(demo_dir):
    snap = open_snapshot(current_snapshot_dir(demo_dir / "snapshots"))
    rules = default_rules()
    options = fc.ForecastOptions(horizon_weeks=4, backtest=False)
    before = fc.build_forecast(snap, rules, options)
    # make trespassing (a police-only code in the demo) eligible for alternative response
    text = dump_rules(rules).replace("tier: police_only", "tier: alternative", 1)
    widened = load_rules(text)
    assert widened != rules
    after = fc.build_forecast(snap, widened, options)
    assert fc.monthly_total(after).mean > fc.monthly_total(before).mean


def test_page_shows_forecast_backtest_and_schedule(demo_dir):
    at = run_page(PAGE, demo_dir, role="staff", timeout=240)
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert "rolling origins" in text and "Expected eligible calls from" in text
    assert at.metric[0].label.startswith("Expected eligible calls inside")
    assert len(at.get("plotly_chart")) == 2
    hours = at.dataframe[-1].value
    assert len(hours) == 3 and list(hours.columns)[:2] == ["Zone", "Hour no team works"]


def test_page_explains_when_history_is_too_short(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff")
    assert not at.exception
    assert any("No forecast" in i.value and "at least 100" in i.value for i in at.info)
