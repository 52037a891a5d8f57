"""Write a snapshot atomically and keep the last few.

The new snapshot is written into a hidden temporary folder, renamed into place, and only then is
the ``CURRENT`` pointer replaced with ``os.replace`` (atomic on POSIX). A reader therefore sees the
previous complete snapshot or the new complete one, never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:  # only the annotations need them; a refresh imports them in parallel with reading
    import geopandas as gpd
    import pandas as pd

from response_atlas.schema import (
    MANIFEST_FILE,
    SNAPSHOT_POINTER,
    SNAPSHOT_RULES_FILE,
    SNAPSHOT_TABLES,
)

PART_ROWS = 500_000  # rows per Parquet part of a table kept as a folder of parts (the calls)


def new_version(now: datetime | None = None) -> str:
    """A sortable snapshot version name such as ``20261128T071623Z``."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def write_snapshot(
    snapshots_dir: Path,
    tables: dict[str, pd.DataFrame | gpd.GeoDataFrame | pa.Table | Iterable[pa.Table]],
    manifest: dict | Callable[[], dict],
    rules_text: str | None = None,
    keep: int = 5,
    version: str | None = None,
    extra_files: dict[str, str] | None = None,
) -> Path:
    """Write ``tables`` (keys from ``SNAPSHOT_TABLES``) and ``manifest``; point CURRENT at it.

    Returns the new snapshot folder. Older snapshots beyond ``keep`` are removed afterwards.
    An Arrow table (the calls) is written as it is, in row groups of about a million rows; an
    iterable of Arrow tables (the calls, enriched chunk by chunk) as one part per table, each
    written while the next is made (:func:`write_part_stream`). ``manifest`` may be a function,
    called once every table is written (the counts of a stream are known only then).
    """
    snapshots_dir = Path(snapshots_dir)
    snapshots_dir.mkdir(parents=True, exist_ok=True)
    version = version or new_version()
    unknown = set(tables) - set(SNAPSHOT_TABLES)
    if unknown:
        raise ValueError(f"Unknown snapshot tables: {sorted(unknown)}")
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=snapshots_dir))
    try:
        for name, frame in tables.items():
            target = staging / SNAPSHOT_TABLES[name]
            if target.suffix == ".parquet" and isinstance(frame, pa.Table):
                write_arrow_table(frame, target)
            elif target.suffix == ".parquet":
                frame.to_parquet(target, index=False)
            elif isinstance(frame, pa.Table):
                write_arrow_parts(frame, target)
            elif hasattr(frame, "to_parquet"):  # a small frame (tests, fixtures) as one part
                target.mkdir()
                frame.to_parquet(target / "part-0.parquet", index=False)
            else:
                write_part_stream(frame, target)
        if rules_text is not None:
            (staging / SNAPSHOT_RULES_FILE).write_text(rules_text, encoding="utf-8")
        manifest = {"version": version, **(manifest() if callable(manifest) else manifest)}
        for name, text in (extra_files or {}).items():  # small text files (the program file)
            (staging / name).write_text(text, encoding="utf-8")
        if extra_files:
            manifest["extra_files"] = sorted(extra_files)
        (staging / MANIFEST_FILE).write_text(
            json.dumps(manifest, indent=2, default=str), encoding="utf-8"
        )
        final = snapshots_dir / version
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _point_current(snapshots_dir, version)
    prune_snapshots(snapshots_dir, keep)
    return final


