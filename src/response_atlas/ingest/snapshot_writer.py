"""Write a snapshot atomically and keep the last few.

The new snapshot is written into a hidden temporary folder, renamed into place, and only then is
the ``CURRENT`` pointer replaced with ``os.replace`` (atomic on POSIX). A reader therefore sees the
previous complete snapshot or the new complete one, never a mix.

Faults (issue 21, point 11):
- One writer at a time per data folder: :func:`folder_lock` (``fcntl.flock`` on
  ``snapshots/.refresh.lock``) is held by a refresh and by a rollback; a second one waits up to
  ``wait_s`` and then refuses (:class:`FolderBusy`).
- Each staging folder is ``flock``-ed by the process writing it, so :func:`remove_stale_staging`
  removes only the folders of runs that died (a killed refresh), never a live one.
- The pointer is written through a temporary file unique to the run (``.CURRENT.<random>.tmp``),
  flushed to disk before the rename.
- :func:`check_writable` tries the folders before any work.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
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
LOCK_FILE = ".refresh.lock"  # in snapshots/: held by the one refresh or rollback writing there
STAGING_PREFIX = ".staging-"
LOCK_WAIT_S = 600.0  # how long a second refresh waits for the first before refusing


class FolderBusy(RuntimeError):
    """Another refresh (or rollback) holds the data folder's lock."""


class FolderNotWritable(RuntimeError):
    """The data folder (or a folder a refresh writes) cannot be written."""


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
    make_current: bool | Callable[[dict], bool] = True,
    extra_files: dict[str, str] | None = None,
) -> Path:
    """Write ``tables`` (keys from ``SNAPSHOT_TABLES``) and ``manifest``; point CURRENT at it.

    ``make_current``: False, or a function of the finished manifest returning False, writes the
    snapshot without switching CURRENT to it (a refresh holding back a suspicious snapshot).

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
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=snapshots_dir))
    held = _hold(staging)  # (released when the process ends, however it ends)
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
    finally:
        os.close(held)
    if make_current is True or (callable(make_current) and make_current(manifest)):
        point_current(snapshots_dir, version)
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


def point_current(snapshots_dir: Path, version: str) -> None:
    """Replace ``CURRENT`` with ``version`` atomically, through a temporary file of this run's own
    (two writers never share one), flushed before the rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{SNAPSHOT_POINTER}.", suffix=".tmp", dir=snapshots_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(version + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, Path(snapshots_dir) / SNAPSHOT_POINTER)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _hold(folder: Path) -> int:
    """An exclusive ``flock`` on ``folder`` (its descriptor): the folder's writer is alive while
    it is held. The kernel drops it when the process dies, ``kill -9`` included."""
    fd = os.open(folder, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def remove_stale_staging(snapshots_dir: Path) -> list[str]:
    """Remove staging folders whose writer died (no one holds their lock) and temporary pointer
    files (only a lock holder writes those: call with :func:`folder_lock` held). Returns the
    names removed."""
    removed = []
    folder = Path(snapshots_dir)
    if not folder.is_dir():
        return removed
    for path in sorted(folder.glob(f"{STAGING_PREFIX}*")):
        try:
            fd = _hold(path)
        except BlockingIOError:
            continue  # a live writer (outside this folder's lock, e.g. a test fixture)
        except OSError:
            continue  # gone meanwhile
        try:
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(fd)
        removed.append(path.name)
    for path in folder.glob(f".{SNAPSHOT_POINTER}.*.tmp"):
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path.name)
    return removed


@contextlib.contextmanager
def folder_lock(snapshots_dir: Path, wait_s: float = LOCK_WAIT_S, poll_s: float = 0.05
                ) -> Iterator[float]:
    """Hold the folder's writer lock (``snapshots/.refresh.lock``); yields the seconds waited.

    Waits up to ``wait_s`` for another holder, then raises :class:`FolderBusy`. The lock file
    holds the holder's process id (for the message only: the lock is the ``flock``).
    """
    snapshots_dir = Path(snapshots_dir)
    snapshots_dir.mkdir(parents=True, exist_ok=True)
    path = snapshots_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    started = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - started >= wait_s:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                    raise FolderBusy(
                        f"another refresh or rollback (process {holder}) is writing "
                        f"{snapshots_dir}; waited {wait_s:g} s. Try again when it has finished."
                    ) from None
                time.sleep(poll_s)  # (flock has no timeout of its own)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield time.monotonic() - started
    finally:
        os.close(fd)  # (releases the lock)


def check_writable(*folders: Path) -> None:
    """Create each folder if needed and write and remove a file in it; raises
    :class:`FolderNotWritable` naming the first that fails and why."""
    for folder in folders:
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".write-check-", dir=folder)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            why = "a file is in the way" if folder.exists() and not folder.is_dir() else exc.strerror or exc
            raise FolderNotWritable(f"{folder} cannot be written ({why}): nothing was done; the "
                                    "snapshot in use is unchanged") from None


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
            # Renamed out of the list first (atomic): a run killed mid-removal leaves a hidden
            # leftover the next refresh removes, never a listed snapshot with files missing.
            doomed = old.with_name(f"{STAGING_PREFIX}pruned-{old.name}")
            try:
                os.replace(old, doomed)
            except OSError:
                continue
            shutil.rmtree(doomed, ignore_errors=True)
            removed.append(old)
    return removed
