"""Pure builders for maps and charts (folium, plotly): no streamlit imports here."""

# First: folium output must never be parsed as a template on the server (see the module).
from response_atlas.viz import templates as _templates  # noqa: F401
