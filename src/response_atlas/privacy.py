"""Privacy helpers shared by every view: escaping and spreadsheet-formula neutralizing.

Public counts are published (suppressed and rounded) in one place: ``response_atlas.publish``.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_text(value: object) -> str:
    """HTML-escape any value from an extract (quotes included) before it reaches a page or map."""
    if value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, float) and pd.isna(value)):
        return ""  # missing, also pandas' NA of string columns (str() would give "<NA>")
    return html.escape(str(value), quote=True)


_TEMPLATE_INERT = str.maketrans({"\\": "&#92;", "`": "&#96;", "$": "&#36;"})


def template_safe(html_text: str) -> str:
    """Make (already escaped) HTML inert inside a JavaScript template literal.

    folium writes ``Tooltip`` and ``Popup`` text between backticks, where ``${...}`` runs code and
    a backtick ends the string; as character references they still show as ``$`` and a backtick.
    """
    return str(html_text).translate(_TEMPLATE_INERT)


def neutralize_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_cell(value: object) -> object:
    """Neutralize, and turn a carriage return into a newline: the CSV writer (newline line ends)
    leaves a lone CR unquoted, and a spreadsheet starts a new row there, where ``=...`` would run.
    A newline makes the writer quote the cell, so the break stays inside it."""
    value = neutralize_cell(value)
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def to_safe_csv(df: pd.DataFrame) -> bytes:
    """CSV bytes for a download, with formula-like text cells neutralized (headers too)."""
    safe = df.copy()
    safe.columns = [_csv_cell(str(c)) for c in safe.columns]
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(_csv_cell)
    return safe.to_csv(index=False).encode("utf-8")


def defer_csv(frame: pd.DataFrame | Callable[[], pd.DataFrame]) -> Callable[[], bytes]:
    """The safe CSV as a callable for ``st.download_button(data=...)``: Streamlit runs it when
    the button is clicked, so a rerun neither builds the file nor keeps its bytes per session.
    ``frame`` may itself be a callable (a query that only the download needs)."""
    def build() -> bytes:
        return to_safe_csv(frame() if callable(frame) else frame)
    return build
