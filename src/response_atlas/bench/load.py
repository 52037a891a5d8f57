"""Load benchmark: N simultaneous browser sessions through the public pages of a real server.

``python -m response_atlas.bench load --sessions 20 [--calls 300000] [--data DIR]``

``python -m response_atlas.bench load --proxy --sessions 20 50 --duration 150 [--data DIR]``:
the deployment of deploy/ (two public app processes behind Debian's nginx, see
``bench/proxy.py``); for each session count in turn, that many sessions move the sidebar filters
on the public pages until ``--duration`` seconds have passed. The figure is the time from a
filter change to a finished page: an observer in the page notes when Streamlit's run state goes
``running`` and back to ``notRunning``, and the page counts as finished once no element is
marked stale. Errors are timeouts, exception boxes and uncaught page errors. Memory: every app
process's RSS is sampled; its peak in each phase is reported.

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
from response_atlas.bench import proxy
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


# --- filter moves through the proxy (--proxy --duration) --------------------------------------

SIDEBAR = '[data-testid="stSidebar"]'
AREAS = f'{SIDEBAR} [data-testid="stMultiSelect"] >> nth=0'
AREAS_INPUT = f'{SIDEBAR} [data-testid="stMultiSelect"] input'
REMOVE_TAG = 'button[aria-label^="Remove "]'  # each chosen value's own remove button
OPTION = '[role="option"]'
# Notes the moment a run that started after __atlasMark() has finished, in the page's own clock.
RUN_OBSERVER = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  if (window.__atlasObserved === app) return;
  window.__atlasObserved = app;
  window.__atlasMark = () => { window.__atlasRan = false; window.__atlasDone = null;
                               window.__atlasT0 = performance.now(); };
  window.__atlasMark();
  const check = () => {
    if (window.__atlasRan && window.__atlasDone === null
        && app.getAttribute('data-test-script-state') === 'notRunning')
      window.__atlasDone = performance.now();
  };
  new MutationObserver((records) => {
    // a short run can start and end between two callbacks: the records keep the old values
    for (const r of records) if (r.oldValue === 'running') window.__atlasRan = true;
    if (app.getAttribute('data-test-script-state') === 'running') window.__atlasRan = true;
    check();
  }).observe(app, {attributes: true, attributeOldValue: true,
                   attributeFilter: ['data-test-script-state']});
  // a run answered from the caches can finish before the page ever shows "running": the
  // page's content changing after the mark counts as the run too
  new MutationObserver(() => { window.__atlasRan = true; check(); })
    .observe(main, {childList: true, subtree: true, characterData: true});
}"""
FINISHED_MS = """() => window.__atlasDone !== null
  && !document.querySelector('[data-testid="stElementContainer"][data-stale="true"]')
  ? performance.now() - window.__atlasT0 : false"""


async def move_filter(page, add: bool, choice: int, timeout_ms: float) -> float:
    """Add an area to the Areas filter (or take the last one off); seconds until finished."""
    await page.evaluate(RUN_OBSERVER)
    await page.evaluate("() => window.__atlasMark()")
    if add:
        await page.locator(AREAS_INPUT).first.click(timeout=timeout_ms)
        options = page.locator(OPTION)
        await options.first.wait_for(timeout=timeout_ms)
        await options.nth(choice % await options.count()).click(timeout=timeout_ms)
        await page.keyboard.press("Escape")
    else:
        # the tag's own button: Backspace in the box was not always seen (a 180 s timeout in
        # every other session of the 22:01 run)
        await page.locator(AREAS).locator(REMOVE_TAG).last.click(timeout=timeout_ms)
    handle = await page.wait_for_function(FINISHED_MS, timeout=timeout_ms)
    return float(await handle.json_value()) / 1000


