"""Public views: suppression of 1-10 counts (with complementary cells) and the funnel sentence."""

from __future__ import annotations

import pandas as pd

from response_atlas.analysis import outcomes as oc


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
    pub = oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS, public=False)
    assert pub.display["Police backup requested"].tolist() == [1, 0, 1]
    assert not pub.hidden.to_numpy().any()


def test_public_hides_small_counts_and_what_reveals_them():
    monthly = _monthly([[20, 15, 14, 1, 0, 0], [30, 12, 12, 0, 0, 0]])
    pub = oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS, True, 10, oc.FUNNEL_ROW_SUMS)
    backup = pub.display["Police backup requested"].tolist()
    assert backup[0] == "fewer than 11"
    # routed 15 = handled 14 + backup + arrests 0 would give the backup away: handled is hidden
    assert pub.hidden.loc[0, "handled_without_police"]
    assert pub.display["Handled without police"].iloc[0] == "suppressed"
    # the backup total (1) equals the hidden January cell: hidden too
    assert pub.display["Police backup requested"].iloc[-1] == "fewer than 11"
    assert pub.display["Eligible calls"].tolist() == ["20", "30", "50"]
    assert pd.isna(pub.chart.loc[0, "police_backup"]) and pub.chart.loc[0, "eligible"] == 20
    assert pub.notes
    without_rule = oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS, public=True)
    assert not without_rule.hidden.loc[0, "handled_without_police"]


def test_rate_text_hides_rates_of_hidden_counts():
    assert oc.rate_text(6, 12, hidden=False) == "50%"
    assert oc.rate_text(6, 12, hidden=True) == "not shown"
    assert oc.rate_text(0, 0, hidden=False) == "no calls"


def test_funnel_sentence_lists_four_counts_and_caveats():
    monthly = _monthly([[12, 6, 4, 1, 1, 1], [0, 0, 0, 0, 0, 0]])
    monthly.loc[1, "partial"] = True
    monthly.loc[1, "days_covered"] = 10
    staff = oc.summarize_funnel("ARC", monthly, oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS,
                                                                    public=False))
    assert staff == (
        "ARC, Jan 2025 to Feb 2025: 12 eligible calls, 6 routed to the team, 4 handled without "
        "police, 1 police backup requested; four separate counts, not a diversion rate. "
        "Note: Feb 2025 is a partial month."
    )
    public = oc.summarize_funnel("ARC", monthly, oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS,
                                                                     public=True))
    assert "12 eligible calls, fewer than 11 routed to the team" in public
    assert "fewer than 11" in public and "6 routed" not in public
