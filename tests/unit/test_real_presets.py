"""Every preset against the real Cincinnati / Hamilton County files in ``shared/data/real``."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime

import pandas as pd
import pytest

from response_atlas.ingest.calls import load_calls_file
from response_atlas.ingest.census import AREA_LAYERS
from response_atlas.ingest.places import load_areas
from response_atlas.ingest.refresh import run_refresh
from response_atlas.snapshot import current_snapshot_dir, open_snapshot
from response_atlas.triage_rules import classify_codes, default_rules

POLICE = "cincinnati_pdi_police_cfs_gexm-h6bt_ARR-CIT-301_subset.csv"
EMS = "cincinnati_cfd_ems_incidents_vnsz-a3wp_60d_sample.csv"
SNA = "cincinnati_sna_neighborhoods_cagis2022.geojson"
COUNTY = "hamilton_county_neighborhoods_and_municipalities_cchmc_2020tracts.geojson"
TIMES = ("create_time_incident", "dispatch_time_primary_unit", "arrival_time_primary_unit",
         "closed_time_incident")


def _as_export(source, target) -> None:
    """The portal's CSV export form of an API file: UPPERCASE names, US 12-hour times, extra columns."""
    with open(source, encoding="utf-8", newline="") as src, open(target, "w", encoding="utf-8", newline="") as out:
        reader = csv.DictReader(src)
        names = [*reader.fieldnames, "phone_pickup_time", "cross_street_1"]
        writer = csv.writer(out)
        writer.writerow([n.upper() for n in names])
        for row in reader:
            for column in TIMES:
                if row[column]:
                    row[column] = datetime.fromisoformat(row[column]).strftime("%m/%d/%Y %I:%M:%S %p")
            writer.writerow([row.get(n, "") for n in names])


def test_police_api_form(shared_data):
    loaded = load_calls_file(shared_data / "real" / "calls" / POLICE)
    calls = loaded.calls
    assert loaded.preset == "cincinnati" and loaded.rows_read == 3771
    assert len(calls) == 3770 and [r["problem"] for r in loaded.rejects] == ["missing value"]
    assert str(calls["received_at"].min())[:10] == "2026-04-15" and str(calls["received_at"].max())[:10] == "2026-05-18"
    # the subset has no sna_neighborhood: the preset falls back to cpd_neighborhood
    assert calls["area_published"].notna().mean() > 0.95
    # published masked: a block (82XX VINE ST, X W CORRY ST), an intersection or a stretch of road
    assert not calls["address"].dropna().str.fullmatch(r"\d+ [A-Z].*").any()  # never a house number


def test_police_csv_export_form_reads_the_same_calls(shared_data, tmp_path):
    api = load_calls_file(shared_data / "real" / "calls" / POLICE).calls.set_index("call_id")
    _as_export(shared_data / "real" / "calls" / POLICE, tmp_path / "calls.csv")
    export = load_calls_file(tmp_path / "calls.csv")
    assert export.preset == "cincinnati"
    got = export.calls.set_index("call_id")
    assert set(got.index) == set(api.index)
    for column in ("received_at", "dispatched_at", "closed_at", "incident_code", "disposition"):
        pd.testing.assert_series_equal(got[column].loc[api.index], api[column], check_names=False)


def test_fire_ems_five_column_file(shared_data):
    loaded = load_calls_file(shared_data / "real" / "calls" / EMS)
    calls = loaded.calls
    assert loaded.preset == "cincinnati_ems" and len(calls) == 10749 and not loaded.rejects
    assert calls["call_id"].is_unique and set(calls["agency"]) == {"CFD"}
    assert calls["received_at"].notna().all()
    classes = classify_codes(calls["incident_code"], default_rules())
    assert (classes["category"] == "substance_use").sum() == 232  # the OD - ... codes: QRT
    assert classes["category"].ne("unclassified").all()


@pytest.mark.parametrize(("layer", "file", "count"), [("cagis_sna", SNA, 50), ("hamilton_county_areas", COUNTY, 81)])
def test_area_layers(shared_data, layer, file, count):
    prop = AREA_LAYERS[layer].name_property
    areas, rejects, messages, counts = load_areas(shared_data / "real" / "boundaries" / file, prop)
    assert counts == {"read": count, "pieces joined": 0}
    assert len(areas) == count and not rejects
    assert areas.geometry.is_valid.all()
    if layer == "cagis_sna":
        assert any("invalid geometry repaired" in m for m in messages)  # one is invalid as published
        assert areas["area_km2"].sum() == pytest.approx(204, rel=0.03)  # Cincinnati: ~79 sq mi


def test_behavioral_codes_from_the_real_feeds_are_classified():
    codes = pd.Series(["MHC - NON-VIOLENT", "MHC - VIOLENT", "MHRT", "SUICIDE THREAT", "DISORD",
                       "TRESPASSING", "NUISANCE", "DOMESTIC DIST PHYS (IP)", "+MHRT", "DISORD (W)",
                       "OD - (C) 23C1A NOT ALERT, ACC"])
    out = classify_codes(codes, default_rules())
    assert out["category"].tolist() == [
        "behavioral_health", "behavioral_health", "behavioral_health", "behavioral_health", "disorder",
        "disorder", "disorder", "domestic_violence", "behavioral_health", "disorder", "substance_use"]
    assert out["tier"].tolist() == [
        "alternative", "police_only", "co_response", "co_response", "alternative", "alternative",
        "alternative", "co_response", "co_response", "police_only", "co_response"]


def test_county_layer_refresh_with_both_feeds(shared_data, tmp_path):
    real = shared_data / "real"
    shutil.copy(real / "calls" / POLICE, tmp_path / "calls.csv")
    shutil.copy(real / "calls" / EMS, tmp_path / "calls_ems.csv")
    shutil.copy(real / "boundaries" / COUNTY, tmp_path / "areas.geojson")
    shutil.copy(shared_data / "derived" / "hamilton_county_area_facts.csv", tmp_path / "area_facts.csv")
    result = run_refresh(tmp_path, progress=False)
    assert result.ok, result.errors
    assert result.counts["calls"] == {"read": 14520, "accepted": 14519, "rejected": 1}
    snap = open_snapshot(current_snapshot_dir(tmp_path / "snapshots"))
    assert len(snap.areas) == 81
    assert snap.areas["population"].sum() == pytest.approx(827_671, abs=1)
    share = snap.query("SELECT avg((location_status = 'in_area')::INT) FROM calls").iloc[0, 0]
    assert share >= 0.98  # the county layer holds nearly every Cincinnati call
    by_agency = snap.query("SELECT agency, count(*) AS n FROM calls GROUP BY 1 ORDER BY 1")
    assert by_agency.set_index("agency")["n"].to_dict() == {"CFD": 10749, "CPD": 3770}
