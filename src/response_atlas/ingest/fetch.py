"""Refresh from the publisher: download extracts listed in a sources YAML, then build a snapshot.

``python -m response_atlas refresh --fetch [--sources FILE] [--data DIR]``

Each source names a URL, the extract kind it feeds and the file it becomes in the data folder.
Socrata sources (the Cincinnati open-data portal) are paged: ``$limit``/``$offset`` ordered by
``$order`` (a unique column, ``:id`` by default, so pages never overlap), optionally filtered by a
``$where`` date window on ``create_time_incident``. A ``$select=count(*)`` query first tells how many
rows the window holds, so a page that ends early mid-stream is caught.

Everything lands in a staging folder first. Only when every download is complete and valid (no
HTTP error after the retries, body length equal to ``Content-Length``, CSV rows with the header's
width, parseable JSON, the preset's required columns present, row count equal to the announced
count) does the refresh run on the staged files; only when the refresh succeeds are the staged
files moved into the data folder. Any failure leaves the data folder and the current snapshot as
they were. The change report compares the new snapshot with the previous one by call id: rows
added, updated (same id, different values), removed (no longer in the window) and rejected.
"""

from __future__ import annotations

import contextlib
import csv
import http.client
import io
import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from response_atlas.config import PROJECT_ROOT
from response_atlas.ingest.presets import PresetError, get_preset
from response_atlas.ingest.refresh import RefreshResult, SourceSpec, default_sources, run_refresh
from response_atlas.schema import SNAPSHOT_POINTER, parquet_scan_sql, snapshot_table_files

EXAMPLE_SOURCES = PROJECT_ROOT / "src" / "response_atlas" / "resources" / "sources.example.yaml"
USER_AGENT = "community-response-atlas/refresh (+https://github.com/)"
APP_TOKEN_ENV = "ATLAS_SOCRATA_APP_TOKEN"  # optional Socrata app token (higher rate limits)
# Columns compared to call a kept call id "updated" (what the publisher may revise later).
COMPARED_COLUMNS = ("received_at", "incident_code", "priority", "disposition", "address", "lat", "lon",
                    "dispatch_min", "travel_min", "on_scene_min", "agency", "beat", "district")


class FetchError(RuntimeError):
    """A download that failed or came back incomplete; the data folder is left untouched."""


class SourcesError(ValueError):
    """A sources file that cannot be used; lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


# --- the sources file ------------------------------------------------------------------------
class SocrataPaging(BaseModel):
    """Paging and date window for a Socrata (SODA) endpoint."""

    model_config = ConfigDict(extra="forbid")

    page_size: int = Field(50_000, ge=1, le=500_000)
    order: str = ":id"
    date_field: str = "create_time_incident"
    days: int | None = Field(None, ge=1)  # window: the last N days up to today
    since: date | None = None  # window start (inclusive)
    until: date | None = None  # window end (exclusive)
    where: str | None = None  # an extra SoQL condition, ANDed with the window
    check_count: bool = True  # ask $select=count(*) first to catch short pages

    @model_validator(mode="after")
    def _one_window(self) -> SocrataPaging:
        if self.days is not None and self.since is not None:
            raise ValueError("give either days or since, not both")
        return self


class SourceEntry(BaseModel):
    """One extract to download."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    kind: Literal["calls", "areas", "area_facts", "zones", "contacts", "rules"]
    url: str = Field(min_length=1)
    file: str = Field(min_length=1)  # file name in the data folder, e.g. calls.csv
    preset: str | None = None  # calls: cincinnati / cincinnati_ems / a YAML; areas: name property
    format: Literal["csv", "json", "geojson", "yaml"] = "csv"
    socrata: SocrataPaging | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SourceEntry:
        if "/" in self.file or "\\" in self.file or self.file.startswith("."):
            raise ValueError(f"file must be a plain file name, got {self.file!r}")
        if self.kind == "calls" and not (self.file.startswith("calls") and self.file.endswith(".csv")):
            raise ValueError("calls files must be named calls*.csv (refresh reads those)")
        if self.socrata is not None and self.format not in ("csv", "json"):
            raise ValueError("Socrata paging needs format csv or json")
        return self


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout_s: float = Field(60, gt=0)
    retries: int = Field(3, ge=0, le=10)
    backoff_s: float = Field(2.0, ge=0)  # wait before retry n: backoff_s * 2**(n-1)
    sources: list[SourceEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SourcesFile:
        files = [s.file for s in self.sources]
        if len(set(files)) != len(files):
            raise ValueError(f"two sources write the same file: {sorted({f for f in files if files.count(f) > 1})}")
        return self


def load_sources(path: Path) -> SourcesFile:
    """Read and validate a sources YAML; raises :class:`SourcesError` listing every problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SourcesError([f"{path.name}: cannot be read ({exc})"]) from None
    try:
        return SourcesFile.model_validate(data)
    except ValidationError as exc:
        raise SourcesError([f"{path.name}: {'.'.join(map(str, e['loc']))}: {e['msg']}"
                            for e in exc.errors()]) from None


# --- downloading -----------------------------------------------------------------------------
@dataclass
class Download:
    """What one source download produced."""

    name: str
    file: str
    url: str
    bytes: int = 0
    rows: int | None = None
    pages: int = 0
    attempts: int = 0


def fetch_bytes(url: str, timeout: float, retries: int, backoff_s: float,
                counter: list[int] | None = None) -> bytes:
    """GET ``url``; retry transient failures; raise :class:`FetchError` on a bad or short body."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if os.environ.get(APP_TOKEN_ENV):
        headers["X-App-Token"] = os.environ[APP_TOKEN_ENV]
    last = "no attempt"
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff_s * 2 ** (attempt - 1))  # back off before retrying the publisher
        if counter is not None:
            counter[0] += 1
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as resp:
                expected = resp.headers.get("Content-Length")
                body = resp.read()
            if expected is not None and expected.isdigit() and int(expected) != len(body):
                last = f"truncated download: {len(body):,} of {int(expected):,} bytes"
                continue
            return body
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code} {exc.reason}"
            if exc.code < 500 and exc.code != 429:  # a client error will not fix itself
                break
        except http.client.IncompleteRead as exc:
            last = f"truncated download: {len(exc.partial):,} bytes, {exc.expected:,} more expected"
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            last = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    raise FetchError(f"{_safe_url(url)}: {last}")


