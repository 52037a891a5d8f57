"""Kept snapshots: list them with their manifests' figures, and switch ``CURRENT`` to one.

``python -m response_atlas snapshots list [--data DIR]``
``python -m response_atlas snapshots rollback VERSION [--data DIR]``

A rollback only moves the pointer (atomically, under the folder's lock, like a refresh): the
next refresh reads the data folder's extracts as usual and, if it succeeds, becomes current.
The Data and refresh page (staff) offers the same switch.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from response_atlas.config import load_settings
from response_atlas.ingest.snapshot_writer import (
    FolderBusy,
    folder_lock,
    list_snapshots,
    point_current,
)
from response_atlas.locations import placed_share
from response_atlas.schema import MANIFEST_FILE, SNAPSHOT_TABLES, snapshot_table_files
from response_atlas.snapshot import current_version


class RollbackError(RuntimeError):
    """A snapshot that cannot be switched to (unknown, incomplete) or a busy folder."""


def kept_snapshots(snapshots_dir: Path) -> list[dict]:
    """Every complete snapshot, newest first, with its manifest's figures."""
    current = current_version(snapshots_dir)
    rows = []
    for folder in reversed(list_snapshots(Path(snapshots_dir))):
        try:
            manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        counts = manifest.get("counts") or {}
        calls = counts.get("calls") or {}
        share = placed_share(manifest.get("locations") or {})
        rows.append({
            "version": folder.name,
            "created_at": str(manifest.get("created_at", "")),
            "data_as_of": str(manifest.get("data_as_of", "")),
            "calls_accepted": calls.get("accepted"),
            "calls_rejected": calls.get("rejected"),
            "placed_share": share,
            "areas": (counts.get("areas") or {}).get("accepted"),
            "zones": (counts.get("zones") or {}).get("accepted"),
            "zones_missing": len(manifest.get("zones_missing") or []),
            "held_back": manifest.get("held_back") or "",
            "current": folder.name == current,
        })
    return rows


def check_complete(folder: Path) -> None:
    """Raise :class:`RollbackError` unless ``folder`` holds a manifest and every table it needs."""
    if not (folder / MANIFEST_FILE).is_file():
        raise RollbackError(f"{folder.name}: not a kept snapshot (no {MANIFEST_FILE})")
    missing = [name for name in ("calls", "areas") if not snapshot_table_files(folder, name)]
    if missing:
        raise RollbackError(f"{folder.name}: incomplete snapshot (no {', '.join(SNAPSHOT_TABLES[m] for m in missing)})")


def switch_to(snapshots_dir: Path, version: str, wait_s: float = 30.0) -> str | None:
    """Point ``CURRENT`` at the kept snapshot ``version``; returns the version it replaced.

    Takes the folder's lock (a running refresh is waited for up to ``wait_s``), so a rollback
    never interleaves with a refresh's own switch.
    """
    snapshots_dir = Path(snapshots_dir)
    folder = snapshots_dir / version
    if "/" in version or version.startswith(".") or not folder.is_dir():
        known = ", ".join(r["version"] for r in kept_snapshots(snapshots_dir)) or "none"
        raise RollbackError(f"no kept snapshot {version!r} (kept: {known})")
    check_complete(folder)
    try:
        with folder_lock(snapshots_dir, wait_s):
            previous = current_version(snapshots_dir)
            check_complete(folder)  # (a refresh may have pruned it while we waited)
            point_current(snapshots_dir, version)
    except FolderBusy as exc:
        raise RollbackError(str(exc)) from None
    return previous


def format_rows(rows: list[dict]) -> str:
    """The kept snapshots as aligned text lines (the command's output)."""
    head = ("", "snapshot", "created", "data as of", "calls", "rejected", "in an area", "areas",
            "zones", "note")
    lines = [head]
    for r in rows:
        share = f"{r['placed_share']:.1%}" if r["placed_share"] is not None else "-"
        zones = f"{r['zones'] or 0}" + (f" ({r['zones_missing']} missing)" if r["zones_missing"] else "")
        lines.append(("*" if r["current"] else "", r["version"], r["created_at"], r["data_as_of"],
                      f"{r['calls_accepted'] or 0:,}", f"{r['calls_rejected'] or 0:,}", share,
                      str(r["areas"] or 0), zones, "held back" if r["held_back"] else ""))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)


def main(argv: list[str] | None = None) -> int:
    """``snapshots list`` / ``snapshots rollback VERSION``."""
    parser = argparse.ArgumentParser(prog="python -m response_atlas snapshots",
                                     description="List the kept snapshots or switch to one.")
    parser.add_argument("--data", help="data folder (default: ATLAS_DATA_DIR or ./data)")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="the kept snapshots with their figures (* = in use)")
    back = sub.add_parser("rollback", help="switch CURRENT to a kept snapshot")
    back.add_argument("version")
    back.add_argument("--wait", type=float, default=30.0, help="seconds to wait for a running refresh")
    args = parser.parse_args(argv)
    snapshots_dir = load_settings(args.data).snapshots_dir
    if args.action == "list":
        rows = kept_snapshots(snapshots_dir)
        print(format_rows(rows) if rows else f"no snapshots in {snapshots_dir}")
        return 0
    try:
        previous = switch_to(snapshots_dir, args.version, args.wait)
    except RollbackError as exc:
        print(f"rollback FAILED: {exc}")
        return 1
    print(f"rollback OK: CURRENT now names {args.version} (was {previous or 'none'}); the next "
          "refresh builds from the data folder as usual")
    return 0
