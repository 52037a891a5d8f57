"""Synthetic 911 calls as numpy arrays: when, where, what, and how the response went.

Everything is vectorised so 5 million calls stay fast. Strings (codes, addresses, dispositions)
are kept as small integer indices into lookup arrays until the CSV writer turns them into text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from response_atlas.demo.addresses import AddressPool
from response_atlas.demo.codes import GROUPS, INCIDENT_CODES

CODE_TEXT = np.array([c.code for c in INCIDENT_CODES], dtype=object)
CODE_GROUP = np.array([GROUPS.index(c.group) for c in INCIDENT_CODES], dtype=np.int8)
CODE_IS_EMS = np.array([c.agency == "CFD" for c in INCIDENT_CODES])
CODE_WEIGHT = np.array([c.weight for c in INCIDENT_CODES], dtype=float)
G = {g: i for i, g in enumerate(GROUPS)}

# Share of a dominant block's calls that are of its dominant type.
DOMINANT_PULL = 0.6
MISSING_COORD_SHARE = 0.025

# Local hour-of-day profile of 911 calls (low before dawn, high late afternoon).
HOUR_WEIGHTS = np.array([3.2, 2.7, 2.3, 1.8, 1.5, 1.4, 1.8, 2.6, 3.4, 3.9, 4.2, 4.4,
                         4.6, 4.8, 5.1, 5.4, 5.6, 5.6, 5.4, 5.2, 5.0, 4.7, 4.2, 3.7])
WEEKDAY_WEIGHTS = np.array([1.0, 0.97, 0.97, 1.0, 1.07, 1.1, 1.02])  # Monday .. Sunday

# Dispositions as the city publishes them; cancelled calls have no arrival.
DISPOSITIONS = np.array([
    "301:OFFENSE REPORT", "CIT: CITED", "ARR: ARREST", "ADV:ADVISED", "26: AVAIL/DETAIL COMPLETED",
    "GOA: GONE ON ARRIVAL", "CAN:CANCEL", "305:COMPLAINT RPT", "NR: NO REPORT",
    "316: AIDED CASE RPT", "TRAN: TRANSPORTED", "TRANSPORTED", "REFUSED TRANSPORT",
    "TREATED AND RELEASED", "CANCELLED",
], dtype=object)
CANCELLED = np.isin(DISPOSITIONS, ["CAN:CANCEL", "CANCELLED"])
_D = {d: i for i, d in enumerate(DISPOSITIONS)}
_DISPOSITION_MIX = {
    "police": {"301:OFFENSE REPORT": 22, "CIT: CITED": 14, "ARR: ARREST": 6, "ADV:ADVISED": 14,
               "26: AVAIL/DETAIL COMPLETED": 20, "GOA: GONE ON ARRIVAL": 7, "CAN:CANCEL": 5,
               "305:COMPLAINT RPT": 6, "NR: NO REPORT": 6},
    "behavioral_health": {"316: AIDED CASE RPT": 25, "TRAN: TRANSPORTED": 22, "ADV:ADVISED": 18,
                          "26: AVAIL/DETAIL COMPLETED": 20, "ARR: ARREST": 3,
                          "GOA: GONE ON ARRIVAL": 7, "CAN:CANCEL": 5},
    "homelessness": {"ADV:ADVISED": 35, "26: AVAIL/DETAIL COMPLETED": 30,
                     "GOA: GONE ON ARRIVAL": 20, "CAN:CANCEL": 8, "CIT: CITED": 4, "ARR: ARREST": 3},
    "substance_use": {"ADV:ADVISED": 30, "ARR: ARREST": 8, "TRAN: TRANSPORTED": 20,
                      "GOA: GONE ON ARRIVAL": 20, "26: AVAIL/DETAIL COMPLETED": 22},
    "overdose": {"TRANSPORTED": 60, "REFUSED TRANSPORT": 25, "TREATED AND RELEASED": 10,
                 "CANCELLED": 5},
    "domestic_violence": {"301:OFFENSE REPORT": 30, "ARR: ARREST": 18, "ADV:ADVISED": 22,
                          "26: AVAIL/DETAIL COMPLETED": 15, "GOA: GONE ON ARRIVAL": 11,
                          "CAN:CANCEL": 4},
    "welfare_check": {"316: AIDED CASE RPT": 20, "26: AVAIL/DETAIL COMPLETED": 35,
                      "ADV:ADVISED": 15, "TRAN: TRANSPORTED": 12, "GOA: GONE ON ARRIVAL": 10,
                      "CAN:CANCEL": 8},
    "trespass": {"ADV:ADVISED": 30, "CIT: CITED": 15, "ARR: ARREST": 6, "GOA: GONE ON ARRIVAL": 25,
                 "26: AVAIL/DETAIL COMPLETED": 20, "CAN:CANCEL": 4},
    "disorder": {"ADV:ADVISED": 30, "26: AVAIL/DETAIL COMPLETED": 25, "GOA: GONE ON ARRIVAL": 20,
                 "CIT: CITED": 8, "ARR: ARREST": 4, "305:COMPLAINT RPT": 8, "CAN:CANCEL": 5},
}
SELF_INITIATED = 12  # priority the city uses for officer-initiated events (no dispatch delay)
# Median minutes from call to dispatch, by priority.
DISPATCH_MEDIAN = {1: 1.5, 2: 3.0, 3: 7.0, 4: 18.0, 5: 30.0, SELF_INITIATED: 0.0}


def code_priority(code: str) -> int:
    """Base priority of a code: 1 urgent .. 5 routine, 12 self-initiated."""
    urgent = ("OD -", "(W)", "(V)", "SUICIDE ATTEMPT", "PERSON DOWN", "SHOTS")
    if any(u in code for u in urgent):
        return 1
    if "(SI)" in code or code.lstrip("+=").startswith(
            ("TSTOP", "DIRECTED PATROL", "PRISONER", "WARRANT")):
        return SELF_INITIATED
    if "(IP)" in code:
        return 2
    if "(JO)" in code:
        return 3
    if "(NIP)" in code:
        return 4
    return 3


CODE_PRIORITY = np.array([code_priority(c) for c in CODE_TEXT], dtype=np.int8)


@dataclass
class Calls:
    """Generated calls (parallel arrays); times are naive local ``datetime64[s]`` (NaT = none)."""

    received: np.ndarray
    addr: np.ndarray  # int index into AddressPool
    area: np.ndarray  # int index into the area facts
    code: np.ndarray  # int index into CODE_TEXT
    group: np.ndarray  # int index into GROUPS
    priority: np.ndarray
    disposition: np.ndarray  # int index into DISPOSITIONS
    dispatched: np.ndarray
    arrived: np.ndarray
    closed: np.ndarray
    lon: np.ndarray  # NaN when the publisher left it out
    lat: np.ndarray

    def __len__(self) -> int:
        return len(self.received)

    def take(self, idx: np.ndarray) -> Calls:
        """A subset (or reordering) of the calls."""
        return Calls(**{k: v[idx] for k, v in vars(self).items()})


def weekday_of(days: np.ndarray) -> np.ndarray:
    """0=Monday .. 6=Sunday for ``datetime64`` values (1970-01-01 was a Thursday)."""
    return ((days.astype("datetime64[D]").astype(np.int64) + 3) % 7).astype(np.int8)


def dst_gap_starts(first_year: int, last_year: int) -> np.ndarray:
    """Local 02:00 on each US spring-forward day (second Sunday of March) in the years."""
    out = []
    for year in range(first_year, last_year + 1):
        march1 = np.datetime64(f"{year}-03-01")
        first_sunday = march1 + (6 - weekday_of(np.array([march1]))[0]) % 7
        out.append((first_sunday + 7).astype("datetime64[s]") + np.timedelta64(2, "h"))
    return np.array(out, dtype="datetime64[s]")


def skip_dst_gap(t: np.ndarray) -> np.ndarray:
    """Move local times that do not exist (02:00-02:59 on spring-forward day) one hour later."""
    years = t[~np.isnat(t)].astype("datetime64[Y]").astype(int) + 1970
    if not len(years):
        return t
    out = t.copy()
    for gap in dst_gap_starts(int(years.min()), int(years.max())):
        inside = (out >= gap) & (out < gap + np.timedelta64(1, "h"))
        out[inside] += np.timedelta64(1, "h")
    return out


def day_weights(days: np.ndarray) -> np.ndarray:
    """Relative call volume per day: summer peak, busier Friday/Saturday, slow growth."""
    doy = (days - days.astype("datetime64[Y]")).astype(int)
    seasonal = 1.0 + 0.12 * np.sin(2 * np.pi * (doy - 110) / 365.25)
    trend = np.linspace(1.0, 1.04, len(days))
    w = seasonal * WEEKDAY_WEIGHTS[weekday_of(days)] * trend
    return w / w.sum()


def draw_received(n: int, start: np.datetime64, end: np.datetime64,
                  rng: np.random.Generator) -> np.ndarray:
    """``n`` local receive times in [start, end) with daily, weekly and seasonal rhythm."""
    days = np.arange(start, end, dtype="datetime64[D]")
    day_idx = rng.choice(len(days), size=n, p=day_weights(days))
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    seconds = hour.astype(np.int64) * 3600 + rng.integers(0, 3600, size=n)
    t = days[day_idx].astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    return skip_dst_gap(t)


def group_mix(pool: AddressPool) -> np.ndarray:
    """Group probabilities for calls not pulled to a block's dominant type.

    Chosen so the overall group shares still equal the code weights in codes.py.
    """
    target = np.array([CODE_WEIGHT[g == CODE_GROUP].sum() for g in range(len(GROUPS))])
    target /= target.sum()
    pulled = DOMINANT_PULL * pool.weight[pool.dominant >= 0].sum()
    dom = target.copy()
    dom[G["police"]] = 0.0
    dom /= dom.sum()
    mix = np.clip((target - pulled * dom) / (1.0 - pulled), 0.0, None)
    return mix / mix.sum()


def draw_codes(group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A code index for each call, by weight within its group."""
    code = np.empty(len(group), dtype=np.int16)
    u = rng.random(len(group))
    for g in range(len(GROUPS)):
        members = np.flatnonzero(g == CODE_GROUP)
        sel = group == g
        cdf = np.cumsum(CODE_WEIGHT[members])
        pick = np.searchsorted(cdf / cdf[-1], u[sel], side="right")
        code[sel] = members[np.minimum(pick, len(members) - 1)]
    return code


