"""Triage rules: incident codes to a category and an eligibility tier.

A ruleset is YAML (the default ships in ``resources/triage_rules.yaml``)::

    version: cincinnati-1
    rules:            # first match wins; pattern is a case-insensitive regex on the base code
      - {id: mhc, pattern: '^MHC - NON-VIOLENT', category: behavioral_health, tier: alternative}
    disqualifiers:    # override the tier; the strictest tier wins
      - {modifier: W, tier: police_only, reason: weapon}
      - {pattern: '\\(W\\)', tier: police_only, reason: weapon flag inside a Fire/EMS code}

The base code is the published code without its origin mark (a leading ``+`` or ``=``) and without
its trailing modifier flags (``(IP)``, ``(JO)(E)``, ...). A disqualifier never loosens a tier: the
result is the stricter of the rule's tier and every matching disqualifier's tier
(alternative < co_response < police_only). Codes no rule matches are kept as ``unclassified``
with tier ``police_only`` and ``rule_id`` None, and are listed by :func:`unmatched_codes`.
"""

from __future__ import annotations

import re
from functools import cached_property
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from response_atlas.schema import CATEGORIES, TIERS

UNCLASSIFIED = "unclassified"
UNCLASSIFIED_TIER = "police_only"
DEFAULT_RULES_RESOURCE = "triage_rules.yaml"

_TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}
# The run of trailing flags such as "(IP)(W)"; flags are short tokens.
_TRAILING_FLAGS = re.compile(r"(?:\s*\([A-Za-z0-9]{1,4}\))+\s*$")
_FLAG = re.compile(r"\(([A-Za-z0-9]{1,4})\)")
_SPACES = re.compile(r"\s+")


class RulesError(ValueError):
    """A ruleset that does not validate; ``problems`` lists each one (``rules[3].category: ...``)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Invalid triage rules:\n" + "\n".join(f"- {p}" for p in problems))


def _check_regex(value: str) -> str:
    try:
        re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from exc
    return value


def _check_category(value: str) -> str:
    if value not in CATEGORIES:
        raise ValueError(f"unknown category {value!r}; use one of {', '.join(CATEGORIES)}")
    return value


def _check_tier(value: str) -> str:
    if value not in TIERS:
        raise ValueError(f"unknown tier {value!r}; use one of {', '.join(TIERS)}")
    return value


class Rule(BaseModel):
    """One rule: a regex on the base code, the category and tier it gives."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    pattern: str = Field(min_length=1)
    category: str
    tier: str
    description: str | None = None

    _check_pattern = field_validator("pattern")(_check_regex)

    _check_category = field_validator("category")(_check_category)
    _check_tier = field_validator("tier")(_check_tier)

    @cached_property
    def regex(self) -> re.Pattern:
        return re.compile(self.pattern, re.IGNORECASE)


class Disqualifier(BaseModel):
    """A modifier flag (e.g. ``W``) or a regex on the base code that forces a stricter tier."""

    model_config = ConfigDict(extra="forbid")

    modifier: str | None = None
    pattern: str | None = None
    tier: str = "police_only"
    reason: str = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _valid_pattern(cls, value: str | None) -> str | None:
        return None if value is None else _check_regex(value)

    @field_validator("modifier")
    @classmethod
    def _upper_modifier(cls, value: str | None) -> str | None:
        return None if value is None else value.strip().strip("()").upper()

    _check_tier = field_validator("tier")(_check_tier)

    @model_validator(mode="after")
    def _one_trigger(self) -> Disqualifier:
        if (self.modifier is None) == (self.pattern is None):
            raise ValueError("give exactly one of 'modifier' or 'pattern'")
        return self

    def applies(self, base: str, modifiers: tuple[str, ...]) -> bool:
        if self.modifier is not None:
            return self.modifier in modifiers
        return re.search(self.pattern, base, re.IGNORECASE) is not None


