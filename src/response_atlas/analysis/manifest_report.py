"""Snapshot manifest, validation report, rejected rows and snapshot list as small tables (pure).

Read by the staff Data page. Manifest keys are read defensively: a snapshot written by an older
ingest (or a hand-made one) may lack some, and the page must still open.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from response_atlas.privacy import escape_text
from response_atlas.schema import REJECT_COLUMNS
from response_atlas.snapshot import Snapshot

REJECTS_SHOWN = 5000  # rows listed on the page; the download holds them all


def manifest_summary(manifest: dict) -> dict[str, str]:
    """Headline facts: version, created, preset, data date, time range."""
    time_range = manifest.get("time_range") or {}
    return {
        "Snapshot": str(manifest.get("version", "")),
        "Created": str(manifest.get("created_at", "")),
        "Source preset": str(manifest.get("preset", "")),
        "Data as of": str(manifest.get("data_as_of", "")),
        "First call": str(time_range.get("start", "")),
        "Last call": str(time_range.get("end", "")),
    }


def sources_table(manifest: dict) -> pd.DataFrame:
    """One row per source file: kind, file, rows read (as text) and the SHA-256 of its bytes.

    Calls files carry their own count; areas, zones and contacts take theirs from the manifest
    counts (accepted plus rejected); the rules and facts files are not row counts ("-").
    """
    counts = manifest.get("counts") or {}

    def rows_read(source: dict) -> str:
        n = source.get("rows_read")
        kind = counts.get(source.get("kind", ""), {})
        if n is None and kind:
            n = kind.get("read", kind.get("accepted", 0) + kind.get("rejected", 0))
        return f"{int(n):,}" if n is not None else "-"

    rows = [
        {"Kind": s.get("kind", ""), "File": s.get("file", ""),
         "Rows read": rows_read(s), "SHA-256": s.get("sha256", "")}
        for s in manifest.get("sources") or []
    ]
    return pd.DataFrame(rows, columns=["Kind", "File", "Rows read", "SHA-256"])


def counts_table(manifest: dict) -> pd.DataFrame:
    """Rows read, accepted and rejected per extract kind."""
    rows = [
        {"Kind": kind, "Read": c.get("read"), "Accepted": c.get("accepted"),
         "Rejected": c.get("rejected")}
        for kind, c in (manifest.get("counts") or {}).items()
    ]
    return pd.DataFrame(rows, columns=["Kind", "Read", "Accepted", "Rejected"])


def rejected_by_reason_table(manifest: dict) -> pd.DataFrame:
    """Rejected rows by reason; accepts ``{reason: n}`` or ``{kind: {reason: n}}``."""
    rows = []
    for key, value in (manifest.get("rejected_by_reason") or {}).items():
        if isinstance(value, dict):
            rows.extend({"Kind": key, "Reason": r, "Rows": n} for r, n in value.items())
        else:
            rows.append({"Kind": "", "Reason": key, "Rows": value})
    frame = pd.DataFrame(rows, columns=["Kind", "Reason", "Rows"])
    return frame.sort_values("Rows", ascending=False, kind="stable").reset_index(drop=True)


def validation_table(manifest: dict) -> pd.DataFrame:
    """The ingest's validation findings (``manifest['validation']``: a list of findings or a
    ``{kind: [messages]}`` mapping) as rows of kind, level and message."""
    raw = manifest.get("validation") or manifest.get("warnings") or []
    rows: list[dict] = []
    if isinstance(raw, dict):
        for kind, items in raw.items():
            for item in items if isinstance(items, list) else [items]:
                if isinstance(item, dict):
                    rows.append({"Kind": kind, "Level": item.get("level", "warning"),
                                 "Message": item.get("message", json.dumps(item, default=str))})
                else:
                    rows.append({"Kind": kind, "Level": "warning", "Message": str(item)})
    else:
        for item in raw:
            if isinstance(item, dict):
                rows.append({"Kind": item.get("kind", ""), "Level": item.get("level", "warning"),
                             "Message": item.get("message", json.dumps(item, default=str))})
            else:
                rows.append({"Kind": "", "Level": "warning", "Message": str(item)})
    return pd.DataFrame(rows, columns=["Kind", "Level", "Message"])


def rejected_rows(snapshot: Snapshot, limit: int | None = REJECTS_SHOWN) -> pd.DataFrame:
    """Rejected rows (kind, source file, row, column, problem, value); empty when none."""
    if not snapshot.has_table("rejects"):
        return pd.DataFrame(columns=list(REJECT_COLUMNS))
    sql = "SELECT * FROM rejects ORDER BY kind, source_file, TRY_CAST(\"row\" AS BIGINT)"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return snapshot.query(sql)


def count_rejects(snapshot: Snapshot) -> int:
    """How many rejected rows the snapshot holds."""
    if not snapshot.has_table("rejects"):
        return 0
    return int(snapshot.query("SELECT count(*) AS n FROM rejects").iloc[0]["n"])


SNAPSHOT_COLUMNS = ["Snapshot", "In use", "Created", "Data as of", "Calls accepted", "Calls rejected",
                    "In an area", "Areas", "Zones", "Zones missing", "Note"]


def snapshots_table(snapshots_dir: Path) -> pd.DataFrame:
    """Every kept snapshot, newest first, with its manifest's figures and whether it is in use
    (``ingest.rollback.kept_snapshots``)."""
    from response_atlas.ingest.rollback import kept_snapshots

    rows = [{
        "Snapshot": r["version"], "Created": r["created_at"], "Data as of": r["data_as_of"],
        "Calls accepted": r["calls_accepted"], "Calls rejected": r["calls_rejected"],
        "In an area": f"{r['placed_share']:.1%}" if r["placed_share"] is not None else "",
        "Areas": r["areas"], "Zones": r["zones"], "Zones missing": r["zones_missing"],
        "Note": "held back: " + r["held_back"] if r["held_back"] else "", "In use": r["current"],
    } for r in kept_snapshots(Path(snapshots_dir))]
    return pd.DataFrame(rows, columns=SNAPSHOT_COLUMNS)


def outcomes_table(manifest: dict) -> pd.DataFrame:
    """What the refresh did, one outcome a row with its count (``manifest['outcomes']``)."""
    rows = [{"Kind": str(o.get("kind", "")), "Outcome": str(o.get("outcome", "")),
             "Count": str(o.get("count", ""))} for o in manifest.get("outcomes") or []]
    return pd.DataFrame(rows, columns=["Kind", "Outcome", "Count"])


def missing_zone_notes(manifest: dict) -> list[str]:
    """One sentence per zone the refresh refused (escaped: the texts come from the extract)."""
    return [f"Zone {escape_text(z.get('zone_id') or '?')} (team {escape_text(z.get('team_id'))}, "
            f"program {escape_text(z.get('program'))}) is missing from this snapshot: "
            f"{escape_text(z.get('problem'))}" for z in manifest.get("zones_missing") or []]


# --- triage rules in words (About page) --------------------------------------------------------

_REGEX_META = set(".[]{}()*+?|$\\")


def pattern_in_words(pattern: str) -> str:
    """A rule's regex as plain words: ``^MHC - NON`` -> ``codes starting with "MHC - NON"``."""
    text = str(pattern or "")
    anchored = text.startswith("^")
    body = text[1:] if anchored else text
    unescaped = body.replace("\\(", "(").replace("\\)", ")").replace("\\-", "-")
    if any(ch in _REGEX_META for ch in unescaped.replace("(", "").replace(")", "")):
        return f"codes matching the pattern {text}"
    return f'codes starting with "{unescaped}"' if anchored else f'codes containing "{unescaped}"'


def triage_rules_tables(rules: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(rules, disqualifiers)`` as plain-language tables for the About page."""
    from response_atlas.schema import CATEGORY_LABELS, TIER_LABELS

    rule_rows = [
        {"Rule": r.get("id", ""),
         "Incident codes": pattern_in_words(r.get("pattern", "")),
         "Call type": CATEGORY_LABELS.get(r.get("category"), r.get("category", "")),
         "Eligibility": TIER_LABELS.get(r.get("tier"), r.get("tier", ""))}
        for r in (rules or {}).get("rules") or []
    ]
    dq_rows = []
    for d in (rules or {}).get("disqualifiers") or []:
        when = (f"code flagged ({d['modifier']})" if d.get("modifier")
                else pattern_in_words(d.get("pattern", "")))
        dq_rows.append({"When": when, "Tier at least": TIER_LABELS.get(d.get("tier"), d.get("tier", "")),
                        "Why": d.get("reason", "")})
    return (pd.DataFrame(rule_rows, columns=["Rule", "Incident codes", "Call type", "Eligibility"]),
            pd.DataFrame(dq_rows, columns=["When", "Tier at least", "Why"]))
