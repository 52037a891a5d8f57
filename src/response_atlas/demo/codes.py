"""Cincinnati-style incident codes the demo generator emits, with relative weights.

Codes follow what the city publishes (DESIGN.md): modifiers ``(IP)`` in progress, ``(JO)`` just
occurred, ``(NIP)`` not in progress, ``(W)`` weapon, ``(V)``/``(E)``/``(S)``/``(SI)`` further flags,
a leading ``+`` or ``=`` for other origins, and Fire/EMS overdose codes like
``OD - (C) 23C1A NOT ALERT, ACC``. The triage ruleset (resources/triage_rules.yaml) must classify
every code listed here.

``group`` is the generator's own intent (it drives shares, dispositions and team contacts); the
category a call ends up with is decided by the triage rules at ingest, not here.
"""

from __future__ import annotations

from typing import NamedTuple


class IncidentCode(NamedTuple):
    """One incident code: the text as published, its relative weight and generator group."""

    code: str
    weight: float
    group: str
    agency: str = "CPD"


# Generator groups; weights below are per 1,000 calls (roughly), so shares read directly.
GROUPS = (
    "behavioral_health",
    "homelessness",
    "substance_use",
    "domestic_violence",
    "welfare_check",
    "trespass",
    "disorder",
    "police",
)

_C = IncidentCode

