"""Run ``streamlit run app.py`` on a free loopback port: for browser tests and the load benchmark.

One place for starting the server, waiting on its health endpoint (bounded, no fixed sleeps) and
stopping it, so tests and benchmarks drive the app exactly as a user's browser would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from response_atlas.config import PROJECT_ROOT

STARTUP_TIMEOUT_S = 120
# Staff test accounts are never inherited from the caller's environment; pass them explicitly.
_STAFF_ENV = ("ATLAS_TEST_STAFF_USER", "ATLAS_TEST_STAFF_PASSWORD_HASH")


@dataclass(frozen=True)
class AppServer:
    base_url: str
    process: subprocess.Popen
    log: Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base_url: str, proc: subprocess.Popen, log: Path,
                 timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    """Poll ``/_stcore/health`` until it answers ok; fail with the server log tail otherwise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200 and resp.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)  # poll interval, not a wait for a result
    raise RuntimeError(f"streamlit not healthy after {timeout_s:.0f} s:\n{log.read_text()[-4000:]}")


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate, then kill if it does not exit in time."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextmanager
def run_app_server(data_dir: Path, log: Path, extra_env: dict[str, str] | None = None,
                   ) -> Iterator[AppServer]:
    """Start the app on ``data_dir``; yield it once healthy; always stop it afterwards."""
    env = {k: v for k, v in os.environ.items() if k not in _STAFF_ENV}
    env.update({
        "ATLAS_DATA_DIR": str(data_dir),
        "PYTHONPATH": os.pathsep.join(
            [str(PROJECT_ROOT / "src"), str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]
        ),
        **(extra_env or {}),
    })
    port = free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        server = AppServer(f"http://127.0.0.1:{port}", proc, log)
        wait_healthy(server.base_url, proc, log)
        yield server
    finally:
        stop_process(proc)
