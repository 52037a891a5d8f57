"""Weekly team schedules: a small text grammar, vectorized on-duty checks, what-if edits.

Grammar (case-insensitive, parts separated by ``;``)::

    24/7
    Mon-Fri 07:00-15:00; Sat 10:00-18:00
    Mon,Wed,Fri 09:00-17:00
    Mon-Fri 07:00-11:00, 13:00-17:00          (several spans on the same days)
    Fri-Sat 22:00-06:00                       (overnight: crosses midnight)
    Daily 08:00-20:00                         ("Daily" = Mon-Sun)
    Mon-Fri 07:00-15:00 except 2025-12-25, 2026-01-01

Rules:

- Days are ``Mon Tue Wed Thu Fri Sat Sun`` (full names also accepted); ranges may wrap
  (``Sat-Mon``).
- Times are ``HH:MM`` on the local wall clock; ``24:00`` is allowed as an end only.
- An end earlier than the start crosses midnight, and the span **belongs to the day it starts**:
  ``Fri-Sat 22:00-06:00`` covers Fri 22:00 to Sat 06:00 and Sat 22:00 to Sun 06:00.
  An end equal to the start means a 24-hour shift.
- ``except`` lists holiday dates (``YYYY-MM-DD``); a span that *starts* on a holiday does not run.
  Holidays are only applied when :meth:`Schedule.on_duty` is given dates.

Times are local wall-clock times (America/New_York), like the calls' ``weekday`` and ``hour``
columns. On DST change days the check simply uses the wall clock: a shift of 01:00-05:00 on the
spring-forward Sunday lasts three real hours, and a call at 01:30 on the fall-back Sunday (which
happens twice) is on duty both times. That matches how rosters are written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

_TIME_RANGE = re.compile(r"(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ScheduleError(ValueError):
    """A schedule text that does not follow the grammar; ``problems`` lists every bad part."""

    def __init__(self, text: str, problems: list[str]):
        self.text = text
        self.problems = problems
        super().__init__(f"Invalid schedule '{text}': " + "; ".join(problems))


@dataclass(frozen=True)
class Span:
    """One shift: starts on ``day`` (0=Mon) at ``start`` minutes, ends ``end`` minutes after that
    day's midnight (``end`` > 1440 means it crosses midnight into the next day)."""

    day: int
    start: int
    end: int

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Schedule:
    """A weekly schedule: spans plus optional holiday dates. Build with :func:`parse_schedule`."""

    spans: tuple[Span, ...]
    holidays: frozenset[date] = field(default_factory=frozenset)

    # --- week-minute grids ---------------------------------------------------------------
    def _grids(self) -> tuple[np.ndarray, np.ndarray]:
        """Boolean week-minute grids: minutes on duty from spans starting that day (``same``) and
        from spans that started the day before (``spill``). Kept apart for holidays."""
        same = np.zeros(MINUTES_PER_WEEK, dtype=bool)
        spill = np.zeros(MINUTES_PER_WEEK, dtype=bool)
        for s in self.spans:
            base = s.day * MINUTES_PER_DAY
            first_end = min(s.end, MINUTES_PER_DAY)
            same[base + s.start : base + first_end] = True
            if s.end > MINUTES_PER_DAY:
                idx = (base + np.arange(MINUTES_PER_DAY, s.end)) % MINUTES_PER_WEEK
                spill[idx] = True
        return same, spill

    def week_grid(self) -> np.ndarray:
        """10,080 booleans, one per minute of the week from Monday 00:00 (holidays ignored)."""
        same, spill = self._grids()
        return same | spill

    # --- queries ---------------------------------------------------------------------------
    def on_duty(self, weekday, minute_of_day, dates=None) -> np.ndarray:
        """Vectorized: is the team on duty at local ``weekday`` (0=Mon) and ``minute_of_day``?

        ``dates`` (optional, same length, anything numpy turns into ``datetime64[D]``; missing
        values allowed) applies the holidays. Without dates holidays are ignored.
        """
        wd = np.asarray(weekday, dtype=np.int64)
        mins = np.asarray(minute_of_day, dtype=np.int64)
        idx = wd * MINUTES_PER_DAY + mins
        same, spill = self._grids()
        on_same = same[idx]
        on_spill = spill[idx]
        if dates is not None and self.holidays:
            d = np.asarray(dates, dtype="datetime64[D]")
            hol = np.array(sorted(self.holidays), dtype="datetime64[D]")
            valid = ~np.isnat(d)
            starts_holiday = valid & np.isin(d, hol)
            # A spill minute belongs to the span that started the day before.
            prev_holiday = valid & np.isin(d - np.timedelta64(1, "D"), hol)
            on_same = on_same & ~starts_holiday
            on_spill = on_spill & ~prev_holiday
        return on_same | on_spill

    def weekly_hours(self) -> float:
        """Hours on duty in a normal week (overlapping spans counted once; holidays ignored)."""
        return float(self.week_grid().sum()) / 60.0

    def matrix(self) -> np.ndarray:
        """7 x 24 array: the fraction of each (weekday, hour) on duty, for drawing on heatmaps."""
        return self.week_grid().reshape(7, 24, 60).mean(axis=2)

    def boundaries(self) -> set[int]:
        """Minute-of-day values where duty may start or stop (for exact time bucketing)."""
        out: set[int] = set()
        for s in self.spans:
            out.add(s.start % MINUTES_PER_DAY)
            out.add(s.end % MINUTES_PER_DAY)
        return out

    # --- what-if edits ---------------------------------------------------------------------
    def extend(self, minutes_before: int = 0, minutes_after: int = 0) -> Schedule:
        """Every span starts ``minutes_before`` earlier and ends ``minutes_after`` later.

        Negative values shorten; a span is capped at 24 hours and dropped when it vanishes.
        """
        spans = []
        for s in self.spans:
            start = s.start - int(minutes_before)
            end = s.end + int(minutes_after)
            if end - start > MINUTES_PER_DAY:
                end = start + MINUTES_PER_DAY
            if end <= start:
                continue
            spans.append(_normalize(s.day, start, end))
        return _make(spans, self.holidays)

    def shift(self, minutes: int) -> Schedule:
        """Move every span by ``minutes`` (positive = later), keeping its length."""
        m = int(minutes)
        return _make((_normalize(s.day, s.start + m, s.end + m) for s in self.spans), self.holidays)

    # --- text ------------------------------------------------------------------------------
    def to_text(self) -> str:
        """The schedule in the grammar (re-parses to the same schedule)."""
        if not self.spans:
            text = ""
        elif self.week_grid().all() and all(s.minutes == MINUTES_PER_DAY for s in self.spans):
            text = "24/7"
        else:
            by_times: dict[tuple[int, int], list[int]] = {}
            for s in sorted(self.spans, key=lambda s: (s.day, s.start)):
                days = by_times.setdefault((s.start, s.end), [])
                if s.day not in days:
                    days.append(s.day)
            parts = [
                f"{_days_text(days)} {_clock(start)}-{_clock(end, is_end=True)}"
                for (start, end), days in sorted(by_times.items(), key=lambda kv: (kv[1][0], kv[0]))
            ]
            text = "; ".join(parts)
        if self.holidays:
            text += " except " + ", ".join(d.isoformat() for d in sorted(self.holidays))
        return text.strip()

    def __str__(self) -> str:
        return self.to_text()


