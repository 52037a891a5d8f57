"""A reader opening the current snapshot while refreshes run never sees a mix of versions."""

from __future__ import annotations

import threading

from response_atlas.ingest.refresh import run_refresh
from response_atlas.snapshot import SnapshotMissing, current_snapshot_dir, open_snapshot
from tests.unit.test_ingest_refresh import HEADER, make_data_dir


def test_reader_never_sees_a_mix(tmp_path):
    data = make_data_dir(tmp_path / "d")
    assert run_refresh(data, progress=False, keep=2).ok
    seen, problems, stop = [], [], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                snap = open_snapshot(current_snapshot_dir(data / "snapshots"))
                n = int(snap.query("SELECT count(*) FROM calls").iloc[0, 0])
                declared = snap.manifest["counts"]["calls"]["accepted"]
                if n != declared:
                    problems.append((snap.version, n, declared))
                seen.append(n)
            except (SnapshotMissing, FileNotFoundError) as exc:
                # A pruned old snapshot may vanish after CURRENT moved on; never a half-written one.
                if "No snapshot yet" in str(exc):
                    problems.append(str(exc))
            except Exception as exc:  # duckdb IOException when a pruned folder disappears mid-read
                if "No files found" not in str(exc) and "No such file" not in str(exc):
                    problems.append(repr(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(4):
            rows = [f"R{j},2025-03-01 10:00:00,THEFTR,1,,,39.11,-84.54\n" for j in range(i + 2)]
            (data / "calls.csv").write_text(HEADER + "".join(rows))
            assert run_refresh(data, progress=False, keep=2).ok
    finally:
        stop.set()
        thread.join()
    assert not problems
    assert seen and set(seen) <= {2, 3, 4, 5}

