"""The program file (``programs.yaml`` in the data folder): launches, changes and served areas.

One entry per program to evaluate (docs/programs.md describes the format)::

    programs:
      - id: arc-central            # unique, lowercase letters, digits and dashes
        name: ARC, central areas   # shown on the page
        program: ARC               # ARC | QRT | DVERT: eligibility rule and team contacts
        teams: [ARC-1, ARC-2]      # optional: team ids whose contacts are the caseload
        launched: 2025-06-02       # with areas (or zones): one launch date
        areas: [Downtown, West End]   # area names, or "all"
        zones: [arc-1]             # instead of areas: zone ids (areas mostly inside them)
        rollout:                   # instead of launched/areas: staggered launches
          - {date: 2025-11-03, areas: [Northside]}
        changes:                   # markers on trend charts, not separate launches
          - {date: 2026-01-05, label: second team starts}

A refresh validates the file against the areas and zones and copies it into the snapshot
(:func:`snapshot_programs_text`); pages read the snapshot's copy (:func:`load_snapshot_programs`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from response_atlas.schema import PROGRAMS

PROGRAMS_FILE = "programs.yaml"
ALL_AREAS = "all"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class _DatesAsText(yaml.SafeLoader):
    """YAML without its own date parsing: a bad date (2025-13-01) becomes a listed problem."""


_DatesAsText.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class ProgramsError(ValueError):
    """Every problem found in a program file, one line each (file, entry, problem)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Rollout:
    """From ``start`` the program serves ``areas`` (or the areas inside ``zones``; ALL_AREAS: all)."""

    start: date
    areas: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """A dated change that is marked on charts (a second team, new hours)."""

    day: date
    label: str


@dataclass(frozen=True)
class ProgramSpec:
    """One program to evaluate."""

    program_id: str
    name: str
    program: str
    rollout: tuple[Rollout, ...]
    teams: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()

    @property
    def launched(self) -> date:
        return min(r.start for r in self.rollout)

    def markers(self) -> list[tuple[date, str]]:
        """(date, label) for every launch and change, in date order, for trend charts."""
        out = [(r.start, f"{self.name}: launch" if i == 0 else f"{self.name}: more areas")
               for i, r in enumerate(sorted(self.rollout, key=lambda r: r.start))]
        out += [(c.day, f"{self.name}: {c.label}") for c in self.changes]
        return sorted(out)


def _date(value, where: str, problems: list[str]) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: date {value!r} is not YYYY-MM-DD")
        return None


def _names(value, where: str, what: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if value == ALL_AREAS and what == "areas":
        return (ALL_AREAS,)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{where}: {what} must be a list of names")
        return ()
    return tuple(v.strip() for v in value)


def _rollouts(entry: dict, where: str, problems: list[str]) -> list[Rollout]:
    steps = entry.get("rollout")
    if steps is None:
        steps = [{"date": entry.get("launched"), "areas": entry.get("areas"),
                  "zones": entry.get("zones")}]
        if entry.get("launched") is None:
            problems.append(f"{where}: needs 'launched' (or a 'rollout' list)")
            return []
    elif not isinstance(steps, list) or not steps:
        problems.append(f"{where}: rollout must be a non-empty list")
        return []
    out = []
    for j, step in enumerate(steps, start=1):
        at = f"{where}, rollout {j}" if "rollout" in entry else where
        if not isinstance(step, dict):
            problems.append(f"{at}: must be a mapping with date and areas")
            continue
        day = _date(step.get("date"), at, problems)
        areas = _names(step.get("areas"), at, "areas", problems)
        zones = _names(step.get("zones"), at, "zones", problems)
        if not areas and not zones:
            problems.append(f"{at}: lists no areas or zones")
        if day is not None:
            out.append(Rollout(day, areas, zones))
    return out


def parse_programs(text: str, source: str = PROGRAMS_FILE, areas=None,
                   zones=None) -> list[ProgramSpec]:
    """The entries of a program file; raises :class:`ProgramsError` listing every problem.

    With ``areas`` / ``zones`` (known names), unknown names are problems too.
    """
    try:
        data = yaml.load(text, Loader=_DatesAsText) or {}
    except yaml.YAMLError as exc:
        raise ProgramsError([f"{source}: not valid YAML ({exc})"]) from None
    entries = data.get("programs") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ProgramsError([f"{source}: needs a top-level 'programs' list"])
    problems: list[str] = []
    specs: list[ProgramSpec] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        where = f"{source}, entry {i}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        pid = str(entry.get("id", ""))
        where = f"{where} ({pid or 'no id'})"
        if not _ID.match(pid):
            problems.append(f"{where}: id must be lowercase letters, digits and dashes")
        elif pid in seen:
            problems.append(f"{where}: id used twice")
        seen.add(pid)
        program = str(entry.get("program", ""))
        if program not in PROGRAMS:
            problems.append(f"{where}: program {program!r} is not one of {', '.join(PROGRAMS)}")
        rollout = _rollouts(entry, where, problems)
        for step in rollout:
            if areas is not None:
                unknown = sorted(set(step.areas) - set(areas) - {ALL_AREAS})
                if unknown:
                    problems.append(f"{where}: unknown areas {unknown}")
            if zones is not None:
                unknown = sorted(set(step.zones) - set(zones))
                if unknown:
                    problems.append(f"{where}: unknown zones {unknown}")
        changes = []
        for j, ch in enumerate(entry.get("changes") or [], start=1):
            day = _date(ch.get("date") if isinstance(ch, dict) else None,
                        f"{where}, change {j}", problems)
            if day is not None:
                changes.append(Change(day, str(ch.get("label") or "change")))
        teams = _names(entry.get("teams"), where, "teams", problems)
        specs.append(ProgramSpec(pid, str(entry.get("name") or pid), program, tuple(rollout),
                                 teams, tuple(changes)))
    if problems:
        raise ProgramsError(problems)
    return specs


def snapshot_programs_text(data_dir: Path, areas, zones) -> str | None:
    """The data folder's program file, checked against the areas and zones (None: no file)."""
    path = Path(data_dir) / PROGRAMS_FILE
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    parse_programs(text, path.name, areas, zones)
    return text


def load_snapshot_programs(snapshot) -> list[ProgramSpec]:
    """The programs copied into ``snapshot`` at refresh ([] when it has none)."""
    path = Path(snapshot.path) / PROGRAMS_FILE
    if not path.is_file():
        return []
    return parse_programs(path.read_text(encoding="utf-8"), PROGRAMS_FILE)
