"""The evaluation on a small generated demo: the injected effect is found, the null is not."""

from __future__ import annotations

import pytest

from response_atlas.analysis import evaluation as ev
from response_atlas.demo.programs import INJECTED_EFFECT
from response_atlas.snapshot import current_snapshot_dir, open_snapshot
from tests.evaluation_fixture import build_evaluation_demo


@pytest.fixture(scope="module")
def demo_snapshot(tmp_path_factory):
    data_dir = build_evaluation_demo(tmp_path_factory.mktemp("evaluation-demo"))
    return open_snapshot(current_snapshot_dir(data_dir / "snapshots"))


def test_refresh_copies_the_program_file_into_the_snapshot(demo_snapshot):
    assert "programs.yaml" in demo_snapshot.manifest["extra_files"]
    ids = [p.program_id for p in ev.list_programs(demo_snapshot)]
    assert ids == ["arc-central", "arc-second-team", "qrt", "dvert"]


def test_injected_effect_is_inside_the_interval(demo_snapshot):
    model = ev.build_evaluation(demo_snapshot, "arc-second-team", "police_handled", reps=19)
    rel = model.est.relative
    assert rel.low <= -INJECTED_EFFECT <= rel.high
    assert rel.high - rel.low < 0.5  # an interval narrow enough to mean something
    assert rel.estimate < 0
    assert model.est.placebo.covers_zero
    assert not model.plausibility.implausible  # the team took 25% of the calls: above 15%
    assert model.per_month.estimate < 0 and model.hours_per_month.estimate < 0


def test_null_program_interval_covers_zero(demo_snapshot):
    model = ev.build_evaluation(demo_snapshot, "dvert", "eligible", reps=19)
    assert model.est.att.covers_zero
    assert model.verdict[0].startswith("The data cannot tell")
    # the injection moved calls from police to the team; it did not change how many calls came
    moved = ev.build_evaluation(demo_snapshot, "arc-second-team", "eligible", reps=19)
    assert moved.est.att.covers_zero


def test_program_without_comparison_or_pre_period_says_so(demo_snapshot):
    model = ev.build_evaluation(demo_snapshot, "qrt", "eligible")
    assert model.problem and "before the data begins" in model.problem
