"""The demo's program file and the one effect it knows for certain.

``programs.yaml`` lists four programs (see :mod:`response_atlas.programs` for the format):

- **ARC, central areas** (both teams, from the ARC launch): its effect is whatever the demo's
  routing and thinning produce (:mod:`response_atlas.demo.contacts`), not a set number.
- **ARC second team, neighbouring areas**: a staggered rollout into eight areas outside every
  zone. Here the effect is injected and known: from each wave's date the team takes
  :data:`TAKEN_SHARE` of the ARC-eligible calls, and :data:`WITHOUT_POLICE_SHARE` of those end
  without police, so police handle :data:`INJECTED_EFFECT` (15%) fewer eligible calls there and
  the number of eligible calls does not change.
- **QRT**, county-wide since before the data begins: nothing to compare with (the page says so).
- **DVERT**: launched inside the period (its contacts before the launch are removed); advocates
  co-respond, so the number of domestic violence calls has no effect at all (the null program).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import yaml

from response_atlas.demo.calls import Calls, G, weekday_of
from response_atlas.demo.contacts import ARC_GROUPS, Contacts, arc_candidate_codes
from response_atlas.demo.zones import ARC_AREAS, DVERT_AREAS, ZONES, on_duty

INJECTED_EFFECT = 0.15
TAKEN_SHARE = 0.20  # of all eligible calls there; only while the second team is on duty
WITHOUT_POLICE_SHARE = INJECTED_EFFECT / TAKEN_SHARE  # 0.75: the rest ask for police backup
SECOND_TEAM_WAVES = (
    (date(2025, 11, 3), ("College Hill", "Northside", "Mt. Airy", "Evanston")),
    (date(2026, 3, 2), ("Madisonville", "Bond Hill", "Roselawn", "Mt. Washington")),
)
DVERT_LAUNCH = date(2025, 9, 1)
QRT_LAUNCH = date(2023, 3, 6)  # before the demo's data: no pre-period to compare with
SEED_OFFSET = 24  # the effect draws its own numbers: the other demo files do not change


def _monday_within(day: date, first: date, end: date, fraction: float) -> date:
    """``day`` when it lies well inside [first, end), else the Monday ``fraction`` of the way in."""
    span = (end - first).days
    if first + timedelta(days=span // 10) <= day <= end - timedelta(days=span // 10):
        return day
    moved = first + timedelta(days=int(span * fraction))
    return moved + timedelta(days=(7 - moved.weekday()) % 7)


def demo_waves(first: date, end: date) -> list[tuple[date, tuple[str, ...]]]:
    """The second team's rollout dates for a demo period (the defaults when they fit)."""
    return [(_monday_within(day, first, end, frac), areas)
            for (day, areas), frac in zip(SECOND_TEAM_WAVES, (0.5, 0.7), strict=True)]


def demo_programs(first: date, end: date, arc_launch: date) -> dict:
    """The program file's content for a demo period [first, end)."""
    waves = demo_waves(first, end)
    return {"programs": [
        {"id": "arc-central", "name": "ARC, central areas", "program": "ARC",
         "teams": ["ARC-1", "ARC-2"], "launched": arc_launch, "areas": list(ARC_AREAS)},
        {"id": "arc-second-team", "name": "ARC second team, neighbouring areas",
         "program": "ARC", "teams": ["ARC-2"],
         "rollout": [{"date": d, "areas": list(a)} for d, a in waves],
         "changes": [{"date": waves[1][0], "label": "second wave"}]},
        {"id": "qrt", "name": "QRT, county-wide", "program": "QRT", "teams": ["QRT-1"],
         "launched": QRT_LAUNCH, "areas": "all"},
        {"id": "dvert", "name": "DVERT", "program": "DVERT", "teams": ["DVERT-1"],
         "launched": _monday_within(DVERT_LAUNCH, first, end, 0.4), "areas": list(DVERT_AREAS)},
    ]}


def write_programs(path: Path, content: dict) -> None:
    """Write the program file with a header that points to its documentation."""
    header = ("# Programs for the evaluation page: launch dates, rollouts and served areas.\n"
              "# Format: docs/programs.md. Written by the demo generator.\n")
    Path(path).write_text(header + yaml.safe_dump(content, sort_keys=False), encoding="utf-8")


def _dvert_launch(content: dict) -> np.datetime64:
    entry = next(p for p in content["programs"] if p["id"] == "dvert")
    return np.datetime64(entry["launched"], "s")


def apply_programs(calls: Calls, contacts: Contacts, names: np.ndarray, first: np.datetime64,
                   end: np.datetime64, arc_launch: np.datetime64,
                   seed: int) -> tuple[Contacts, dict]:
    """The contacts with the second team's injected effect and DVERT's launch; the program file."""
    content = demo_programs(first.astype(object), end.astype(object),
                            arc_launch.astype("datetime64[D]").astype(object))
    rng = np.random.default_rng(seed + SEED_OFFSET)
    keep = (contacts.program != "DVERT") | (contacts.contact_at >= _dvert_launch(content))
    parts = [{k: v[keep] for k, v in vars(contacts).items()}]
    eligible = arc_candidate_codes()[calls.code] & (calls.group != G["domestic_violence"])
    taken = np.zeros(len(calls), dtype=bool)
    for day, areas in demo_waves(first.astype(object), end.astype(object)):
        served = np.isin(names[calls.area], areas) & (calls.received >= np.datetime64(day, "s"))
        taken |= served & eligible
    # The team works its shifts (ARC-2's hours) ...
    team = next(z for z in ZONES if z.team_id == "ARC-2")
    hour = ((calls.received - calls.received.astype("datetime64[D]")).astype(np.int64) // 3600)
    # ... and takes the call types ARC takes; drawn so TAKEN_SHARE of *all* eligible calls reach it.
    can = taken & on_duty(team, weekday_of(calls.received), hour) & np.isin(
        calls.group, [G[g] for g in ARC_GROUPS])
    share = min(1.0, TAKEN_SHARE * taken.sum() / can.sum()) if can.any() else 0.0
    idx = np.flatnonzero(can & (rng.random(len(calls)) < share))
    resp = np.round(20.0 * rng.lognormal(0.0, 0.54, size=len(idx)), 1)  # as the ARC teams
    outcome = np.where(rng.random(len(idx)) < WITHOUT_POLICE_SHARE, "resolved_on_scene",
                       "police_backup_requested").astype(object)
    parts.append({
        "call": idx, "team_id": np.full(len(idx), "ARC-2", dtype=object),
        "program": np.full(len(idx), "ARC", dtype=object),
        "contact_at": calls.received[idx] + np.round(resp * 60).astype("timedelta64[s]"),
        "area": calls.area[idx], "response_min": resp, "outcome": outcome,
        "followup_at": np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[s]"),
        "followup_outcome": np.full(len(idx), None, dtype=object),
    })
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((merged["call"], merged["contact_at"]))
    return Contacts(**{k: v[order] for k, v in merged.items()}), content