def _safe_url(url: str) -> str:
    """The URL without its query (keeps reports short; the query is in the sources file)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def soql_window(paging: SocrataPaging, today: date | None = None) -> str | None:
    """The ``$where`` clause: the date window on ``date_field`` ANDed with ``where``."""
    today = today or date.today()
    since = paging.since or (today - timedelta(days=paging.days) if paging.days else None)
    until = paging.until or (today + timedelta(days=1) if paging.days else None)
    parts = []
    if since is not None:
        parts.append(f"{paging.date_field} >= '{since.isoformat()}T00:00:00'")
    if until is not None:
        parts.append(f"{paging.date_field} < '{until.isoformat()}T00:00:00'")
    if paging.where:
        parts.append(f"({paging.where})")
    return " AND ".join(parts) or None


def page_url(url: str, params: dict[str, str]) -> str:
    """``url`` with SoQL parameters added (``$`` kept literal, values percent-encoded)."""
    query = urllib.parse.urlencode(params, safe="$:,()'*", quote_via=urllib.parse.quote)
    return url + ("&" if urllib.parse.urlsplit(url).query else "?") + query


def parse_csv_page(body: bytes, label: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV page; raises :class:`FetchError` when the text is not clean CSV."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = body.decode("latin-1")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise FetchError(f"{label}: invalid CSV ({exc})") from None
    rows = [r for r in rows if r]
    if not rows:
        raise FetchError(f"{label}: empty CSV (no header)")
    header, data = [h.strip() for h in rows[0]], rows[1:]
    bad = [i + 1 for i, r in enumerate(data) if len(r) != len(header)]
    if bad:
        raise FetchError(f"{label}: invalid CSV: {len(bad)} row(s) without {len(header)} fields "
                         f"(first at data row {bad[0]}; truncated?)")
    return header, data


def parse_json_page(body: bytes, label: str) -> list[dict]:
    """Rows of a Socrata JSON page (a list of objects); raises :class:`FetchError` otherwise."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FetchError(f"{label}: invalid JSON ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise FetchError(f"{label}: expected a JSON list of records")
    return data


def json_rows_to_table(records: list[dict]) -> tuple[list[str], list[list[str]]]:
    """Header (keys in first-seen order) and text rows; Socrata omits null fields, so fill ''."""
    header: dict[str, None] = {}
    for record in records:
        header.update(dict.fromkeys(record))
    names = list(header)

    def text(value: object) -> str:
        if value is None:
            return ""
        return json.dumps(value) if isinstance(value, dict | list) else str(value)

    return names, [[text(r.get(n)) for n in names] for r in records]


