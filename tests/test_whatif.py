"""What-if: incremental updates equal a full recomputation, and touch only nearby cells."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from layers._context import LayerContext
from twin.analysis.engine import CoverageParams, compute
from twin.analysis.whatif import diff_layers, update
from twin.network import StreetNetwork


@pytest.fixture(scope="module")
def base(hongkou, settings):
    from twin.analysis.build import build

    return build(hongkou, settings)


def edited(frame, ctx, rng):
    """Remove 5 sites, move 2 by ~300 m, add 3 at random demand points."""
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


@pytest.mark.parametrize("layer", ["charging", "lockers", "base_stations"])
def test_incremental_update_matches_full_recompute(hongkou, base, layer):
    ctx = LayerContext(hongkou)
    before = base.layers[layer]
    after = edited(before, ctx, np.random.default_rng(4))
    change = diff_layers(before, after, ctx.xy)
    assert len(change.added_xy) == 5 and len(change.removed_xy) == 7
    cells = base.coverage.cells
    cells_xy = np.column_stack(ctx.to_metric.transform(cells["lon"], cells["lat"]))
    network = StreetNetwork.from_graph(hongkou.graph, hongkou.metric_crs)
    params = CoverageParams()
    updated, touched = update(cells, cells_xy, layer, after, ctx.xy(after), change, network, params)
    assert 0 < touched < len(cells)  # only cells near the change
    full = compute(hongkou, base.layers | {layer: after}, params).cells
    column = {"charging": "charging_m", "lockers": "locker_m", "base_stations": "rsrp_dbm"}[layer]
    assert np.allclose(updated[column], full[column], atol=0.11)
    assert np.allclose(updated["service_index"], full["service_index"], atol=0.11)
