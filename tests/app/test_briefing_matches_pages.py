"""The briefing PDF against the pages: its text (pypdf) holds the figures the pages show for the
month, per audience. The pages are run through app.py (AppTest) with the month in the link, so a
change to a page's publish step (rounding, noise) is compared as it is, not as a number here."""

from __future__ import annotations

import html
import re

import pypdf
import pytest

from response_atlas.analysis.overview import compute_overview, overview_metrics
from response_atlas.publish import Audience
from response_atlas.reports.briefing import Month, build_briefing, month_filters
from response_atlas.reports.briefing_pdf import render_pdf
from tests.apptest_helpers import run_page

MONTH = Month(2025, 2)
LINK = {"from": "2025-02-01", "to": "2025-02-28"}


def pdf_text(pdf: bytes) -> str:
    """Every page's text, whitespace collapsed (cells that wrap come out on two lines)."""
    import io

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


def squash(text: str) -> str:
    return " ".join(str(text).split())


def small_figures(text: str) -> list[str]:
    """Numbers from 1 to 10 in ``text``, dates, years, percentages, rates and fixed wording aside."""
    body = re.sub(r"\d{4}-\d{2}-\d{2}|\d\d [A-Z][a-z]{2} \d{4}|\b(19|20)\d{2}\b|\d+(\.\d+)?%|"
                  r"\d+\.\d+|snapshot \S+", " ", text)
    body = re.sub(r"fewer than 11|[Cc]ounts:? from 1 to 10|counts: 1 to 10|multiple of 5|"
                  r"by at most 4|Under 10%|3\+ calls within 90 days|"
                  r"3 or more calls within 90 days|page \d of \d|95%|1,000|ACS \d+", " ", body)
    return [n for n in re.findall(r"\d[\d,]*\d|\d", body) if 0 < int(n.replace(",", "")) <= 10]


@pytest.fixture(scope="module")
def briefings(tiny_snapshot):
    out = {}
    for audience in ("public", "staff"):
        pdf = render_pdf(build_briefing(tiny_snapshot, MONTH, audience), tiny_snapshot.areas)
        out[audience] = (pdf, pdf_text(pdf))
    return out


@pytest.mark.parametrize("audience", ["public", "staff"])
def test_headline_rows_match_the_overview_page(tiny_data_dir, tiny_snapshot, briefings, audience):
    at = run_page("views/public/overview.py", tiny_data_dir, role=audience, query=LINK)
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    before = overview_metrics(compute_overview(tiny_snapshot, month_filters(MONTH.shifted(-1))),
                              Audience(audience == "public", 10))
    text = briefings[audience][1]
    for metric in before:
        # label, this month (from the page), the month before (same functions), no year-ago data
        row = f"{metric.label} {shown[metric.label]} {metric.text} no data"
        assert squash(row) in text, row
    assert "Data as of 2025-06-12" in text


@pytest.mark.parametrize("audience", ["public", "staff"])
def test_funnel_sentences_match_the_outcomes_page(tiny_data_dir, briefings, audience):
    at = run_page("views/public/outcomes.py", tiny_data_dir, role=audience, query=LINK)
    assert not at.exception
    sentences = [html.unescape(m.value) for m in at.markdown if "Feb 2025 to Feb 2025" in m.value]
    assert len(sentences) == 3  # one per program
    for sentence in sentences:
        assert squash(sentence) in briefings[audience][1]


def test_equity_table_matches_the_equity_page(tiny_data_dir, briefings):
    at = run_page("views/public/equity.py", tiny_data_dir, role="public", query=LINK)
    assert not at.exception
    table = at.dataframe[0].value  # the group table behind the chart
    text = briefings["public"][1]
    for row in table.itertuples(index=False):
        cells = [row.Group, row.Residents, row[table.columns.get_loc("Per 1,000 residents")],
                 row[table.columns.get_loc("Rate ratio vs reference")]]
        assert all(squash(c) in text for c in cells), cells


def test_staff_sections_match_repeats_and_coverage(tiny_data_dir, briefings):
    text = briefings["staff"][1]
    repeats = run_page("views/staff/repeats.py", tiny_data_dir, role="staff", query=LINK)
    for label in ("Repeat locations", "Calls at repeat locations", "Share of block-level calls"):
        value = next(m.value for m in repeats.metric if m.label == label)
        assert f"{label} {value}" in text
    coverage = run_page("views/staff/coverage.py", tiny_data_dir, role="staff", query=LINK)
    eligible = next(m.value for m in coverage.metric if m.label == "Eligible calls")
    covered = next(m.value for m in coverage.metric if m.label == "Covered by a team on duty")
    assert f"Mobile crisis (ARC) {eligible} {covered}" in text  # ARC is the only team with calls
    assert "3XX VINE ST" in text  # staff see the repeat blocks


def test_public_briefing_has_no_block_or_small_count(tiny_snapshot, briefings):
    text = briefings["public"][1]
    blocks = set(tiny_snapshot.query("SELECT DISTINCT address FROM calls")["address"])
    assert not [b for b in blocks if b and b in text]
    assert "Repeat locations (staff only)" not in text
    assert not small_figures(text), small_figures(text)
    assert small_figures(briefings["staff"][1])  # the check does find exact small counts


@pytest.mark.parametrize("paper, size", [("a4", (595, 842)), ("letter", (612, 792))])
def test_paper_sizes_and_at_most_four_pages(tiny_snapshot, paper, size):
    import io

    pdf = render_pdf(build_briefing(tiny_snapshot, MONTH, "staff"), tiny_snapshot.areas, paper)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 4
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size