def fetch_socrata(entry: SourceEntry, settings: SourcesFile, today: date | None = None
                  ) -> tuple[list[str], list[list[str]], Download]:
    """All rows of a paged Socrata source; raises :class:`FetchError` when any page is wrong."""
    paging = entry.socrata
    assert paging is not None
    info = Download(entry.name, entry.file, _safe_url(entry.url))
    counter = [0]
    where = soql_window(paging, today)
    base = {"$where": where} if where else {}
    expected = None
    if paging.check_count:
        body = fetch_bytes(page_url(entry.url, {"$select": "count(*) AS n", **base}), settings.timeout_s,
                           settings.retries, settings.backoff_s, counter)
        expected = _parse_count(body, entry)
    header: list[str] | None = None
    rows: list[list[str]] = []
    records: list[dict] = []  # JSON pages: kept as records, columns settled at the end
    offset = 0
    while True:
        params = {**base, "$order": paging.order, "$limit": str(paging.page_size), "$offset": str(offset)}
        body = fetch_bytes(page_url(entry.url, params), settings.timeout_s, settings.retries,
                           settings.backoff_s, counter)
        info.bytes += len(body)
        info.pages += 1
        label = f"{entry.name} page {info.pages} (offset {offset:,})"
        if entry.format == "json":
            page = parse_json_page(body, label)
            records += page
            got = len(page)
        else:
            page_header, page_rows = parse_csv_page(body, label)
            if header is None:
                header = page_header
            elif page_header != header:
                raise FetchError(f"{label}: the columns changed between pages")
            rows += page_rows
            got = len(page_rows)
        offset += got
        if got < paging.page_size or (expected is not None and offset >= expected):
            break
    if expected is not None and offset != expected:
        raise FetchError(f"{entry.name}: partial download: {offset:,} of {expected:,} rows "
                         f"(a page ended early at offset {offset:,})")
    if entry.format == "json":
        header, rows = json_rows_to_table(records)
    info.rows, info.attempts = len(rows), counter[0]
    return header or [], rows, info


def _parse_count(body: bytes, entry: SourceEntry) -> int:
    label = f"{entry.name} row count"
    if entry.format == "json":
        records = parse_json_page(body, label)
        value = next(iter(records[0].values()), None) if records else None
    else:
        _, rows = parse_csv_page(body, label)
        value = rows[0][0] if rows and rows[0] else None
    try:
        return int(float(str(value)))
    except (TypeError, ValueError):
        raise FetchError(f"{label}: the count query did not return a number ({str(value)[:40]!r})") from None


