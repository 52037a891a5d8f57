"""The calls map page through app.py with AppTest: filters, URL parameters, panel, empty state."""

from __future__ import annotations

from tests.apptest_helpers import run_page

PAGE = "views/public/calls_map.py"


def _no_errors(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _area_table(at):
    frames = [df.value for df in at.dataframe if "Area" in df.value.columns
              and "Kind" in df.value.columns]
    assert frames, "area table not shown"
    return frames[0].set_index("Area")


def test_page_shows_areas_and_public_suppression(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, query={"from": "2025-01-01", "to": "2025-06-30"})
    _no_errors(at)
    assert at.title[0].value == "Calls map"
    table = _area_table(at)
    # public tables are text; counts are published: 20 stays, 16 and 12 become 15
    assert table["Calls"].to_dict() == {"Alpha": "20", "Beta": "15", "Gamma": "15"}
    assert table["Calls per 1,000 residents"].to_dict() == {"Alpha": "20.0", "Beta": "7.5",
                                                            "Gamma": "30.0"}
    assert any("never shown below area level" in c.value for c in at.caption)
    assert at.get("download_button")


def test_hours_and_days_from_the_url_filter_the_calls(tiny_data_dir):
    # Beta's 6 suicide-threat calls are at 15:00 on 1-6 March 2025; 2 of them fall on Sat/Sun
    at = run_page(PAGE, tiny_data_dir, role="staff",
                  query={"from": "2025-01-01", "to": "2025-06-30", "hours": ["15", "15"],
                         "days": ["Sat", "Sun"]})
    _no_errors(at)
    assert at.slider(key="hours").value == (15, 15)
    assert at.multiselect(key="days").value == ["Sat", "Sun"]
    assert _area_table(at)["Calls"].to_dict() == {"Beta": 2, "Alpha": 0, "Gamma": 0}
    assert "15:00-15:59" in at.caption[0].value


def test_widget_change_reruns_with_new_filters(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff",
                  query={"from": "2025-01-01", "to": "2025-06-30"})
    at.slider(key="hours").set_value((22, 23)).run()
    _no_errors(at)
    # only Alpha's 4 DV calls at 22:30
    assert _area_table(at)["Calls"].to_dict() == {"Alpha": 4, "Beta": 0, "Gamma": 0}


def test_public_hours_are_bands_without_domestic_violence(tiny_data_dir):
    # 22-23 widens to the 18-23 band; Alpha's 4 DV calls at 22:30 are left out (area by month
    # only), Gamma's 9 calls at 19:45 are hidden
    at = run_page(PAGE, tiny_data_dir, query={"from": "2025-01-01", "to": "2025-06-30",
                                              "hours": ["22", "23"]})
    _no_errors(at)
    table = _area_table(at)
    assert table.loc["Alpha", "Calls"] == "0"
    assert table.loc["Gamma", "Calls"] == "fewer than 11"
    assert "18:00-23:59" in at.caption[0].value
    assert "domestic violence and overdose calls left out" in at.caption[0].value


def test_area_details_panel_via_selectbox(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, query={"from": "2025-01-01", "to": "2025-06-30"})
    at.selectbox(key="calls_area_select").select("Alpha").run()
    _no_errors(at)
    assert any(h.value == "Alpha" for h in at.subheader)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Calls"] == "20"
    assert metrics["Per 1,000 residents"] == "20.0"
    assert metrics["County rate per 1,000"] == "14.3"  # the published 50 calls / 3,500
    codes = next(df.value for df in at.dataframe if "Incident code" in df.value.columns)
    # public: 12 is published as 15; the two 4s are hidden
    assert codes["Calls"].tolist() == ["15", "fewer than 11", "fewer than 11"]


def test_all_layers_render_without_errors(tiny_data_dir):
    # bound widgets with labels put the labels in the URL
    at = run_page(PAGE, tiny_data_dir, role="staff",
                  query={"from": "2025-01-01", "to": "2025-06-30",
                         "layers": ["Hexagons", "Heat", "Hot spots"],
                         "measure": "Calls per 1,000 residents"})
    _no_errors(at)
    assert at.multiselect(key="layers").value == ["hexagons", "heat", "hotspots"]
    assert at.radio(key="measure").value == "rate"
    # three busy hexagons and their rings (21 cells) are enough for Gi*: its meaning is explained
    assert any(e.label == "What the hot spots mean" for e in at.expander)


def test_empty_filter_shows_message_not_error(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, query={"from": "2025-01-01", "to": "2025-06-30",
                                              "cat": "Medical"})
    _no_errors(at)
    assert any("No calls match these filters" in i.value for i in at.info)
    assert not at.dataframe


def test_period_comparison_from_the_url(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff", query={
        "from": "2025-01-01", "to": "2025-06-30", "before_from": "2025-01-01",
        "before_to": "2025-03-31", "after_from": "2025-04-01", "after_to": "2025-06-30"})
    _no_errors(at)
    table = next(df.value for df in at.dataframe if "Calls before" in df.value.columns)
    table = table.set_index("Area")
    assert table.loc["Alpha", ["Calls before", "Calls after", "Change"]].tolist() == [12, 8, -4]
    assert table.loc["Gamma", "Change"] == 12
