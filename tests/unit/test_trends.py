"""Monthly trend helpers: empty months, partial months, launch, before/after, rolling, sentences."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from response_atlas.analysis import trends
from response_atlas.publish import Audience

PUBLIC = Audience(public=True, threshold=10)
STAFF = Audience(public=False, threshold=10)


def _counts():
    # Dec 2024 (from the 11th), Jan 2, Feb nothing, Mar 3, Apr (to the 10th): values hand-picked
    raw = pd.DataFrame({"month": pd.to_datetime(["2024-12-01", "2025-01-01", "2025-03-01",
                                                 "2025-04-01"]), "n": [2, 1, 3, 1]})
    return trends.complete_months(raw, date(2024, 12, 11), date(2025, 4, 10), ["n"])


def test_complete_months_fills_empty_month_with_zero():
    monthly = _counts()
    assert monthly["month"].dt.strftime("%Y-%m").tolist() == [
        "2024-12", "2025-01", "2025-02", "2025-03", "2025-04"]
    assert monthly["n"].tolist() == [2, 1, 0, 3, 1]


def test_partial_months_compare_days_covered():
    monthly = _counts()
    assert monthly["days_covered"].tolist() == [21, 31, 28, 31, 10]
    assert monthly["partial"].tolist() == [True, False, False, False, True]
    full = trends.complete_months(monthly.iloc[0:0], date(2025, 2, 1), date(2025, 2, 28), ["n"])
    assert full["partial"].tolist() == [False] and full["n"].tolist() == [0]


def test_covered_period_cuts_filters_to_data():
    assert trends.covered_period(date(2024, 1, 1), date(2026, 1, 1), date(2024, 12, 11),
                                 date(2025, 4, 10)) == (date(2024, 12, 11), date(2025, 4, 10))
    assert trends.covered_period(date(2026, 1, 1), date(2026, 2, 1), date(2024, 12, 11),
                                 date(2025, 4, 10)) is None


def test_rolling_average_skips_partial_and_hidden_months():
    monthly = _counts()
    rolled = trends.rolling_average(monthly["n"], monthly["partial"])
    # only March has three full months (Jan 1, Feb 0, Mar 3) behind it
    assert rolled.isna().tolist() == [True, True, True, False, True]
    assert rolled.iloc[3] == pytest.approx(4 / 3)
    hidden = monthly["partial"] | pd.Series([False, True, False, False, False])
    assert trends.rolling_average(monthly["n"], hidden).isna().all()


def test_launch_month_prefers_configured_date():
    assert trends.launch_month(date(2025, 3, 14)) == pd.Timestamp("2025-03-01")
    assert trends.launch_month(date(2025, 3, 14), date(2024, 6, 3)) == pd.Timestamp("2024-06-01")
    assert trends.launch_month(None) is None


def test_before_after_uses_full_months_only():
    ba = trends.before_after(_counts(), "n", pd.Timestamp("2025-03-01"))
    # before: Jan 1, Feb 0 (Dec partial) -> 0.5; after: Mar 3 (Apr partial) -> 3.0
    assert (ba.months_before, ba.total_before, ba.mean_before) == (2, 1, 0.5)
    assert (ba.months_after, ba.total_after, ba.mean_after) == (1, 3, 3.0)
    none_before = trends.before_after(_counts(), "n", pd.Timestamp("2024-12-01"))
    assert none_before.mean_before is None and none_before.months_after == 3


def test_summary_sentence_staff():
    counts = _counts()
    text = trends.summarize_trend("Overdose calls", counts, "n", counts["n"].sum(), STAFF,
                                  pd.Timestamp("2025-03-01"), "QRT")
    assert text == (
        "Overdose calls: 7 from Dec 2024 to Apr 2025. 0.5 a month before QRT started in "
        "Mar 2025, 3.0 a month since (full months only). Note: Dec 2024 (21 of 31 days), "
        "Apr 2025 (10 of 30 days) are partial months, left out of averages."
    )


def test_summary_sentence_public_small_numbers():
    # the published table: every month from 1 to 10 hidden (NaN), the total hidden too
    published = _counts().assign(n=lambda f: f["n"].astype(float).mask(f["n"] > 0))
    text = trends.summarize_trend("Overdose calls", published, "n", float("nan"), PUBLIC,
                                  pd.Timestamp("2025-03-01"), "QRT")
    assert text.startswith("Overdose calls: fewer than 11 from Dec 2024 to Apr 2025.")
    assert "0.5" not in text and "averages are not shown" in text
    assert "monthly counts from 1 to 10 are hidden in public views" in text


def test_summary_sentence_large_public_counts_are_shown():
    raw = pd.DataFrame({"month": pd.to_datetime(["2025-01-01", "2025-02-01"]), "n": [40, 0]})
    monthly = trends.complete_months(raw, date(2025, 1, 1), date(2025, 2, 28), ["n"])
    text = trends.summarize_trend("Calls", monthly, "n", 40.0, PUBLIC)
    assert text == "Calls: 40 from Jan 2025 to Feb 2025."
    assert trends.summarize_trend("Calls", monthly.iloc[0:0], "n", 0, STAFF) == (
        "Calls: no data in the selected period.")
