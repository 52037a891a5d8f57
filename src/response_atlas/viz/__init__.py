"""Pure builders for maps and charts (folium, plotly): no streamlit imports here."""
