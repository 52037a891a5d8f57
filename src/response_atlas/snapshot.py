"""Read access to a versioned snapshot: Parquet tables behind one DuckDB connection.

A snapshot is a folder ``<data>/snapshots/<version>/`` holding the tables named in
``schema.SNAPSHOT_TABLES``, the triage rules in force and ``manifest.json``. The file
``<data>/snapshots/CURRENT`` names the version in use; ingest (a refresh, or a rollback:
``ingest/rollback.py``) replaces it atomically, so a reader always sees one complete snapshot. No streamlit here: ``store.py`` adds the caching.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import yaml

from response_atlas.schema import (
    DERIVED_CALL_SQL,
    MANIFEST_FILE,
    SNAPSHOT_POINTER,
    SNAPSHOT_RULES_FILE,
    SNAPSHOT_TABLES,
    parquet_scan_sql,
    snapshot_table_files,
)

DUCKDB_MEMORY_LIMIT = "512MB"


class SnapshotMissing(RuntimeError):
    """No complete snapshot exists yet in the data folder."""


def current_version(snapshots_dir: Path) -> str | None:
    """The version ``CURRENT`` names (None: no pointer yet)."""
    pointer = Path(snapshots_dir) / SNAPSHOT_POINTER
    try:
        return pointer.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def current_snapshot_dir(snapshots_dir: Path) -> Path:
    """The folder of the snapshot named by ``CURRENT``; raises :class:`SnapshotMissing`."""
    pointer = Path(snapshots_dir) / SNAPSHOT_POINTER
    if not pointer.is_file():
        raise SnapshotMissing(f"No snapshot yet in {snapshots_dir} (no {SNAPSHOT_POINTER} file).")
    version = pointer.read_text(encoding="utf-8").strip()
    folder = Path(snapshots_dir) / version
    if not (folder / MANIFEST_FILE).is_file():
        raise SnapshotMissing(f"{SNAPSHOT_POINTER} names {version}, which has no manifest.")
    return folder


# The calls that have a team contact, with the columns the filters and the block-level rules
# read (``filters.build_where``, ``repeats._block_where``). Repeat addresses counts contacts per
# location from it instead of reading every call's id: at 5M calls that scan was a third of the
# ranking query. Made once per snapshot, when first asked for (:meth:`Snapshot.contacted_calls`);
# the benchmark's bare DuckDB floor makes it the same way.
CONTACTED_CALLS_SQL = """
CREATE TABLE IF NOT EXISTS contacted_calls AS
SELECT call_id, address, call_date, area, category, tier, hour, weekday FROM calls
WHERE call_id IN (SELECT call_id FROM contacts WHERE call_id IS NOT NULL)"""


@dataclass
class Snapshot:
    """One snapshot: small tables in memory (areas, zones), big ones queried through DuckDB."""

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _made_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _made: set = field(default_factory=set, repr=False)  # tables made on first use

    @cached_property
    def manifest(self) -> dict:
        return json.loads((self.path / MANIFEST_FILE).read_text(encoding="utf-8"))

    @property
    def version(self) -> str:
        return self.path.name

    @cached_property
    def _con(self) -> duckdb.DuckDBPyConnection:
        # Bounded working memory: DuckDB would otherwise use up to 80% of RAM for one query's
        # hash tables and keep it; past the limit it spills to a temporary folder instead.
        con = duckdb.connect(":memory:", config={
            "memory_limit": DUCKDB_MEMORY_LIMIT,
            "temp_directory": str(Path(tempfile.gettempdir()) / "response-atlas-duckdb"),
        })
        for name in SNAPSHOT_TABLES:
            files = snapshot_table_files(self.path, name)
            if name in ("areas", "zones") or not files:
                continue
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM {parquet_scan_sql(files)}")
        # The folder never changes once written: Parquet footers are parsed once, not per query
        # (set once the views have loaded DuckDB's Parquet reader).
        con.execute("SET GLOBAL parquet_metadata_cache = true")
        # A table, not a view of a registered frame: queries run on cursors, which do not see
        # the frames registered on this connection.
        con.register("area_facts_df", pd.DataFrame(self.areas.drop(columns="geometry")))
        con.execute("CREATE TABLE area_facts AS SELECT * FROM area_facts_df")
        con.unregister("area_facts_df")
        return con

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of the shared connection (one per query: sessions run in threads)."""
        with self._lock:
            cursor = self._con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def query(self, sql: str, params: list | tuple | None = None) -> pd.DataFrame:
        """Run SQL against the views ``calls``, ``contacts``, ``rejects``, ``area_facts``."""
        with self._cursor() as cursor:
            return cursor.execute(sql, params or []).df()

    def query_columns(self, sql: str, params: list | tuple | None = None) -> pd.DataFrame:
        """:meth:`query` through Arrow, for results of many rows with text columns: pandas keeps
        DuckDB's Arrow strings instead of building a Python string per value (the 80,000-row
        coverage aggregate at 5M calls: 0.15 s instead of 0.24 s, query included). Dates stay
        dates (``datetime.date`` objects), unlike :meth:`query`."""
        with self._cursor() as cursor:
            return cursor.sql(sql, params=list(params or [])).to_arrow_table().to_pandas()

    def has_table(self, name: str) -> bool:
        return bool(snapshot_table_files(self.path, name))

    def contacted_calls(self) -> bool:
        """Make the ``contacted_calls`` table (:data:`CONTACTED_CALLS_SQL`) if not made yet;
        False when the snapshot has no contacts (then there is no such table)."""
        if "contacted_calls" in self._made:  # (every repeat query asks: no file check then)
            return True
        if not self.has_table("contacts"):
            return False
        with self._made_lock:  # (one thread makes it; the others wait for it)
            if "contacted_calls" not in self._made:
                with self._cursor() as cursor:
                    cursor.execute(CONTACTED_CALLS_SQL)
                self._made.add("contacted_calls")
        return True

    @cached_property
    def areas(self) -> gpd.GeoDataFrame:
        """Areas with their facts: ``area, kind, population, pct_black, pct_poverty, geometry``."""
        return gpd.read_parquet(self.path / SNAPSHOT_TABLES["areas"])

    @cached_property
    def zones(self) -> gpd.GeoDataFrame:
        """Team zones: ``zone_id, team_id, program, schedule, base_lat, base_lon, geometry``."""
        file = self.path / SNAPSHOT_TABLES["zones"]
        if not file.exists():
            return gpd.GeoDataFrame(
                {c: [] for c in ("zone_id", "team_id", "program", "schedule")},
                geometry=[],
                crs="EPSG:4326",
            )
        return gpd.read_parquet(file)

    @cached_property
    def rules(self) -> dict:
        file = self.path / SNAPSHOT_RULES_FILE
        return yaml.safe_load(file.read_text(encoding="utf-8")) if file.exists() else {}

    @cached_property
    def call_columns(self) -> frozenset[str]:
        """The calls table's columns (older snapshots lack the newest derived ones)."""
        return frozenset(self.query("SELECT * FROM calls LIMIT 0").columns)

    @cached_property
    def date_range(self) -> tuple[date, date]:
        """First and last local call date in the snapshot."""
        row = self.query("SELECT min(call_date), max(call_date) FROM calls").iloc[0]
        if pd.isna(row.iloc[0]):
            today = date.today()
            return today, today
        return pd.Timestamp(row.iloc[0]).date(), pd.Timestamp(row.iloc[1]).date()

    @property
    def area_names(self) -> list[str]:
        return sorted(self.areas["area"].astype(str))


def call_column_sql(snapshot, name: str) -> str:
    """SQL for the derived calls column ``name``: the stored column when the snapshot has it
    (made once at refresh), else the expression it was made from (older snapshots, stand-ins)."""
    if name in getattr(snapshot, "call_columns", ()):
        return name
    return DERIVED_CALL_SQL[name]


def open_snapshot(path: Path) -> Snapshot:
    """Open the snapshot folder ``path`` (validated to hold a manifest)."""
    path = Path(path)
    if not (path / MANIFEST_FILE).is_file():
        raise SnapshotMissing(f"{path} is not a snapshot (no {MANIFEST_FILE}).")
    return Snapshot(path)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
