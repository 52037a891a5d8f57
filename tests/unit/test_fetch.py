"""Refresh from the publisher against a local Socrata-like server on 127.0.0.1.

The server serves ``shared/data`` and emulates the SODA API for CSV files: ``$select=count(*)``,
a ``$where`` date window on ``create_time_incident``, ``$order`` and ``$limit``/``$offset`` paging;
``.json`` paths serve the same rows as JSON records. The first path segment picks a behaviour:
``ok``, ``fail`` (HTTP 500), ``flaky`` (500 once per URL, then fine), ``truncate`` (pages after the
first stop halfway through their ``Content-Length``), ``short`` (the second page holds half its
rows), ``html`` (an HTML error page with status 200) and ``revised`` (the publisher corrected the
disposition of the first five calls by order).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import threading
import urllib.parse
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from response_atlas.ingest.fetch import (
    SocrataPaging,
    SourcesError,
    load_sources,
    page_url,
    run_fetch,
    soql_window,
)
from response_atlas.ingest.refresh import main as refresh_main
from response_atlas.snapshot import current_snapshot_dir, open_snapshot

POLICE = "real/calls/cincinnati_pdi_police_cfs_gexm-h6bt_ARR-CIT-301_subset.csv"
EMS = "real/calls/cincinnati_cfd_ems_incidents_vnsz-a3wp_60d_sample.csv"
SNA = "real/boundaries/cincinnati_sna_neighborhoods_cagis2022.geojson"
FACTS = "derived/cincinnati_sna_neighborhood_facts.csv"
WINDOW = re.compile(r"(\w+) >= '([^']+)' AND \1 < '([^']+)'")


class Publisher(BaseHTTPRequestHandler):
    """A tiny Socrata stand-in; ``root``, ``requests`` and ``seen`` are set per server."""

    root: Path
    requests: list[str]
    seen: set[str]
    cache: dict[Path, tuple[list[str], list[dict]]]

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):  # noqa: N802 - the http.server hook name
        self.requests.append(self.path)
        parts = urllib.parse.urlsplit(self.path)
        mode, _, rel = parts.path.lstrip("/").partition("/")
        params = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
        if mode == "fail" or (mode == "flaky" and self.path not in self.seen):
            self.seen.add(self.path)
            return self._send(500, b"internal error", "text/plain")
        if mode == "html":
            return self._send(200, b"<html><body>Service unavailable</body></html>\n", "text/html")
        as_json = rel.endswith(".json")
        file = self.root / (rel[:-5] + ".csv" if as_json else rel)
        if not file.is_file():
            return self._send(404, b"not found", "text/plain")
        if not params:
            return self._send(200, file.read_bytes(), "application/octet-stream")
        header, rows = self._rows(file)
        where = WINDOW.search(params.get("$where", ""))
        if where:
            column, low, high = where.groups()
            rows = [r for r in rows if low <= r[column] < high]  # ISO text sorts as time
        if params.get("$select", "").startswith("count(*)"):
            return self._table(["n"], [{"n": str(len(rows))}], as_json)
        if mode == "revised":
            rows = [dict(r) for r in rows]
            for r in rows[:5]:
                r["disposition_text"] = "REVISED: REPORT TAKEN"
        order = params.get("$order", ":id")
        if order != ":id":
            rows = sorted(rows, key=lambda r: r[order])
        offset, limit = int(params.get("$offset", 0)), int(params.get("$limit", 1000))
        page = rows[offset: offset + limit]
        if mode == "short" and offset > 0:
            page = page[: len(page) // 2]
        return self._table(header, page, as_json, truncate=mode == "truncate" and offset > 0)

    def _rows(self, file: Path):
        if file not in self.cache:
            with open(file, encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                self.cache[file] = (list(reader.fieldnames or []), list(reader))
        return self.cache[file]

    def _table(self, header, rows, as_json, truncate=False):
        if as_json:  # Socrata leaves out empty fields
            body = json.dumps([{k: v for k, v in r.items() if v} for r in rows]).encode()
            return self._send(200, body, "application/json", truncate)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=header, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return self._send(200, out.getvalue().encode(), "text/csv", truncate)

    def _send(self, status, body, content_type, truncate=False):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if truncate else body)


@pytest.fixture(scope="module")
def publisher(shared_data_dir):
    handler = type("Handler", (Publisher,), {"root": shared_data_dir, "requests": [], "seen": set(),
                                             "cache": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def shared_data_dir():
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} not present")
    return SHARED_DATA


def _sources(tmp_path: Path, base: str, *, police_mode="ok", police_page=1000, police_format="csv",
             since="2026-04-15", ems=True, retries=1, check_count=True, name="sources.yaml") -> Path:
    ext = ".json" if police_format == "json" else ".csv"
    police_url = f"{base}/{police_mode}/{POLICE[:-4]}{ext}"
    entries = [
        {"name": "police", "kind": "calls", "preset": "cincinnati", "url": police_url, "file": "calls.csv",
         "format": police_format,
         "socrata": {"page_size": police_page, "since": since, "until": "2026-05-19",
                     "check_count": check_count}},
        {"name": "areas", "kind": "areas", "preset": "cagis_sna", "url": f"{base}/ok/{SNA}",
         "file": "areas.geojson", "format": "geojson"},
        {"name": "facts", "kind": "area_facts", "url": f"{base}/ok/{FACTS}", "file": "area_facts.csv"},
    ]
    if ems:
        entries.insert(1, {"name": "ems", "kind": "calls", "preset": "cincinnati_ems",
                           "url": f"{base}/ok/{EMS}", "file": "calls_ems.csv",
                           "socrata": {"page_size": 4000, "order": "create_time_incident"}})
    path = tmp_path / name
    path.write_text(json.dumps({"timeout_s": 10, "retries": retries, "backoff_s": 0, "sources": entries}))
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows_in(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, publisher):
    """A data folder after one successful fetch of police (paged by 1,000), EMS, areas and facts."""
    base, handler = publisher
    data = tmp_path_factory.mktemp("fetched")
    start = len(handler.requests)
    result = run_fetch(data, _sources(tmp_path_factory.mktemp("cfg"), base), progress=False)
    return data, result, handler.requests[start:]


# --- pure pieces -----------------------------------------------------------------------------
def test_window_and_page_url_are_soql():
    paging = SocrataPaging(days=30)
    assert soql_window(paging, today=date(2026, 5, 18)) == (
        "create_time_incident >= '2026-04-18T00:00:00' AND create_time_incident < '2026-05-19T00:00:00'")
    fixed = SocrataPaging(since=date(2026, 4, 15), where="agency = 'CPD'")
    assert soql_window(fixed) == "create_time_incident >= '2026-04-15T00:00:00' AND (agency = 'CPD')"
    assert SocrataPaging().order == ":id" and soql_window(SocrataPaging()) is None
    url = page_url("https://x.org/resource/gexm-h6bt.csv", {"$limit": "10", "$offset": "20", "$order": ":id"})
    assert url == "https://x.org/resource/gexm-h6bt.csv?$limit=10&$offset=20&$order=:id"


def test_sources_file_problems_are_listed_together(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("sources:\n"
                    "  - {name: a, kind: calls, url: http://x, file: police.csv}\n"
                    "  - {name: b, kind: weather, url: http://x, file: w.csv}\n"
                    "  - {name: c, kind: areas, url: http://x, file: ../areas.geojson}\n")
    with pytest.raises(SourcesError) as err:
        load_sources(path)
    text = str(err.value)
    assert len(err.value.problems) == 3
    assert "calls*.csv" in text and "weather" not in text.split("kind")[0] and "plain file name" in text


def test_example_sources_file_is_valid():
    from response_atlas.ingest.fetch import EXAMPLE_SOURCES

    config = load_sources(EXAMPLE_SOURCES)
    urls = {s.name: s.url for s in config.sources}
    assert urls["police_calls"].endswith("/resource/gexm-h6bt.csv")
    assert urls["fire_ems_incidents"].endswith("/resource/vnsz-a3wp.csv")
    assert all(s.socrata.date_field == "create_time_incident" for s in config.sources)


# --- against the local publisher -------------------------------------------------------------
def test_paged_fetch_builds_the_snapshot_and_moves_files_in(baseline, shared_data_dir):
    data, result, requests = baseline
    assert result.ok, result.errors
    by_name = {d.name: d for d in result.downloads}
    assert by_name["police"].rows == 3771 and by_name["police"].pages == 4  # 1,000 x 3 + 771
    assert by_name["ems"].rows == 10749 and by_name["ems"].pages == 3  # 4,000 x 2 + 2,749
    assert by_name["areas"].rows == 50
    police_pages = [r for r in requests if "gexm" in r and "count" not in r]
    offsets = [urllib.parse.parse_qs(urllib.parse.urlsplit(r).query)["$offset"][0] for r in police_pages]
    assert offsets == ["0", "1000", "2000", "3000"]
    assert all("$order=:id" in r and "create_time_incident" in urllib.parse.unquote(r) for r in police_pages)
    assert _rows_in(data / "calls.csv") == 3771 and _rows_in(data / "calls_ems.csv") == 10749
    assert not (data / "incoming").exists()
    snap = open_snapshot(current_snapshot_dir(data / "snapshots"))
    assert snap.manifest["counts"]["calls"]["read"] == 3771 + 10749
    accepted = snap.manifest["counts"]["calls"]["accepted"]
    assert result.changes.previous_version is None and result.changes.added == accepted
    assert len(snap.areas) == 50 and snap.areas["population"].notna().all()
    overdoses = snap.query("SELECT count(*) FROM calls WHERE agency = 'CFD' AND category = 'substance_use'")
    assert overdoses.iloc[0, 0] >= 200  # the EMS overdose codes feed the QRT views


def test_second_fetch_reports_added_updated_removed(baseline, publisher, tmp_path, capsys):
    base, _ = publisher
    data = tmp_path / "data"
    shutil.copytree(baseline[0], data)
    old = open_snapshot(current_snapshot_dir(data / "snapshots"))
    in_window = old.query("SELECT count(*) FROM calls WHERE agency = 'CPD' "
                          "AND received_at >= TIMESTAMP '2026-05-01'").iloc[0, 0]
    total = old.manifest["counts"]["calls"]["accepted"]
    # The publisher revised five calls; this time the police window starts on May 1 (JSON form).
    sources = _sources(tmp_path, base, police_mode="revised", police_format="json", since="2026-05-01")
    code = refresh_main(["--data", str(data), "--fetch", "--sources", str(sources), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    new = open_snapshot(current_snapshot_dir(data / "snapshots"))
    assert new.version != old.version
    revised = new.query("SELECT count(*) FROM calls WHERE disposition LIKE 'REVISED%'").iloc[0, 0]
    assert revised == 5
    removed = total - new.manifest["counts"]["calls"]["accepted"]
    assert f"added 0, updated 5, unchanged {in_window + 10749 - 5 - _ems_rejects(new):,}" in out
    assert f"removed {removed:,}" in out and removed > 0
    report = json.loads(sorted((data / "reports").glob("fetch-*.json"))[-1].read_text())
    assert report["changes"]["updated"] == 5 and report["ok"] is True


def _ems_rejects(snap) -> int:
    return int(snap.query("SELECT count(*) FROM rejects WHERE source_file = 'calls_ems.csv'").iloc[0, 0])


@pytest.mark.parametrize(
    ("mode", "count", "message", "attempts"),
    [
        ("fail", True, "HTTP 500", 2),  # retries: 1 -> two attempts on the first URL, then give up
        ("truncate", True, "truncated download", 2),
        ("short", True, "partial download: 1,500 of 3,771 rows", 0),  # page 2 held 500 of 1,000
        ("html", True, "count query did not return a number", 0),
        ("html", False, "missing required column(s) for preset 'cincinnati'", 0),
    ],
)
def test_failed_or_partial_download_keeps_the_last_good_snapshot(baseline, publisher, tmp_path, mode, count,
                                                                 message, attempts):
    base, handler = publisher
    data = tmp_path / "data"
    shutil.copytree(baseline[0], data)
    before = current_snapshot_dir(data / "snapshots")
    digests = {p.name: _digest(p) for p in data.glob("*.*")}
    start = len(handler.requests)
    result = run_fetch(data, _sources(tmp_path, base, police_mode=mode, retries=1, check_count=count),
                       progress=False)
    assert not result.ok
    assert any(message in e for e in result.errors), result.errors
    assert current_snapshot_dir(data / "snapshots") == before
    assert {p.name: _digest(p) for p in data.glob("*.*")} == digests
    assert not (data / "incoming").exists()
    if attempts:
        failing = [r for r in handler.requests[start:] if r.startswith(f"/{mode}/")]
        first = failing[0] if mode == "fail" else next(r for r in failing if "$offset=1000" in r)
        assert failing.count(first) == attempts


def test_invalid_json_page_is_refused(baseline, publisher, tmp_path):
    base, _ = publisher
    data = tmp_path / "data"
    shutil.copytree(baseline[0], data)
    before = current_snapshot_dir(data / "snapshots")
    result = run_fetch(data, _sources(tmp_path, base, police_mode="truncate", police_format="json",
                                      retries=0), progress=False)
    assert not result.ok and any("truncated download" in e for e in result.errors)
    assert current_snapshot_dir(data / "snapshots") == before


def test_transient_error_is_retried(publisher, tmp_path):
    base, _ = publisher
    data = tmp_path / "data"
    result = run_fetch(data, _sources(tmp_path, base, police_mode="flaky", ems=False, retries=2),
                       progress=False)
    assert result.ok, result.errors
    police = next(d for d in result.downloads if d.name == "police")
    assert police.rows == 3771 and police.attempts == 2 * 5  # count + 4 pages, each failed once
