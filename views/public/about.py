"""About and methods: what each figure means, sources and dates, privacy rules, triage rules."""

from __future__ import annotations

import streamlit as st

from response_atlas.analysis import manifest_report as mr
from response_atlas.analysis.evaluation import about_markdown as evaluation_about
from response_atlas.analysis.overview import REPEAT_THRESHOLD, REPEAT_WINDOW_DAYS
from response_atlas.publish import BASE
from response_atlas.ui.context import get_context, page_header

ctx = get_context()
page_header("About and methods", ctx)
manifest = ctx.snapshot.manifest
audience = ctx.audience
threshold = audience.threshold

st.markdown(
    """
The **Community Response Atlas** maps 911 calls, repeat locations, crisis-team coverage and
outcomes across Hamilton County, Ohio, for the city's pilot that sends social workers, clinicians
and peer mentors with or instead of police. It serves the working group (police, human services,
the city), community partners (public, no login) and program leads (staff login).
"""
)

st.header("What each figure means")
st.markdown(
    f"""
- **Calls in range**: 911 calls received in the chosen period that match the sidebar filters.
- **Eligible for a crisis team**: the share of those calls that the triage rules below
  mark *alternative response*, meaning a crisis team could answer without police.
- **Repeat locations**: published block addresses with {REPEAT_THRESHOLD} or more calls within
  {REPEAT_WINDOW_DAYS} consecutive days inside the period. Domestic violence and overdose calls
  are never counted at block level.
- **Eligible, team on duty**: the share of eligible calls that came from inside a mobile
  crisis (ARC) team's zone while that team was on duty by its weekly schedule. It measures
  coverage, not how many calls were actually sent to a team.
- **Data as of**: the date of the newest data in the snapshot; every page states it under the title.
"""
)

st.header("Four numbers kept apart")
st.markdown(
    """
Public reporting elsewhere has mixed these up; this atlas always shows them separately:

1. **Eligible**: calls the triage rules say a team *could* take.
2. **Routed**: calls the 911 center actually *sent* to a team.
3. **Handled without police**: routed calls the team closed with no police on scene.
4. **Police backup requested**: calls where the team *asked* for police.

A team's "share of call volume" is not "diversion": a team usually takes only part of the
eligible calls, and not every routed call ends without police.
"""
)

st.markdown(evaluation_about())  # the evaluation method: docs/evaluation.md

st.header("Privacy")
st.markdown(
    f"""
Public pages show aggregates only, and their numbers are made so that they **cannot be undone
by subtraction**: comparing two areas, two periods one day apart, two hour ranges, or a total
with its parts never gives away a small number exactly. The method follows statistical
agencies (the Australian Bureau of Statistics' *cell key* method and the random rounding used
by Statistics New Zealand and the UK census):

1. **Small counts are hidden.** A count from 1 to {threshold} is shown as
   *fewer than {threshold + 1}*. Zero is shown as 0.
2. **Every other count is rounded to a multiple of {BASE}**, up or down at random. A count of
   23 becomes 20 (three times in five) or 25 (two times in five), so on average the rounding
   adds nothing. The "random" choice is fixed by the calls being counted: the same calls always
   give the same number, on every page and however the question is asked, so asking again
   gives nothing new. One call more or less changes the choice, so the difference of two
   published numbers does not tell how many calls lie between them. No count above
   {threshold} is shown below {audience.floor}.
3. **Public filters use a fixed grid**: whole calendar months (a date range is widened to the
   months it touches) and six-hour bands (00-05, 06-11, 12-17, 18-23).
4. **Domestic violence and overdose calls** are never shown below area by month: as soon as an
   hour band or weekday is chosen they are left out of the counts, and they are never in the
   hexagon, heat, hot-spot or hour-by-day views. Locations below area level are never shown,
   to anyone.
5. **Totals are rounded on their own**, so the parts of a table may not add up exactly to its
   total. **Rates, shares and rate ratios are computed from the rounded counts.** Rounding
   moves a count by at most {BASE - 1}: a rate per 1,000 residents moves by at most
   {BASE - 1} x 1,000 / residents, a share of 40 out of 100 reads between 35% and 46% at the
   extremes (usually much closer), and for
   counts above {threshold} the change is smaller than the 95% ranges shown on the Equity page
   (which are computed from the rounded counts too). A share is not shown when either of its
   counts is hidden.

Program staff who sign in see exact counts. Addresses are published masked to the block
(such as `23XX FERGUSON RD`) and coordinates are offset by the publisher; the atlas never tries
to undo that. Block-level views (repeat locations, points) are for signed-in staff only.
"""
)

st.header("Data sources and dates")
summary = mr.manifest_summary(manifest)
st.markdown(
    f"Snapshot **{summary['Snapshot']}**, built {summary['Created']} with the "
    f"*{summary['Source preset']}* preset. Calls from {summary['First call']} to "
    f"{summary['Last call']}; data as of {summary['Data as of']}."
)
sources = mr.sources_table(manifest)
if not sources.empty:
    st.dataframe(sources.drop(columns=["SHA-256"]), hide_index=True)
st.markdown(
    """
Real extracts come from the City of Cincinnati open-data portal (police calls for service
`gexm-h6bt`, Fire/EMS incidents `vnsz-a3wp`), CAGIS neighborhood boundaries and the Census
Bureau's American Community Survey (population and shares). The demo data shipped with the
project is synthetic: made-up calls over real area names and populations.
"""
)

st.header("Triage rules")
st.markdown(
    "Each incident code is given a call type and an eligibility tier by the first rule that "
    "matches it. Then flags on the call can only make the tier stricter (a weapon flag means police "
    "only). Codes no rule matches are *unclassified* and treated as police only."
)
rules, disqualifiers = mr.triage_rules_tables(ctx.snapshot.rules)
if rules.empty:
    st.info("This snapshot has no triage rules recorded.")
else:
    st.caption(f"Rules version: {ctx.snapshot.rules.get('version', 'unknown')}")
    st.dataframe(rules, hide_index=True)
if not disqualifiers.empty:
    st.markdown("**Flags that make the tier stricter**")
    st.dataframe(disqualifiers, hide_index=True)
