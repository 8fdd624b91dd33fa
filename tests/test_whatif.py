"""What-if: incremental updates equal a full recomputation and touch only nearby cells."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from twin import InvalidInputError
from twin.analysis.engine import compute
from twin.analysis.whatif import Scenario, diff_layers, update
from twin.context import LayerContext

COLUMN = {"charging": "charging_m", "lockers": "locker_m", "base_stations": "rsrp_dbm"}


def edited(frame, ctx, rng):
    """Remove 5 sites, move 2 by ~360 m, add 3 at random demand points."""
    out = frame.drop(frame.index[rng.choice(len(frame), 5, replace=False)]).copy()
    movers = out.index[:2]
    xy = ctx.xy(out.loc[movers]) + np.array([300.0, -200.0])
    lon, lat = ctx.lonlat(xy)
    out.loc[movers, "geometry"] = pd.Series(list(gpd.points_from_xy(lon, lat)), index=movers)
    new_xy = ctx.demand_xy[rng.choice(len(ctx.demand_xy), 3, replace=False)]
    lon, lat = ctx.lonlat(new_xy)
    extra = out.iloc[:3].copy()
    extra["feature_id"] = ["NEW-1", "NEW-2", "NEW-3"]
    extra = extra.set_geometry(gpd.points_from_xy(lon, lat), crs=4326)
    return pd.concat([out, extra], ignore_index=True).set_crs(4326, allow_override=True)


def check_incremental(district, base, layer):
    ctx = LayerContext(district)
    before = base.layers[layer]
    after = edited(before, ctx, np.random.default_rng(4))
    change = diff_layers(layer, ctx, before, after)
    assert len(change.added_xy) == 5 and len(change.removed_xy) == 7
    cells = base.coverage.cells
    cells_xy = ctx.xy_of(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    network = district.streets.network
    params = base.coverage.params
    updated, touched = update(cells, cells_xy, layer, after, ctx, change, network, params, before)
    assert 0 < touched <= len(cells)
    full = compute(district, base.layers | {layer: after}, params).cells
    assert np.allclose(updated[COLUMN[layer]], full[COLUMN[layer]], atol=0.11)
    assert np.allclose(updated["service_index"], full["service_index"], atol=0.11)
    if layer != "base_stations":
        flag = {"charging": "covered_charging", "lockers": "covered_lockers"}[layer]
        assert (updated[flag] == full[flag]).all()
    return touched, len(cells)


@pytest.mark.parametrize("layer", ["charging", "lockers", "base_stations"])
def test_incremental_update_matches_full_recompute(town, town_build, layer):
    check_incremental(town, town_build, layer)


@pytest.mark.parametrize("layer", ["lockers", "base_stations"])
def test_incremental_update_on_hongkou_touches_only_nearby_cells(hongkou, settings, layer):
    from twin.analysis.build import build

    touched, total = check_incremental(hongkou, build(hongkou, settings), layer)
    assert touched < total


def test_scenario_without_streamlit(town, town_build):
    scenario = Scenario.start(town, town_build.layers, town_build.coverage, "lockers")
    before = scenario.share_before()
    worst = town_build.coverage.cells.query("~covered_lockers").nlargest(1, "residents").iloc[0]
    scenario.add(float(worst["lon"]), float(worst["lat"]))
    assert scenario.share_after() > before
    assert scenario.frame["feature_id"].iloc[-1] == "WHATIF-0001"
    assert scenario.frame["service_radius_m"].iloc[-1] == 300.0
    sites, _ = scenario.recommend(2)
    scenario.accept(sites)
    assert len(scenario.frame) == len(town_build.layers["lockers"]) + 3
    rows = scenario.report_rows()
    new_groups = rows[rows["target"] == "new smart locker groups"].iloc[0]
    assert new_groups["after"] == new_groups["before"] + 3
    scenario.remove(["WHATIF-0001"])
    scenario.move(scenario.frame["feature_id"].iloc[0], 100.0, 0.0)
    assert len(scenario.log) == 4
    full = compute(town, scenario.layers_after()).cells
    assert np.allclose(scenario.cells["locker_m"], full["locker_m"], atol=0.11)
    with pytest.raises(InvalidInputError, match="outside Testville"):
        scenario.add(120.0, 30.0)
    with pytest.raises(
        InvalidInputError, match="no site 'nope' in the locker groups scenario"
    ) as err:
        scenario.move("nope", 1.0, 1.0)
    from twin.i18n import in_language, sentence

    with in_language("zh"):  # the layer by its name, in either language
        assert "快递柜组" in sentence(str(err.value)) and "locker" not in sentence(str(err.value))


def test_removing_an_operators_last_site_updates_every_cell(town, town_build):
    """The subscriber weights move when a network disappears: the update then matches a full
    recomputation everywhere, not only near the removed sites."""
    sites = town_build.layers["base_stations"]
    smallest = sites["operator"].value_counts().idxmin()
    after = sites[sites["operator"] != smallest].copy()
    ctx = LayerContext(town)
    change = diff_layers("base_stations", ctx, sites, after)
    cells = town_build.coverage.cells
    cells_xy = ctx.xy_of(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    params = town_build.coverage.params
    updated, touched = update(cells, cells_xy, "base_stations", after, ctx, change, None, params,
                              sites)  # fmt: skip
    assert touched == len(cells)
    full = compute(town, town_build.layers | {"base_stations": after}, params).cells
    assert np.allclose(updated["rsrp_dbm"], full["rsrp_dbm"], atol=0.11)
