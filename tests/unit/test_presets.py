"""Presets: canonical, Cincinnati API and CSV-export forms, Fire/EMS, user YAML, detection."""

from __future__ import annotations

import pytest

from response_atlas.ingest.calls import load_calls_file
from response_atlas.ingest.presets import (
    CINCINNATI,
    PresetError,
    detect_preset,
    get_preset,
    load_user_preset,
)
from response_atlas.ingest.readers import ExtractError

API = ("event_number,agency,create_time_incident,dispatch_time_primary_unit,incident_type_id,"
       "priority,disposition_text,address_x,latitude_x,longitude_x,beat,district,cpd_neighborhood,"
       "phone_pickup_time\n"
       "CPD1,CPD,2026-04-15T23:26:45.000,2026-04-15T23:30:45.000,MHRT,2,CLOSED,1XX MAIN ST,"
       "39.11,-84.51,P1,1,DOWNTOWN,x\n")
EXPORT = ("EVENT_NUMBER,CREATE_TIME_INCIDENT,INCIDENT_TYPE_ID,LATITUDE_X,LONGITUDE_X,CROSS_STREET_1\n"
          "CPD2,03/09/2025 02:30:00 PM,DISORD,39.11,-84.51,ELM\n")


def test_cincinnati_api_form_with_extra_and_missing_optional(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(API)
    loaded = load_calls_file(path)
    row = loaded.calls.iloc[0]
    assert loaded.preset == "cincinnati"
    assert row["call_id"] == "CPD1" and row["incident_code"] == "MHRT"
    assert str(row["received_at"]) == "2026-04-15 23:26:45"
    assert str(row["dispatched_at"]) == "2026-04-15 23:30:45"
    assert row["area_published"] == "DOWNTOWN"


def test_cincinnati_export_form_uppercase_us_times(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(EXPORT)
    loaded = load_calls_file(path)
    assert loaded.preset == "cincinnati"
    assert str(loaded.calls.loc[0, "received_at"]) == "2025-03-09 14:30:00"


def test_ems_preset_makes_stable_ids(tmp_path):
    text = ("latitude,longitude,create_time_incident,incident_type_id,datetime\n"
            "39.13,-84.47,2026-05-24T23:50:57.000,OD - (C) 23C1A NOT ALERT, ACC,2026-05-24 23:50:57\n")
    text = text.replace("OD - (C) 23C1A NOT ALERT, ACC", '"OD - (C) 23C1A NOT ALERT, ACC"')
    (tmp_path / "a.csv").write_text(text)
    (tmp_path / "b.csv").write_text(text)
    a, b = load_calls_file(tmp_path / "a.csv"), load_calls_file(tmp_path / "b.csv")
    assert a.preset == "cincinnati_ems"
    assert a.calls.loc[0, "call_id"] == b.calls.loc[0, "call_id"]
    assert a.calls.loc[0, "call_id"].startswith("CINCINNATI_EMS-")
    assert a.calls.loc[0, "agency"] == "CFD"


def test_user_yaml_preset(tmp_path):
    preset = load_user_preset(
        "kind: calls\nname: county\ncolumns: {call_id: EventID, received_at: When, "
        "incident_code: Nature, lat: Y, lon: X}\ntime_format: '%d.%m.%Y %H:%M'\n")
    path = tmp_path / "calls.csv"
    path.write_text("EventID,When,Nature,Y,X\nE1,02.01.2025 07:05,WELFARE CHECK,39.1,-84.5\n")
    loaded = load_calls_file(path, preset)
    assert str(loaded.calls.loc[0, "received_at"]) == "2025-01-02 07:05:00"
    with pytest.raises(PresetError, match="unknown canonical"):
        load_user_preset("kind: calls\ncolumns: {callid: X}\n")
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "mine.yaml").write_text("columns: {call_id: A, received_at: B, incident_code: C}\n")
    assert get_preset("mine", tmp_path).columns["call_id"] == ("A",)


def test_missing_required_names_columns_and_detection_fails_clearly(tmp_path):
    with pytest.raises(PresetError, match="incident_code"):
        CINCINNATI.resolve(["event_number", "create_time_incident"])
    with pytest.raises(PresetError, match="cannot tell"):
        detect_preset(["foo", "bar"])
    path = tmp_path / "calls.csv"
    path.write_text("foo,bar\n1,2\n")
    with pytest.raises(ExtractError, match="calls.csv"):
        load_calls_file(path)


def test_real_police_and_ems_files(shared_data):
    calls = shared_data / "real" / "calls"
    police = load_calls_file(calls / "cincinnati_pdi_police_cfs_gexm-h6bt_ARR-CIT-301_subset.csv")
    assert police.preset == "cincinnati" and len(police.calls) >= 3700
    ems = load_calls_file(calls / "cincinnati_cfd_ems_incidents_vnsz-a3wp_60d_sample.csv")
    assert ems.preset == "cincinnati_ems" and len(ems.calls) == 10749
    assert ems.calls["call_id"].is_unique