def write_arrow_parts(table: pa.Table, folder: Path, rows_per_part: int = PART_ROWS) -> list[Path]:
    """Write ``table`` as Parquet parts ``folder/part-N.parquet``, several at once.

    pyarrow encodes one file on one core; parts of about ``rows_per_part`` rows (at most one per
    core) are written side by side, which halves the write on two cores. Readers take the parts
    in number order (``schema.snapshot_table_files``), so row order is kept.
    """
    folder.mkdir(parents=True, exist_ok=True)
    parts = max(1, min(os.cpu_count() or 1, -(-table.num_rows // rows_per_part)))
    size = -(-table.num_rows // parts) if table.num_rows else 0
    targets = [folder / f"part-{i}.parquet" for i in range(parts)]
    slices = [table.slice(i * size, size) for i in range(parts)]
    if parts == 1:
        write_arrow_table(slices[0], targets[0])
    else:
        with ThreadPoolExecutor(max_workers=parts, thread_name_prefix="parquet-part") as pool:
            list(pool.map(write_arrow_table, slices, targets))
    return targets


def write_part_stream(tables: Iterable[pa.Table], folder: Path, ahead: int = 2) -> list[Path]:
    """Write each table of ``tables`` as the next part ``folder/part-N.parquet``.

    Parts are written in ``ahead`` background threads while the iterable makes the next table,
    so the enrichment of one chunk and the encoding of the last share the cores. The iterable
    is asked for the next table only while at most ``ahead`` tables are being written (memory
    stays bounded when writing is the slower side). An error from either side stops the
    stream and is raised.
    """
    folder.mkdir(parents=True, exist_ok=True)
    targets: list[Path] = []
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="parquet-part") as pool:
        try:
            for table in tables:
                targets.append(folder / f"part-{len(targets)}.parquet")
                pending.append(pool.submit(write_arrow_table, table, targets[-1]))
                del table  # the writer holds the only reference: freed once written
                while len(pending) > ahead:
                    pending.popleft().result()
            while pending:
                pending.popleft().result()
        finally:
            for job in pending:
                job.cancel()
    return targets


def write_arrow_table(table: pa.Table, target: Path, row_group_rows: int = 1 << 20) -> None:
    """Write an Arrow table to Parquet (snappy, ~1M-row groups) without a pandas round trip.

    Dictionary-encoded text columns are written as Parquet dictionaries without the Arrow schema
    copy, so every reader (pyarrow, DuckDB) gets plain strings back, as for a string column.
    """
    encoded = any(pa.types.is_dictionary(f.type) for f in table.schema)
    # Nearly-unique columns (ids, times, measures) skip the dictionary attempt Parquet would
    # abandon anyway once the dictionary page fills up.
    plain = {f.name for f in table.schema if pa.types.is_floating(f.type) or pa.types.is_timestamp(f.type)}
    plain |= {"call_id", "source_row"}
    # Min/max statistics let DuckDB skip row groups on time and number ranges (calls arrive in
    # time order). Text columns hold every value in every row group, so their statistics would
    # never skip anything and cost a fifth of the write.
    ranged = [f.name for f in table.schema if not (
              pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
              or pa.types.is_dictionary(f.type) or pa.types.is_list(f.type))]
    pq.write_table(table, target, row_group_size=row_group_rows, compression="snappy",
                   store_schema=not encoded, write_statistics=ranged,
                   use_dictionary=[f"{f.name}.list.element" if pa.types.is_list(f.type) else f.name
                                   for f in table.schema if f.name not in plain])  # (lists: leaf path)


def _point_current(snapshots_dir: Path, version: str) -> None:
    tmp = snapshots_dir / f".{SNAPSHOT_POINTER}.tmp"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, snapshots_dir / SNAPSHOT_POINTER)


def list_snapshots(snapshots_dir: Path) -> list[Path]:
    """Complete snapshot folders, oldest first."""
    if not Path(snapshots_dir).is_dir():
        return []
    return sorted(
        p
        for p in Path(snapshots_dir).iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST_FILE).is_file()
    )


def prune_snapshots(snapshots_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` snapshots (never the current one); return removed."""
    pointer = Path(snapshots_dir) / SNAPSHOT_POINTER
    current = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else None
    removed = []
    for old in list_snapshots(snapshots_dir)[: -max(keep, 1)]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old)
    return removed
