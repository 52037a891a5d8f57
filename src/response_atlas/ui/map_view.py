"""Putting a folium map on a page: every page draws its maps through :func:`show_map`."""

from __future__ import annotations

from collections.abc import Sequence

import folium
import streamlit as st
from streamlit_folium import st_folium

from response_atlas.viz import assets


def show_map(fmap: folium.Map, key: str, height: int,
             returned_objects: Sequence[str] = ()) -> dict | None:
    """Draw ``fmap`` across its column; return what the browser reports of ``returned_objects``
    (none by default, so panning or zooming never reruns the page).

    st_folium renders a map's layers itself; its default also renders the whole standalone
    document first, which the component never uses (the same script, header and body come out
    without it, a test checks): that pass rendered every layer's GeoJSON a second time.

    When the map library files are missing and no CDN is allowed, the map area says so in plain
    words instead (the map could not draw, and a blank box would look like "no calls").
    """
    if assets.apply_local_assets() == assets.MISSING:
        st.warning(assets.MISSING_MESSAGE)
        return None
    return st_folium(fmap, key=key, height=height, use_container_width=True,
                     returned_objects=list(returned_objects), render=False)
