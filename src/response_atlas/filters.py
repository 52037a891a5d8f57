"""The shared filters (date range, areas, categories, tiers, hours, weekdays) as a value object.

Pure: turns filters into a SQL ``WHERE`` clause for the snapshot's ``calls`` table, and into / from
URL query parameters so that a copied link reopens the same view.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date

from response_atlas.schema import CATEGORIES, SENSITIVE_CATEGORIES, TIERS

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOUR_BAND = 6  # public hour filters snap to 00-05, 06-11, 12-17, 18-23


@dataclass(frozen=True)
class Filters:
    """What the user chose. Empty tuples mean "all"."""

    start: date
    end: date  # inclusive
    areas: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    hours: tuple[int, int] = (0, 23)  # inclusive range of local hours
    weekdays: tuple[int, ...] = ()  # 0 = Monday
    notes: tuple[str, ...] = field(default=(), compare=False)  # messages about fixed-up input
    # Public grid (set by snap_public): domestic violence and overdose calls are left out as soon
    # as an hour or weekday filter is active, so they are never counted below area by month.
    public_grid: bool = False

    def with_(self, **changes) -> Filters:
        """A copy with some fields changed."""
        return replace(self, **changes)

    @property
    def below_day(self) -> bool:
        """True when an hour or weekday filter narrows the calls below whole days."""
        return tuple(self.hours) != (0, 23) or bool(self.weekdays and len(set(self.weekdays)) < 7)

    @property
    def drops_sensitive(self) -> bool:
        """True when the public grid leaves domestic violence and overdose calls out."""
        return self.public_grid and self.below_day


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def snap_hours(hours: tuple[int, int]) -> tuple[int, int]:
    """An hour range widened to whole six-hour bands (8-17 -> 6-17)."""
    lo, hi = int(hours[0]), int(hours[1])
    return (lo // HOUR_BAND) * HOUR_BAND, (hi // HOUR_BAND) * HOUR_BAND + HOUR_BAND - 1


def snap_public(f: Filters) -> Filters:
    """The public grid: whole calendar months, six-hour bands, sensitive calls kept to area by
    month (see :attr:`Filters.drops_sensitive`). Two links whose filters snap alike show the
    same figures, so a one-day or one-hour difference between links reveals nothing."""
    return replace(f, start=month_start(f.start), end=month_end(f.end),
                   hours=snap_hours(f.hours), public_grid=True)


def build_where(f: Filters, table_alias: str = "") -> tuple[str, list]:
    """Return ``(sql, params)`` selecting the calls that match ``f``; sql has no ``WHERE`` word."""
    p = f"{table_alias}." if table_alias else ""
    clauses = [f"{p}call_date BETWEEN ? AND ?"]
    params: list = [f.start, f.end]
    for column, values in (("area", f.areas), ("category", f.categories), ("tier", f.tiers)):
        if values:
            clauses.append(f"{p}{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if tuple(f.hours) != (0, 23):
        clauses.append(f"{p}hour BETWEEN ? AND ?")
        params.extend([int(f.hours[0]), int(f.hours[1])])
    if f.weekdays and len(set(f.weekdays)) < 7:
        clauses.append(f"{p}weekday IN ({', '.join('?' * len(f.weekdays))})")
        params.extend(int(d) for d in f.weekdays)
    if f.drops_sensitive:
        clauses.append(f"{p}category NOT IN ({', '.join('?' * len(SENSITIVE_CATEGORIES))})")
        params.extend(SENSITIVE_CATEGORIES)
    return " AND ".join(clauses), params


def describe_filters(f: Filters) -> str:
    """The active filters in plain words, for titles in presentation mode and for exports."""
    parts = [f"{f.start:%d %b %Y} to {f.end:%d %b %Y}"]
    parts.append(", ".join(f.areas) if f.areas else "all areas")
    if f.categories:
        from response_atlas.schema import CATEGORY_LABELS

        parts.append(", ".join(CATEGORY_LABELS.get(c, c) for c in f.categories))
    else:
        parts.append("all call types")
    if f.tiers:
        from response_atlas.schema import TIER_LABELS

        parts.append(", ".join(TIER_LABELS.get(t, t) for t in f.tiers))
    if tuple(f.hours) != (0, 23):
        parts.append(f"{f.hours[0]:02d}:00-{f.hours[1]:02d}:59")
    if f.weekdays and len(set(f.weekdays)) < 7:
        parts.append(", ".join(WEEKDAY_NAMES[d] for d in sorted(f.weekdays)))
    if f.drops_sensitive:
        parts.append("domestic violence and overdose calls left out (area by month only)")
    return "; ".join(parts)


def filters_to_params(f: Filters, defaults: Filters) -> dict[str, str]:
    """Encode the fields that differ from ``defaults`` as URL query parameters."""
    out: dict[str, str] = {}
    if f.start != defaults.start:
        out["from"] = f.start.isoformat()
    if f.end != defaults.end:
        out["to"] = f.end.isoformat()
    for key, values in (("area", f.areas), ("cat", f.categories), ("tier", f.tiers)):
        if values:
            out[key] = "|".join(values)
    if tuple(f.hours) != (0, 23):
        out["hours"] = f"{f.hours[0]}-{f.hours[1]}"
    if f.weekdays and len(set(f.weekdays)) < 7:
        out["days"] = ",".join(str(d) for d in sorted(f.weekdays))
    return out


def filters_from_params(
    params: dict[str, str], defaults: Filters, known_areas: set[str] | frozenset[str]
) -> Filters:
    """Decode URL query parameters; unknown or malformed values fall back to defaults with a note.

    Never raises on user input: a shared link with a typo still opens, and says what it ignored.
    """
    notes: list[str] = []
    start, end = defaults.start, defaults.end
    for key in ("from", "to"):
        raw = params.get(key)
        if not raw:
            continue
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            notes.append(f"Ignored the date '{raw}' in the link: not a date like 2025-01-31.")
            continue
        if key == "from":
            start = value
        else:
            end = value
    if start > end:
        notes.append("The link's start date was after its end date; showing the default period.")
        start, end = defaults.start, defaults.end

    def pick(key: str, allowed, label: str) -> tuple[str, ...]:
        raw = params.get(key)
        if not raw:
            return ()
        values = [v for v in raw.split("|") if v]
        good = tuple(v for v in values if v in allowed)
        bad = [v for v in values if v not in allowed]
        if bad:
            notes.append(f"Ignored unknown {label} in the link: {', '.join(bad[:5])}.")
        return good

    areas = pick("area", known_areas, "area")
    categories = pick("cat", set(CATEGORIES), "call type")
    tiers = pick("tier", set(TIERS), "tier")
    hours = defaults.hours
    if params.get("hours"):
        try:
            lo, hi = (int(x) for x in params["hours"].split("-"))
            if not (0 <= lo <= hi <= 23):
                raise ValueError
            hours = (lo, hi)
        except ValueError:
            notes.append(f"Ignored the hours '{params['hours']}' in the link.")
    weekdays: tuple[int, ...] = ()
    if params.get("days"):
        try:
            weekdays = tuple(sorted({int(x) for x in params["days"].split(",")}))
            if any(d < 0 or d > 6 for d in weekdays):
                raise ValueError
        except ValueError:
            notes.append(f"Ignored the weekdays '{params['days']}' in the link.")
            weekdays = ()
    return Filters(start, end, areas, categories, tiers, hours, weekdays, tuple(notes))
