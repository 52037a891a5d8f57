"""Team contacts for the demo: ARC crisis responses, QRT overdose follow-ups, DVERT co-responses.

ARC starts on a launch date partway through the period (no ARC contacts before it), answers most
eligible calls in its zone while a team is on duty, up to a shift capacity per team, and after a block's first ARC
contact later calls of the same kinds at that block become rarer (``thin_after_contact``), so a
before/after comparison shows an effect. QRT visits follow overdoses by one to three days with a
follow-up 72 hours or 7 days later; DVERT co-responds to domestic violence calls in its zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from response_atlas.demo.calls import CODE_IS_EMS, CODE_TEXT, Calls, G, skip_dst_gap, weekday_of
from response_atlas.demo.zones import ZONES, Zone, on_duty, zone_area_mask
from response_atlas.triage_rules import classify_codes, default_rules

ARC_GROUPS = ("behavioral_health", "homelessness", "welfare_check", "trespass", "disorder")
# Of candidate calls in zone and on duty after launch: most, as in Cincinnati once two teams work
# weekday shifts (the rest: unsafe on scene, caller asks for police, team tied up).
ARC_ROUTED_SHARE = 0.85
# Calls one team takes in one 8-hour shift (about 20 min to arrive plus 30-45 min on scene).
ARC_SHIFT_CAPACITY = 9
THIN_AFTER_CONTACT = 0.45  # share of later ARC-type calls at a contacted block that do not happen
QRT_VISIT_SHARE = 0.55
DVERT_SHARE = 0.35

ARC_OUTCOMES = {"resolved_on_scene": 44, "referred": 20, "connected_to_treatment": 10,
                "transported": 12, "police_backup_requested": 4, "declined": 8, "no_contact": 2}
QRT_OUTCOMES = {"connected_to_treatment": 25, "referred": 30, "declined": 25, "no_contact": 20}
QRT_FOLLOWUP_OUTCOMES = {"connected_to_treatment": 35, "referred": 25, "declined": 20,
                         "no_contact": 20}
DVERT_OUTCOMES = {"connected_to_treatment": 35, "referred": 30, "declined": 15, "arrest": 10,
                  "resolved_on_scene": 5, "no_contact": 5}



@lru_cache(maxsize=1)
def arc_candidate_codes() -> np.ndarray:
    """Boolean per code: ARC may take it (the project's default triage tier is "alternative").

    Routing only calls the default rules call eligible keeps routed <= eligible on every page.
    """
    tiers = classify_codes(pd.Series(CODE_TEXT), default_rules())["tier"].to_numpy()
    return tiers == "alternative"


@dataclass
class Contacts:
    """Team contacts (parallel arrays); ``call`` indexes the calls, -1 for none."""

    call: np.ndarray
    team_id: np.ndarray  # object str
    program: np.ndarray  # object str
    contact_at: np.ndarray  # datetime64[s]
    area: np.ndarray  # int index into the area facts
    response_min: np.ndarray  # NaN when not applicable
    outcome: np.ndarray  # object str
    followup_at: np.ndarray  # datetime64[s], NaT for none
    followup_outcome: np.ndarray  # object str or None

    def __len__(self) -> int:
        return len(self.call)


def _pick(mix: dict[str, int], n: int, rng: np.random.Generator) -> np.ndarray:
    labels = np.array(list(mix), dtype=object)
    p = np.array(list(mix.values()), float)
    return labels[rng.choice(len(labels), size=n, p=p / p.sum())]


def arc_candidates(calls: Calls, names: np.ndarray) -> np.ndarray:
    """Calls an ARC team could take: its call types, non-violent codes, in the ARC zone."""
    in_group = np.isin(calls.group, [G[g] for g in ARC_GROUPS])
    arc_zone = next(z for z in ZONES if z.program == "ARC")
    in_zone = zone_area_mask(arc_zone, names)[calls.area]
    return in_group & arc_candidate_codes()[calls.code] & in_zone


def route_arc(calls: Calls, names: np.ndarray, launch: np.datetime64,
              rng: np.random.Generator) -> np.ndarray:
    """Team index (into the ARC zones) per call routed to ARC, -1 when not routed.

    A share of the candidate calls is offered to ARC; in time order each goes to the on-duty team
    with fewer calls that day (ties broken at random), and is not routed when every on-duty team
    has reached :data:`ARC_SHIFT_CAPACITY`.
    """
    arc = [z for z in ZONES if z.program == "ARC"]
    hour = ((calls.received - calls.received.astype("datetime64[D]")).astype(np.int64)
            // 3600).astype(np.int8)
    weekday = weekday_of(calls.received)
    duty = np.column_stack([on_duty(z, weekday, hour) for z in arc])
    eligible = arc_candidates(calls, names) & (calls.received >= launch) & duty.any(axis=1)
    offered = np.flatnonzero(eligible & (rng.random(len(calls)) < ARC_ROUTED_SHARE))
    offered = offered[np.argsort(calls.received[offered], kind="stable")]
    tie = rng.random((len(offered), len(arc)))  # drawn up front: same draws whatever the loads
    day = calls.received[offered].astype("datetime64[D]").astype(np.int64)
    team = np.full(len(calls), -1, dtype=np.int8)
    load = np.zeros(len(arc), dtype=np.int64)
    current_day = None
    for i, call in enumerate(offered):  # a few thousand calls a year: a plain loop is fine
        if day[i] != current_day:
            current_day, load[:] = day[i], 0
        free = duty[call] & (load < ARC_SHIFT_CAPACITY)
        if not free.any():
            continue
        # the least busy free team; random among equals
        score = np.where(free, load + tie[i], np.inf)
        chosen = int(np.argmin(score))
        team[call] = chosen
        load[chosen] += 1
    return team


def thin_after_contact(calls: Calls, routed: np.ndarray, n_addresses: int,
                       rng: np.random.Generator) -> np.ndarray:
    """Keep-mask: drop a share of later ARC-type calls at blocks after their first ARC contact."""
    never = np.datetime64("9999-01-01T00:00:00")
    first = np.full(n_addresses, never, dtype="datetime64[s]")
    hit = routed >= 0
    np.minimum.at(first, calls.addr[hit], calls.received[hit])
    arc_type = np.isin(calls.group, [G[g] for g in ARC_GROUPS])
    later = arc_type & ~hit & (calls.received > first[calls.addr])
    return ~(later & (rng.random(len(calls)) < THIN_AFTER_CONTACT))


def _next_weekday_time(day: np.ndarray, rng: np.random.Generator, first_hour: int,
                       last_hour: int) -> np.ndarray:
    """A time on ``day`` (moved to Monday when it is a weekend) within working hours."""
    wd = weekday_of(day)
    day = day + np.where(wd >= 5, 7 - wd, 0).astype("timedelta64[D]")
    secs = rng.integers(first_hour * 3600, last_hour * 3600, size=len(day))
    return day.astype("datetime64[s]") + secs.astype("timedelta64[s]")


def build_contacts(calls: Calls, routed: np.ndarray, names: np.ndarray,
                   rng: np.random.Generator) -> Contacts:
    """All team contacts for the (final) calls, sorted by contact time."""
    arc_zones = [z for z in ZONES if z.program == "ARC"]
    qrt: Zone = next(z for z in ZONES if z.program == "QRT")
    dvert: Zone = next(z for z in ZONES if z.program == "DVERT")
    parts: list[dict[str, np.ndarray]] = []

    # ARC: response median ~20 min, p90 ~40 min (log-normal sigma 0.54).
    idx = np.flatnonzero(routed >= 0)
    resp = np.round(20.0 * rng.lognormal(0.0, 0.54, size=len(idx)), 1)
    parts.append({
        "call": idx,
        "team_id": np.array([z.team_id for z in arc_zones], dtype=object)[routed[idx]],
        "program": np.full(len(idx), "ARC", dtype=object),
        "contact_at": calls.received[idx] + np.round(resp * 60).astype("timedelta64[s]"),
        "response_min": resp,
        "outcome": _pick(ARC_OUTCOMES, len(idx), rng),
        "followup_at": np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[s]"),
        "followup_outcome": np.full(len(idx), None, dtype=object),
    })

    # QRT: a home visit 1-3 days after an overdose, then a follow-up 72 hours or 7 days later.
    od = np.flatnonzero(CODE_IS_EMS[calls.code] & zone_area_mask(qrt, names)[calls.area])
    idx = od[rng.random(len(od)) < QRT_VISIT_SHARE]
    day = calls.received[idx].astype("datetime64[D]") + rng.integers(1, 4, len(idx)).astype(
        "timedelta64[D]")
    visit = _next_weekday_time(day, rng, qrt.start_hour + 1, qrt.end_hour - 1)
    gap = np.where(rng.random(len(idx)) < 0.5, 3, 7).astype("timedelta64[D]")
    followup = _next_weekday_time(visit.astype("datetime64[D]") + gap, rng,
                                  qrt.start_hour + 1, qrt.end_hour - 1)
    has_followup = rng.random(len(idx)) < 0.8
    followup[~has_followup] = np.datetime64("NaT")
    fu_outcome = _pick(QRT_FOLLOWUP_OUTCOMES, len(idx), rng)
    fu_outcome[~has_followup] = None
    parts.append({
        "call": idx,
        "team_id": np.full(len(idx), qrt.team_id, dtype=object),
        "program": np.full(len(idx), "QRT", dtype=object),
        "contact_at": visit,
        "response_min": np.full(len(idx), np.nan),
        "outcome": _pick(QRT_OUTCOMES, len(idx), rng),
        "followup_at": followup,
        "followup_outcome": fu_outcome,
    })

    # DVERT: advocates on scene with police for DV calls in its zone (24/7).
    dv = np.flatnonzero((calls.group == G["domestic_violence"])
                        & zone_area_mask(dvert, names)[calls.area])
    idx = dv[rng.random(len(dv)) < DVERT_SHARE]
    resp = np.round(22.0 * rng.lognormal(0.0, 0.5, size=len(idx)), 1)
    parts.append({
        "call": idx,
        "team_id": np.full(len(idx), dvert.team_id, dtype=object),
        "program": np.full(len(idx), "DVERT", dtype=object),
        "contact_at": calls.received[idx] + np.round(resp * 60).astype("timedelta64[s]"),
        "response_min": resp,
        "outcome": _pick(DVERT_OUTCOMES, len(idx), rng),
        "followup_at": np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[s]"),
        "followup_outcome": np.full(len(idx), None, dtype=object),
    })

    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    merged["contact_at"] = skip_dst_gap(merged["contact_at"])
    order = np.lexsort((merged["call"], merged["contact_at"]))
    merged = {k: v[order] for k, v in merged.items()}
    return Contacts(area=calls.area[merged["call"]], **merged)