class Ruleset(BaseModel):
    """A validated ruleset; build with :func:`load_rules`."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1)
    rules: list[Rule]
    disqualifiers: list[Disqualifier] = Field(default_factory=list)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _unique_ids(self) -> Ruleset:
        seen: dict[str, int] = {}
        for index, rule in enumerate(self.rules):
            if rule.id in seen:
                raise ValueError(f"rules[{index}].id: {rule.id!r} repeats rules[{seen[rule.id]}]")
            seen[rule.id] = index
        return self

    def classify(self, code: str) -> tuple[str, str, str, str | None]:
        """``(modifiers, category, tier, rule_id)`` for one published code."""
        base, modifiers = parse_incident_code(code)
        category, tier, rule_id = UNCLASSIFIED, UNCLASSIFIED_TIER, None
        for rule in self.rules:
            if rule.regex.search(base):
                category, tier, rule_id = rule.category, rule.tier, rule.id
                break
        for disq in self.disqualifiers:
            if disq.applies(base, modifiers) and _TIER_RANK[disq.tier] > _TIER_RANK[tier]:
                tier = disq.tier
        return ",".join(modifiers), category, tier, rule_id


def parse_incident_code(code: str) -> tuple[str, tuple[str, ...]]:
    """Split a published code into its base code and trailing modifier flags.

    ``'DOMESTIC DIST PHYS (IP)'`` -> ``('DOMESTIC DIST PHYS', ('IP',))``;
    ``'+DISORD'`` -> ``('DISORD', ())`` (the origin mark is dropped);
    ``'OD - (C) 23C1A NOT ALERT, ACC'`` -> unchanged, no modifiers: ``(C)`` is part of the Fire/EMS
    determinant, not a trailing flag. Flags right after a ``" - "`` separator (``'=EMS - (C)'``)
    also belong to the code.
    """
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return "", ()
    text = _SPACES.sub(" ", str(code)).strip().lstrip("+=").strip()
    match = _TRAILING_FLAGS.search(text)
    if not match:
        return text, ()
    rest = text[: match.start()].rstrip()
    # Fire/EMS: in "ASSLTI - (C)(W)" the flags follow the separator and belong to the code.
    if not rest or rest.endswith("-"):
        return text, ()
    return rest, tuple(f.upper() for f in _FLAG.findall(match.group(0)))


def load_rules(text_or_path: str | Path) -> Ruleset:
    """Parse and validate a ruleset from YAML text or a file path; raises :class:`RulesError`."""
    if isinstance(text_or_path, Path) or (
        isinstance(text_or_path, str) and "\n" not in text_or_path and text_or_path.endswith((".yaml", ".yml"))
    ):
        text = Path(text_or_path).read_text(encoding="utf-8")
    else:
        text = str(text_or_path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError([f"not valid YAML: {exc}"]) from exc
    if not isinstance(data, dict):
        raise RulesError(["the rules file must be a mapping with 'version' and 'rules'"])
    try:
        return Ruleset.model_validate(data)
    except ValidationError as exc:
        raise RulesError([_describe(err) for err in exc.errors()]) from None


def _describe(err: dict) -> str:
    where = ""
    for part in err["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = err["msg"].removeprefix("Value error, ")
    return f"{where or 'ruleset'}: {message}"


def default_rules_text() -> str:
    """The YAML text of the ruleset shipped with the project."""
    return (resources.files("response_atlas") / "resources" / DEFAULT_RULES_RESOURCE).read_text(
        encoding="utf-8"
    )


def default_rules() -> Ruleset:
    """The ruleset shipped with the project (``resources/triage_rules.yaml``)."""
    return load_rules(default_rules_text())


def dump_rules(ruleset: Ruleset) -> str:
    """YAML text for ``ruleset`` (loads back to an equal ruleset)."""
    data = ruleset.model_dump(exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


CLASSIFY_COLUMNS = ("incident_base", "modifiers", "category", "tier", "rule_id")


def classify_codes(codes: pd.Series, ruleset: Ruleset) -> pd.DataFrame:
    """Classify every code; returns ``incident_base, modifiers, category, tier, rule_id``.

    Only the distinct codes are classified (millions of calls share a few hundred codes); the
    result has the index of ``codes``.
    """
    codes = pd.Series(codes)
    keys, uniques = pd.factorize(codes, use_na_sentinel=True)
    table = [(parse_incident_code(code)[0], *ruleset.classify(code)) for code in uniques]
    table.append(("", "", UNCLASSIFIED, UNCLASSIFIED_TIER, None))  # slot for missing codes
    # object dtype keeps rule_id None (pandas 3 would infer a string column with NaN).
    lookup = pd.DataFrame(table, columns=list(CLASSIFY_COLUMNS), dtype=object)
    positions = keys.copy()
    positions[positions < 0] = len(table) - 1
    out = lookup.iloc[positions].reset_index(drop=True)
    out.index = codes.index
    return out


def count_rule_matches(codes: pd.Series, ruleset: Ruleset) -> pd.DataFrame:
    """Calls each rule matched (every rule listed, in order, zeros included).

    Columns ``rule_id, category, tier, description, calls``; the tier is the rule's own (before
    disqualifiers).
    """
    counts = pd.Series(codes).value_counts(dropna=True)
    matched = classify_codes(pd.Series(counts.index), ruleset)
    per_rule = pd.Series(counts.to_numpy(), index=matched["rule_id"].to_numpy()).groupby(level=0).sum()
    rows = [
        {"rule_id": r.id, "category": r.category, "tier": r.tier,
         "description": r.description or "", "calls": int(per_rule.get(r.id, 0))}
        for r in ruleset.rules
    ]
    return pd.DataFrame(rows, columns=["rule_id", "category", "tier", "description", "calls"])


def unmatched_codes(codes: pd.Series, ruleset: Ruleset) -> pd.DataFrame:
    """Base codes no rule matches, with their call counts, most frequent first (``code, calls``)."""
    counts = pd.Series(codes).dropna().value_counts()
    if counts.empty:
        return pd.DataFrame({"code": pd.Series(dtype=object), "calls": pd.Series(dtype="int64")})
    matched = classify_codes(pd.Series(counts.index), ruleset)
    missing = matched["rule_id"].isna().to_numpy()
    out = pd.DataFrame({"code": matched["incident_base"].to_numpy()[missing],
                        "calls": counts.to_numpy()[missing]})
    out = out.groupby("code", as_index=False)["calls"].sum()
    return out.sort_values(["calls", "code"], ascending=[False, True]).reset_index(drop=True)
