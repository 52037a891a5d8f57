"""Run a page through app.py with AppTest on a given data folder and role."""

from __future__ import annotations

import os
from pathlib import Path

from streamlit.testing.v1 import AppTest

from response_atlas.ui.auth import ROLE_KEY

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run_page(
    page: str,
    data_dir: Path,
    role: str = "public",
    query: dict[str, str | list[str]] | None = None,
    timeout: float = 60,
) -> AppTest:
    """Open ``page`` (e.g. ``views/public/overview.py``) as a user with ``role`` would; returns AppTest."""
    os.environ["ATLAS_DATA_DIR"] = str(data_dir)
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state[ROLE_KEY] = role
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page != "views/public/overview.py":
        at.switch_page(page)
        at.run()
    return at


def run_page_cleanly(page: str, data_dir: Path, role: str = "public") -> AppTest:
    """:func:`run_page`, failing the test when the page raised."""
    at = run_page(page, data_dir, role=role)
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str):
    """The first ``st.metric`` whose label starts with ``label``."""
    return next(m for m in at.metric if m.label.startswith(label))


def element_leaves(node):
    """Every rendered element under an AppTest node (depth first)."""
    children = getattr(node, "children", None)
    if children:
        for child in children.values():
            yield from element_leaves(child)
    elif getattr(node, "proto", None) is not None:
        yield node


def collect_payload(at: AppTest) -> str:
    """Everything a page sent to the browser: each element's message, dataframes as CSV."""
    parts = []
    for leaf in element_leaves(at._tree):
        parts.append(str(leaf.proto))
        if leaf.type == "dataframe":
            parts.append(leaf.value.to_csv(index=False))
    return "\n".join(parts)