def validate_plain(entry: SourceEntry, body: bytes) -> int | None:
    """Check a whole-file download parses as its format; the number of rows/features."""
    label = entry.name
    if entry.format == "csv":
        header, rows = parse_csv_page(body, label)
        _check_columns(entry, header)
        return len(rows)
    if entry.format == "yaml":
        try:
            yaml.safe_load(body.decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise FetchError(f"{label}: invalid YAML ({exc})") from None
        return None
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FetchError(f"{label}: invalid JSON ({exc})") from None
    if entry.format == "geojson":
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not data.get("features"):
            raise FetchError(f"{label}: not a GeoJSON FeatureCollection with features")
        return len(data["features"])
    return len(data) if isinstance(data, list) else None


def _check_columns(entry: SourceEntry, header: list[str]) -> None:
    """Calls: the preset's required columns must be in the header (an HTML error page is not)."""
    if entry.kind != "calls":
        return
    try:
        if entry.preset:
            get_preset(entry.preset).resolve(header)
        else:
            from response_atlas.ingest.presets import detect_preset

            detect_preset(header)
    except PresetError as exc:
        raise FetchError(f"{entry.name}: {exc}") from None


def download_source(entry: SourceEntry, settings: SourcesFile, target: Path,
                    today: date | None = None) -> Download:
    """Download one source into ``target`` (a staging path); raises :class:`FetchError`."""
    if entry.socrata is not None:
        header, rows, info = fetch_socrata(entry, settings, today)
        _check_columns(entry, header)
        with open(target, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return info
    counter = [0]
    body = fetch_bytes(entry.url, settings.timeout_s, settings.retries, settings.backoff_s, counter)
    info = Download(entry.name, entry.file, _safe_url(entry.url), bytes=len(body), pages=1, attempts=counter[0])
    if entry.format == "json" and entry.kind == "calls":
        header, rows = json_rows_to_table(parse_json_page(body, entry.name))
        _check_columns(entry, header)
        buffer = io.StringIO()
        csv.writer(buffer).writerows([header, *rows])
        target.write_text(buffer.getvalue(), encoding="utf-8")
        info.rows = len(rows)
        return info
    info.rows = validate_plain(entry, body)
    target.write_bytes(body)
    return info


# --- change report ---------------------------------------------------------------------------
@dataclass
class ChangeReport:
    """How the new snapshot differs from the previous one (calls, matched by call id)."""

    previous_version: str | None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    rejected: int = 0
    previous_rejected: int | None = None


def compare_snapshots(previous: Path | None, current: Path) -> ChangeReport:
    """Count calls added, updated (same id, a compared value differs), unchanged and removed."""
    new_calls = parquet_scan_sql(snapshot_table_files(current, "calls"))
    manifest = json.loads((Path(current) / "manifest.json").read_text(encoding="utf-8"))
    report = ChangeReport(previous.name if previous else None,
                          rejected=int(manifest.get("counts", {}).get("calls", {}).get("rejected", 0)))
    con = duckdb.connect(":memory:")
    try:
        new_cols = set(con.execute(f"DESCRIBE SELECT * FROM {new_calls}").df()["column_name"])
        old_files = snapshot_table_files(previous, "calls") if previous is not None else []
        if not old_files:
            report.added = int(con.execute(f"SELECT count(*) FROM {new_calls}").fetchone()[0])
            return report
        old_calls = parquet_scan_sql(old_files)
        old_manifest = json.loads((Path(previous) / "manifest.json").read_text(encoding="utf-8"))
        report.previous_rejected = int(old_manifest.get("counts", {}).get("calls", {}).get("rejected", 0))
        old_cols = set(con.execute(f"DESCRIBE SELECT * FROM {old_calls}").df()["column_name"])
        compared = [c for c in COMPARED_COLUMNS if c in new_cols and c in old_cols]
        key = "concat_ws('|', " + ", ".join(f"coalesce(CAST({c} AS VARCHAR), '\u2205')" for c in compared) + ")"
        row = con.execute(f"""
            WITH n AS (SELECT call_id, {key} AS k FROM {new_calls}),
                 o AS (SELECT call_id, {key} AS k FROM {old_calls})
            SELECT count(*) FILTER (WHERE o.call_id IS NULL),
                   count(*) FILTER (WHERE o.call_id IS NOT NULL AND n.call_id IS NOT NULL AND o.k <> n.k),
                   count(*) FILTER (WHERE o.k = n.k),
                   count(*) FILTER (WHERE n.call_id IS NULL)
            FROM n FULL OUTER JOIN o USING (call_id)
        """).fetchone()
        report.added, report.updated, report.unchanged, report.removed = (int(v) for v in row)
        return report
    finally:
        con.close()


# --- the whole run ---------------------------------------------------------------------------
@dataclass
class FetchResult:
    """A fetch-and-refresh run; ``ok`` False means the previous snapshot is still in use."""

    ok: bool
    downloads: list[Download] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refresh: RefreshResult | None = None
    changes: ChangeReport | None = None
    report_path: Path | None = None


def previous_snapshot(data_dir: Path) -> Path | None:
    """The snapshot folder ``CURRENT`` names, or None."""
    pointer = Path(data_dir) / "snapshots" / SNAPSHOT_POINTER
    if not pointer.is_file():
        return None
    folder = pointer.parent / pointer.read_text(encoding="utf-8").strip()
    return folder if folder.is_dir() else None


def run_fetch(data_dir: Path, sources_path: Path, *, keep: int = 5, progress: bool = True,
              today: date | None = None) -> FetchResult:
    """Download every source, refresh on the staged files, then move them into ``data_dir``."""
    data_dir = Path(data_dir)
    result = FetchResult(ok=False)
    try:
        config = load_sources(sources_path)
    except SourcesError as exc:
        result.errors += exc.problems
        result.report_path = _write_fetch_report(data_dir, result)
        return result
    stage = data_dir / "incoming" / datetime.now().strftime("%Y%m%dT%H%M%S%f")
    stage.mkdir(parents=True, exist_ok=True)
    try:
        for entry in config.sources:
            if progress:
                print(f"downloading {entry.name} ...", file=sys.stderr)
            try:
                result.downloads.append(download_source(entry, config, stage / entry.file, today))
            except FetchError as exc:
                result.errors.append(str(exc))
        if result.errors:
            result.errors.append("nothing changed: the previous snapshot and extracts are kept")
            return result
        previous = previous_snapshot(data_dir)
        refresh = run_refresh(data_dir, keep=keep, progress=progress,
                              sources=staged_sources(data_dir, stage, config))
        result.refresh = refresh
        if not refresh.ok:
            result.errors += refresh.errors
            result.errors.append("the downloaded files did not make a snapshot: the previous one is kept")
            return result
        for entry in config.sources:  # each replace is atomic; the snapshot is already written
            os.replace(stage / entry.file, data_dir / entry.file)
        result.changes = compare_snapshots(previous, refresh.snapshot_dir)
        result.ok = True
        return result
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_if_empty(stage.parent)
        result.report_path = _write_fetch_report(data_dir, result)


def staged_sources(data_dir: Path, stage: Path, config: SourcesFile) -> list[SourceSpec]:
    """The refresh inputs: the data folder's extracts, with every downloaded file taking its place."""
    from response_atlas.ingest.census import AREA_LAYERS

    by_file = {e.file: e for e in config.sources}
    for name, entry in by_file.items():  # an areas preset names a layer (cagis_sna) or a property
        if entry.kind == "areas" and entry.preset in AREA_LAYERS:
            by_file[name] = entry.model_copy(update={"preset": AREA_LAYERS[entry.preset].name_property})
    specs = []
    for spec in default_sources(data_dir):
        entry = by_file.pop(Path(spec.path).name, None)
        if entry is not None:
            specs.append(SourceSpec(spec.kind, stage / entry.file, entry.preset, spec.required))
        elif spec.kind != "calls" or Path(spec.path).is_file():
            specs.append(spec)
    for entry in by_file.values():  # downloaded files the data folder does not have yet
        specs.append(SourceSpec(entry.kind, stage / entry.file, entry.preset, entry.kind in ("calls", "areas")))
    # calls are read in file-name order (later files win duplicate ids), as a plain refresh does
    calls = sorted((s for s in specs if s.kind == "calls"), key=lambda s: Path(s.path).name)
    others = [s for s in specs if s.kind != "calls"]
    if any(s.kind == "areas" for s in others):  # a downloaded areas file replaces the default one
        areas = [s for s in others if s.kind == "areas"]
        chosen = next((s for s in areas if Path(s.path).parent == stage), areas[0])
        others = [s for s in others if s.kind != "areas"]
        others.insert(0, chosen)
    return calls + others


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


def _write_fetch_report(data_dir: Path, result: FetchResult) -> Path | None:
    reports = Path(data_dir) / "reports"
    try:
        reports.mkdir(parents=True, exist_ok=True)
        path = reports / f"fetch-{datetime.now().strftime('%Y%m%dT%H%M%S%f')}.json"
        body = {
            "ok": result.ok,
            "downloads": [asdict(d) for d in result.downloads],
            "errors": result.errors,
            "changes": asdict(result.changes) if result.changes else None,
            "snapshot": str(result.refresh.snapshot_dir) if result.refresh and result.refresh.snapshot_dir else None,
            "refresh_report": str(result.refresh.report_path) if result.refresh else None,
        }
        path.write_text(json.dumps(body, indent=2, default=str), encoding="utf-8")
        return path
    except OSError:
        return None


def summarize_fetch(result: FetchResult) -> str:
    """A few lines for the command line: downloads, what changed, errors."""
    lines = ["fetch " + ("OK" if result.ok else "FAILED (the previous snapshot is still in use)")]
    for d in result.downloads:
        rows = f"{d.rows:,} rows" if d.rows is not None else "downloaded"
        lines.append(f"{d.name}: {rows}, {d.bytes:,} bytes in {d.pages} page(s) -> {d.file}")
    if result.changes:
        c = result.changes
        lines.append(f"calls vs previous snapshot ({c.previous_version or 'none'}): added {c.added:,}, "
                     f"updated {c.updated:,}, unchanged {c.unchanged:,}, removed {c.removed:,}")
        before = f" (previous {c.previous_rejected:,})" if c.previous_rejected is not None else ""
        lines.append(f"rejected rows: {c.rejected:,}{before}")
    if result.refresh and result.refresh.snapshot_dir:
        lines.append(f"snapshot: {result.refresh.snapshot_dir}")
    lines += [f"error: {e}" for e in result.errors]
    if result.report_path:
        lines.append(f"report: {result.report_path}")
    return "\n".join(lines)


def resolve_sources_path(data_dir: Path, given: str | None) -> Path:
    """``--sources`` if given, else ``<data>/sources.yaml``, else the packaged example."""
    if given:
        return Path(given)
    local = Path(data_dir) / "sources.yaml"
    return local if local.is_file() else EXAMPLE_SOURCES
