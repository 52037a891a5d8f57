"""What a triage ruleset does to the calls, and what an edit to it would change.

Everything works on the *distinct* incident codes with their call counts (one SQL ``GROUP BY``,
:func:`code_counts`): a county has millions of calls but a few hundred codes, so classifying the
codes and weighting by counts gives the same totals as classifying every call, at a fraction of the
cost. The rules themselves (matching, precedence, disqualifiers) live in
:mod:`response_atlas.triage_rules`; this module only counts.

Also here: the rules as editable tables (for ``st.data_editor``) and back, and saving an edited
ruleset as a new version in the data folder (the next refresh applies it).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import yaml

from response_atlas.filters import Filters, build_where
from response_atlas.schema import EXTRACT_FILES, TIERS
from response_atlas.triage_rules import (
    RulesError,
    Ruleset,
    classify_codes,
    dump_rules,
    load_rules,
    parse_incident_code,
)

RULE_COLUMNS = ("order", "id", "pattern", "category", "tier", "description")
DISQUALIFIER_COLUMNS = ("modifier", "pattern", "tier", "reason")
ELIGIBLE_TIER = "alternative"  # the tier a crisis team could take without police


# --- counts from the snapshot ----------------------------------------------------------------
def code_counts(snapshot, filters: Filters | None = None) -> pd.DataFrame:
    """Calls per published incident code (``incident_code, calls``), most frequent first.

    The category and tier filters are ignored on purpose: they come from the rules this page
    changes, so filtering by them would hide the calls an edit moves.
    """
    where, params = "TRUE", []
    if filters is not None:
        where, params = build_where(filters.with_(categories=(), tiers=()))
    frame = snapshot.query(
        f"SELECT incident_code, count(*) AS calls FROM calls WHERE {where} GROUP BY 1", params
    )
    frame["calls"] = frame["calls"].astype("int64")
    return frame.sort_values(["calls", "incident_code"], ascending=[False, True],
                             ignore_index=True)


def classify_counts(counts: pd.DataFrame, ruleset: Ruleset) -> pd.DataFrame:
    """``counts`` (``incident_code, calls``) with ``incident_base, modifiers, category, tier,
    rule_id`` added: one classification per distinct code."""
    counts = counts.reset_index(drop=True)
    classes = classify_codes(counts["incident_code"], ruleset).reset_index(drop=True)
    return pd.concat([counts, classes], axis=1)


# --- the rules in force ------------------------------------------------------------------------
def rule_matches(counts: pd.DataFrame, ruleset: Ruleset) -> pd.DataFrame:
    """One row per rule in precedence order, with the calls it matched.

    Columns: ``order`` (1 = tried first), ``id, pattern, category, tier, description, calls``
    and ``made_stricter``: calls the rule matched whose tier a disqualifier tightened (a weapon
    flag on an otherwise eligible code, for example).
    """
    classed = classify_counts(counts, ruleset)
    tier_of = {r.id: r.tier for r in ruleset.rules}
    classed["stricter"] = [
        rid is not None and tier != tier_of.get(rid, tier)
        for rid, tier in zip(classed["rule_id"], classed["tier"], strict=True)
    ]
    per_rule = classed.groupby("rule_id", dropna=True)["calls"].sum()
    stricter = classed[classed["stricter"]].groupby("rule_id", dropna=True)["calls"].sum()
    rows = [
        {
            "order": i + 1,
            "id": r.id,
            "pattern": r.pattern,
            "category": r.category,
            "tier": r.tier,
            "description": r.description or "",
            "calls": int(per_rule.get(r.id, 0)),
            "made_stricter": int(stricter.get(r.id, 0)),
        }
        for i, r in enumerate(ruleset.rules)
    ]
    columns = [*RULE_COLUMNS, "calls", "made_stricter"]
    return pd.DataFrame(rows, columns=columns)


def unmatched(counts: pd.DataFrame, ruleset: Ruleset) -> pd.DataFrame:
    """Base codes no rule matches (``code, calls``), most calls first: what to add rules for."""
    classed = classify_counts(counts, ruleset)
    missing = classed[classed["rule_id"].isna() & classed["incident_code"].notna()]
    if missing.empty:
        return pd.DataFrame({"code": pd.Series(dtype=object), "calls": pd.Series(dtype="int64")})
    out = missing.groupby("incident_base", as_index=False)["calls"].sum()
    out = out.rename(columns={"incident_base": "code"})
    return out.sort_values(["calls", "code"], ascending=[False, True], ignore_index=True)


def disqualifier_matches(counts: pd.DataFrame, ruleset: Ruleset) -> pd.DataFrame:
    """Per disqualifier: ``trigger, tier, reason, calls`` (calls whose code it applies to)."""
    parsed = [parse_incident_code(c) for c in counts["incident_code"]]
    weights = counts["calls"].to_numpy()
    rows = []
    for d in ruleset.disqualifiers:
        hits = sum(int(w) for (base, mods), w in zip(parsed, weights, strict=True)
                   if d.applies(base, mods))
        trigger = f"modifier ({d.modifier})" if d.modifier else f"pattern {d.pattern}"
        rows.append({"trigger": trigger, "tier": d.tier, "reason": d.reason, "calls": hits})
    return pd.DataFrame(rows, columns=["trigger", "tier", "reason", "calls"])


# --- before / after --------------------------------------------------------------------------
@dataclass(frozen=True)
class ImpactSummary:
    """Headline numbers of a rule edit (all in calls)."""

    calls: int
    tier_changed: int
    category_changed: int
    eligible_before: int  # tier alternative under the old rules
    eligible_after: int
    unmatched_before: int
    unmatched_after: int

    @property
    def eligible_change(self) -> int:
        return self.eligible_after - self.eligible_before


def _both(counts: pd.DataFrame, before: Ruleset, after: Ruleset) -> pd.DataFrame:
    old = classify_counts(counts, before)
    new = classify_codes(old["incident_code"], after).reset_index(drop=True)
    return old.assign(
        category_after=new["category"], tier_after=new["tier"], rule_after=new["rule_id"]
    )


def _change_table(both: pd.DataFrame, column: str) -> pd.DataFrame:
    moved = both[both[column] != both[f"{column}_after"]]
    out = (
        moved.groupby([column, f"{column}_after"], as_index=False)["calls"].sum()
        .rename(columns={column: "from", f"{column}_after": "to"})
    )
    return out.sort_values(["calls", "from", "to"], ascending=[False, True, True],
                           ignore_index=True)[["from", "to", "calls"]]


def tier_changes(counts: pd.DataFrame, before: Ruleset, after: Ruleset) -> pd.DataFrame:
    """Calls moving between tiers (``from, to, calls``), only the pairs that change."""
    return _change_table(_both(counts, before, after), "tier")


def category_changes(counts: pd.DataFrame, before: Ruleset, after: Ruleset) -> pd.DataFrame:
    """Calls moving between categories (``from, to, calls``), only the pairs that change."""
    return _change_table(_both(counts, before, after), "category")


def tier_totals(counts: pd.DataFrame, before: Ruleset, after: Ruleset) -> pd.DataFrame:
    """Calls per tier before and after (``tier, before, after, change``), every tier listed."""
    both = _both(counts, before, after)
    old = both.groupby("tier")["calls"].sum()
    new = both.groupby("tier_after")["calls"].sum()
    out = pd.DataFrame({"tier": list(TIERS)})
    out["before"] = [int(old.get(t, 0)) for t in TIERS]
    out["after"] = [int(new.get(t, 0)) for t in TIERS]
    out["change"] = out["after"] - out["before"]
    return out


def changed_codes(counts: pd.DataFrame, before: Ruleset, after: Ruleset) -> pd.DataFrame:
    """The codes whose category, tier or rule changes, with their calls, most calls first."""
    both = _both(counts, before, after)
    moved = both[
        (both["tier"] != both["tier_after"])
        | (both["category"] != both["category_after"])
        | (both["rule_id"].fillna("") != both["rule_after"].fillna(""))
    ]
    columns = ["incident_code", "calls", "rule_id", "rule_after", "category", "category_after",
               "tier", "tier_after"]
    return moved[columns].sort_values(["calls", "incident_code"], ascending=[False, True],
                                      ignore_index=True)


def impact_summary(counts: pd.DataFrame, before: Ruleset, after: Ruleset) -> ImpactSummary:
    """How many calls an edit moves: tier, category, eligible and unmatched before and after."""
    both = _both(counts, before, after)
    calls = both["calls"]

    def total(mask) -> int:
        return int(calls[mask].sum())

    return ImpactSummary(
        calls=int(calls.sum()),
        tier_changed=total(both["tier"] != both["tier_after"]),
        category_changed=total(both["category"] != both["category_after"]),
        eligible_before=total(both["tier"] == ELIGIBLE_TIER),
        eligible_after=total(both["tier_after"] == ELIGIBLE_TIER),
        unmatched_before=total(both["rule_id"].isna()),
        unmatched_after=total(both["rule_after"].isna()),
    )


# --- editing as tables -----------------------------------------------------------------------
def rules_frame(ruleset: Ruleset) -> pd.DataFrame:
    """The rules as an editable table (``order, id, pattern, category, tier, description``)."""
    rows = [
        {"order": i + 1, "id": r.id, "pattern": r.pattern, "category": r.category,
         "tier": r.tier, "description": r.description or ""}
        for i, r in enumerate(ruleset.rules)
    ]
    return pd.DataFrame(rows, columns=list(RULE_COLUMNS))


def disqualifiers_frame(ruleset: Ruleset) -> pd.DataFrame:
    """The disqualifiers as an editable table (``modifier, pattern, tier, reason``)."""
    rows = [
        {"modifier": d.modifier or "", "pattern": d.pattern or "", "tier": d.tier,
         "reason": d.reason}
        for d in ruleset.disqualifiers
    ]
    return pd.DataFrame(rows, columns=list(DISQUALIFIER_COLUMNS))


def _cell(value) -> str | None:
    """A table cell as stripped text, or None when empty (editors give None, NaN or '')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _records(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[dict]:
    out = []
    for row in frame.to_dict("records"):
        record = {c: _cell(row.get(c)) for c in columns}
        if any(v is not None for v in record.values()):  # a blank row added in the editor
            out.append(record)
    return out


_RULE_REF = re.compile(r"^rules\[(\d+)\]")
_DISQ_REF = re.compile(r"^disqualifiers\[(\d+)\]")


def ruleset_from_frames(
    version: str, rules: pd.DataFrame, disqualifiers: pd.DataFrame
) -> Ruleset:
    """Build and validate a ruleset from the edited tables; raises :class:`RulesError` listing
    every problem as "rule 3 (id): ...". Rows are tried in ``order`` (ties keep table order);
    blank rows are ignored."""
    records = _records(rules, RULE_COLUMNS)
    for position, record in enumerate(records):
        order = record.pop("order")
        try:
            record["_sort"] = (float(order), position) if order is not None else (math.inf, position)
        except ValueError:
            record["_sort"] = (math.inf, position)
    records.sort(key=lambda r: r.pop("_sort"))
    rule_dicts = [{k: v for k, v in r.items() if v is not None} for r in records]
    disq_dicts = [
        {k: v for k, v in record.items() if v is not None}
        for record in _records(disqualifiers, DISQUALIFIER_COLUMNS)
    ]
    data = {"version": version, "rules": rule_dicts, "disqualifiers": disq_dicts}
    try:
        return load_rules(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    except RulesError as exc:
        raise RulesError([_plain_problem(p, rule_dicts) for p in exc.problems]) from None


def _plain_problem(problem: str, rule_dicts: list[dict]) -> str:
    """``rules[2].tier: ...`` -> ``rule 3 (id): tier: ...`` (numbered as the table shows)."""
    found = _RULE_REF.match(problem)
    if found:
        i = int(found.group(1))
        rid = rule_dicts[i].get("id") if i < len(rule_dicts) else None
        rest = problem[found.end():].lstrip(".").replace("Field required", "is empty")
        return f"rule {i + 1}" + (f" ({rid})" if rid else "") + f": {rest}"
    found = _DISQ_REF.match(problem)
    if found:
        rest = problem[found.end():].lstrip(".").replace("Field required", "is empty")
        return f"disqualifier {int(found.group(1)) + 1}: {rest}"
    return problem


# --- saving a new version ----------------------------------------------------------------------
@dataclass(frozen=True)
class SavedRules:
    path: Path
    backup: Path | None  # the previous file, kept under a timestamped name


def next_version(version: str, now: datetime) -> str:
    """A new version name: ``cincinnati-2026.1`` -> ``cincinnati-2026.1-edited-20260102-0930``."""
    base = re.sub(r"-edited-\d{8}-\d{4}$", "", str(version))
    return f"{base}-edited-{now:%Y%m%d-%H%M}"


def save_ruleset(data_dir: Path, ruleset: Ruleset, now: datetime | None = None) -> SavedRules:
    """Write ``ruleset`` as the data folder's ``triage_rules.yaml`` (the next refresh applies it).

    An existing file is kept as ``triage_rules.<YYYYmmdd-HHMMSS>.yaml`` first, so every earlier
    version can be restored; the new file is written to a temporary name and moved into place, so
    a refresh never reads half a file.
    """
    now = now or datetime.now()
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / EXTRACT_FILES["rules"]
    text = dump_rules(ruleset)
    load_rules(text)  # what is written must load back
    backup = None
    if target.exists():
        stem = f"{target.stem}.{now:%Y%m%d-%H%M%S}"
        backup = data_dir / f"{stem}.yaml"
        n = 1
        while backup.exists():
            backup = data_dir / f"{stem}-{n}.yaml"
            n += 1
        target.replace(backup)
    tmp = data_dir / f".{target.name}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return SavedRules(target, backup)
