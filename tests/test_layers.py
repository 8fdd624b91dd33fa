import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree

from twin import InvalidInputError, layers
from twin.context import LayerContext
from twin.layers import validate_layer
from twin.layers.placement import hex_lattice, place_sites

ALL = list(layers.REGISTRY)


@pytest.fixture(scope="module")
def generated(hongkou):
    return {name: layers.generate(name, hongkou) for name in ALL}


def metric_xy(ctx, frame):
    return np.column_stack(ctx.to_metric.transform(frame.geometry.x, frame.geometry.y))


@pytest.mark.parametrize("name", ALL)
def test_contract_and_determinism(hongkou, generated, name):
    frame = generated[name]
    validate_layer(frame, name)
    assert frame.crs.to_epsg() == 4326 and (frame["source"] == "generated").all()
    again = layers.generate(name, hongkou)
    assert frame.equals(again)  # same seed, same inputs: identical
    params = layers.REGISTRY[name].params(seed=7)
    other = layers.generate(name, hongkou, params)
    assert len(other) == len(frame)
    assert not np.allclose(other.geometry.x, frame.geometry.x)


@pytest.mark.parametrize("name", ALL)
def test_inside_district_min_spacing_and_snapping(hongkou, generated, name):
    frame = generated[name]
    ctx = LayerContext(hongkou)
    assert shapely.contains_xy(hongkou.boundary, frame.geometry.x, frame.geometry.y).all()
    xy = metric_xy(ctx, frame)
    distances, _ = cKDTree(xy).query(xy, k=2)
    assert distances[:, 1].min() >= frame.attrs["min_spacing_m"] - 0.5
    if name == "base_stations":
        snapped = (frame["snapped_to"] == "street").to_numpy()
        street_tree = cKDTree(ctx.street_xy)
        d, _ = street_tree.query(xy[snapped])
        assert d.max() < 1.0  # snapped sites stand on a street point
        in_study = shapely.contains_xy(hongkou.study_area, frame.geometry.x, frame.geometry.y)
        assert snapped[in_study].mean() > 0.4  # where streets exist, most sites line them
        assert not snapped[~in_study].any()  # nothing snaps where there are no streets
        # unsnapped sites had no street within reach of their lattice cell centre
        d_unsnapped, _ = street_tree.query(xy[in_study & ~snapped])
        assert (d_unsnapped > 0.5 * frame.attrs["snap_distance_m"]).mean() > 0.5


@pytest.mark.parametrize("name", ["charging", "lockers"])
def test_street_bound_layers_stand_by_streets_in_the_study_area(hongkou, generated, name):
    frame = generated[name]
    ctx = LayerContext(hongkou)
    reach = layers.REGISTRY[name].params().street_reach_m
    xy = metric_xy(ctx, frame)
    in_study = shapely.contains_xy(hongkou.study_area, frame.geometry.x, frame.geometry.y)
    assert in_study.mean() > 0.4  # the pack's streets cover about half of Hongkou
    d, _ = cKDTree(ctx.street_xy).query(xy[in_study])
    assert d.max() <= reach + 1.0
    outside = int((~in_study).sum())
    assert any(f"{outside} of {len(frame)} sites lie outside" in n for n in frame.attrs["notes"])


def test_charging_prefers_osm_car_parks(hongkou):
    from dataclasses import replace

    import geopandas as gpd

    ctx = LayerContext(hongkou)
    xy = ctx.street_xy[::40][:60]  # car parks right on the streets of the study area
    lon, lat = ctx.lonlat(xy)
    n = len(lon)
    parks = gpd.GeoDataFrame(
        {"name": ["P"] * n, "category": ["parking"] * n, "subtype": ["parking"] * n,
         "source": ["osm"] * n, "in_district": [True] * n},
        geometry=gpd.points_from_xy(lon, lat), crs=4326,
    )  # fmt: skip
    with_parks = replace(hongkou, pois=gpd.pd.concat([hongkou.pois, parks], ignore_index=True))
    frame = layers.generate("charging", with_parks)
    assert (frame["site_type"] == "car park").sum() > 0


