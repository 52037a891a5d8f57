"""AppTest of the "Is it working?" page: public sees area groups only, staff sees more."""

from __future__ import annotations

import pytest

from tests.apptest_helpers import collect_payload, run_page
from tests.evaluation_fixture import build_evaluation_demo

PAGE = "views/public/evaluation.py"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    return build_evaluation_demo(tmp_path_factory.mktemp("evaluation-app"))


@pytest.fixture(scope="module")
def public_page(demo_dir):
    at = run_page(PAGE, demo_dir, role="public", timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_public_page_answers_in_words_with_intervals(public_page):
    labels = [m.label for m in public_page.metric]
    assert labels[0] == "Effect, calls per area and month"
    assert "Police hours a month" in labels and "Team caseload, calls a month" in labels
    words = [w.value for w in public_page.success] + [w.value for w in public_page.warning]
    assert words and all("interval" in w or "Warning" in w or "Only" in w for w in words[:1])
    # ARC central: the demo's estimate is larger than the team's caseload, and the page says so
    assert any(e.value.startswith("Implausible") for e in public_page.error)


def test_public_page_shows_no_area_level_rows(public_page):
    assert not public_page.main.multiselect  # comparison areas are chosen for the public
    assert not any(b.label.startswith("Download the panel") for b in public_page.get("download_button"))
    payload = collect_payload(public_page)
    assert "Per area" not in payload


def test_staff_page_has_per_area_model_details_and_panel_csv(demo_dir):
    at = run_page(PAGE, demo_dir, role="staff", timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert at.main.multiselect[0].value  # the automatic comparison areas, editable
    assert [e.label for e in at.main.expander] == ["Per area", "Model details"]
    assert any(b.label == "Download the panel (CSV)" for b in at.get("download_button"))
    at.selectbox(key="eval_program").set_value("dvert").run()
    assert not at.exception
    assert any(w.value.startswith("The data cannot tell") for w in at.warning) or at.success


def test_page_without_a_program_file_says_so(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="public")
    assert not at.exception
    assert any("no program file" in i.value for i in at.info)
