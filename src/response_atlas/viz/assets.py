"""Map assets served by the app itself, never by a CDN unless asked (Leaflet and the plugins we use).

The pinned files are committed in ``static/vendor/`` (licences in ``static/vendor/LICENSES.md``),
so a fresh clone draws its maps with no extra step and no network; Streamlit serves them at
``/app/static/vendor/...`` (``[server] enableStaticServing = true``). ``package.json`` pins the
same versions: after changing one, ``npm ci`` and ``python -m response_atlas.viz.assets --vendor``
copy the new files in (``scripts/vendor_assets.sh``). :func:`apply_local_assets` points folium's
``Map``, ``HeatMap`` and ``Draw`` at the copies. Without them, folium's CDN links come back only
when ``ATLAS_ALLOW_CDN`` opts in; otherwise no asset link is rendered and
:data:`MISSING_MESSAGE` is what the map area shows. Our maps never use Bootstrap, glyphicons,
awesome-markers or Font Awesome, so those links are dropped in every mode.

jQuery is not loaded either: folium needs only ``$(html)[0]`` (``folium.Popup``) and
``$(document).ready`` (``objects_to_stay_in_front``), which a 20-line local shim provides
(``static/vendor/atlas/jquery-shim.js``). streamlit-folium collects every element's
``default_js`` / ``default_css`` and loads them inside its component iframe, which has the app's
origin, so absolute ``/app/static/...`` URLs resolve.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import folium
from folium.plugins import Draw, HeatMap

from response_atlas.config import PROJECT_ROOT, cdn_allowed

VENDOR_DIR = PROJECT_ROOT / "static" / "vendor"
NODE_MODULES = PROJECT_ROOT / "node_modules"
URL_PREFIX = "/app/static/vendor"

# destination (relative to static/vendor) -> source (relative to node_modules); dirs copied whole.
VENDOR_FILES: dict[str, str] = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet/images": "leaflet/dist/images",
    "leaflet.heat/leaflet-heat.js": "leaflet.heat/dist/leaflet-heat.js",
    "leaflet-draw/leaflet.draw.js": "leaflet-draw/dist/leaflet.draw.js",
    "leaflet-draw/leaflet.draw.css": "leaflet-draw/dist/leaflet.draw.css",
    "leaflet-draw/images": "leaflet-draw/dist/images",
}
JQUERY_SHIM_FILE = "atlas/jquery-shim.js"

LEAFLET_JS = f"{URL_PREFIX}/leaflet/leaflet.js"
LEAFLET_CSS = f"{URL_PREFIX}/leaflet/leaflet.css"
JQUERY_SHIM_JS = f"{URL_PREFIX}/{JQUERY_SHIM_FILE}"
HEAT_JS = f"{URL_PREFIX}/leaflet.heat/leaflet-heat.js"
DRAW_JS = f"{URL_PREFIX}/leaflet-draw/leaflet.draw.js"
DRAW_CSS = f"{URL_PREFIX}/leaflet-draw/leaflet.draw.css"
# Plugin asset URLs, for pages that add plugins by hand.
PLUGIN_ASSETS: dict[str, dict[str, str]] = {
    "heatmap": {"js": HEAT_JS},
    "draw": {"js": DRAW_JS, "css": DRAW_CSS},
}

# Links we never load: our maps use neither Bootstrap nor icon fonts nor awesome-markers.
UNUSED_LINKS = frozenset(
    {"bootstrap", "bootstrap_css", "glyphicons_css", "awesome_markers",
     "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css"}
)

# folium's own links, captured at import so that the CDN fallback can be restored.
_CDN_DEFAULTS = {
    cls: (list(cls.default_js), list(cls.default_css)) for cls in (folium.Map, HeatMap, Draw)
}


def local_assets_available(vendor_dir: Path | None = None) -> bool:
    """True when every vendored file is present under ``vendor_dir`` (default static/vendor)."""
    root = Path(vendor_dir or VENDOR_DIR)
    return all((root / rel).exists() for rel in (*VENDOR_FILES, JQUERY_SHIM_FILE))


LOCAL, CDN, MISSING = "local", "cdn", "missing"
MISSING_MESSAGE = (
    "This map cannot be drawn: the map library files that come with the atlas (Leaflet, in "
    "static/vendor/) are missing from this installation. The rest of the page works. To fix "
    "it, restore the folder from the repository (git checkout -- static/vendor) or run "
    "bash scripts/vendor_assets.sh. Loading the files from public CDNs instead is possible "
    "with ATLAS_ALLOW_CDN=1, but then every visitor's browser contacts those third parties."
)


def apply_local_assets(vendor_dir: Path | None = None, allow_cdn: bool | None = None) -> str:
    """Point folium at the app's own copies; return the mode in use: LOCAL, CDN or MISSING.

    Without the copies, folium's CDN links are used only when ``allow_cdn`` (default: the
    ``ATLAS_ALLOW_CDN`` setting) opts in; otherwise every asset link is removed (MISSING), so
    nothing reaches a third party and :func:`response_atlas.ui.map_view.show_map` says why.
    """
    if not local_assets_available(vendor_dir):
        if cdn_allowed() if allow_cdn is None else allow_cdn:
            restore_cdn_assets()
            return CDN
        remove_asset_links()
        return MISSING
    folium.Map.default_js = [("leaflet", LEAFLET_JS), ("jquery", JQUERY_SHIM_JS)]
    folium.Map.default_css = [("leaflet_css", LEAFLET_CSS)]
    HeatMap.default_js = [("leaflet-heat.js", HEAT_JS)]
    HeatMap.default_css = []
    Draw.default_js = [("leaflet_draw_js", DRAW_JS)]
    Draw.default_css = [("leaflet_draw_css", DRAW_CSS)]
    return LOCAL


def remove_asset_links() -> None:
    """No asset links at all: files missing and no CDN allowed."""
    for cls in _CDN_DEFAULTS:
        cls.default_js, cls.default_css = [], []


def restore_cdn_assets() -> None:
    """folium's CDN links (minus the unused ones): only with ``ATLAS_ALLOW_CDN``."""
    for cls, (js, css) in _CDN_DEFAULTS.items():
        cls.default_js = [(n, u) for n, u in js if n not in UNUSED_LINKS]
        cls.default_css = [(n, u) for n, u in css if n not in UNUSED_LINKS]


