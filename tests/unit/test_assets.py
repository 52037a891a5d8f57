"""Map assets: the committed copies replace every CDN link; CDNs only when ATLAS_ALLOW_CDN opts in."""

from __future__ import annotations

import json
import re

import folium
import pytest
from folium.plugins import Draw, HeatMap

from response_atlas.viz import assets

CDN_PATTERN = re.compile(r"cdn\.jsdelivr|cdnjs|code\.jquery|bootstrapcdn|netdna")


@pytest.fixture
def fake_vendor(tmp_path):
    """A vendor folder with (empty) files at every expected path."""
    for rel in (*assets.VENDOR_FILES, assets.JQUERY_SHIM_FILE):
        target = tmp_path / rel
        if rel.endswith("images"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("/* fake */")
    return tmp_path


@pytest.fixture(autouse=True)
def _restore_folium():
    yield
    assets.restore_cdn_assets()


def _map_with_everything() -> folium.Map:
    m = folium.Map(location=[39.1, -84.5], zoom_start=11, tiles=None)
    geo = {
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": {"name": "Alpha", "calls": 12},
            "geometry": {"type": "Polygon", "coordinates": [[
                [-84.55, 39.10], [-84.53, 39.10], [-84.53, 39.12], [-84.55, 39.12], [-84.55, 39.10],
            ]]},
        }],
    }
    folium.GeoJson(
        geo,
        tooltip=folium.GeoJsonTooltip(["name", "calls"]),
        popup=folium.GeoJsonPopup(["name"]),
    ).add_to(m)
    folium.Marker([39.11, -84.54], popup=folium.Popup("<b>x</b>")).add_to(m)
    HeatMap([[39.11, -84.54, 1.0]]).add_to(m)
    Draw().add_to(m)
    return m


def _all_links(m: folium.Map) -> list[str]:
    """Every JS/CSS URL an element asks for: what streamlit-folium loads into its iframe."""
    urls: list[str] = []

    def walk(el):
        urls.extend(u for _, u in getattr(el, "default_js", []))
        urls.extend(u for _, u in getattr(el, "default_css", []))
        for child in getattr(el, "_children", {}).values():
            walk(child)

    walk(m)
    return urls


def test_local_assets_replace_every_cdn_link(fake_vendor):
    assert assets.apply_local_assets(fake_vendor, allow_cdn=True) == assets.LOCAL
    m = _map_with_everything()
    html = m.get_root().render()
    assert not CDN_PATTERN.search(html)
    assert f'src="{assets.LEAFLET_JS}"' in html
    assert f'href="{assets.LEAFLET_CSS}"' in html
    assert assets.HEAT_JS in html and assets.DRAW_JS in html and assets.DRAW_CSS in html
    links = _all_links(m)
    assert links and all(u.startswith("/app/static/vendor/") for u in links)
    # the GeoJson tooltip and popup are still in the map script
    assert "bindTooltip" in html and "bindPopup" in html


def test_missing_vendor_uses_cdn_only_when_allowed(tmp_path):
    assert assets.local_assets_available(tmp_path) is False
    assert assets.apply_local_assets(tmp_path, allow_cdn=True) == assets.CDN
    html = _map_with_everything().get_root().render()
    assert "cdn.jsdelivr.net/npm/leaflet@" in html
    assert "bootstrap" not in html and "awesome" not in html and "fontawesome" not in html


def test_missing_vendor_without_cdn_renders_no_asset_link(tmp_path, monkeypatch):
    monkeypatch.delenv("ATLAS_ALLOW_CDN", raising=False)
    assert assets.apply_local_assets(tmp_path) == assets.MISSING
    m = _map_with_everything()
    html = m.get_root().render()
    assert not re.search(r"<script[^>]+src=|<link[^>]+stylesheet", html)
    assert _all_links(m) == []


def test_cdn_opt_in_is_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_ALLOW_CDN", "1")
    assert assets.apply_local_assets(tmp_path) == assets.CDN
    monkeypatch.setenv("ATLAS_ALLOW_CDN", "no")
    assert assets.apply_local_assets(tmp_path) == assets.MISSING


def test_committed_copies_are_complete_and_the_pinned_versions():
    """A fresh clone has every file, at the versions package.json pins."""
    assert assets.local_assets_available()
    pinned = json.loads((assets.PROJECT_ROOT / "package.json").read_text())["dependencies"]
    head = (assets.VENDOR_DIR / "leaflet" / "leaflet.js").read_text()[:200]
    assert f"Leaflet {pinned['leaflet']}," in head
    head = (assets.VENDOR_DIR / "leaflet-draw" / "leaflet.draw.js").read_text()[:200]
    assert f"Leaflet.draw {pinned['leaflet-draw']}," in head
    assert pinned["leaflet.heat"] == "0.2.0"  # its file carries no version: bump it by hand
    licences = (assets.VENDOR_DIR / "LICENSES.md").read_text()
    assert all(f"{name} {version}" in licences for name, version in
               (("Leaflet", pinned["leaflet"]), ("Leaflet.heat", pinned["leaflet.heat"]),
                ("Leaflet.draw", pinned["leaflet-draw"])))


def test_incomplete_vendor_is_not_used(fake_vendor):
    (fake_vendor / "leaflet" / "leaflet.js").unlink()
    assert assets.local_assets_available(fake_vendor) is False


def test_vendor_copies_from_node_modules(tmp_path):
    node_modules = tmp_path / "node_modules"
    for src in assets.VENDOR_FILES.values():
        target = node_modules / src
        if src.endswith("images"):
            target.mkdir(parents=True)
            (target / "layers.png").write_bytes(b"png")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"// {src}")
    dest = tmp_path / "vendor"
    written = assets.vendor_assets(node_modules, dest)
    assert len(written) == len(assets.VENDOR_FILES)
    assert (dest / "leaflet" / "leaflet.js").read_text() == "// leaflet/dist/leaflet.js"
    assert (dest / "leaflet" / "images" / "layers.png").read_bytes() == b"png"
    # the shim is the atlas's own committed file, not copied from npm
    assert not (dest / assets.JQUERY_SHIM_FILE).exists()
    assert "window.$ = shim" in (assets.VENDOR_DIR / assets.JQUERY_SHIM_FILE).read_text()


def test_vendor_reports_missing_sources(tmp_path):
    with pytest.raises(FileNotFoundError, match="npm ci"):
        assets.vendor_assets(tmp_path / "nothing", tmp_path / "vendor")
    assert assets.main(["--vendor", "--node-modules", str(tmp_path), "--dest", str(tmp_path / "v")]) == 1
