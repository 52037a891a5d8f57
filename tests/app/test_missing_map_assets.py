"""Map library files missing and no CDN allowed: the map area says so and the page still works."""

from __future__ import annotations

from response_atlas.viz import assets
from tests.apptest_helpers import collect_payload, run_page


def test_overview_without_map_files_says_so_in_words(tiny_data_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "VENDOR_DIR", tmp_path / "no-vendor")
    monkeypatch.delenv("ATLAS_ALLOW_CDN", raising=False)
    try:
        at = run_page("views/public/overview.py", tiny_data_dir)
        assert not at.exception, [e.value for e in at.exception]
        assert [w.value for w in at.warning] == [assets.MISSING_MESSAGE]
        payload = collect_payload(at)
        assert "cdn.jsdelivr" not in payload and "streamlit_folium" not in payload
        # the rest of the page is there: its headline figures
        assert any(m.label.startswith("Calls in range") for m in at.metric)
    finally:
        assets.apply_local_assets()  # later tests in this process see the real copies again
