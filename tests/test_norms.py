"""One source of norms: every setting the README names changes what it says it changes."""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin import InvalidInputError
from twin.analysis.build import build
from twin.analysis.engine import CoverageParams, compute
from twin.analysis.radio import RadioParams
from twin.layers.charging import ChargingParams
from twin.layers.charging import generate as generate_charging
from twin.layers.lockers import LockerParams
from twin.norms import NORMS_FILE, load_norms, packaged_norms
from twin.settings import Settings
from twin.siting import recommend


def test_defaults_come_from_norms_toml():
    norms = load_norms()
    assert norms.source == str(NORMS_FILE)
    assert CoverageParams().walk_speed_kmh == norms.walking.speed_kmh
    assert RadioParams().covered_rsrp_dbm == norms.fiveg.covered_rsrp_dbm
    assert ChargingParams().radius_inside_m == norms.charging.radius_inside_outer_ring_m
    assert LockerParams().service_radius_m == norms.lockers.service_radius_m
    assert Settings().walk_speed_kmh == norms.walking.speed_kmh


def test_a_norms_file_overrides_only_what_it_names(tmp_path, monkeypatch):
    path = tmp_path / "norms.toml"
    path.write_text("[lockers]\nservice_radius_m = 150.0\n[fiveg]\ncovered_rsrp_dbm = -90.0\n")
    norms = load_norms(path)
    assert norms.lockers.service_radius_m == 150.0 and norms.fiveg.covered_rsrp_dbm == -90.0
    assert norms.walking.speed_kmh == packaged_norms().walking.speed_kmh
    monkeypatch.setenv("TWIN_NORMS_FILE", str(path))
    settings = Settings.from_env()
    assert settings.norms.lockers.service_radius_m == 150.0
    assert CoverageParams.from_settings(settings).radio.covered_rsrp_dbm == -90.0
    assert LockerParams.from_norms(settings.norms).service_radius_m == 150.0  # the same norms
    assert LockerParams().service_radius_m == 300.0  # bare defaults never read the environment


def test_a_broken_norms_file_is_one_clear_error(tmp_path):
    path = tmp_path / "norms.toml"
    path.write_text("[lockers]\nradius = 150\n")
    with pytest.raises(InvalidInputError, match=r"unknown key 'radius'.*service_radius_m"):
        load_norms(path)
    path.write_text("[lockers\n")
    with pytest.raises(InvalidInputError, match="not valid"):
        load_norms(path)


def test_walk_speed_setting_changes_walking_times(town, offline_settings):
    slow = offline_settings.replace(walk_speed_kmh=3.0)
    fast = offline_settings.replace(walk_speed_kmh=4.5)
    a = build(town, slow, layers={})
    b = build(town, fast, layers={})
    ratio = a.coverage.cells["t_eating"] / b.coverage.cells["t_eating"]
    assert np.allclose(ratio.dropna(), 1.5, rtol=0.02)
    assert a.report["life_circle"]["f15"] <= b.report["life_circle"]["f15"]
    assert a.report["life_circle"]["speed_kmh"] == 3.0


def test_resolution_setting_changes_the_grid(town, offline_settings):
    coarse = build(town, offline_settings.replace(h3_resolution=8), layers={})
    fine = build(town, offline_settings, CoverageParams.from_settings(offline_settings, 10), {})
    assert len(fine.coverage.cells) > 20 * len(coarse.coverage.cells)


def test_each_sites_own_radius_is_honoured(town):
    """A layer made with a 300 m radius is measured against 300 m, not the 900 m norm."""
    wide = generate_charging(town)
    narrow = generate_charging(town, ChargingParams(radius_inside_m=300.0))
    assert (narrow["service_radius_m"] == 300.0).all()
    share_wide = compute(town, {"charging": wide}).share("covered_charging")
    share_narrow = compute(town, {"charging": narrow}).share("covered_charging")
    assert share_narrow < share_wide - 0.2
    cells = compute(town, {"charging": narrow}).cells
    assert (cells.loc[cells["covered_charging"], "charging_m"] <= 300.0 + 1e-6).all()