async def filter_session(browser, links, deadline: float, timeout_ms: float, session: int,
                         ) -> list[dict]:
    """One session until ``deadline``: open a page, add an area, take it off, next page."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    events: list[dict] = []
    try:
        page = await context.new_page()
        page_errors: list[str] = []
        page.on("pageerror", lambda exc: page_errors.append(str(exc)[:200]))
        step = 0
        while time.monotonic() < deadline:
            title, url = links[step % len(links)]
            step += 1
            start = time.perf_counter()
            try:
                await page.goto(url, timeout=timeout_ms)
                await wait_for_run(page, timeout_ms)
                events.append({"session": session, "page": title, "kind": "load",
                               "seconds": time.perf_counter() - start, "error": ""})
                for add in (True, False):
                    if time.monotonic() >= deadline:
                        break
                    seconds = await move_filter(page, add, session + step, timeout_ms)
                    boxes = await page.locator(ERROR_BOX).count()
                    events.append({"session": session, "page": title, "kind": "filter",
                                   "seconds": seconds,
                                   "error": f"{boxes} exception box(es)" if boxes else ""})
            except Exception as exc:  # a timeout or a crash is an error, counted in the report
                events.append({"session": session, "page": title, "kind": "error",
                               "seconds": time.perf_counter() - start,
                               "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
            while page_errors:
                events.append({"session": session, "page": title, "kind": "error",
                               "seconds": 0.0, "error": "page error: " + page_errors.pop()})
    finally:
        await context.close()
    return events


async def drive_filters(base_url: str, phases: list[int], duration_s: float, timeout_s: float,
                        on_phase) -> list[dict]:
    """For each session count in ``phases``: that many sessions moving filters for a while."""
    from playwright.async_api import async_playwright

    timeout_ms = timeout_s * 1000
    results = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            links = await public_links(browser, base_url, timeout_ms)
            for sessions in phases:
                on_phase(sessions)
                start = time.perf_counter()
                deadline = time.monotonic() + duration_s
                walks = await asyncio.wait_for(
                    asyncio.gather(*(filter_session(browser, links, deadline, timeout_ms, i)
                                     for i in range(sessions))),
                    timeout=duration_s + 3 * timeout_s)
                results.append({"sessions": sessions, "wall_s": time.perf_counter() - start,
                                "events": [e for walk in walks for e in walk],
                                "loadavg": os.getloadavg()})
        finally:
            await browser.close()
    return results


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank); 0 for none."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def summarize_filters(label: str, phases: list[dict], memory: list[dict[str, float]],
                      tracebacks: int) -> str:
    """One table row per phase, then the errors seen."""
    lines = [
        "| data | sessions | filter changes | change to finished page, median / p95 (s) "
        "| page loads, median (s) | errors | peak RSS per app process (MB) "
        "| load average (1 min) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for phase, peaks in zip(phases, memory, strict=True):
        events = phase["events"]
        changes = [e["seconds"] for e in events if e["kind"] == "filter" and not e["error"]]
        loads = [e["seconds"] for e in events if e["kind"] == "load"]
        errors = [e for e in events if e["error"]]
        rss = ", ".join(f"{mb:.0f}" for mb in peaks.values())
        lines.append(
            f"| {label} | {phase['sessions']} | {len(changes)} | "
            f"{statistics.median(changes) if changes else 0:.2f} / "
            f"{percentile(changes, 0.95):.2f} | "
            f"{statistics.median(loads) if loads else 0:.2f} | {len(errors)} | {rss} | "
            f"{phase['loadavg'][0]:.1f} |")
    lines.append("")
    lines.append(f"Tracebacks in the app logs: {tracebacks}.")
    for phase in phases:
        for e in [e for e in phase["events"] if e["error"]][:5]:
            lines.append(f"- {phase['sessions']} sessions, session {e['session']} "
                         f"{e['page']}: {e['error']}")
    return "\n".join(lines) + "\n"


def run_proxied(args, data_dir: Path, work: Path) -> tuple[str, dict]:
    """The filter-moving phases through nginx; returns the markdown and the raw figures."""
    nginx = proxy.install_nginx()
    if not nginx:
        raise SystemExit("nginx is not installed (apt-get install nginx)")
    with proxy.run_deployment(data_dir, work, nginx, public=args.processes, staff=0) as running:
        samplers: list[MemorySampler] = []
        memory_samplers: list[list[MemorySampler]] = []  # one group per phase

        def on_phase(_sessions: int) -> None:
            for sampler in samplers:
                sampler.stop()
            samplers.clear()
            samplers.extend(MemorySampler(s.process.pid) for s in running.public)
            memory_samplers.append(list(samplers))
            for sampler in samplers:
                sampler.start()

        try:
            phases = asyncio.run(drive_filters(running.public_url, args.sessions, args.duration,
                                               args.page_timeout, on_phase))
        finally:
            for sampler in samplers:
                sampler.stop()
        memory = [{f"app {i + 1}": max((mb for _, mb in sampler.samples), default=0.0)
                   for i, sampler in enumerate(group)} for group in memory_samplers]
        hwm = [proc_memory_mb(s.process.pid)[1] for s in running.public]
        tracebacks = sum(s.log.read_text(errors="replace").count("Traceback (most recent")
                         for s in running.public)
    label = str(args.data) if args.data else f"demo {args.calls:,}"
    text = summarize_filters(label, phases, memory, tracebacks)
    text += f"Peak RSS over the whole run (VmHWM) per app process: " \
            f"{', '.join(f'{mb:.0f}' for mb in hwm)} MB.\n"
    return text, {"phases": phases, "memory": memory, "vmhwm": hwm}


def main(argv: list[str] | None = None) -> int:
    """Run the load benchmark; print and save the figures."""
    parser = argparse.ArgumentParser(prog="python -m response_atlas.bench load")
    parser.add_argument("--sessions", type=int, nargs="+", default=[20],
                        help="session counts; with --proxy each is a phase, in turn")
    parser.add_argument("--proxy", action="store_true",
                        help="through nginx (deploy/), sessions moving filters for --duration")
    parser.add_argument("--processes", type=int, default=2, help="public app processes")
    parser.add_argument("--duration", type=float, default=150,
                        help="seconds of filter moves per phase (--proxy)")
    parser.add_argument("--calls", type=int, default=300_000, help="demo size when no --data")
    parser.add_argument("--data", type=Path, help="an existing data folder with a snapshot")
    parser.add_argument("--page-timeout", type=float, default=180, help="seconds per page load")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if not all(1 <= n <= MAX_SESSIONS for n in args.sessions):
        parser.error(f"--sessions must be between 1 and {MAX_SESSIONS}")
    if not args.proxy and len(args.sessions) > 1:
        parser.error("several --sessions values need --proxy")
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be between 1 and 600 seconds")
    if not Path(CHROMIUM).exists():
        print(f"chromium not found at {CHROMIUM} (set ATLAS_CHROMIUM)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="atlas-load-", dir="/tmp"))
    try:
        data_dir = args.data.resolve() if args.data else prepare_data(args.calls, work)
        if args.proxy:
            text, raw = run_proxied(args, data_dir, work)
            return save_report(args, text, raw)
        with run_app_server(data_dir, work / "streamlit.log") as server:
            proc, log = server.process, server.log
            idle, _ = proc_memory_mb(proc.pid)
            cpu0 = proc_cpu_seconds(proc.pid)
            sampler = MemorySampler(proc.pid)
            sampler.start()
            try:
                run = asyncio.run(drive(server.base_url, args.sessions[0], args.page_timeout))
            finally:
                sampler.stop()
            end, peak = proc_memory_mb(proc.pid)
            cpu_s = proc_cpu_seconds(proc.pid) - cpu0
        cold_end = run["cold_s"]
        warm = max((mb for t, mb in sampler.samples if t <= cold_end), default=idle)
        rss = {"idle": idle, "warm": warm, "peak": peak, "end": end}
        text = summarize(run, args.sessions[0], rss, cpu_s, log.read_text(errors="replace"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return save_report(args, text, {"rss": rss, "server_cpu_s": cpu_s, **run})


def save_report(args, text: str, raw: dict) -> int:
    """Print the figures and save them (markdown and JSON) under ``args.out``."""
    via = f"; through nginx, {args.processes} app processes" if args.proxy else ""
    header = (f"Load: data {'from ' + str(args.data) if args.data else f'demo {args.calls:,} calls'}"
              f"{via}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
              f"{datetime.now():%Y-%m-%d %H:%M}\n\n")
    print(header + text)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = f"{datetime.now():%Y%m%dT%H%M%S}"
    (args.out / f"load-{stamp}.md").write_text(header + text, encoding="utf-8")
    (args.out / f"load-{stamp}.json").write_text(json.dumps(raw, indent=1, default=str),
                                                 encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
