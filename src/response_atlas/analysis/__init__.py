"""Pure analysis functions over a snapshot (no streamlit)."""