def test_an_imported_radius_replaces_the_rule(town):
    frame = generate_charging(town)
    big = frame.assign(service_radius_m=np.where(np.arange(len(frame)) == 0, 5000.0, 1.0))
    cells = compute(town, {"charging": big}).cells
    assert cells["covered_charging"].all()  # one station serving 5 km covers the whole town
    assert set(cells["charging_radius_m"]) == {5000.0}


def test_threshold_setting_changes_5g_coverage(town, town_build):
    sites = town_build.layers["base_stations"]
    strict = CoverageParams(radio=dataclasses.replace(RadioParams(), covered_rsrp_dbm=-60.0))
    assert compute(town, {"base_stations": sites}, strict).share("covered_5g") < (
        town_build.coverage.share("covered_5g")
    )


@pytest.mark.parametrize("layer", ["lockers", "charging"])
def test_the_share_siting_promises_is_the_share_build_measures(town, town_build, layer):
    sites, summary = recommend(town, layer, town_build.coverage.cells, add=4)
    assert summary["covered_share_after"] > summary["covered_share_before"]
    current = town_build.layers[layer]
    added = current.iloc[[0] * len(sites)].copy().reset_index(drop=True)
    added["feature_id"] = [f"NEW-{i}" for i in range(len(sites))]
    added["service_radius_m"] = sites["service_radius_m"].to_numpy()
    added = added.set_geometry(sites.geometry.to_numpy(), crs=4326)
    after = pd.concat([current, added], ignore_index=True)
    measured = compute(town, town_build.layers | {layer: after}).share(
        {"lockers": "covered_lockers", "charging": "covered_charging"}[layer]
    )
    assert measured == pytest.approx(summary["covered_share_after"], abs=1e-4)


def test_a_norms_file_in_settings_reaches_every_step(town, offline_settings, tmp_path):
    """Settings(norms_file=F) alone, no environment: layer attributes, the engine's rule, siting
    and the map legend all follow F (lockers at 150 m instead of 300 m)."""
    from twin.api import build as api_build
    from twin.api import recommend_sites
    from twin.render.hexagons import metric_for

    path = tmp_path / "norms.toml"
    path.write_text("[lockers]\nservice_radius_m = 150.0\n")
    narrow_settings = offline_settings.replace(norms_file=path)
    wide = api_build(town, settings=offline_settings)
    narrow = api_build(town, settings=narrow_settings)
    lockers = narrow.layers["lockers"]
    assert (lockers["service_radius_m"] == 150.0).all()  # the generator's attribute
    cells = narrow.coverage.cells
    assert (cells.loc[cells["covered_lockers"], "locker_m"] <= 150.0 + 1e-6).all()  # the rule
    assert narrow.coverage.served_share("lockers") < wide.coverage.served_share("lockers")
    sites, _ = recommend_sites(narrow, "lockers", add=2)
    assert (sites["service_radius_m"] == 150.0).all()  # siting
    legend = metric_for("lockers", narrow_settings.norms)
    assert "150 m" in legend.rule and "300 m" in metric_for("lockers").rule
    # a hexagon served at 300 m but not at 150 m changes colour between the two runs
    both = wide.coverage.cells.merge(cells[["h3", "served_lockers"]], on="h3", suffixes=("", "_n"))
    moved = both[(both["served_lockers"] == 1.0) & (both["served_lockers_n"] == 0.0)]
    assert len(moved)
    colour_wide = legend.colour_array(moved["served_lockers"].to_numpy())[0]
    colour_narrow = legend.colour_array(moved["served_lockers_n"].to_numpy())[0]
    assert tuple(colour_wide[:3]) != tuple(colour_narrow[:3])


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[walking]\nspeed_kmh = true\n", "not a number"),
        ('[walking]\nspeed_kmh = "4.5"\n', "not a number"),
        ("[walking]\nspeed_kmh = 0\n", "from 0.5 to 10"),
        ("[lockers]\nservice_radius_m = -300.0\n", "above 0"),
        ("[charging]\nstations_per_km2_inside = 1e9\n", "at most 1000"),
        ("[charging]\nfast_share_min = 1.5\n", "from 0 to 1"),
        ('[charging.site_preference]\n"mall" = true\n', "not a number"),
        ("[fiveg.model]\nneighbours = 2.5\n", "whole number"),
        ("[fiveg.model]\nsector_pattern = 1\n", "true or false"),
        ("[walking]\nsped_kmh = 4.0\n", "unknown key 'sped_kmh'.*speed_kmh"),
        ("[lockers.compartments_low]\nresidential = 500.0\n", "low must not exceed high"),
        ("[reach]\ndetour_factor_range = [1.2, nan]\n", "not a number"),
        ("[walking]\nrings_min = [5.0, 15.0]\n", r"keep rings_min = \[5, 10, 15\]"),
    ],
)
def test_a_norm_that_is_not_a_plausible_number_is_refused(tmp_path, text, complaint):
    path = tmp_path / "norms.toml"
    path.write_text(text)
    with pytest.raises(InvalidInputError, match=complaint):
        load_norms(path)