def draw_dispositions(code: np.ndarray, group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A disposition index per call from the mix for its group (EMS overdoses have their own)."""
    out = np.empty(len(code), dtype=np.int8)
    u = rng.random(len(code))
    ems = CODE_IS_EMS[code]
    for name, mix in _DISPOSITION_MIX.items():
        sel = ems if name == "overdose" else (group == G[name]) & ~ems
        idx = np.array([_D[d] for d in mix])
        cdf = np.cumsum(list(mix.values()), dtype=float)
        pick = np.searchsorted(cdf / cdf[-1], u[sel], side="right")
        out[sel] = idx[np.minimum(pick, len(idx) - 1)]
    return out


def _minutes(rng: np.random.Generator, median: np.ndarray | float, sigma: float,
             n: int) -> np.ndarray:
    return np.asarray(median, float) * rng.lognormal(0.0, sigma, size=n)


def draw_times(received: np.ndarray, priority: np.ndarray, group: np.ndarray,
               disposition: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Dispatch, arrival and close times with plausible intervals (cancelled: no arrival)."""
    n = len(received)
    med = np.zeros(n)
    for p, m in DISPATCH_MEDIAN.items():
        med[priority == p] = m
    dispatch = _minutes(rng, med, 0.9, n)
    self_init = priority == SELF_INITIATED
    travel = np.where(self_init, 0.0, _minutes(rng, 7.0, 0.55, n))
    scene_median = np.where(group == G["behavioral_health"], 45.0, 25.0)
    scene = _minutes(rng, scene_median, 0.8, n)
    cancelled = CANCELLED[disposition]

    def after(t: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        return t + np.round(minutes * 60).astype("timedelta64[s]")

    dispatched = skip_dst_gap(after(received, dispatch))
    arrived = skip_dst_gap(after(dispatched, travel))
    closed = skip_dst_gap(np.where(cancelled, after(dispatched, 4 + 6 * rng.random(n)),
                                   after(arrived, scene)))
    # Skipping the DST gap can move one time past the next; keep them ordered.
    arrived = np.maximum(arrived, dispatched)
    closed = np.maximum(closed, arrived)
    arrived[cancelled] = np.datetime64("NaT")
    return dispatched, arrived, closed


def generate_calls(pool: AddressPool, n: int, start: np.datetime64, end: np.datetime64,
                   rng: np.random.Generator) -> Calls:
    """``n`` calls between ``start`` (inclusive) and ``end`` (exclusive), sorted by time."""
    received = np.sort(draw_received(n, start, end, rng))
    addr = rng.choice(len(pool.weight), size=n, p=pool.weight).astype(np.int32)
    dom = pool.dominant[addr]
    pulled = (dom >= 0) & (rng.random(n) < DOMINANT_PULL)
    group = np.where(pulled, dom, rng.choice(len(GROUPS), size=n, p=group_mix(pool)))
    group = group.astype(np.int8)
    code = draw_codes(group, rng)
    priority = CODE_PRIORITY[code].copy()
    bump = (priority < 5) & (rng.random(n) < 0.12)  # the call-taker's judgement varies
    priority[bump] += 1
    disposition = draw_dispositions(code, group, rng)
    dispatched, arrived, closed = draw_times(received, priority, group, disposition, rng)
    # Calls land near their block (about +-30 m), never past the block's edge margin.
    jitter = rng.uniform(-0.0003, 0.0003, size=(n, 2))
    lon = pool.lon[addr] + jitter[:, 0]
    lat = pool.lat[addr] + jitter[:, 1]
    missing = rng.random(n) < MISSING_COORD_SHARE
    lon[missing] = np.nan
    lat[missing] = np.nan
    return Calls(received=received, addr=addr, area=pool.area[addr], code=code, group=group,
                 priority=priority, disposition=disposition, dispatched=dispatched,
                 arrived=arrived, closed=closed, lon=lon, lat=lat)