def vendor_assets(node_modules: Path | None = None, vendor_dir: Path | None = None) -> list[Path]:
    """Copy the pinned files from ``node_modules`` into ``vendor_dir``; return what was written.

    The committed copies are what the app uses; this refreshes them after a version change in
    ``package.json`` (the jQuery shim is the atlas's own file and is left as it is). Raises
    FileNotFoundError naming every missing source (run ``npm ci`` first).
    """
    source_root = Path(node_modules or NODE_MODULES)
    target_root = Path(vendor_dir or VENDOR_DIR)
    missing = [src for src in VENDOR_FILES.values() if not (source_root / src).exists()]
    if missing:
        raise FileNotFoundError(
            f"Missing in {source_root}: {', '.join(missing)}. Run 'npm ci' in the project first."
        )
    written: list[Path] = []
    for dest, src in VENDOR_FILES.items():
        source, target = source_root / src, target_root / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m response_atlas.viz.assets --vendor``: copy assets; ``--check``: report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendor", action="store_true", help="copy node_modules -> static/vendor")
    parser.add_argument("--check", action="store_true", help="exit 1 if static/vendor is incomplete")
    parser.add_argument("--node-modules", type=Path, default=None)
    parser.add_argument("--dest", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.vendor:
        try:
            written = vendor_assets(args.node_modules, args.dest)
        except FileNotFoundError as err:
            print(err, file=sys.stderr)
            return 1
        print(f"Vendored {len(written)} map assets into {args.dest or VENDOR_DIR}")
    if args.check or not args.vendor:
        ok = local_assets_available(args.dest)
        print("map assets: local" if ok else "map assets: missing (maps say so; ATLAS_ALLOW_CDN=1 "
              "loads them from public CDNs)")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