def test_a_norms_file_that_is_a_device_is_refused():
    with pytest.raises(InvalidInputError, match="regular file"):
        load_norms(Path("/dev/zero"))


def test_levels_and_angles_may_be_negative(tmp_path):
    path = tmp_path / "norms.toml"
    path.write_text("[fiveg]\ncovered_rsrp_dbm = -110.0\n")
    assert load_norms(path).fiveg.covered_rsrp_dbm == -110.0


def test_subscriber_shares_of_a_norms_file_reach_the_5g_model(tmp_path):
    from twin.analysis.radio import RadioParams, network_weights

    path = tmp_path / "norms.toml"
    path.write_text(
        '[fiveg.subscriber_share]\n"China Mobile" = 0.9\n"China Telecom / China Unicom" = 0.09\n'
    )
    params = RadioParams.from_norms(load_norms(path))
    shares = dict(params.subscriber_share)
    assert shares["China Mobile"] == 0.9
    ops = np.array(list(shares))
    assert network_weights(ops, shares)["China Mobile"] > network_weights(
        ops, dict(RadioParams().subscriber_share))["China Mobile"]  # fmt: skip


def test_a_detour_range_must_bracket_the_detour_factor(tmp_path):
    path = tmp_path / "norms.toml"
    path.write_text("[reach]\ndetour_factor_range = [1.6, 1.15]\n")
    with pytest.raises(InvalidInputError, match="detour_factor_range"):
        load_norms(path)


def test_every_norm_has_a_rule_and_every_rule_a_norm():
    import tomllib

    from twin.norms_schema import RULES, _walk, rule_for

    leaves = _walk(tomllib.loads(NORMS_FILE.read_text(encoding="utf-8")), "")
    assert all(rule_for(path) is not None for path, _ in leaves)
    used = {p for p in RULES for path, _ in leaves if rule_for(path) is RULES[p]}
    assert used == set(RULES)


def _numeric_keys():
    import tomllib

    from twin.norms_schema import _walk, rule_for

    doc = tomllib.loads(NORMS_FILE.read_text(encoding="utf-8"))
    return [(path, rule_for(path)) for path, _ in _walk(doc, "")
            if "[]" not in path and rule_for(path).kind in ("number", "whole")]  # fmt: skip


@pytest.mark.parametrize("bad", ["true", '"1"', "nan", "below", "above"])
def test_every_numeric_norm_refuses_what_its_rule_forbids(tmp_path, bad):
    """Each numeric key, one at a time: the refusal names the key, the value and the range."""
    import math

    for path, rule in _numeric_keys():
        section, _, key = path.rpartition(".")
        value = {"below": rule.low - 1, "above": rule.high + abs(rule.high) + 1}.get(bad, bad)
        if isinstance(value, float) and math.isinf(value):
            continue
        name = f'"{key}"' if " " in key else key
        norms = tmp_path / "norms.toml"
        norms.write_text(f"[{section}]\n{name} = {value}\n", encoding="utf-8")
        load_norms.cache_clear()
        with pytest.raises(InvalidInputError, match="it takes") as caught:
            load_norms(norms)
        assert f"[{section}] {key} = " in str(caught.value), path
    load_norms.cache_clear()