INCIDENT_CODES: list[IncidentCode] = [
    # --- behavioral health (~6.5%) -----------------------------------------------------------
    _C("MHC - NON-VIOLENT", 22, "behavioral_health"),
    _C("MHC - VIOLENT", 6, "behavioral_health"),
    _C("MHC - VIOLENT (W)", 2, "behavioral_health"),
    _C("MHRT", 8, "behavioral_health"),
    _C("+MHRT", 2, "behavioral_health"),
    _C("SUICIDE THREAT", 9, "behavioral_health"),
    _C("SUICIDE ATTEMPT (IP)", 3, "behavioral_health"),
    _C("SUICIDE THREAT (W)", 2, "behavioral_health"),
    _C("PSYCHIATRIC EMERGENCY (NIP)", 3, "behavioral_health"),
    _C("MENTALLY ILL PERSON (IP)", 8, "behavioral_health"),
    # --- homelessness (~1.5%) ----------------------------------------------------------------
    _C("HOMELESS PERSON", 6, "homelessness"),
    _C("HOMELESS CAMP (NIP)", 3, "homelessness"),
    _C("PANHANDLER (IP)", 4, "homelessness"),
    _C("+HOMELESS PERSON", 2, "homelessness"),
    # --- substance use: overdose (Fire/EMS) and intoxication (~2.5%) --------------------------
    _C("OD - (C) 23C1A NOT ALERT, ACC", 4, "substance_use", "CFD"),
    _C("OD - 23C8A ACCIDENTAL", 2.5, "substance_use", "CFD"),
    _C("OD - (C) 23D2A ACCIDENTAL", 2, "substance_use", "CFD"),
    _C("OD - (C) 23C2A ACCIDENTAL", 1.5, "substance_use", "CFD"),
    _C("OD - (C) 23O1 ACCIDENTAL", 1.5, "substance_use", "CFD"),
    _C("OD - (C) 23B1I INTENTIONAL", 1, "substance_use", "CFD"),
    _C("OD - (C) 23E1A ARREST, ACC", 1, "substance_use", "CFD"),
    _C("OD - (C) 23C1I INTENTIONAL", 1, "substance_use", "CFD"),
    _C("OD - (C) 23D1A ARREST, ACC", 0.8, "substance_use", "CFD"),
    _C("OD - (C)(V) 23C1V", 0.5, "substance_use", "CFD"),
    _C("OD - (C)(W) 23C8W", 0.2, "substance_use", "CFD"),
    _C("OD - (C) 23C5A NARCOTIC, ACC", 0.5, "substance_use", "CFD"),
    _C("INTOXICATED PERSON (IP)", 6, "substance_use"),
    _C("DRUG ACTIVITY (NIP)", 3, "substance_use"),
    # --- domestic violence (~5%) -------------------------------------------------------------
    _C("DOMESTIC DIST PHYS (IP)", 12, "domestic_violence"),
    _C("DOMESTIC DIST PHYS (JO)", 5, "domestic_violence"),
    _C("DOMESTIC DIST VERB (IP)", 9, "domestic_violence"),
    _C("DOMESTIC VIOLENCE (JO)", 7, "domestic_violence"),
    _C("DOMESTIC VIOLENCE (IP)(W)", 2, "domestic_violence"),
    _C("DOMVIO", 6, "domestic_violence"),
    _C("+DOMESTIC VIOLENCE", 2, "domestic_violence"),
    _C("ORDER VIOLATION", 4, "domestic_violence"),
    # --- welfare checks (~6%) ----------------------------------------------------------------
    _C("WELFARE CHECK", 30, "welfare_check"),
    _C("+WELFARE CHECK", 6, "welfare_check"),
    _C("CHECK ON WELFARE (NIP)", 10, "welfare_check"),
    _C("=WELFARE CHECK", 3, "welfare_check"),
    _C("SICK PERSON (NIP)", 8, "welfare_check"),
    _C("PERSON DOWN (IP)", 5, "welfare_check"),
    # --- trespass (~3%) ----------------------------------------------------------------------
    _C("TRESPASSING", 12, "trespass"),
    _C("TRESPASSING (IP)", 9, "trespass"),
    _C("+TRESPASSING", 4, "trespass"),
    _C("UNWANTED PERSON (IP)", 6, "trespass"),
    # --- disorder and nuisance (~7%) ---------------------------------------------------------
    _C("DISORD", 16, "disorder"),
    _C("DISTURBANCE VERB (IP)", 12, "disorder"),
    _C("DISTURBANCE PHYS (IP)", 6, "disorder"),
    _C("NUISANCE", 8, "disorder"),
    _C("NOISE COMPLAINT (IP)", 12, "disorder"),
    _C("+NOISE COMPLAINT", 3, "disorder"),
    _C("LOUD MUSIC (IP)", 5, "disorder"),
    _C("FIGHT", 4, "disorder"),
    _C("SUSPICIOUS PERSON (IP)", 8, "disorder"),
    # --- ordinary police calls (the majority, ~68%) ------------------------------------------
    _C("TSTOP", 95, "police"),
    _C("PARKING COMPLAINT", 30, "police"),
    _C("+PARKING COMPLAINT", 20, "police"),
    _C("THEFTR", 25, "police"),
    _C("THEFT (NIP)", 20, "police"),
    _C("THEFT (JO)", 8, "police"),
    _C("THEFT (IP)", 5, "police"),
    _C("THEFT FROM VEH (NIP)", 18, "police"),
    _C("THEFT FROM VEH (JO)", 4, "police"),
    _C("VEHICLE THEFT (NIP)", 9, "police"),
    _C("BURG RESIDENTIAL (NIP)", 9, "police"),
    _C("BURG RESIDENTIAL (JO)", 3, "police"),
    _C("BURG COMMERCIAL (NIP)", 3, "police"),
    _C("ASSAULT (IP)", 6, "police"),
    _C("ASSAULT (JO)", 6, "police"),
    _C("ASSAULT (JO)(E)", 3, "police"),
    _C("ASSAULT (NIP)", 3, "police"),
    _C("ASSAULT (IP)(W)", 2, "police"),
    _C("+ASSAULT", 3, "police"),
    _C("ASSLTR", 5, "police"),
    _C("ROBBERY (JO)(W)", 2, "police"),
    _C("+ROBBERY", 2, "police"),
    _C("SHOTS FIRED (V)", 7, "police"),
    _C("PERSON WITH WEAPON (IP)(W)", 3, "police"),
    _C("MENACE", 4, "police"),
    _C("THREAT (IP)", 4, "police"),
    _C("DAMAGE (NIP)", 8, "police"),
    _C("+DAMAGE", 4, "police"),
    _C("VANDALISM (S)", 3, "police"),
    _C("FRAUD (NIP)", 5, "police"),
    _C("AUTO ACCIDENT", 22, "police"),
    _C("CRASH NON-INJURY", 18, "police"),
    _C("CRASH INJURY", 6, "police"),
    _C("CRASH NON-INJURY, HWY", 6, "police"),
    _C("+CRASH", 5, "police"),
    _C("TRAFFIC HAZARD", 10, "police"),
    _C("INVESTIGATION (SI)", 30, "police"),
    _C("SUSPECT STOP (SI)", 15, "police"),
    _C("WARRANT SERVICE", 10, "police"),
    _C("+WANTED", 8, "police"),
    _C("ALARM COMMERCIAL", 22, "police"),
    _C("ALARM RESIDENTIAL", 14, "police"),
    _C("DIRECTED PATROL", 25, "police"),
    _C("PHONE", 12, "police"),
    _C("311 REQUEST", 6, "police"),
    _C("RUNAWAY", 3, "police"),
    _C("UNKNOWN TROUBLE (SI)", 5, "police"),
    _C("=PRISONER TRANSPORT", 3, "police"),
    _C("+VEHICLE RECOVERY", 3, "police"),
]


def codes_by_group() -> dict[str, list[IncidentCode]]:
    """Codes grouped by generator group, in list order."""
    out: dict[str, list[IncidentCode]] = {g: [] for g in GROUPS}
    for item in INCIDENT_CODES:
        out[item.group].append(item)
    return out


def group_shares() -> dict[str, float]:
    """Share of calls each group gets (weights normalised to sum to 1)."""
    total = sum(c.weight for c in INCIDENT_CODES)
    shares = dict.fromkeys(GROUPS, 0.0)
    for item in INCIDENT_CODES:
        shares[item.group] += item.weight / total
    return shares