def _make(spans, holidays) -> Schedule:
    """A schedule with spans deduplicated and sorted, so equal schedules compare equal."""
    ordered = sorted(set(spans), key=lambda s: (s.day, s.start, s.end))
    return Schedule(tuple(ordered), frozenset(holidays))


def _normalize(day: int, start: int, end: int) -> Span:
    """Move a span whose start left the day [0, 1440) onto the day it now starts."""
    while start < 0:
        day, start, end = day - 1, start + MINUTES_PER_DAY, end + MINUTES_PER_DAY
    while start >= MINUTES_PER_DAY:
        day, start, end = day + 1, start - MINUTES_PER_DAY, end - MINUTES_PER_DAY
    return Span(day % 7, start, end)


def _clock(minute: int, is_end: bool = False) -> str:
    if is_end and minute == MINUTES_PER_DAY:
        return "24:00"
    m = minute % MINUTES_PER_DAY
    return f"{m // 60:02d}:{m % 60:02d}"


def _days_text(days: list[int]) -> str:
    """Compress weekday numbers into ``Mon-Fri`` / ``Mon,Wed,Fri`` (no wrap-around)."""
    ds = sorted(set(days))
    if len(ds) == 7:
        return "Mon-Sun"
    runs: list[list[int]] = []
    for d in ds:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    out = []
    for run in runs:
        if len(run) >= 3:
            out.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            out.extend(DAY_NAMES[d] for d in run)
    return ",".join(out)


