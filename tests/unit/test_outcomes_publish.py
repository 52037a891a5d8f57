"""Outcomes tables through the publish step: suppressed 1..threshold, others rounded to 5 and
keyed to the filtered calls (the same calls give the same table), and the funnel sentence."""

from __future__ import annotations

import pandas as pd

from response_atlas.analysis import outcomes as oc
from response_atlas.publish import BASE, Audience

PUBLIC = Audience(public=True, threshold=10)
STAFF = Audience(public=False, threshold=10)


def _monthly(rows):
    months = pd.date_range("2025-01-01", periods=len(rows), freq="MS")
    frame = pd.DataFrame(rows, columns=list(oc.FUNNEL_ALL_COLUMNS))
    frame.insert(0, "month", months)
    frame["days_in_month"] = 31
    frame["days_covered"] = 31
    frame["partial"] = False
    return frame


def test_staff_sees_every_number():
    monthly = _monthly([[20, 15, 14, 1, 0, 2], [30, 12, 12, 0, 0, 0]])
    pub = oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS, STAFF)
    assert pub.display["Police backup requested"].tolist() == [1, 0, 1]
    assert pub.display["Eligible calls"].tolist() == [20, 30, 50]
    assert not pub.hidden.to_numpy().any()


def test_public_hides_small_counts_and_rounds_the_others():
    monthly = _monthly([[20, 15, 14, 1, 0, 0], [33, 12, 12, 0, 0, 0]])
    pub = oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS, PUBLIC, scope=7, table="funnel_ARC")
    assert pub.display["Police backup requested"].tolist() == ["fewer than 11", "0",
                                                               "fewer than 11"]
    assert pub.hidden.loc[0, "police_backup"] and not pub.hidden.loc[0, "handled_without_police"]
    eligible = pub.chart["eligible"].tolist()
    assert eligible[0] == 20 and eligible[1] in (30, 35)  # multiples of 5 stay, 33 is rounded
    assert pub.totals["eligible"] in (50, 55) and pub.totals["eligible"] % BASE == 0
    assert pub.chart.loc[0, "handled_without_police"] == 15  # 14 is never shown below 15
    assert pd.isna(pub.chart.loc[0, "police_backup"])
    assert pub.notes and "multiple of 5" in pub.notes[0]
    again = oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS, PUBLIC, scope=7, table="funnel_ARC")
    assert again.display.equals(pub.display)  # asking again gives nothing new


def test_rates_come_from_published_totals():
    monthly = _monthly([[20, 15, 14, 1, 0, 0], [30, 5, 5, 0, 0, 0]])
    pub = oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS, PUBLIC)
    routed, eligible = pub.totals["routed"], pub.totals["eligible"]
    assert oc.published_rate_text(pub, "routed", "eligible") == f"{100 * routed / eligible:.0f}%"
    assert oc.published_rate_text(pub, "police_backup", "routed") == "not shown"
    empty = oc.publish_monthly(_monthly([[0] * 6]), oc.FUNNEL_ALL_COLUMNS, PUBLIC)
    assert oc.published_rate_text(empty, "routed", "eligible") == "no calls"


def test_funnel_sentence_lists_four_counts_and_caveats():
    monthly = _monthly([[12, 6, 4, 1, 1, 1], [0, 0, 0, 0, 0, 0]])
    monthly.loc[1, "partial"] = True
    monthly.loc[1, "days_covered"] = 10
    staff = oc.summarize_funnel("ARC", monthly, oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS,
                                                                    STAFF))
    assert staff == (
        "ARC, Jan 2025 to Feb 2025: 12 eligible calls, 6 routed to the team, 4 handled without "
        "police, 1 police backup requested; four separate counts, not a diversion rate. "
        "Note: Feb 2025 is a partial month."
    )
    public = oc.summarize_funnel("ARC", monthly, oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS,
                                                                     PUBLIC))
    assert "15 eligible calls, fewer than 11 routed to the team" in public
    assert "6 routed" not in public and "12 eligible" not in public
