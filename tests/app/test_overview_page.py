"""Overview page through app.py (AppTest): the metric values for each role and filter."""

from __future__ import annotations

from tests.apptest_helpers import run_page


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_public_overview_shows_suppressed_figures(tiny_data_dir):
    at = run_page("views/public/overview.py", tiny_data_dir, query={"from": "2025-01-01"})
    assert not at.exception
    assert at.title[0].value == "Overview"
    # published counts: 48 calls -> 45, 22 eligible -> 20, 15 on duty -> 15; shares of those
    assert _metrics(at) == {
        "Calls in range": "45",
        "Eligible for a crisis team": "44%",
        "Repeat locations": "fewer than 11",
        "Eligible, team on duty": "75%",
    }
    assert any("rounded to a multiple of 5" in c.value for c in at.caption)
    assert any("Data as of 2025-06-12" in c.value for c in at.caption)


def test_staff_overview_shows_exact_figures(tiny_data_dir):
    at = run_page("views/public/overview.py", tiny_data_dir, role="staff", query={"from": "2025-01-01"})
    assert not at.exception
    assert _metrics(at) == {
        "Calls in range": "48",
        "Eligible for a crisis team": "46%",
        "Repeat locations": "6",
        "Eligible, team on duty": "68%",
    }


def test_area_filter_from_the_link(tiny_data_dir):
    at = run_page("views/public/overview.py", tiny_data_dir, role="staff",
                  query={"from": "2025-01-01", "area": "Beta"})
    assert not at.exception
    values = _metrics(at)
    assert values["Calls in range"] == "16"
    assert values["Eligible for a crisis team"] == "62%"  # 10 of 16
    assert values["Eligible, team on duty"] == "60%"  # 6 of 10 on duty


def test_period_without_calls_shows_a_message(tiny_data_dir):
    at = run_page("views/public/overview.py", tiny_data_dir, role="staff",
                  query={"from": "2025-01-20", "to": "2025-01-31"})
    assert not at.exception
    assert any("No calls match these filters" in i.value for i in at.info)
    assert _metrics(at)["Calls in range"] == "0"


def test_public_dates_widen_to_whole_months(tiny_data_dir):
    # 20-31 January has no calls, but the public grid counts all of January (4 calls)
    at = run_page("views/public/overview.py", tiny_data_dir,
                  query={"from": "2025-01-20", "to": "2025-01-31"})
    assert not at.exception
    assert _metrics(at)["Calls in range"] == "fewer than 11"
    assert any("widened to 01 Jan 2025 to 31 Jan 2025" in c.value for c in at.sidebar.caption)
    assert "01 Jan 2025 to 31 Jan 2025" in at.caption[0].value


def _busiest(at) -> list[tuple[str, str, str]]:
    table = at.dataframe[0].value  # the only table on the page
    return [tuple(row) for row in table.itertuples(index=False)]


def test_busiest_areas_by_rate(tiny_data_dir):
    # Alpha 20 calls / 1,000 residents, Beta 16 / 2,000, Gamma 12 / 500
    at = run_page("views/public/overview.py", tiny_data_dir, query={"from": "2025-01-01"})
    assert not at.exception
    assert at.dataframe[0].value.columns.tolist() == [
        "Area", "Calls", "Calls per 1,000 residents"]
    # published: Gamma 12 -> 15, Alpha 20, Beta 16 -> 15; rates from those
    assert _busiest(at) == [("Gamma", "15", "30.0"), ("Alpha", "20", "20.0"), ("Beta", "15", "7.5")]
    staff = run_page("views/public/overview.py", tiny_data_dir, role="staff",
                     query={"from": "2025-01-01"})
    assert _busiest(staff) == [("Gamma", "12", "24.0"), ("Alpha", "20", "20.0"),
                               ("Beta", "16", "8.0")]
    assert any(s.value == "Calls per 1,000 residents by area" for s in at.subheader)


def test_busiest_areas_hide_small_counts_in_public_view(tiny_data_dir):
    # behavioral health: Alpha 12, Beta 6, Gamma 3 -> Beta and Gamma hidden, listed last by name
    query = {"from": "2025-01-01", "cat": "Behavioral health"}
    at = run_page("views/public/overview.py", tiny_data_dir, query=query)
    assert not at.exception
    assert _busiest(at) == [("Alpha", "15", "15.0"), ("Beta", "fewer than 11", "not shown"),
                            ("Gamma", "fewer than 11", "not shown")]
    staff = run_page("views/public/overview.py", tiny_data_dir, role="staff", query=query)
    assert _busiest(staff) == [("Alpha", "12", "12.0"), ("Gamma", "3", "6.0"), ("Beta", "6", "3.0")]


def test_period_without_calls_has_no_map_or_table(tiny_data_dir):
    at = run_page("views/public/overview.py", tiny_data_dir, role="staff",
                  query={"from": "2025-01-20", "to": "2025-01-31"})
    assert not at.exception
    assert len(at.dataframe) == 0
