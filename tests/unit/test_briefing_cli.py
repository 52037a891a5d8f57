"""The briefing command: month words, default output next to the snapshot, views, errors."""

from __future__ import annotations

import io

import pypdf
import pytest

from response_atlas.cli import main
from response_atlas.plans import SavedView, save_model, views_dir
from response_atlas.reports.briefing import BriefingError, Month, parse_month
from tests.tiny_snapshot import build_tiny_snapshot


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("briefing-cli")
    build_tiny_snapshot(folder)
    return folder


def test_month_words(tiny_snapshot):
    assert tiny_snapshot.date_range[1].isoformat() == "2025-06-12"
    assert parse_month("previous", tiny_snapshot) == Month(2025, 5)  # June is not over
    assert parse_month("2026-10") == Month(2026, 10)
    assert Month(2026, 1).shifted(-1) == Month(2025, 12)
    assert Month(2026, 10).shifted(-12).label == "October 2025"
    with pytest.raises(BriefingError, match="'2026-13' is not a month like 2026-10"):
        parse_month("2026-13")


def test_previous_month_goes_next_to_the_snapshot(data_dir, capsys):
    assert main(["briefing", "--data-dir", str(data_dir)]) == 0
    snapshot = (data_dir / "snapshots" / "CURRENT").read_text().strip()
    out = data_dir / "snapshots" / snapshot / "briefing-2025-05-public.pdf"
    assert out.is_file() and f"Wrote {out}" in capsys.readouterr().out
    text = pypdf.PdfReader(out).pages[0].extract_text()
    assert "May 2025 briefing" in text and "public edition" in text


def test_a_saved_view_gives_the_filters(data_dir, tmp_path):
    save_model(views_dir(data_dir), SavedView(name="Beta only", page="overview",
                                             params={"area": ["Beta"]}), overwrite=True)
    out = tmp_path / "b.pdf"
    assert main(["briefing", "--data-dir", str(data_dir), "--month", "2025-02", "--view",
                 "Beta only", "--audience", "staff", "--paper", "letter", "--out", str(out)]) == 0
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Filters: 01 Feb 2025 to 28 Feb 2025; Beta; all call types" in text
    assert round(float(reader.pages[0].mediabox.height)) == 792  # US Letter


@pytest.mark.parametrize("args, message", [
    (["--month", "2024-02"], "No calls in February 2024: the snapshot covers 2025-01-10"),
    (["--month", "soon"], "Month 'soon' is not a month"),
    (["--view", "missing"], "No saved view 'missing'"),
])
def test_errors_are_one_clear_line(data_dir, tmp_path, capsys, args, message):
    assert main(["briefing", "--data-dir", str(data_dir), "--out", str(tmp_path / "x.pdf"),
                 *args]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()
