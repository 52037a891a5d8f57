"""Triage rules (staff): the rules in force with their call counts, editing, impact, new versions."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from response_atlas.analysis.triage_impact import (
    category_changes,
    changed_codes,
    code_counts,
    disqualifier_matches,
    disqualifiers_frame,
    impact_summary,
    next_version,
    rule_matches,
    rules_frame,
    ruleset_from_frames,
    save_ruleset,
    tier_changes,
    unmatched,
)
from response_atlas.schema import (
    CATEGORIES,
    CATEGORY_LABELS,
    SNAPSHOT_RULES_FILE,
    TIER_LABELS,
    TIERS,
)
from response_atlas.store import cached_query
from response_atlas.triage_rules import RulesError, default_rules, dump_rules, load_rules
from response_atlas.ui.context import get_context, page_header, require_staff

BASE_KEY = "tri_base"  # (label, YAML text) the editor starts from
GEN_KEY = "tri_gen"  # bumped when the base changes, so the editors start fresh
UPLOAD_SEEN_KEY = "tri_upload_seen"
RULES_UPLOAD_MB = 1  # largest ruleset upload accepted (megabytes)

ctx = get_context()
page_header(
    "Triage rules",
    ctx,
    intro="The rules that decide, from a call's incident code, its **call type** and whether a "
    "crisis team could answer it: **alternative response** (a team without police), "
    "**co-response** (a clinician, advocate or medic with police or Fire/EMS) or **police only**. "
    "Rules are tried from the top; the first whose pattern matches the code wins. "
    "Disqualifiers (a weapon flag, violence, injury) then make the tier stricter, never looser.",
)
require_staff(ctx)

snap = ctx.snapshot
counts = cached_query(snap, code_counts, ctx.filters)
try:
    in_force = load_rules(snap.path / SNAPSHOT_RULES_FILE)
    in_force_text = (snap.path / SNAPSHOT_RULES_FILE).read_text(encoding="utf-8")
except (OSError, RulesError) as exc:
    st.warning(f"The snapshot's rules could not be read ({exc}); showing the project defaults.")
    in_force = default_rules()
    in_force_text = dump_rules(in_force)

if counts.empty:
    st.info("No calls match the period and areas in the sidebar. Widen them to count the rules.")
st.caption(
    "Counts are calls in the sidebar's period and areas; the call-type and tier filters are "
    "not applied here, because these rules are what set them."
)


def tier_label(tier) -> str:
    return TIER_LABELS.get(tier, str(tier))


def category_label(category) -> str:
    return CATEGORY_LABELS.get(category, str(category))


def show_rule_counts(table, key: str) -> None:
    """The rules with the calls each matched, in plain words."""
    shown = table.assign(
        category=table["category"].map(category_label), tier=table["tier"].map(tier_label)
    )
    st.dataframe(
        shown[["order", "id", "calls", "made_stricter", "category", "tier", "description",
               "pattern"]],
        hide_index=True,
        key=key,
        column_config={
            "order": st.column_config.NumberColumn("Order", help="Rules are tried top first."),
            "id": "Rule",
            "description": st.column_config.TextColumn("What it covers", width="medium"),
            "category": "Call type",
            "tier": "Tier",
            "calls": st.column_config.NumberColumn("Calls matched", format="%d"),
            "made_stricter": st.column_config.NumberColumn(
                "Of which made stricter", format="%d",
                help="Calls this rule matched whose tier a disqualifier tightened.",
            ),
            "pattern": st.column_config.TextColumn(
                "Pattern", help="A case-insensitive regular expression on the code without "
                "its modifier flags, e.g. '^MHC - NON-VIOLENT'."
            ),
        },
    )


def show_unmatched(ruleset, key: str) -> None:
    missing = unmatched(counts, ruleset)
    if missing.empty:
        st.success("Every code in the period matches a rule.")
        return
    st.dataframe(
        missing, hide_index=True, key=key,
        column_config={"code": "Incident code (no rule matches)",
                       "calls": st.column_config.NumberColumn("Calls", format="%d")},
    )


# --- 1. the rules in force --------------------------------------------------------------------
st.subheader("Rules in this snapshot")
in_force_counts = rule_matches(counts, in_force)
total = int(counts["calls"].sum())
unmatched_calls = total - int(in_force_counts["calls"].sum())
c1, c2, c3 = st.columns(3)
c1.metric("Calls in the period", f"{total:,}")
c2.metric("Matched by a rule", f"{total - unmatched_calls:,}")
c3.metric("No rule matches", f"{unmatched_calls:,}",
          help="Kept as 'Unclassified', tier police only, until a rule covers them.")
st.caption(f"Ruleset version **{in_force.version}**, {len(in_force.rules)} rules.")
show_rule_counts(in_force_counts, key="tri_in_force")
left, right = st.columns(2)
with left:
    st.markdown("##### Codes no rule matches")
    show_unmatched(in_force, key="tri_unmatched")
with right:
    st.markdown("##### Disqualifiers")
    disq = disqualifier_matches(counts, in_force).assign(
        tier=lambda d: d["tier"].map(tier_label)
    )
    st.dataframe(disq, hide_index=True, key="tri_disq",
                 column_config={"trigger": "Applies to", "tier": "At least",
                                "reason": "Why", "calls": st.column_config.NumberColumn(
                                    "Calls", format="%d")})

# --- 2. editing --------------------------------------------------------------------------------
st.subheader("Edit the rules")
st.markdown(
    "Change a tier, a pattern or the order, add a row (at the bottom of the table) or delete "
    "one; the counts below update at once. Nothing changes for anyone until you save a new "
    "version and refresh the data."
)
if BASE_KEY not in st.session_state:
    st.session_state[BASE_KEY] = ("the rules in this snapshot", in_force_text)
    st.session_state[GEN_KEY] = 0


def set_base(label: str, text: str) -> None:
    st.session_state[BASE_KEY] = (label, text)
    st.session_state[GEN_KEY] = st.session_state.get(GEN_KEY, 0) + 1


def yaml_problems(text: str) -> list[str]:
    """Problems in an uploaded or pasted ruleset (empty when it loads)."""
    try:
        # A newline keeps load_rules from reading one-line text as a file path.
        load_rules(text if "\n" in text else text + "\n")
    except RulesError as exc:
        return exc.problems
    return []


b1, b2, b3 = st.columns([1, 1, 2])
if b1.button("Start from the snapshot's rules", key="tri_reset"):
    set_base("the rules in this snapshot", in_force_text)
if b2.button("Start from the project defaults", key="tri_defaults",
             help="The documented ruleset that ships with the project."):
    from response_atlas.triage_rules import default_rules_text

    set_base("the project's default rules", default_rules_text())
with b3:
    # a ruleset is a few kilobytes: refuse anything bigger before parsing it
    upload = st.file_uploader("Or upload a ruleset (YAML)", type=["yaml", "yml"],
                              key="tri_upload", max_upload_size=RULES_UPLOAD_MB)
if upload is not None and st.session_state.get(UPLOAD_SEEN_KEY) != upload.file_id:
    st.session_state[UPLOAD_SEEN_KEY] = upload.file_id
    too_big = upload.size > RULES_UPLOAD_MB * 1024 * 1024
    text = "" if too_big else upload.getvalue().decode("utf-8", errors="replace")
    problems = [f"larger than {RULES_UPLOAD_MB} MB"] if too_big else yaml_problems(text)
    if problems:
        st.error("The uploaded file is not a valid ruleset:\n" +
                 "\n".join(f"- {p}" for p in problems))
    else:
        set_base(f"the uploaded file {upload.name}", text)
with st.expander("Paste or edit the ruleset as YAML"):
    pasted = st.text_area("Ruleset YAML", value=st.session_state[BASE_KEY][1], height=260,
                          key=f"tri_yaml_{st.session_state[GEN_KEY]}")
    if st.button("Use this YAML", key="tri_use_yaml"):
        problems = yaml_problems(pasted)
        if problems:
            st.error("This YAML is not a valid ruleset:\n" +
                     "\n".join(f"- {p}" for p in problems))
        else:
            set_base("the pasted YAML", pasted)
            st.rerun()

base_label, base_text = st.session_state[BASE_KEY]
base = load_rules(base_text if "\n" in base_text else base_text + "\n")
gen = st.session_state[GEN_KEY]
st.caption(f"Editing a copy of {base_label} (version {base.version}).")
edited_rules = st.data_editor(
    rules_frame(base),
    key=f"tri_rules_{gen}",
    num_rows="dynamic",
    hide_index=True,
    column_config={
        "order": st.column_config.NumberColumn(
            "Order", help="Lower is tried first; change it to move a rule.", step=1,
            width="small"),
        "id": st.column_config.TextColumn("Rule", required=True),
        "pattern": st.column_config.TextColumn("Pattern", required=True, width="medium"),
        "category": st.column_config.SelectboxColumn(
            "Call type", options=list(CATEGORIES), format_func=category_label, required=True),
        "tier": st.column_config.SelectboxColumn(
            "Tier", options=list(TIERS), format_func=tier_label, required=True,
            width="medium"),
        "description": st.column_config.TextColumn("What it covers", width="large"),
    },
)
with st.expander("Disqualifiers (make the tier stricter)"):
    st.caption("Give a modifier flag (W, V, E, ...) or a pattern, not both.")
    edited_disq = st.data_editor(
        disqualifiers_frame(base),
        key=f"tri_disq_{gen}",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "modifier": "Modifier flag",
            "pattern": "Pattern",
            "tier": st.column_config.SelectboxColumn(
                "At least", options=list(TIERS), format_func=tier_label, required=True),
            "reason": st.column_config.TextColumn("Why", required=True),
        },
    )

try:
    draft = ruleset_from_frames(base.version, edited_rules, edited_disq)
except RulesError as exc:
    st.error("The edited rules have problems; fix them to see their effect:\n" +
             "\n".join(f"- {p}" for p in exc.problems))
    st.stop()

# --- 3. what the edit changes -----------------------------------------------------------------
st.subheader("What these rules change, compared with the rules in force")
summary = impact_summary(counts, in_force, draft)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Calls changing tier", f"{summary.tier_changed:,}")
m2.metric("Calls changing call type", f"{summary.category_changed:,}")
m3.metric("Eligible for alternative response", f"{summary.eligible_after:,}",
          delta=f"{summary.eligible_change:+,}" if summary.eligible_change else None,
          delta_color="off")
m4.metric("Calls no rule matches", f"{summary.unmatched_after:,}",
          delta=(f"{summary.unmatched_after - summary.unmatched_before:+,}"
                 if summary.unmatched_after != summary.unmatched_before else None),
          delta_color="inverse")
if summary.tier_changed == 0 and summary.category_changed == 0:
    st.info("No call changes tier or call type with these rules.")
else:
    def show_moves(title: str, moves, label, key: str) -> None:
        """A from/to/calls table with both ends in plain words."""
        st.markdown(f"##### {title}")
        st.dataframe(moves.assign(**{c: moves[c].map(label) for c in ("from", "to")}),
                     hide_index=True, key=key,
                     column_config={"from": "From", "to": "To",
                                    "calls": st.column_config.NumberColumn("Calls", format="%d")})

    t1, t2 = st.columns(2)
    with t1:
        show_moves("Calls moving between tiers", tier_changes(counts, in_force, draft),
                   tier_label, "tri_tier_moves")
    with t2:
        show_moves("Calls moving between call types", category_changes(counts, in_force, draft),
                   category_label, "tri_cat_moves")
    with st.expander("Codes that change"):
        codes = changed_codes(counts, in_force, draft).head(200)
        for c in ("tier", "tier_after"):
            codes[c] = codes[c].map(tier_label)
        for c in ("category", "category_after"):
            codes[c] = codes[c].map(category_label)
        st.dataframe(codes, hide_index=True, key="tri_codes", column_config={
            "incident_code": "Incident code", "calls": "Calls", "rule_id": "Rule now",
            "rule_after": "Rule edited", "category": "Call type now",
            "category_after": "Call type edited", "tier": "Tier now", "tier_after": "Tier edited",
        })

st.markdown("##### Calls each edited rule matches")
show_rule_counts(rule_matches(counts, draft), key="tri_draft_counts")
st.markdown("##### Codes no edited rule matches")
show_unmatched(draft, key="tri_draft_unmatched")

# --- 4. save as a new version -----------------------------------------------------------------
st.subheader("Save as a new version")
data_dir = ctx.settings.data_dir
version = st.text_input("Version name", value=next_version(base.version, datetime.now()),
                        key="tri_version", max_chars=80)
st.download_button("Download these rules (YAML)", data=dump_rules(draft).encode("utf-8"),
                   file_name="triage_rules.yaml", mime="application/x-yaml", key="tri_download")
if st.button("Save ruleset", type="primary", key="tri_save"):
    try:
        saved = save_ruleset(data_dir, draft.model_copy(update={"version": version.strip() or
                                                                 next_version(base.version,
                                                                              datetime.now())}))
    except (OSError, RulesError) as exc:
        st.error(f"Could not save the rules: {exc}")
    else:
        kept = f" The previous file is kept as {saved.backup.name}." if saved.backup else ""
        st.success(f"Saved to {saved.path.name} in the data folder.{kept} "
                   "The figures change after the next data refresh.")
st.caption(
    "Saving writes the data folder's triage_rules.yaml; the snapshot in use keeps its own "
    "copy, so pages change only after a refresh (button below, or "
    "`python -m response_atlas refresh`)."
)
if st.button("Refresh the data now", key="tri_refresh",
             help="Builds a new snapshot from the extracts in the data folder with the saved rules."):
    from response_atlas.ingest.refresh import run_refresh

    with st.spinner("Refreshing: reading the extracts and applying the rules..."):
        result = run_refresh(data_dir, keep=ctx.settings.keep_snapshots, progress=False)
    if result.ok:
        st.success(f"New snapshot {result.snapshot_dir.name} is in use. Other pages show it on "
                   "their next run.")
    else:
        st.error("The refresh failed; the previous snapshot stays in use:\n" +
                 "\n".join(f"- {e}" for e in result.errors))
