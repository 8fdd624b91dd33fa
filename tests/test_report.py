"""Honest statuses: met / not met only for figures measured on real data."""

import pytest

from twin.analysis.engine import compute
from twin.analysis.report import Measure, plan_report, status_of


@pytest.mark.parametrize(
    ("basis", "value", "target", "expected"),
    [
        ("measured", 0.9, 0.8, "met"),
        ("measured", 0.7, 0.8, "not met"),
        ("measured", 0.7, None, "no number"),
        ("calibrated", 1500.0, 1500.0, "calibrated, not measured"),
        ("estimated", 0.9, 0.8, "estimated"),
        ("not measurable", 0.3, 0.03, "not measured"),
    ],
)
def test_status_rules(basis, value, target, expected):
    assert status_of(Measure(value, "u", "src", "", basis), target, True) == expected
    assert status_of(Measure(value, "u", "src", "", basis), target, False) == "no target"


def test_an_imported_layer_is_measured_and_a_generated_one_calibrated(town, town_build):
    rows = {r["key"]: r for r in town_build.report["rows"]}
    assert rows["base_stations_5g"]["status"] == "calibrated, not measured"
    assert rows["lockers_new"]["status"] == "calibrated, not measured"
    imported = {k: v.assign(source="operator.csv") for k, v in town_build.layers.items()}
    coverage = compute(town, imported)
    rows = {r["key"]: r for r in plan_report(town, coverage, imported)["rows"]}
    assert rows["base_stations_5g"]["status"] == "met"  # 60 real sites against 60 planned
    assert rows["base_stations_5g"]["basis"] == "measured"
    assert rows["fast_charging_share"]["status"] == "no target"
    assert "parking space" in rows["fast_charging_share"]["detail"]


def test_a_partial_real_inventory_lowers_the_figures(town, town_build):
    sites = town_build.layers["base_stations"].assign(source="operator.csv")
    full = plan_report(town, compute(town, {"base_stations": sites}), {"base_stations": sites})
    part = sites.iloc[::10]
    few = plan_report(town, compute(town, {"base_stations": part}), {"base_stations": part})
    assert few["fiveg"]["covered_share_residents"] < full["fiveg"]["covered_share_residents"] - 0.1
    assert few["fiveg"]["median_rsrp_dbm"] < full["fiveg"]["median_rsrp_dbm"] - 10
    rows = {r["key"]: r for r in few["rows"]}
    assert rows["base_stations_5g"]["status"] == "not met"  # 6 of 60 sites


def test_a_district_without_plan_says_so(town, town_build):
    import dataclasses

    bare = dataclasses.replace(town, preset=dataclasses.replace(town.preset, plan=None, targets=()))
    report = plan_report(bare, town_build.coverage, town_build.layers)
    assert report["plan"] == "no plan targets"
