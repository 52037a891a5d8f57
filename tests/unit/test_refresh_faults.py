"""Issue 21, point 11 under real faults: refreshes killed with SIGKILL at random moments, and two
refreshes of one folder at once. Separate processes forked from a warmed-up zygote
(``tests/refresh_zygote.py``), so each costs a fork."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from response_atlas.ingest.snapshot_writer import STAGING_PREFIX
from response_atlas.snapshot import current_snapshot_dir, open_snapshot
from tests.unit.test_ingest_refresh import HEADER, make_data_dir

ROOT = Path(__file__).resolve().parents[2]


class Zygote:
    """The zygote process and its line protocol."""

    def __init__(self):
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "refresh_zygote.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env, cwd=ROOT)
        assert self.ask("") == "ready"

    def ask(self, line: str) -> str:
        if line:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def fork(self, data: Path, keep: int = 3) -> int:
        return int(self.ask(f"fork {keep} {data}"))

    def wait(self, pid: int) -> int:
        return int(self.ask(f"wait {pid}"))

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def zygote():
    z = Zygote()
    yield z
    z.close()


def _rows(n: int, tag: str) -> list[str]:
    return [f"{tag}{i},2025-03-01 10:{i % 60:02d}:00,THEFTR,1,,,39.11,{-84.545 + (i % 40) * 0.001:.3f}\n"
            for i in range(n)]


def assert_current_is_complete(data: Path) -> object:
    """CURRENT names a snapshot whose every table is readable and whose calls match its manifest."""
    snap = open_snapshot(current_snapshot_dir(data / "snapshots"))
    assert snap.manifest["version"] == snap.version
    calls = int(snap.query("SELECT count(*) FROM calls").iloc[0, 0])
    assert calls == snap.manifest["counts"]["calls"]["accepted"]
    assert len(snap.areas) == snap.manifest["counts"]["areas"]["accepted"]
    for table in ("rejects.parquet", "areas.parquet"):
        pq.read_metadata(snap.path / table)
    return snap


def test_refresh_killed_at_random_moments_never_breaks_current(zygote, tmp_path):
    data = make_data_dir(tmp_path / "d", _rows(1000, "K"))
    started = time.monotonic()
    assert zygote.wait(zygote.fork(data)) == 0
    duration = time.monotonic() - started  # one whole refresh, forked and waited for
    rng = random.Random(21)
    leftovers = 0
    for _ in range(20):
        pid = zygote.fork(data)
        time.sleep(rng.uniform(0, duration))
        os.kill(pid, signal.SIGKILL)
        zygote.wait(pid)  # (-9, or 0 when it finished first)
        assert_current_is_complete(data)
        leftovers += any((data / "snapshots").glob(f"{STAGING_PREFIX}*"))
    assert leftovers, "no kill landed while a snapshot was being written"
    assert zygote.wait(zygote.fork(data)) == 0
    snapshots = data / "snapshots"
    assert not list(snapshots.glob(f"{STAGING_PREFIX}*")) and not list(snapshots.glob(".CURRENT.*"))
    assert assert_current_is_complete(data).manifest["counts"]["calls"]["accepted"] == 1000


def test_two_refreshes_at_once_leave_one_runs_complete_output(zygote, tmp_path):
    data = make_data_dir(tmp_path / "d")
    snapshots = data / "snapshots"
    for i in range(20):
        (data / "calls.csv").write_text(HEADER + "".join(_rows(5 + i, f"R{i}-")))
        before = {p.name for p in snapshots.glob("2*")}
        pids = [zygote.fork(data, keep=100), zygote.fork(data, keep=100)]
        assert [zygote.wait(p) for p in pids] == [0, 0]  # the second waited for the first
        made = sorted({p.name for p in snapshots.glob("2*")} - before)
        assert len(made) == 2
        snap = assert_current_is_complete(data)
        assert snap.version == made[-1]  # the run that finished last, complete
        assert snap.manifest["counts"]["calls"]["accepted"] == 5 + i
        ids = snap.query("SELECT DISTINCT split_part(call_id, '-', 1) AS run FROM calls")["run"]
        assert ids.tolist() == [f"R{i}"]
        assert not list(snapshots.glob(f"{STAGING_PREFIX}*")) and not list(snapshots.glob(".CURRENT.*"))
