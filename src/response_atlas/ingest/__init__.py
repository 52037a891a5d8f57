"""Ingest: read extracts, validate, enrich once, write versioned snapshots. No streamlit here."""
