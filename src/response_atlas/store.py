"""Snapshot access for the app: the only module with streamlit caching.

Big tables stay in Parquet behind one cached DuckDB connection (``st.cache_resource``); pages
cache only small query results (``st.cache_data``) keyed by the snapshot version.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from response_atlas.config import Settings, load_settings
from response_atlas.snapshot import Snapshot, current_snapshot_dir, open_snapshot


@st.cache_resource(show_spinner=False, max_entries=3)
def _snapshot_at(path: str) -> Snapshot:
    return open_snapshot(Path(path))


def get_settings() -> Settings:
    """Settings for this process (environment read on every call; cheap)."""
    return load_settings()


def get_snapshot(settings: Settings | None = None) -> Snapshot:
    """The current snapshot, cached per version: a refresh is picked up on the next rerun."""
    settings = settings or get_settings()
    return _snapshot_at(str(current_snapshot_dir(settings.snapshots_dir)))


def cached_query(snapshot: Snapshot, func, *args, **kwargs):
    """Run ``func(snapshot, *args, **kwargs)`` once per snapshot version and arguments.

    ``func`` must be a pure analysis function returning a small result (a DataFrame or dict).
    """
    func_key = f"{func.__module__}.{func.__qualname__}"
    return _cached_call(str(snapshot.path), func_key, func, args, tuple(kwargs.items()))


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_call(path: str, func_key: str, _func, args, kwargs):
    # path names the snapshot version and func_key the function: both are part of the cache key.
    return _func(_snapshot_at(path), *args, **dict(kwargs))
