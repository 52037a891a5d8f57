"""Source presets: map a publisher's columns onto the canonical calls columns.

A preset names, for each canonical column (``schema.CALL_COLUMNS``), the source column(s) that
hold it; the first candidate present in the header wins and headers match case-insensitively, so
the Cincinnati open-data API form (lowercase) and its CSV export (UPPERCASE) share one preset.
Times are parsed with ``time_format`` (``None``: ISO 8601; ``"auto"``: ISO or the export's
``MM/DD/YYYY hh:mm:ss AM``, decided per file from the first values).

Built-in presets: ``canonical``, ``cincinnati`` (police calls for service, gexm-h6bt),
``cincinnati_ems`` (Fire/EMS incidents, vnsz-a3wp: five columns, no id, so a stable id is made
from the row's content). Users may add their own in YAML::

    kind: calls
    name: my_county          # optional
    columns: {call_id: EventID, received_at: CallTime, incident_code: Nature, lat: Y, lon: X}
    time_format: "%m/%d/%Y %H:%M"
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from response_atlas.schema import CALL_COLUMNS

US_EXPORT_TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"
AREA_NAME_PROPERTIES = ("name", "neighborhood", "neighborhood_2020", "NAME", "area")


class PresetError(ValueError):
    """A preset that cannot be used: unknown name, bad YAML, or missing required columns."""


@dataclass(frozen=True)
class CallPreset:
    """How to read one publisher's calls file."""

    name: str
    columns: dict[str, tuple[str, ...]]  # canonical -> candidate source columns
    time_format: str | None = "auto"
    synthetic_id: bool = False  # no id column: build one from the row's content
    defaults: dict[str, str] = field(default_factory=dict)  # constant values, e.g. agency

    def resolve(self, header: Iterable[str]) -> dict[str, str]:
        """Canonical -> actual source column for this header; raises naming missing required.

        The error names each missing canonical column, the preset, the source name(s) it
        looked for and the closest column the header does hold.
        """
        header = [h.strip() for h in header]
        found = self._found(header)
        required = [c for c, (req, _) in CALL_COLUMNS.items() if req]
        if self.synthetic_id:
            required.remove("call_id")
        missing = [c for c in required if c not in found]
        if missing:
            unused = [h for h in header if h not in found.values()]
            wanted = "; ".join(self._missing_text(c, unused) for c in missing)
            raise PresetError(f"missing required column(s) for preset {self.name!r}: {wanted}")
        return found

    def near_misses(self, header: Iterable[str]) -> list[str]:
        """Optional columns the header seems to hold under a misspelt name (for the report)."""
        header = [h.strip() for h in header]
        found = self._found(header)
        unused = [h for h in header if h not in found.values()]
        notes = []
        for canonical in self.columns:
            if canonical not in found:
                close = closest_column(self.columns[canonical], unused, cutoff=0.85)
                if close:
                    notes.append(f"optional column {canonical} not found for preset {self.name!r} "
                                 f"(looked for {', '.join(self.columns[canonical])}): "
                                 f"did you mean {close}? (left empty)")
        return notes

    def _found(self, header: list[str]) -> dict[str, str]:
        by_lower = {h.lower(): h for h in header}
        found: dict[str, str] = {}
        for canonical, candidates in self.columns.items():
            for candidate in candidates:
                if candidate.lower() in by_lower:
                    found[canonical] = by_lower[candidate.lower()]
                    break
        return found

    def _missing_text(self, canonical: str, unused: list[str]) -> str:
        candidates = self.columns.get(canonical, ())
        if not candidates:
            return f"{canonical} (not mapped by the preset)"
        close = closest_column((*candidates, canonical), unused)
        hint = f": did you mean {close}?" if close else ": no column like it in the file"
        return f"{canonical} (looked for {', '.join(candidates)}){hint}"


def closest_column(names: Iterable[str], header: list[str], cutoff: float = 0.6) -> str | None:
    """The header column closest to any of ``names`` (case-insensitive), or None.

    Closeness is difflib's ratio; a column that holds the name or is held by it (``latitude``
    for ``lat``, ``latitude`` for ``latitude_x``) counts as close even when the ratio is low.
    """
    best: tuple[float, str] | None = None
    for name in (n.lower() for n in names):
        for column in header:
            text = column.lower()
            score = difflib.SequenceMatcher(None, name, text).ratio()
            if min(len(name), len(text)) >= 3 and (name in text or text in name):
                score = max(score, 0.75)
            if score >= cutoff and (best is None or score > best[0]):
                best = (score, column)
    return best[1] if best else None


def _same(*names: str) -> dict[str, tuple[str, ...]]:
    return {n: (n,) for n in names}


