"""Refresh: turn the extracts in a data folder into a new versioned snapshot.

``python -m response_atlas refresh [--data DIR] [--preset NAME] [--area-name-property NAME]
[--accept-drop] [--wait SECONDS]``
(``--fetch [--sources FILE]`` downloads the extracts from the publisher first: ``ingest/fetch.py``)

Each extract's settings (a calls preset or column mapping, the areas' name property or layer) come
from the command line, else from the data folder's ``sources.yaml`` (the same file and ``preset``
key ``--fetch`` uses: each entry's ``file`` and ``preset``; its other keys are not needed here),
else are guessed from the file.

Only one refresh writes a data folder at a time (``snapshot_writer.folder_lock``); staging left
by a killed run is removed first, and a folder that cannot be written is refused before any
work. A new snapshot whose share of calls placed in an area falls far below the current one's
(:data:`PLACED_SHARE_DROP`) is written but not switched to unless ``--accept-drop`` is given
(exit code 3); ``python -m response_atlas snapshots`` lists and switches snapshots.

Steps: read and validate every extract, enrich the calls once, write the snapshot atomically
(``snapshot_writer``), keep the last ``keep`` snapshots. Calls files are ``calls.csv`` and
``calls*.csv`` read in name order; when a call id appears twice the row from the later file (or the
later row in one file) wins and the older row is a counted ``duplicate call id`` rejection.
Any failure leaves the current snapshot serving; a JSON report is written to ``<data>/reports``
either way.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from response_atlas.config import load_settings
from response_atlas.ingest.readers import CsvRead, ExtractError, count_lines, read_csv_text
from response_atlas.ingest.snapshot_writer import (
    LOCK_WAIT_S,
    FolderBusy,
    FolderNotWritable,
    check_writable,
    folder_lock,
    new_version,
    remove_stale_staging,
)
from response_atlas.locations import LOCATION_STATUSES, LOCATION_WORDS, placed_share
from response_atlas.programs import PROGRAMS_FILE, ProgramsError, snapshot_programs_text
from response_atlas.schema import EXTRACT_FILES, MANIFEST_FILE, REJECT_COLUMNS, SNAPSHOT_POINTER

SETTINGS_FILE = "sources.yaml"  # the data folder's own settings (also --fetch's sources file)
# A new snapshot is held back when its share of calls placed in an area is this far (a share,
# 0.25 = 25 percentage points) below the current snapshot's: a wrong areas file (points, another
# city, the wrong name property) is far more likely than a real change that large.
PLACED_SHARE_DROP = 0.25

# pandas, pandera, geopandas and the enrichment modules are imported inside ``run_refresh``, after
# the first calls file has started reading in a thread: the two overlap (pyarrow's CSV reader and
# hashlib release the GIL while the imports run).


@dataclass(frozen=True)
class SourceSpec:
    """One extract to read: its kind (a key of ``schema.EXTRACT_FILES``), path and options."""

    kind: str
    path: Path
    preset: str | None = None  # calls: a preset name; areas: the name property
    required: bool = True


@dataclass
class RefreshResult:
    """What a refresh did; ``ok`` False means the previous snapshot is still the current one."""

    ok: bool
    snapshot_dir: Path | None
    report_path: Path | None
    counts: dict = field(default_factory=dict)
    rejected_by_reason: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    # Every outcome with its count: {"kind", "outcome", "count"} rows (report and Data page).
    outcomes: list[dict] = field(default_factory=list)
    held_back: bool = False  # written but not switched to (placed share fell): see errors

    def note(self, kind: str, outcome: str, count: object) -> None:
        """Record one outcome row."""
        self.outcomes.append({"kind": kind, "outcome": outcome, "count": count})


class RefreshError(RuntimeError):
    """A problem that stops the refresh (listed in the report)."""


def default_sources(data_dir: Path, preset: str = "auto",
                    area_name_property: str | None = None) -> list[SourceSpec]:
    """The extracts found in ``data_dir`` under the canonical file names."""
    data_dir = Path(data_dir)
    calls = sorted({*data_dir.glob("calls*.csv")} | {data_dir / EXTRACT_FILES["calls"]} - {None})
    calls = [p for p in calls if p.exists()] or [data_dir / EXTRACT_FILES["calls"]]
    chosen = None if preset == "auto" else preset
    sources = [SourceSpec("calls", p, chosen) for p in calls]
    sources.append(SourceSpec("areas", data_dir / EXTRACT_FILES["areas"], area_name_property))
    for kind in ("area_facts", "zones", "contacts", "rules"):
        sources.append(SourceSpec(kind, data_dir / EXTRACT_FILES[kind], required=False))
    return sources


def folder_settings(data_dir: Path) -> dict[str, str]:
    """``{file name: preset}`` from the data folder's ``sources.yaml`` (empty without one).

    Read leniently (only each source's ``file`` and ``preset``), so a file made for ``--fetch``
    and one that only configures local extracts both work; raises :class:`RefreshError` naming
    the file when it is not a list of sources.
    """
    import yaml

    path = Path(data_dir) / SETTINGS_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RefreshError(f"{path.name}: cannot be read ({exc})") from None
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise RefreshError(f"{path.name}: expected a 'sources:' list of entries with file and preset")
    out = {}
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise RefreshError(f"{path.name}: sources entry {i} has no file name")
        if entry.get("preset") is not None:
            out[entry["file"]] = str(entry["preset"])
    return out


def configured_sources(data_dir: Path, preset: str = "auto", area_name_property: str | None = None,
                       result: RefreshResult | None = None) -> list[SourceSpec]:
    """:func:`default_sources` with each extract's setting from the command line, else from
    :func:`folder_settings`; the settings used are noted in ``result``."""
    data_dir = Path(data_dir)
    from_file = folder_settings(data_dir)
    given = {"calls": None if preset == "auto" else preset, "areas": area_name_property}
    specs = []
    for spec in default_sources(data_dir):
        setting, origin = given.get(spec.kind), "command line"
        if setting is None and Path(spec.path).name in from_file:
            setting, origin = from_file[Path(spec.path).name], SETTINGS_FILE
            local = data_dir / setting  # a mapping file named relative to the data folder
            if setting.endswith((".yaml", ".yml")) and local.is_file():
                setting = str(local)
        if setting is not None and spec.kind in ("calls", "areas"):
            spec = SourceSpec(spec.kind, spec.path, setting, spec.required)
            if result is not None:
                what = "preset" if spec.kind == "calls" else "area name property / layer"
                result.messages.append(f"{Path(spec.path).name}: {what} {setting} (from {origin})")
        specs.append(spec)
    return specs


def sha256_and_lines(path: Path) -> tuple[str, int]:
    """Hex SHA-256 of a file and its line count (``readers.count_lines``), in one pass."""
    digest = hashlib.sha256()
    lines = count_lines(path, digest)
    return digest.hexdigest(), lines


class Prefetch:
    """Read the first calls file and hash every source file in background threads.

    Started before the heavy imports so reading overlaps them. Only the first calls file is read
    ahead (peak memory stays that of one file); errors surface when the result is asked for, at
    the same step as without prefetching.
    """

    def __init__(self, sources: list[SourceSpec]):
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="refresh-prefetch")
        self._reads: dict[Path, Future] = {}
        self._hashes: dict[Path, Future] = {}
        calls = [Path(s.path) for s in sources if s.kind == "calls" and Path(s.path).is_file()]
        paths = [Path(s.path) for s in sources if Path(s.path).is_file()]
        # The first calls file is hashed first and read beside it (the two workers): the read
        # checks its record count against the line count of that hashing pass.
        for path in dict.fromkeys(calls[:1] + paths):
            self._hashes[path] = self._pool.submit(sha256_and_lines, path)
            if calls and path == calls[0]:
                self._reads[path] = self._pool.submit(read_csv_text, path,
                                                      lambda p=path: self._hashes[p].result()[1])

    def csv(self, path: Path) -> CsvRead | None:
        """The prefetched read of ``path`` (raises its ExtractError), or None if not prefetched."""
        job = self._reads.pop(Path(path), None)
        return job.result() if job is not None else None

    def sha256(self, path: Path) -> str:
        """Hex SHA-256 of ``path`` (hashed now if it was not prefetched)."""
        job = self._hashes.get(Path(path))
        return (job.result() if job is not None else sha256_and_lines(path))[0]

    def close(self) -> None:
        """Wait for the threads (a failed refresh must not leave them running) and drop reads."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._reads.clear()


def keep_freed_memory() -> bool:
    """Let glibc keep freed memory for reuse instead of returning it to the kernel at once.

    A refresh allocates and frees many arrays of tens to hundreds of megabytes. By default glibc
    maps each such array afresh and unmaps it when freed, so the kernel zero-fills every page
    again: on 5 million calls a third of the CPU time went to the kernel. The refresh command
    is a process of its own, so what is kept back is returned when it exits; a server that
    refreshes in-process (first start, the triage page) keeps the default. Returns whether the
    setting took (False off glibc).

    Arrow's own allocations get the same treatment (:func:`keep_arrow_memory`), and the
    process uses no transparent huge pages (:func:`use_small_pages`).
    """
    import ctypes

    keep_arrow_memory()
    use_small_pages()
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # mallopt parameter numbers (malloc.h)
    return bool(libc.mallopt(m_mmap_threshold, 1 << 30) and libc.mallopt(m_trim_threshold, 2**31 - 1))


def keep_arrow_memory() -> bool:
    """Let Arrow keep freed memory too: jemalloc with its decay off, instead of pyarrow's default
    mimalloc, which hands freed pages back to the kernel after 10 ms.

    On the shared development VM, touching memory handed back cost more kernel time than the
    refresh's own work (5M calls: 21 s of system time against 14 s of user time); with this, 9 to
    11 s, and the refresh took a fifth less time, for about 0.5 GB more peak memory. Returns
    whether it took (False when pyarrow was built without jemalloc).
    """
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(-1)
    except NotImplementedError:  # (pyarrow's ArrowNotImplementedError is one)
        return False
    pa.set_memory_pool(pool)
    return True


def use_small_pages() -> bool:
    """Keep this process on 4 kB pages: no transparent huge pages (numpy asks for them for its
    large arrays, and so do some allocators).

    On the development VM a fresh huge page costs far more kernel time than the same memory in
    4 kB pages (the host backs it in one go): a 5M refresh spent 6 s in the kernel with them
    and 3.3 s without, and took a tenth less time. Same scope as :func:`keep_freed_memory`
    (the refresh command's process only). Returns whether the setting took (off Linux, numpy
    alone is told).
    """
    import ctypes

    from numpy._core.multiarray import _set_madvise_hugepage

    _set_madvise_hugepage(False)
    pr_set_thp_disable = 41  # prctl option number (linux/prctl.h)
    try:
        return ctypes.CDLL("libc.so.6").prctl(pr_set_thp_disable, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def import_refresh_modules() -> None:
    """Import everything a refresh uses (about 0.8 s of pandas, pandera, geopandas, pyproj).

    A refresh imports them itself while its first file is read; the benchmarks call this
    before starting the clock so both sides of a comparison time the work alone (DuckDB is
    imported before its clock too).
    """
    import duckdb  # noqa: F401
    import geopandas  # noqa: F401

    import response_atlas.ingest.calls  # noqa: F401
    import response_atlas.ingest.enrich  # noqa: F401
    import response_atlas.ingest.places  # noqa: F401
    import response_atlas.ingest.snapshot_writer  # noqa: F401
    import response_atlas.triage_rules  # noqa: F401


def may_have_repeats(values: pa.Array | pa.ChunkedArray) -> bool:
    """False when no non-null value appears twice; True when some value may (an exact check
    must follow: two different values can share a 64-bit hash, about once in 10^12 pairs).

    DuckDB hashes the values on both cores and numpy sorts the hashes: on 5 million ids about
    0.45 s, where a distinct count's hash table of the strings took 0.6 s, and over 1 s inside
    a refresh, where the fresh memory it needs is slow to come by.
    """
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.register("ids", pa.table({"v": values}))
        hashes = con.execute("SELECT hash(v) AS h FROM ids WHERE v IS NOT NULL").fetchnumpy()["h"]
    finally:
        con.close()
    hashes = np.asarray(hashes, dtype=np.uint64)
    hashes.sort()
    return bool((hashes[1:] == hashes[:-1]).any())


def _count(reasons: dict, kind: str, problem: str, n: int = 1) -> None:
    reasons.setdefault(kind, {})
    reasons[kind][problem] = reasons[kind].get(problem, 0) + n


def run_refresh(data_dir: Path, *, preset: str = "auto", keep: int = 5, progress: bool = True,
                sources: list[SourceSpec] | None = None, area_name_property: str | None = None,
                accept_drop: bool = False, wait_s: float = 120.0) -> RefreshResult:
    """Build a new snapshot from the extracts in ``data_dir``; never raises for bad input.

    Holds the folder's lock throughout (waits up to ``wait_s`` for another refresh, then
    refuses); ``accept_drop`` switches to the new snapshot even when its placed share fell.
    """
    data_dir = Path(data_dir)
    version = new_version()
    result = RefreshResult(ok=False, snapshot_dir=None, report_path=None)
    snapshots = data_dir / "snapshots"
    try:
        check_writable(snapshots, data_dir / "reports")  # before any work
        with folder_lock(snapshots, wait_s) as waited:
            if waited >= 0.1:
                result.note("refresh", "waited for another refresh of this folder (s)", round(waited, 1))
            removed = remove_stale_staging(snapshots)
            if removed:
                result.note("refresh", "leftovers of interrupted refreshes removed", len(removed))
                result.messages.append("removed leftovers of interrupted refreshes: " + ", ".join(removed))
            if sources is None:
                sources = configured_sources(data_dir, preset, area_name_property, result)
            # Named once the lock is held: versions then sort in the order runs switched CURRENT
            # (a run that waited is newer than the one it waited for).
            version = new_version()
            return _run_locked(data_dir, version, sources, preset, keep, progress, accept_drop, result)
    except (FolderBusy, FolderNotWritable, RefreshError) as exc:
        result.errors.append(str(exc))
    except OSError as exc:  # (the lock file itself)
        result.errors.append(f"{snapshots}: {exc.strerror or exc}")
    result.report_path = _write_report(data_dir, version, result, {})
    return result


def _run_locked(data_dir: Path, version: str, sources: list[SourceSpec], preset: str, keep: int,
                progress: bool, accept_drop: bool, result: RefreshResult) -> RefreshResult:
    """The refresh proper, with the folder's lock held."""
    manifest: dict = {}
    prefetch = Prefetch(sources)
    from tqdm import tqdm

    from response_atlas.ingest.presets import PresetError
    from response_atlas.triage_rules import RulesError

    # (the enrich step becomes one step per chunk once the calls are counted)
    steps = ["read calls", "areas and zones", "contacts", "enrich and write calls", "write snapshot"]
    bar = tqdm(total=len(steps), desc="refresh", unit="step", disable=not progress, file=sys.stderr)
    collecting = gc.isenabled()
    # No cycle collection meanwhile: a refresh makes few reference cycles, but the geometry and
    # row objects it creates trigger full collections over every object of the process (about
    # 0.3 s each at 5 million calls, for nothing to collect).
    gc.disable()
    try:
        manifest = _build(data_dir, sources, preset, keep, version, result, bar, prefetch,
                          accept_drop)
        result.ok = not result.held_back
    except (ExtractError, PresetError, RulesError, RefreshError) as exc:
        result.errors.append(str(exc))
    except Exception as exc:  # an unexpected failure must still leave a report behind
        result.errors.append(f"unexpected error: {type(exc).__name__}: {exc}")
    finally:
        bar.close()
        prefetch.close()
        if collecting:
            gc.enable()
    result.report_path = _write_report(data_dir, version, result, manifest)
    return result


@dataclass
class Places:
    """The non-call extracts of a refresh: areas (with facts), zones and contacts."""

    areas: object
    area_rejects: list[dict]
    zones: object
    zone_rejects: list[dict]
    contacts: object
    contact_rejects: list[dict]
    contacts_read: int | None  # None: no contacts extract
    messages: list[str]
    area_counts: dict = field(default_factory=dict)  # features read, pieces joined


def read_places(by_kind: dict[str, list[SourceSpec]]) -> Places:
    """Read and check the areas (joining their facts), zones and contacts extracts."""
    from response_atlas.ingest.places import (
        empty_contacts,
        empty_zones,
        join_facts,
        load_areas,
        load_contacts,
        load_zones,
    )

    area_spec = by_kind["areas"][0]
    areas, area_rejects, messages, area_counts = load_areas(Path(area_spec.path), area_spec.preset)
    facts_specs = [s for s in by_kind.get("area_facts", []) if Path(s.path).is_file()]
    areas, fact_messages = join_facts(areas, facts_specs[0].path if facts_specs else None)
    messages += fact_messages
    zones, zone_rejects = empty_zones(), []
    zone_specs = [s for s in by_kind.get("zones", []) if Path(s.path).is_file()]
    if zone_specs:
        zones, zone_rejects, zone_messages = load_zones(Path(zone_specs[0].path))
        messages += zone_messages
    contacts, contact_rejects, contacts_read = empty_contacts(), [], None
    contact_specs = [s for s in by_kind.get("contacts", []) if Path(s.path).is_file()]
    if contact_specs:
        contacts, contact_rejects, contacts_read = load_contacts(Path(contact_specs[0].path))
    return Places(areas, area_rejects, zones, zone_rejects, contacts, contact_rejects,
                  contacts_read, messages, area_counts)


def _build(data_dir, sources, preset, keep, version, result, bar, prefetch: Prefetch,
           accept_drop: bool = False) -> dict:
    from response_atlas.triage_rules import RulesError, default_rules_text, load_rules

    by_kind: dict[str, list[SourceSpec]] = {}
    for spec in sources:
        by_kind.setdefault(spec.kind, []).append(spec)
    for spec in sources:
        if spec.required and not Path(spec.path).is_file():
            raise RefreshError(f"{Path(spec.path).name}: required {spec.kind} extract not found in "
                               f"{Path(spec.path).parent}")

    # --- rules first: a bad ruleset stops everything before any work is done ------------------
    rule_specs = [s for s in by_kind.get("rules", []) if Path(s.path).is_file()]
    rules_text = Path(rule_specs[0].path).read_text(encoding="utf-8") if rule_specs else default_rules_text()
    try:
        rules = load_rules(rules_text)
    except RulesError as exc:
        name = Path(rule_specs[0].path).name if rule_specs else "default rules"
        raise RulesError([f"{name}: {p}" for p in exc.problems]) from None

    # Areas, zones and contacts do not depend on the calls: read them in a side thread while the
    # calls are typed and validated (their errors surface below, in the same order as before).
    side = ThreadPoolExecutor(max_workers=1, thread_name_prefix="refresh-places")
    places_job = side.submit(read_places, by_kind)
    try:
        return _build_with_places(data_dir, sources, preset, keep, version, result, bar, prefetch,
                                  rules, rules_text, by_kind, places_job, accept_drop)
    finally:
        side.shutdown(wait=True, cancel_futures=True)


def _build_with_places(data_dir, sources, preset, keep, version, result, bar, prefetch, rules,
                       rules_text, by_kind, places_job, accept_drop=False) -> dict:
    import pandas as pd
    import pyarrow as pa

    from response_atlas.ingest import enrich
    from response_atlas.ingest.calls import load_calls_file, load_validation_backend, reject
    from response_atlas.ingest.enrich import EnrichTotals, chunk_slices, enrich_in_chunks
    from response_atlas.ingest.presets import get_preset
    from response_atlas.ingest.snapshot_writer import PART_ROWS, write_snapshot
    from response_atlas.ingest.times import describe_formats

    reasons: dict[str, dict[str, int]] = {}
    rejects: list[dict] = []
    manifest_sources: list[dict] = []
    counts: dict[str, dict[str, int]] = {}

    # --- calls ------------------------------------------------------------------------------
    load_validation_backend()  # (while the first file is still being read)
    frames, presets_used = [], []
    read_total, fixes = 0, {}
    call_notes: list[str] = []  # time formats found, misspelt optional columns
    for spec in by_kind.get("calls", []):
        chosen = None if spec.preset in (None, "auto") else get_preset(spec.preset, data_dir)
        loaded = load_calls_file(Path(spec.path), chosen, read=prefetch.csv(spec.path))
        presets_used.append(loaded.preset)
        read_total += loaded.rows_read
        rejects += loaded.rejects
        for r in loaded.rejects:
            _count(reasons, "calls", r["problem"])
        for k, v in loaded.fixes.items():
            fixes[k] = fixes.get(k, 0) + v
        frames.append(loaded.calls)
        if formats := describe_formats(loaded.time_formats):
            call_notes.append(f"time formats in {Path(spec.path).name}: {formats}")
        call_notes += loaded.notes
        manifest_sources.append({"kind": "calls", "file": Path(spec.path).name, "sha256": prefetch.sha256(spec.path),
                                 "rows_read": loaded.rows_read, "preset": loaded.preset,
                                 "encoding": loaded.encoding, "time_formats": loaded.time_formats})
    if not frames:
        raise RefreshError("no calls extract given")
    calls = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    del frames  # (each file's frame is in ``calls`` now: peak memory)
    # A hash check first (no Python objects): most extracts have no repeated id at all.
    if may_have_repeats(pa.array(calls["call_id"], type=pa.string(), from_pandas=True)):
        dupes = calls["call_id"].duplicated(keep="last")
        if dupes.any():
            for row in calls.loc[dupes, ["source_file", "source_row", "call_id"]].itertuples(index=False):
                rejects.append(reject("calls", row.source_file, row.source_row, "call_id",
                                      "duplicate call id (newer row kept)", row.call_id))
            _count(reasons, "calls", "duplicate call id (newer row kept)", int(dupes.sum()))
            calls = calls[~dupes].reset_index(drop=True)
    if calls.empty:
        raise RefreshError("no call passed validation; see the rejects in this report")
    bar.update()

    # --- areas, facts, zones, contacts (read in the side thread) ----------------------------
    places = places_job.result()
    areas, zones, contacts = places.areas, places.zones, places.contacts
    area_rejects, zone_rejects = places.area_rejects, places.zone_rejects
    messages = [*result.messages, *call_notes, *places.messages]  # (the settings used first)
    messages += [f"{r['source_file']} row {r['row']}: zone {r.get('zone_id') or '?'} is missing from "
                 f"this snapshot: {r['problem']}" for r in zone_rejects]
    for kind, items in (("areas", area_rejects), ("zones", zone_rejects)):
        rejects += items
        for r in items:
            _count(reasons, kind, r["problem"].split(":")[0])
    bar.update()
    if places.contacts_read is not None:
        rejects += places.contact_rejects
        for r in places.contact_rejects:
            _count(reasons, "contacts", r["problem"])
        counts["contacts"] = {"read": places.contacts_read, "accepted": len(contacts),
                              "rejected": len(places.contact_rejects)}
    bar.update()

    # --- enrich and write -------------------------------------------------------------------
    # The calls are enriched chunk by chunk and each chunk is written while the next is made:
    # the enriched table of every call never exists at once (``enrich.CHUNK_ROWS``). The counts
    # that depend on the enriched calls go into the manifest once the last chunk is written.
    # (at least one chunk per core once there are PART_ROWS calls per core: parts are written
    # side by side)
    slices = chunk_slices(len(calls), enrich.CHUNK_ROWS,
                          min_chunks=min(os.cpu_count() or 1, -(-len(calls) // PART_ROWS)))
    if len(slices) > 1 and slices[-1].stop - slices[-1].start > 1:
        # the last chunk's write overlaps no enrichment: halve it, so half of it does
        last = slices.pop()
        middle = (last.start + last.stop) // 2
        slices += [slice(last.start, middle), slice(middle, last.stop)]
    bar.total += len(slices) - 1  # the progress bar counts chunks
    bar.refresh()
    totals = EnrichTotals()
    chunks = _counted(enrich_in_chunks(calls, areas, zones, rules, totals, slices), bar)
    for spec in sources:
        if spec.kind != "calls" and Path(spec.path).is_file():
            manifest_sources.append({"kind": spec.kind, "file": Path(spec.path).name,
                                     "sha256": prefetch.sha256(spec.path)})
    manifest: dict = {}

    def finish_manifest() -> dict:
        calls_rejected = sum(reasons.get("calls", {}).values())
        counts["calls"] = {"read": read_total, "accepted": totals.rows, "rejected": calls_rejected}
        counts["areas"] = {"read": places.area_counts.get("read", len(areas) + len(area_rejects)),
                           "accepted": len(areas), "rejected": len(area_rejects)}
        counts["zones"] = {"accepted": len(zones), "rejected": len(zone_rejects)}
        note_place_outcomes(result, places, totals.locations)
        fixes.update(totals.fixes)
        impossible = {k.removeprefix(enrich.IMPOSSIBLE_PREFIX): fixes.pop(k) for k in list(fixes)
                      if k.startswith(enrich.IMPOSSIBLE_PREFIX)}
        if impossible:
            messages.append("impossible intervals, kept but left out of the interval figures: "
                            + "; ".join(f"{k}: {v:,}" for k, v in impossible.items()))
        if fixes:
            messages.append("fixed or cleared: " + "; ".join(f"{k} ({v})" for k, v in fixes.items()))
        locations = totals.locations
        unplaced = {k: n for k, n in locations.items() if k != "in_area" and n}
        if unplaced:
            messages.append("; ".join(f"{n:,} call(s) {LOCATION_WORDS[k]}" for k, n in unplaced.items())
                            + ": kept and labelled")
        start, end = pd.Timestamp(totals.first_received), pd.Timestamp(totals.last_received)
        manifest.update({
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_as_of": str(end.date()),
            "preset": ",".join(sorted(set(presets_used))),
            "rules_version": rules.version,
            "sources": manifest_sources,
            "counts": counts,
            "rejected_by_reason": reasons,
            "fixes": fixes,
            "impossible_intervals": impossible,
            "locations": locations,
            "time_range": {"start": str(start), "end": str(end)},
            "messages": messages,
            "zones_missing": [{k: r.get(k, "") for k in ("zone_id", "team_id", "program", "problem")}
                              for r in zone_rejects],
            "outcomes": result.outcomes,
        })
        hold_if_placed_share_fell(manifest)
        return manifest

    def hold_if_placed_share_fell(finished: dict) -> None:
        held = placed_share_drop(current_manifest(Path(data_dir) / "snapshots"), finished)
        if held is None:
            return
        if accept_drop:
            messages.append(f"{held}; switched to it anyway (--accept-drop)")
            return
        finished["held_back"] = held
        result.held_back = True
        result.errors.append(f"{held}: the new snapshot was written but NOT switched to; the "
                             "current one keeps serving. Check the areas file and its name "
                             "property, then run the refresh again with --accept-drop, or switch "
                             f"with: python -m response_atlas snapshots rollback {version}")

    rejects_frame = pd.DataFrame(rejects, columns=list(REJECT_COLUMNS)).astype(str)
    # The program file (launches, served areas) goes into the snapshot checked against the places.
    programs_text = _programs_text(data_dir, areas, zones)
    result.snapshot_dir = write_snapshot(
        Path(data_dir) / "snapshots",
        {"calls": chunks, "areas": areas, "zones": zones, "contacts": contacts,
         "rejects": rejects_frame},
        finish_manifest, rules_text=rules_text, keep=keep, version=version,
        make_current=lambda _: not result.held_back,
        extra_files={PROGRAMS_FILE: programs_text} if programs_text else None,
    )
    bar.update()
    result.counts, result.rejected_by_reason, result.messages = counts, reasons, messages
    return manifest


def note_place_outcomes(result: RefreshResult, places: Places, locations: dict[str, int]) -> None:
    """The areas', zones' and locations' outcome rows (``RefreshResult.outcomes``)."""
    counts = places.area_counts
    result.note("areas", "features read", counts.get("read", 0))
    result.note("areas", "areas kept", len(places.areas))
    if counts.get("pieces joined"):
        result.note("areas", "pieces joined into an area of the same name", counts["pieces joined"])
    refused = sum(r["problem"].startswith("not a polygon") for r in places.area_rejects)
    if refused:
        result.note("areas", "features refused: not a polygon", refused)
    result.note("zones", "zones kept", len(places.zones))
    if places.zone_rejects:
        result.note("zones", "zones missing (refused)", len(places.zone_rejects))
    total = sum(locations.values())
    for status in LOCATION_STATUSES:
        n = locations.get(status, 0)
        share = f" ({n / total:.1%})" if total else ""
        result.note("locations", f"calls {LOCATION_WORDS[status]}{share}", n)


def current_manifest(snapshots_dir: Path) -> dict | None:
    """The manifest of the snapshot ``CURRENT`` names (None: no readable current snapshot)."""
    pointer = Path(snapshots_dir) / SNAPSHOT_POINTER
    try:
        version = pointer.read_text(encoding="utf-8").strip()
        return json.loads((Path(snapshots_dir) / version / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def placed_share_drop(current: dict | None, new: dict, drop: float = PLACED_SHARE_DROP) -> str | None:
    """Why ``new`` should not replace ``current`` (its share of calls placed in an area is more
    than ``drop`` below), or None when it may."""
    if not current:
        return None
    before, after = placed_share(current.get("locations")), placed_share(new.get("locations"))
    if before is None or after is None or after >= before - drop:
        return None
    return (f"calls placed in an area fell from {before:.1%} (snapshot {current.get('version', '?')}) "
            f"to {after:.1%}")


def _programs_text(data_dir, areas, zones) -> str | None:
    """The checked program file text (None when there is none); its problems stop the refresh."""
    try:
        return snapshot_programs_text(Path(data_dir), set(areas["area"]), set(zones["zone_id"]))
    except ProgramsError as exc:
        raise RefreshError("; ".join(exc.problems)) from None


def _counted(chunks: Iterator, bar) -> Iterator:
    """``chunks`` as they are, moving the progress bar on after each."""
    for chunk in chunks:
        yield chunk
        bar.update()


def _write_report(data_dir: Path, version: str, result: RefreshResult, manifest: dict) -> Path | None:
    """The JSON report in ``<data>/reports``, else (a folder that cannot be written) in the
    system's temporary folder; None when neither can be written (the command line still prints)."""
    body = {"version": version, "data_dir": str(data_dir), **asdict(result), "manifest": manifest}
    body.pop("report_path", None)
    text = json.dumps(body, indent=2, default=str)
    for reports in (Path(data_dir) / "reports", Path(tempfile.gettempdir()) / "response-atlas-reports"):
        try:
            reports.mkdir(parents=True, exist_ok=True)
            path = reports / f"refresh-{version}.json"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def summarize(result: RefreshResult) -> str:
    """A few lines for the command line."""
    if result.held_back:
        head = "HELD BACK (written, not switched to: the previous snapshot is still in use)"
    else:
        head = "OK" if result.ok else "FAILED (the previous snapshot is still in use)"
    lines = ["refresh " + head]
    if result.snapshot_dir:
        lines.append(f"snapshot: {result.snapshot_dir}")
    for kind, c in result.counts.items():
        lines.append(f"{kind}: " + ", ".join(f"{k} {v:,}" for k, v in c.items()))
    for row in result.outcomes:
        count = row["count"]
        lines.append(f"{row['kind']}: {row['outcome']}: "
                     + (f"{count:,}" if isinstance(count, int) else str(count)))
    for kind, reasons in result.rejected_by_reason.items():
        for reason, n in reasons.items():
            lines.append(f"rejected {kind}: {reason}: {n:,}")
    lines += [f"note: {m}" for m in result.messages]
    lines += [f"error: {e}" for e in result.errors]
    if result.report_path:
        lines.append(f"report: {result.report_path}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry: ``refresh [--data DIR] [--preset NAME] [--area-name-property NAME]
    [--accept-drop] [--wait S] [--keep N] [--quiet]``; exit 0 switched, 1 failed, 3 held back."""
    parser = argparse.ArgumentParser(prog="python -m response_atlas refresh",
                                     description="Build a new snapshot from the extracts.")
    parser.add_argument("--data", help="data folder (default: ATLAS_DATA_DIR or ./data)")
    parser.add_argument("--preset", default="auto",
                        help="calls preset: auto, canonical, cincinnati, cincinnati_ems, or a YAML file")
    parser.add_argument("--keep", type=int, default=None, help="snapshots to keep (default 5)")
    parser.add_argument("--area-name-property", metavar="NAME",
                        help="the areas file's name property, or a layer name (cagis_sna, "
                             "hamilton_county_areas); default: sources.yaml's areas preset, else guessed")
    parser.add_argument("--accept-drop", action="store_true",
                        help="switch to the new snapshot even if far fewer calls are placed in an area")
    parser.add_argument("--wait", type=float, default=LOCK_WAIT_S, metavar="SECONDS",
                        help=f"wait this long for another refresh of the folder (default {LOCK_WAIT_S:g})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--fetch", action="store_true",
                        help="download the extracts listed in the sources file first (see ingest/fetch.py)")
    parser.add_argument("--sources", help="sources YAML for --fetch (default: <data>/sources.yaml)")
    args = parser.parse_args(argv)
    settings = load_settings(args.data)
    if args.fetch:
        from response_atlas.ingest.fetch import resolve_sources_path, run_fetch, summarize_fetch

        sources = resolve_sources_path(settings.data_dir, args.sources)
        print(f"sources: {sources}")
        fetched = run_fetch(settings.data_dir, sources, keep=args.keep or settings.keep_snapshots,
                            progress=not args.quiet)
        print(summarize_fetch(fetched))
        return 0 if fetched.ok else 1
    keep_freed_memory()
    result = run_refresh(settings.data_dir, preset=args.preset,
                         keep=args.keep or settings.keep_snapshots, progress=not args.quiet,
                         area_name_property=args.area_name_property, accept_drop=args.accept_drop,
                         wait_s=args.wait)
    print(summarize(result))
    for error in result.errors:  # (also on stderr: a failure is seen when stdout is redirected)
        print(f"refresh error: {error}", file=sys.stderr)
    return 0 if result.ok else (3 if result.held_back else 1)
