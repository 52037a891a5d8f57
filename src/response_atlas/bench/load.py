"""Load benchmark: N simultaneous browser sessions through the public pages of a real server.

``python -m response_atlas.bench load --sessions 20 [--calls 300000] [--data DIR]``

Writes demo data (or uses ``--data``, which must hold a snapshot), starts ``streamlit run app.py``
on a free port on 127.0.0.1, and drives N Playwright contexts in one headless Debian chromium
(``/usr/bin/chromium``). Each session opens every page the public navigation lists (the sidebar's
links, so no page path is hard-coded), waits for Streamlit's own signal that the script run
finished (``data-test-script-state="notRunning"`` on the app root, after the page title), and
counts exception boxes (``stException``). One session walks the pages first, alone, to warm the
caches (the cold figures). The server's memory is sampled from ``/proc`` (its peak is the kernel's
``VmHWM``), and its log is scanned for tracebacks. Bounded: at most 50 sessions, one overall
deadline, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from response_atlas.appserver import run_app_server
from response_atlas.config import PROJECT_ROOT

CHROMIUM = os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
APP_ROOT = '[data-testid="stApp"]'
RUN_DONE = f'{APP_ROOT}[data-test-script-state="notRunning"]'
MAIN_TITLE = '[data-testid="stMain"] h1'
NAV_LINK = '[data-testid="stSidebarNavLink"]'
ERROR_BOX = '[data-testid="stException"]'
MAX_SESSIONS = 50
RESULTS_DIR = PROJECT_ROOT / "bench-results"
TARGET_RSS_MB = 1536


def proc_memory_mb(pid: int) -> tuple[float, float]:
    """``(current RSS, peak RSS)`` of a process in MB, from ``/proc/<pid>/status``."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024  # kB
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class MemorySampler(threading.Thread):
    """Samples a process's RSS in the background until stopped."""

    def __init__(self, pid: int, every_s: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.every_s = pid, every_s
        self.samples: list[tuple[float, float]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        while not self._halt.is_set():
            try:
                self.samples.append((time.monotonic() - start, proc_memory_mb(self.pid)[0]))
            except OSError:
                return
            self._halt.wait(self.every_s)  # a sampling interval, not a wait for a result

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def prepare_data(calls: int, work: Path) -> Path:
    """Demo extracts plus a refresh, in ``work/data``."""
    data_dir = work / "data"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    for cmd in (["demo", "--calls", str(calls), "--data", str(data_dir)],
                ["refresh", "--data", str(data_dir)]):
        subprocess.run([sys.executable, "-m", "response_atlas", *cmd], check=True,
                       capture_output=True, env=env, cwd=PROJECT_ROOT)
    return data_dir


async def wait_for_run(page, timeout_ms: float) -> None:
    """A finished script run that has drawn the page title (Streamlit's own signals)."""
    await page.wait_for_selector(RUN_DONE, state="attached", timeout=timeout_ms)
    await page.wait_for_selector(MAIN_TITLE, timeout=timeout_ms)
    await page.wait_for_selector(RUN_DONE, state="attached", timeout=timeout_ms)


async def public_links(browser, base_url: str, timeout_ms: float) -> list[tuple[str, str]]:
    """``(title, url)`` of every page in a public session's navigation."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = await context.new_page()
        await page.goto(base_url, timeout=timeout_ms)
        await wait_for_run(page, timeout_ms)
        links = []
        for link in await page.locator(NAV_LINK).all():
            href = await link.get_attribute("href")
            text = (await link.inner_text()).strip()
            links.append((text.splitlines()[-1].strip(), href))  # the icon's ligature comes first
        return links
    finally:
        await context.close()


async def walk_pages(browser, links, timeout_ms: float, session: int) -> list[dict]:
    """One session: open each page, wait for the run to finish, count exception boxes."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    visits = []
    try:
        page = await context.new_page()
        for title, url in links:
            start = time.perf_counter()
            error = ""
            try:
                await page.goto(url, timeout=timeout_ms)
                await wait_for_run(page, timeout_ms)
                boxes = await page.locator(ERROR_BOX).count()
            except Exception as exc:  # a timeout or a crash is a failed visit, counted below
                boxes, error = 0, f"{type(exc).__name__}: {str(exc)[:200]}"
            visits.append({"session": session, "page": title, "seconds": time.perf_counter() - start,
                           "exceptions": boxes, "error": error})
    finally:
        await context.close()
    return visits


async def drive(base_url: str, sessions: int, timeout_s: float) -> dict:
    """The cold walk, then ``sessions`` simultaneous walks; returns every visit."""
    from playwright.async_api import async_playwright

    timeout_ms = timeout_s * 1000
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            links = await public_links(browser, base_url, timeout_ms)
            cold_start = time.perf_counter()
            cold = await walk_pages(browser, links, timeout_ms, session=0)
            cold_s = time.perf_counter() - cold_start
            start = time.perf_counter()
            walks = await asyncio.wait_for(
                asyncio.gather(*(walk_pages(browser, links, timeout_ms, session=i + 1)
                                 for i in range(sessions))),
                timeout=timeout_s * (len(links) + 1))
            wall = time.perf_counter() - start
        finally:
            await browser.close()
    return {"links": links, "cold": cold, "cold_s": cold_s,
            "visits": [v for walk in walks for v in walk], "wall_s": wall}


def summarize(run: dict, sessions: int, rss: dict, cpu_s: float, log_text: str) -> str:
    """The figures as markdown."""
    visits = run["visits"]
    times = sorted(v["seconds"] for v in visits)
    failed = [v for v in visits if v["error"]]
    boxes = sum(v["exceptions"] for v in visits) + sum(v["exceptions"] for v in run["cold"])
    tracebacks = log_text.count("Traceback (most recent call last)")

    def pct(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))] if times else 0.0

    lines = [
        f"{sessions} simultaneous public sessions x {len(run['links'])} pages "
        f"({', '.join(t for t, _ in run['links'])}): {len(visits)} page loads in "
        f"{run['wall_s']:.1f} s; server CPU {cpu_s:.1f} s during the whole run.",
        "",
        "| figure | value |",
        "| --- | ---: |",
        f"| page load, one session alone (cold caches), total | {run['cold_s']:.1f} s |",
        f"| page load under load: median / p95 / max | {statistics.median(times):.1f} / "
        f"{pct(0.95):.1f} / {times[-1]:.1f} s |" if times else "| page loads | none |",
        f"| failed loads (timeouts, crashes) | {len(failed)} |",
        f"| exception boxes (stException) | {boxes} |",
        f"| tracebacks in the server log | {tracebacks} |",
        f"| server RSS idle after start | {rss['idle']:.0f} MB |",
        f"| server RSS after the cold walk | {rss['warm']:.0f} MB |",
        f"| server peak RSS (VmHWM) | {rss['peak']:.0f} MB |",
        f"| server RSS at the end | {rss['end']:.0f} MB |",
    ]
    per_page: dict[str, list[float]] = {}
    for v in visits:
        per_page.setdefault(v["page"], []).append(v["seconds"])
    lines += ["", "| page | median s under load | max s |", "| --- | ---: | ---: |"]
    for title, values in per_page.items():
        lines.append(f"| {title} | {statistics.median(values):.1f} | {max(values):.1f} |")
    ok = not failed and boxes == 0 and tracebacks == 0 and rss["peak"] < TARGET_RSS_MB
    lines += ["", f"No errors and peak server memory < {TARGET_RSS_MB / 1024:.1f} GB: "
              + ("met" if ok else "NOT met")]
    for v in failed[:5]:
        lines.append(f"- session {v['session']} {v['page']}: {v['error']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the load benchmark; print and save the figures."""
    parser = argparse.ArgumentParser(prog="python -m response_atlas.bench load")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--calls", type=int, default=300_000, help="demo size when no --data")
    parser.add_argument("--data", type=Path, help="an existing data folder with a snapshot")
    parser.add_argument("--page-timeout", type=float, default=180, help="seconds per page load")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be between 1 and {MAX_SESSIONS}")
    if not Path(CHROMIUM).exists():
        print(f"chromium not found at {CHROMIUM} (set ATLAS_CHROMIUM)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="atlas-load-", dir="/tmp"))
    try:
        data_dir = args.data.resolve() if args.data else prepare_data(args.calls, work)
        with run_app_server(data_dir, work / "streamlit.log") as server:
            proc, log = server.process, server.log
            idle, _ = proc_memory_mb(proc.pid)
            cpu0 = proc_cpu_seconds(proc.pid)
            sampler = MemorySampler(proc.pid)
            sampler.start()
            try:
                run = asyncio.run(drive(server.base_url, args.sessions, args.page_timeout))
            finally:
                sampler.stop()
            end, peak = proc_memory_mb(proc.pid)
            cpu_s = proc_cpu_seconds(proc.pid) - cpu0
        cold_end = run["cold_s"]
        warm = max((mb for t, mb in sampler.samples if t <= cold_end), default=idle)
        rss = {"idle": idle, "warm": warm, "peak": peak, "end": end}
        text = summarize(run, args.sessions, rss, cpu_s, log.read_text(errors="replace"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    header = (f"Load: data {'from ' + str(args.data) if args.data else f'demo {args.calls:,} calls'}"
              f"; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
              f"{datetime.now():%Y-%m-%d %H:%M}\n\n")
    print(header + text)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = f"{datetime.now():%Y%m%dT%H%M%S}"
    (args.out / f"load-{stamp}.md").write_text(header + text, encoding="utf-8")
    (args.out / f"load-{stamp}.json").write_text(
        json.dumps({"rss": rss, "server_cpu_s": cpu_s, **run}, indent=1, default=str),
        encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
