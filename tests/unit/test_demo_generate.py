"""The demo generator's output: contract columns, determinism, shares, repeats, teams and zones."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from response_atlas.demo.addresses import build_address_pool
from response_atlas.demo.calls import generate_calls
from response_atlas.demo.codes import INCIDENT_CODES, group_shares
from response_atlas.demo.contacts import (
    ARC_GROUPS,
    ARC_ROUTED_SHARE,
    ARC_SHIFT_CAPACITY,
    arc_candidate_codes,
)
from response_atlas.demo.facts import load_area_facts
from response_atlas.demo.generate import ARC_LAUNCH, launch_date, main, period, write_demo
from response_atlas.demo.geometry import load_area_shapes
from response_atlas.demo.programs import SECOND_TEAM_WAVES
from response_atlas.demo.zones import ARC_AREAS, DVERT_AREAS, SCHEDULE_PATTERN, ZONES
from response_atlas.schedule import parse_schedule
from response_atlas.schema import (
    CALL_COLUMNS,
    CONTACT_COLUMNS,
    EXTRACT_FILES,
    OUTCOMES,
    PROGRAMS,
    ZONE_PROPERTIES,
)

GROUP_OF = {c.code: c.group for c in INCIDENT_CODES}
# codes an ARC team may take: its call types, and eligible by the default triage rules
ARC_CODE = {c.code: c.group in ARC_GROUPS and bool(ok)
            for c, ok in zip(INCIDENT_CODES, arc_candidate_codes(), strict=True)}
ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
N_CALLS = 40_000


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_demo(out, calls=N_CALLS, seed=11)
    return out


@pytest.fixture(scope="module")
def calls(demo_dir) -> pd.DataFrame:
    frame = pd.read_csv(demo_dir / "calls.csv", dtype=str, keep_default_na=False)
    for c in ("received_at", "dispatched_at", "arrived_at", "closed_at"):
        frame[c] = pd.to_datetime(frame[c].replace("", None), format="%Y-%m-%dT%H:%M:%S")
    frame["group"] = frame["incident_code"].map(GROUP_OF)
    return frame


@pytest.fixture(scope="module")
def contacts(demo_dir) -> pd.DataFrame:
    frame = pd.read_csv(demo_dir / "team_contacts.csv")
    for c in ("contact_at", "followup_at"):
        frame[c] = pd.to_datetime(frame[c], format="%Y-%m-%dT%H:%M:%S")
    return frame


@pytest.fixture(scope="module")
def areas(demo_dir) -> dict:
    return json.loads((demo_dir / "areas.geojson").read_text())


# --- contract ----------------------------------------------------------------------------------
def test_writes_every_extract_with_contract_columns(demo_dir, calls):
    for name in EXTRACT_FILES.values():
        if name != "triage_rules.yaml":
            assert (demo_dir / name).is_file(), name
    assert list(calls.columns[:-1]) == list(CALL_COLUMNS)
    header = (demo_dir / "team_contacts.csv").read_text().splitlines()[0]
    assert header.replace('"', "").split(",") == list(CONTACT_COLUMNS)
    facts_header = (demo_dir / "area_facts.csv").read_text().splitlines()[0]
    assert facts_header == "name,kind,lat,lon,area_km2,population,pct_black,pct_poverty"
    zones = json.loads((demo_dir / "zones.geojson").read_text())
    for feature in zones["features"]:
        assert tuple(feature["properties"]) == ZONE_PROPERTIES


def test_copies_the_project_triage_rules(demo_dir):
    from response_atlas.demo.generate import RULES_RESOURCE

    if not RULES_RESOURCE.exists():
        pytest.skip("no default ruleset in the project yet")
    assert (demo_dir / "triage_rules.yaml").read_bytes() == RULES_RESOURCE.read_bytes()


def test_call_count_ids_and_times(calls):
    assert len(calls) == N_CALLS
    assert calls["call_id"].is_unique
    assert calls["call_id"].str.match(r"^(CPD|CFD|EMS|HCS)\d{12}$").all()
    # The id's date is the local receive date.
    assert (calls["call_id"].str[3:9] == calls["received_at"].dt.strftime("%y%m%d")).all()
    assert calls["received_at"].is_monotonic_increasing
    assert calls["received_at"].min() >= pd.Timestamp("2024-11-01")
    assert calls["received_at"].max() < pd.Timestamp("2026-11-01")
    assert (calls["dispatched_at"] >= calls["received_at"]).all()
    arrived = calls["arrived_at"].notna()
    assert (calls.loc[arrived, "arrived_at"] >= calls.loc[arrived, "dispatched_at"]).all()
    assert (calls.loc[arrived, "closed_at"] >= calls.loc[arrived, "arrived_at"]).all()
    cancelled = calls["disposition"].isin(["CAN:CANCEL", "CANCELLED"])
    assert calls.loc[cancelled, "arrived_at"].isna().all()
    assert calls.loc[~cancelled, "arrived_at"].notna().all()
    # No local time falls in the spring-forward hour (it does not exist in America/New_York).
    for col in ("received_at", "dispatched_at", "arrived_at", "closed_at"):
        t = calls[col].dropna()
        gap = t.dt.date.astype(str).isin(["2025-03-09", "2026-03-08"]) & (t.dt.hour == 2)
        assert not gap.any(), col


def test_dispatch_and_travel_intervals_are_plausible(calls):
    urgent = calls["priority"] == "1"
    wait = (calls["dispatched_at"] - calls["received_at"]).dt.total_seconds() / 60
    travel = (calls["arrived_at"] - calls["dispatched_at"]).dt.total_seconds() / 60
    assert 0.8 < wait[urgent].median() < 3
    routine = calls["priority"].isin(["4", "5"])
    assert wait[routine].median() > 10
    dispatched = calls["priority"] != "12"
    assert 5 < travel[dispatched].median() < 10


def test_block_masked_addresses_and_missing_coordinates(calls):
    assert calls["address"].str.match(r"^\d{1,2}XX [A-Z]+ [A-Z]+$").all()
    missing = (calls["lat"] == "").mean()
    assert 0.01 < missing < 0.05
    assert ((calls["lat"] == "") == (calls["lon"] == "")).all()


def test_is_deterministic_by_seed(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_demo(a, calls=3000, seed=5)
    write_demo(b, calls=3000, seed=5)
    write_demo(c, calls=3000, seed=6)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "calls.csv").read_bytes() != (c / "calls.csv").read_bytes()


# --- areas ---------------------------------------------------------------------------------------
def test_areas_are_81_real_names_each_holding_its_interior_point(demo_dir, areas):
    facts = pd.read_csv(demo_dir / "area_facts.csv")
    names = [f["properties"]["name"] for f in areas["features"]]
    assert len(names) == 81
    assert names == facts["name"].tolist()
    for feature, (_, row) in zip(areas["features"], facts.iterrows(), strict=True):
        geom = shape(feature["geometry"])
        assert geom.contains(shapely.Point(row["lon"], row["lat"])), row["name"]


def test_every_call_point_falls_in_its_own_area_shape():
    facts = load_area_facts()
    names = facts["name"].to_numpy()
    polygons = load_area_shapes(names)
    rng = np.random.default_rng(5)
    pool = build_address_pool(names, polygons, facts["population"].to_numpy(),
                              facts["pct_poverty"].to_numpy(), 6000, np.array(
                                  list(group_shares().values())), rng)
    drawn = generate_calls(pool, 60_000, np.datetime64("2025-01-01"),
                           np.datetime64("2026-01-01"), rng)
    located = ~np.isnan(drawn.lon)
    assert set(np.unique(pool.area)) == set(range(81))  # blocks in every area
    for i, polygon in enumerate(polygons):
        mine = located & (drawn.area == i)
        assert shapely.contains_xy(polygon, drawn.lon[mine], drawn.lat[mine]).all(), names[i]


def test_written_call_points_fall_in_exactly_one_area(calls, areas):
    geoms = [shape(f["geometry"]) for f in areas["features"]]
    located = calls[calls["lat"] != ""]
    lon, lat = located["lon"].astype(float).to_numpy(), located["lat"].astype(float).to_numpy()
    hits = np.zeros(len(located), dtype=int)
    owner = np.full(len(located), -1)
    for i, g in enumerate(geoms):
        inside = shapely.contains_xy(g, lon, lat)
        hits += inside
        owner[inside] = i
    assert (hits == 1).all()  # in the county, and never on two shared-edge neighbours at once
    # A block is always in one area: its calls never straddle two polygons.
    per_block = pd.Series(owner).groupby(located["address"].to_numpy()).nunique()
    assert (per_block == 1).all()


# --- shares, rhythm, rates, repeats -------------------------------------------------------------
def test_call_type_shares_are_plausible(calls):
    shares = calls["group"].value_counts(normalize=True)
    assert calls["group"].notna().all()
    assert 0.55 < shares["police"] < 0.72  # ordinary police work is the majority
    assert 0.05 < shares["behavioral_health"] < 0.10
    assert 0.05 < shares["welfare_check"] < 0.10
    assert 0.03 < shares["domestic_violence"] < 0.08
    assert 0.02 < shares["trespass"] < 0.06
    assert 0.06 < shares["disorder"] < 0.12
    assert 0.008 < shares["homelessness"] < 0.03
    overdose = calls["incident_code"].str.startswith("OD - ").mean()
    assert 0.01 < overdose < 0.03
    # The shares follow the weights in codes.py (ARC-type calls a bit lower: thinned after contact).
    for group, expected in group_shares().items():
        assert shares[group] == pytest.approx(expected, abs=0.02), group


def test_daily_weekly_and_seasonal_rhythm(calls):
    hour = calls["received_at"].dt.hour.value_counts()
    assert hour[17] > 3 * hour[5]  # late afternoon vs before dawn
    month = calls["received_at"].dt.month.value_counts()
    assert month[[6, 7, 8]].sum() > 1.1 * month[[12, 1, 2]].sum()
    weekday = calls["received_at"].dt.day_of_week.value_counts()
    assert weekday[5] > weekday[1]  # Saturday busier than Tuesday


def test_per_capita_rates_rise_with_poverty(demo_dir, calls, areas):
    facts = pd.read_csv(demo_dir / "area_facts.csv")
    geoms = [shape(f["geometry"]) for f in areas["features"]]
    located = calls[calls["lat"] != ""]
    lon, lat = located["lon"].astype(float).to_numpy(), located["lat"].astype(float).to_numpy()
    counts = np.array([shapely.contains_xy(g, lon, lat).sum() for g in geoms])
    rate = counts / facts["population"].to_numpy()
    poverty = facts["pct_poverty"].to_numpy()
    high, low = rate[poverty >= 25], rate[poverty < 8]
    assert np.median(high) > 2 * np.median(low)


def test_repeat_calls_concentrate_on_few_blocks(calls):
    per_block = calls["address"].value_counts()
    top = per_block.iloc[: int(np.ceil(0.05 * len(per_block)))]
    assert top.sum() / len(calls) >= 0.40


# --- zones and team contacts --------------------------------------------------------------------
def test_zone_schedules_are_allowed_forms(demo_dir):
    zones = json.loads((demo_dir / "zones.geojson").read_text())["features"]
    schedules = {f["properties"]["team_id"]: f["properties"]["schedule"] for f in zones}
    assert schedules["ARC-1"] == "Mon-Fri 07:00-15:00"
    assert schedules["ARC-2"] == "Mon-Fri 11:00-19:00"
    assert {f["properties"]["program"] for f in zones} == set(PROGRAMS)
    for text in schedules.values():
        assert SCHEDULE_PATTERN.match(text), text
        parse_schedule(text)  # the app's own parser accepts it
    for feature in zones:
        props = feature["properties"]
        assert shape(feature["geometry"]).contains(shapely.Point(props["base_lon"], props["base_lat"]))


def test_zones_are_unions_of_real_areas(demo_dir, areas):
    by_name = {f["properties"]["name"]: shape(f["geometry"]) for f in areas["features"]}
    zones = {f["properties"]["zone_id"]: shape(f["geometry"])
             for f in json.loads((demo_dir / "zones.geojson").read_text())["features"]}
    county = shapely.union_all(list(by_name.values()))
    assert zones["qrt-1"].symmetric_difference(county).area < 1e-9
    for zone_id, members in (("arc-1", ARC_AREAS), ("arc-2", ARC_AREAS), ("dvert-1", DVERT_AREAS)):
        expected = shapely.union_all([by_name[a] for a in members])
        assert zones[zone_id].symmetric_difference(expected).area < 1e-9, zone_id
    # ARC works central Cincinnati: one piece around downtown, holding OTR and the West End
    assert zones["arc-1"].geom_type == "Polygon"
    for name in ("Downtown", "OTR-Pendleton", "West End", "CUF"):
        assert zones["arc-1"].contains(by_name[name].representative_point()), name
    assert not zones["arc-1"].intersects(by_name["Westwood"].representative_point())


def test_zone_on_duty_hours_match_schedule_text():
    for zone in ZONES:
        sched = parse_schedule(zone.schedule)
        if zone.schedule == "24/7":
            assert sched.weekly_hours() == 168
        else:
            days = 5 if zone.weekdays_only else 7
            assert sched.weekly_hours() == days * (zone.end_hour - zone.start_hour)


def test_contacts_reference_calls_and_use_contract_vocabularies(calls, contacts):
    assert contacts["contact_id"].is_unique
    assert set(contacts["call_id"]) <= set(calls["call_id"])
    assert set(contacts["program"]) == set(PROGRAMS)
    assert set(contacts["outcome"]) <= set(OUTCOMES)
    assert set(contacts["followup_outcome"].dropna()) <= set(OUTCOMES)
    by_id = calls.set_index("call_id")
    received = by_id.loc[contacts["call_id"], "received_at"].to_numpy()
    assert (contacts["contact_at"].to_numpy() >= received).all()


def test_arc_contacts_only_after_launch_in_zone_and_on_duty(calls, contacts):
    arc = contacts[contacts["program"] == "ARC"]
    assert len(arc) > 50
    assert arc["contact_at"].min() >= pd.Timestamp(str(ARC_LAUNCH))
    # the second team also works the neighbouring areas of the program file (demo/programs.py)
    second = {a for _, areas in SECOND_TEAM_WAVES for a in areas}
    assert set(arc["area"]) <= set(ARC_AREAS) | second
    call = calls.set_index("call_id").loc[arc["call_id"]]
    assert set(call["group"]) <= set(ARC_GROUPS)
    t = call["received_at"]
    assert (t.dt.day_of_week < 5).all()
    team1 = (arc["team_id"] == "ARC-1").to_numpy()
    assert t[team1].dt.hour.between(7, 14).all()
    assert t[~team1].dt.hour.between(11, 18).all()
    assert set(arc["team_id"]) == {"ARC-1", "ARC-2"}


def test_arc_response_times_and_backup_share(contacts):
    arc = contacts[contacts["program"] == "ARC"]
    assert 16 < arc["response_min"].median() < 24
    assert 32 < arc["response_min"].quantile(0.9) < 50
    backup = (arc["outcome"] == "police_backup_requested").mean()
    assert 0.01 < backup < 0.08


def test_repeat_calls_fall_after_first_arc_contact(calls, contacts):
    arc = contacts[contacts["program"] == "ARC"].merge(
        calls[["call_id", "address"]], on="call_id")
    first = arc.groupby("address")["contact_at"].min()
    window = pd.Timedelta(days=120)
    end = calls["received_at"].max()
    first = first[first + window < end]
    same_kind = calls[calls["group"].isin(ARC_GROUPS) & calls["address"].isin(first.index)]
    t0 = same_kind["address"].map(first)
    before = ((same_kind["received_at"] < t0) & (same_kind["received_at"] >= t0 - window)).sum()
    after = ((same_kind["received_at"] > t0) & (same_kind["received_at"] <= t0 + window)).sum()
    assert before > 30
    assert after < 0.8 * before


def test_qrt_visits_follow_overdoses(calls, contacts):
    qrt = contacts[contacts["program"] == "QRT"]
    assert len(qrt) > 50
    call = calls.set_index("call_id").loc[qrt["call_id"]]
    assert call["incident_code"].str.startswith("OD - ").all()
    delay = (qrt["contact_at"].to_numpy() - call["received_at"].to_numpy()) / pd.Timedelta(days=1)
    assert (delay > 0.3).all() and (delay < 6).all()  # 1-3 days later, weekends moved to Monday
    assert (qrt["contact_at"].dt.day_of_week < 5).all()
    followed = qrt.dropna(subset=["followup_at"])
    gap = (followed["followup_at"] - followed["contact_at"]).dt.days
    assert gap.between(2, 9).all()
    assert 0.6 < len(followed) / len(qrt) < 0.95
    assert (qrt["outcome"] == "connected_to_treatment").any()


def test_dvert_coresponds_to_dv_calls_in_its_zone(calls, contacts):
    dvert = contacts[contacts["program"] == "DVERT"]
    assert len(dvert) > 20
    assert set(dvert["area"]) <= set(DVERT_AREAS)
    call = calls.set_index("call_id").loc[dvert["call_id"]]
    assert (call["group"] == "domestic_violence").all()


# --- period and CLI -----------------------------------------------------------------------------
def test_period_and_launch_defaults():
    first, end = period(2, None)
    assert (str(first), str(end)) == ("2024-11-01", "2026-11-01")
    assert launch_date(first, end) == ARC_LAUNCH
    first, end = period(1, "2020-01-01")
    launch = launch_date(first, end)
    assert first < launch < end
    assert (launch.astype(np.int64) + 3) % 7 == 0  # a Monday


def test_cli_writes_and_rejects_bad_sizes(tmp_path, capsys):
    assert main(["--data", str(tmp_path), "--calls", "500", "--years", "1",
                 "--start", "2023-01-01", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "wrote 500 calls" in out
    first = pd.read_csv(tmp_path / "calls.csv", nrows=1)
    assert first["received_at"].iloc[0].startswith("2023-01-01")
    with pytest.raises(SystemExit):
        main(["--data", str(tmp_path), "--calls", "6000000"])
    assert re.search(r"calls\.csv", out)


def test_arc_takes_most_calls_it_could_within_shift_capacity(demo_dir, calls, contacts):
    arc = contacts[contacts["program"] == "ARC"]
    per_shift = arc.groupby(["team_id", arc["contact_at"].dt.date]).size()
    assert per_shift.max() <= ARC_SHIFT_CAPACITY
    # calls ARC could take: its call types and codes, in its zone, after launch, a team on duty
    zones = json.loads((demo_dir / "zones.geojson").read_text())["features"]
    arc_zone = next(shape(f["geometry"]) for f in zones if f["properties"]["team_id"] == "ARC-1")
    located = calls[calls["lat"] != ""]
    inside = shapely.contains_xy(arc_zone, located["lon"].astype(float).to_numpy(),
                                 located["lat"].astype(float).to_numpy())
    t = located["received_at"]
    could = located[inside & located["incident_code"].map(ARC_CODE).eq(True).to_numpy()
                    & (t >= pd.Timestamp(str(ARC_LAUNCH))) & (t.dt.day_of_week < 5)
                    & t.dt.hour.between(7, 18)]
    assert len(could) > 100
    taken = could["call_id"].isin(arc["call_id"]).mean()
    # most of them (fewer when both teams are full that day), where the old demo took 30%
    assert ARC_ROUTED_SHARE - 0.1 < taken < 1.0