def _parse_day(token: str) -> int | None:
    t = token.strip().lower()
    for i, name in enumerate(_FULL_DAY_NAMES):
        if len(t) >= 3 and name.startswith(t):
            return i
    return None


def _parse_days(text: str, problems: list[str]) -> list[int]:
    t = re.sub(r"\s*-\s*", "-", text.strip().lower())
    if t in ("daily", "every day", "everyday", "all days"):
        return list(range(7))
    if not t:
        problems.append("missing days before the times (write e.g. 'Mon-Fri 07:00-15:00')")
        return []
    days: list[int] = []
    for item in re.split(r"\s*,\s*|\s+", t):
        if not item:
            continue
        if "-" in item:
            a, _, b = item.partition("-")
            da, db = _parse_day(a), _parse_day(b)
            if da is None or db is None:
                problems.append(
                    f"unknown day range '{item}' (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)"
                )
                continue
            d = da
            while True:  # ranges may wrap, e.g. Sat-Mon
                days.append(d)
                if d == db:
                    break
                d = (d + 1) % 7
        else:
            d = _parse_day(item)
            if d is None:
                problems.append(f"unknown day '{item}' (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)")
                continue
            days.append(d)
    return days


def _parse_clock(text: str, is_end: bool, problems: list[str]) -> int | None:
    hh, _, mm = text.partition(":")
    h, m = int(hh), int(mm)
    if m > 59 or h > 24 or (h == 24 and m != 0):
        problems.append(f"'{text}' is not a time of day (00:00 to 24:00)")
        return None
    if h == 24 and not is_end:
        problems.append(f"'{text}' can only end a span, not start one")
        return None
    return h * 60 + m


def _parse_part(part: str, problems: list[str]) -> list[Span]:
    if part.lower() in ("24/7", "24x7"):
        return [Span(d, 0, MINUTES_PER_DAY) for d in range(7)]
    ranges = list(_TIME_RANGE.finditer(part))
    if not ranges:
        problems.append(f"'{part}' has no time range like 07:00-15:00")
        return []
    days_text = part[: ranges[0].start()]
    # Everything after the days must be time ranges separated by commas.
    rest = _TIME_RANGE.sub("", part[ranges[0].start() :])
    if rest.replace(",", "").strip():
        problems.append(f"could not read '{rest.strip(' ,')}' in '{part}'")
    before = len(problems)
    days = _parse_days(days_text, problems)
    spans = []
    for match in ranges:
        start = _parse_clock(match.group(1), False, problems)
        end = _parse_clock(match.group(2), True, problems)
        if start is None or end is None:
            continue
        if end <= start:  # crosses midnight (equal = a 24-hour shift)
            end += MINUTES_PER_DAY
        spans.extend(Span(d, start, end) for d in days)
    return spans if len(problems) == before else []


def parse_schedule(text: str) -> Schedule:
    """Parse schedule text (see the module docstring); raises :class:`ScheduleError`."""
    if text is None or not str(text).strip():
        raise ScheduleError(
            str(text or ""), ["the schedule is empty (write e.g. 'Mon-Fri 07:00-15:00' or '24/7')"]
        )
    raw = str(text).strip()
    problems: list[str] = []
    body, holidays_text = raw, ""
    found = re.search(r"\bexcept\b", raw, flags=re.IGNORECASE)
    if found:
        body, holidays_text = raw[: found.start()], raw[found.end() :]
    holidays: set[date] = set()
    if found and not holidays_text.strip(" ,;"):
        problems.append("'except' must be followed by dates like 2025-12-25")
    for token in re.split(r"[\s,;]+", holidays_text.strip()):
        if not token:
            continue
        try:
            if not _DATE.match(token):
                raise ValueError
            holidays.add(date.fromisoformat(token))
        except ValueError:
            problems.append(f"holiday '{token}' is not a date like 2025-12-25")
    spans: list[Span] = []
    parts = [p.strip() for p in body.split(";")]
    for part in parts:
        if part:
            spans.extend(_parse_part(part, problems))
    if not problems and not spans:
        problems.append("no shifts found (write e.g. 'Mon-Fri 07:00-15:00' or '24/7')")
    if problems:
        raise ScheduleError(raw, problems)
    return _make(spans, holidays)


def is_valid_schedule(text: str) -> str | None:
    """``None`` when ``text`` parses, else the error message (handy for validators)."""
    try:
        parse_schedule(text)
    except ScheduleError as exc:
        return str(exc)
    return None