def test_base_station_count_and_attributes(generated, hongkou):
    frame = generated["base_stations"]
    assert len(frame) == 1500  # Hongkou's plan target
    assert set(frame["band"]) == {"n41", "n78", "n28"}
    assert set(frame["height_m"]) == {25.0, 10.0}
    assert ((frame["azimuth_2"] - frame["azimuth_1"]) == 120).all()
    assert frame["tx_power_dbm"].between(30, 55).all()
    assert (frame.loc[frame["band"] == "n78", "frequency_ghz"] == 3.5).all()
    assert frame["feature_id"].is_unique and frame["feature_id"].str.startswith("BS-310109-").all()
    # demand-weighted: the more populated half of the lattice holds more sites
    ctx = LayerContext(hongkou)
    d_near, _ = cKDTree(ctx.demand_xy).query(metric_xy(ctx, frame))
    assert np.median(d_near) < 250


def test_songjiang_has_no_number_and_says_so(settings):
    from twin.model import district_from_sources as load_district

    songjiang = load_district("songjiang", settings)
    frame = layers.generate("base_stations", songjiang)
    assert any("no plan number" in note for note in frame.attrs["notes"])
    area_per_site = songjiang.area_km2 / len(frame)
    assert 0.3 < area_per_site < 0.6  # ~700 m suburban spacing
    assert set(frame["snapped_to"]) == {"open"}  # no street network offline


def test_charging_rules(generated, minhang):
    frame = generated["charging"]
    assert (frame["service_radius_m"] == 900).all()  # Hongkou is inside the Outer Ring
    assert (frame["fast_piles"] >= np.ceil(0.03 * frame["piles"])).all()
    assert (frame["fast_piles"] <= frame["piles"]).all() and (frame["piles"] >= 2).all()
    straddling = layers.generate("charging", minhang)
    assert set(straddling["service_radius_m"]) == {900.0, 1500.0}
    inside = straddling[straddling["ring"] == "inside"]
    assert inside.geometry.y.mean() > straddling.geometry.y.mean()  # north-east Minhang is inner


def test_lockers_plan_target(settings):
    from twin.model import district_from_sources as load_district

    changning = load_district("changning", settings)
    frame = layers.generate("lockers", changning)
    assert (frame["status"] == "new").sum() == 120
    new = frame[frame["status"] == "new"]
    focus = new["site_type"].isin(["hospital", "school", "office"]).mean()
    overall = frame["site_type"].isin(["hospital", "school", "office"]).mean()
    assert focus >= overall
    assert frame["compartments"].between(30, 160).all()


def test_placement_guarantees_on_a_square():
    square = shapely.box(0, 0, 2000, 2000)
    rng = np.random.default_rng(0)
    demand = rng.uniform(0, 2000, (500, 2))
    placement = place_sites(
        square, 40, 250.0, demand, np.ones(500), np.empty((0, 2)), np.empty(0, dtype=object), rng
    )
    assert len(placement.xy) == 40
    d, _ = cKDTree(placement.xy).query(placement.xy, k=2)
    assert d[:, 1].min() >= placement.min_spacing_m
    assert len(hex_lattice(square, 100.0)) == pytest.approx(2000 * 2000 / (100**2 * 0.866), rel=0.1)


def test_contract_violations_are_listed(generated):
    frame = generated["lockers"].copy()
    frame.loc[frame.index[1], "feature_id"] = frame["feature_id"].iloc[0]
    with pytest.raises(InvalidInputError, match="1 duplicate feature_id"):
        validate_layer(frame, "lockers")
    with pytest.raises(InvalidInputError, match="missing columns"):
        validate_layer(frame.drop(columns=["compartments"]), "lockers")
    with pytest.raises(InvalidInputError, match="not EPSG:4326"):
        validate_layer(generated["lockers"].to_crs(32651), "lockers")
    with pytest.raises(InvalidInputError, match="unknown layer"):
        layers.generate("trams", None)