CANONICAL = CallPreset("canonical", _same(*CALL_COLUMNS), time_format="auto")

CINCINNATI = CallPreset(
    "cincinnati",
    {
        "call_id": ("event_number",),
        "received_at": ("create_time_incident",),
        "incident_code": ("incident_type_id",),
        "priority": ("priority",),
        "disposition": ("disposition_text",),
        "address": ("address_x",),
        "lat": ("latitude_x",),
        "lon": ("longitude_x",),
        "incident_desc": ("incident_type_desc",),
        "dispatched_at": ("dispatch_time_primary_unit",),
        "arrived_at": ("arrival_time_primary_unit",),
        "closed_at": ("closed_time_incident",),
        "agency": ("agency",),
        "beat": ("beat",),
        "district": ("district",),
        "area_published": ("sna_neighborhood", "cpd_neighborhood", "community_council_neighborhood"),
    },
    time_format="auto",
)

CINCINNATI_EMS = CallPreset(
    "cincinnati_ems",
    {
        "received_at": ("create_time_incident", "datetime"),
        "incident_code": ("incident_type_id",),
        "lat": ("latitude",),
        "lon": ("longitude",),
    },
    time_format="auto",
    synthetic_id=True,
    defaults={"agency": "CFD"},
)

PRESETS: dict[str, CallPreset] = {p.name: p for p in (CANONICAL, CINCINNATI, CINCINNATI_EMS)}


class _UserPreset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = "calls"
    name: str = "custom"
    columns: dict[str, str | list[str]] = Field(min_length=1)
    time_format: str | None = "auto"
    synthetic_id: bool = False
    defaults: dict[str, str] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _calls_only(cls, value: str) -> str:
        if value != "calls":
            raise ValueError("only kind 'calls' mappings are supported")
        return value

    @field_validator("columns")
    @classmethod
    def _canonical_keys(cls, value: dict) -> dict:
        unknown = sorted(set(value) - set(CALL_COLUMNS))
        if unknown:
            raise ValueError(f"unknown canonical column(s) {unknown}; use {list(CALL_COLUMNS)}")
        return value


def load_user_preset(text_or_path: str | Path) -> CallPreset:
    """A preset from a YAML mapping (text or a ``.yaml`` path); raises :class:`PresetError`."""
    is_path = isinstance(text_or_path, Path) or (
        "\n" not in text_or_path and text_or_path.endswith((".yaml", ".yml"))
    )
    text = Path(text_or_path).read_text(encoding="utf-8") if is_path else str(text_or_path)
    try:
        spec = _UserPreset.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise PresetError(f"invalid preset mapping: {exc}") from None
    columns = {k: (v,) if isinstance(v, str) else tuple(v) for k, v in spec.columns.items()}
    return CallPreset(spec.name, columns, spec.time_format, spec.synthetic_id, dict(spec.defaults))


def get_preset(name: str, data_dir: Path | None = None) -> CallPreset:
    """A built-in preset by name, or a user preset file ``<data>/presets/<name>.yaml`` / a path."""
    if name in PRESETS:
        return PRESETS[name]
    candidates = [Path(name)]
    if data_dir is not None:
        candidates.insert(0, Path(data_dir) / "presets" / f"{name}.yaml")
    for candidate in candidates:
        if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
            return load_user_preset(candidate)
    raise PresetError(f"unknown preset {name!r}; built-in presets: {', '.join(PRESETS)}")


def detect_preset(header: Iterable[str]) -> CallPreset:
    """Pick the built-in preset whose required columns the header holds (most specific first)."""
    lower = {h.strip().lower() for h in header}
    if {"event_number", "create_time_incident", "incident_type_id"} <= lower:
        return CINCINNATI
    if {"create_time_incident", "incident_type_id", "latitude", "longitude"} <= lower:
        return CINCINNATI_EMS
    if {"call_id", "received_at", "incident_code"} <= lower:
        return CANONICAL
    raise PresetError(
        "cannot tell the calls format from the header "
        f"({', '.join(sorted(lower)[:12])}); expected canonical columns call_id, received_at, "
        "incident_code, or a Cincinnati export; pass --preset"
    )


def pick_time_format(samples: Iterable[str], time_format: str | None) -> str | None:
    """The strptime format for these sample values; ``None`` means ISO 8601."""
    if time_format != "auto":
        return time_format
    for value in samples:
        text = str(value).strip()
        if not text:
            continue
        if len(text) >= 10 and text[2] == "/" and text[5] == "/":
            return US_EXPORT_TIME_FORMAT if text.upper().endswith(("AM", "PM")) else "%m/%d/%Y %H:%M:%S"
        return None
    return None
