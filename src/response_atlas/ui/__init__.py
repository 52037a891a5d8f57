"""Streamlit widgets and layout helpers shared by pages."""
