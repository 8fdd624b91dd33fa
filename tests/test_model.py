import warnings

import pandas as pd
import pytest
import shapely

from tests.conftest import INPUT
from twin import EmptyAreaError
from twin.datum import DatumShiftWarning, check_datum, warn_if_shifted
from twin.model import district_from_sources as load_district
from twin.store.district import load_district as cached_district


def test_hongkou_is_clipped_and_its_coverage_reported(hongkou):
    summary = hongkou.summary()
    assert 22 < summary["boundary_area_km2"] < 25
    # the pack's extract (121.409–121.552 E, 31.179–31.279 N) covers about half of Hongkou
    assert 0.40 < hongkou.study_share < 0.70
    assert 400 < summary["street_nodes"] < 1500
    xs, ys = hongkou.streets.lonlat.T
    near = shapely.contains_xy(hongkou.boundary.buffer(0.005), xs, ys)
    assert near.all()  # edges crossing the boundary are kept whole, nothing further out
    assert any("covers" in note and "Hongkou" in note for note in hongkou.notes)
    assert hongkou.study_area.within(hongkou.boundary.buffer(1e-9))


def test_hongkou_pois_and_demand(hongkou):
    counts = hongkou.pois_by_category()
    assert counts["eating"] > 100 and counts["moving"] > 50 and counts["healthcare"] > 20
    assert set(hongkou.missing_categories()) >= {"outdoor", "elderly"}
    assert hongkou.population == pytest.approx(757_498)
    assert len(hongkou.demand) > 500
    kinds = {s.kind for s in hongkou.sources}
    assert kinds == {"boundary", "streets", "pois", "demand"}
    assert "© OpenStreetMap contributors (ODbL)" in hongkou.summary()["attribution"]


def test_district_without_street_data_still_loads(minhang):
    assert minhang.streets is None and not minhang.has_streets
    assert minhang.area_km2 > 300 and minhang.study_share == 0
    assert len(minhang.demand) > 0 and len(minhang.pois) > 0
    assert any("twin fetch minhang" in note for note in minhang.notes)


def test_street_file_outside_the_district_is_an_empty_area(settings):
    with pytest.raises(EmptyAreaError, match="no streets inside Minhang"):
        load_district("minhang", settings, osm_file=INPUT / "tiny.osm")


def test_gcj02_points_passed_as_wgs84_are_detected(hongkou, settings):
    import pandas as pd

    raw = pd.read_csv(settings.data_dir / "residential" / "addresses_gcj02.csv")
    raw = raw[raw["address"].str.startswith("虹口区")]
    xs, ys = hongkou.streets.reference_points
    inside = shapely.contains_xy(hongkou.study_area, raw["lng"], raw["lat"])
    lon, lat = raw["lng"][inside], raw["lat"][inside]
    with pytest.warns(DatumShiftWarning) as caught:
        result = warn_if_shifted(lon, lat, xs, ys, "addresses")
    warning = caught[0].message
    assert warning.code == "datum-shift" and warning.fit.best == "gcj02"  # a code, not prose
    assert warning.fit.declared == "wgs84"
    assert result.median_as_given_m > 1.5 * result.median_if_gcj02_m
    # the properly converted demand raises nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        demand = hongkou.demand.geometry
        ok = check_datum(demand.x, demand.y, xs, ys)
    assert not ok.likely_gcj02


def test_district_cache_round_trip(settings, monkeypatch):
    first = cached_district("hongkou", settings)
    # a second load must come from the cache: reading the sources again would fail now
    monkeypatch.setattr(
        "twin.store.district.district_from_sources", lambda *a, **k: pytest.fail("not cached")
    )
    again = cached_district("hongkou", settings)
    assert again.summary() == first.summary()
    assert again.streets.n_edges == first.streets.n_edges
    # cache=False reads the sources every time and never touches the cache
    monkeypatch.undo()
    fresh = cached_district("hongkou", settings, cache=False)
    assert fresh.summary() == first.summary()


@pytest.mark.parametrize(
    "kind", ["points", "metric", "no_crs", "named_index", "two_geometries", "bbox_covering"]
)
def test_the_store_reads_geoparquet_as_geopandas_does(tmp_path, kind):
    """The store's reader (each CRS parsed once) gives geopandas' frame: columns in order,
    index, geometry, CRS and attrs, whatever the file holds."""
    import geopandas as gpd
    import numpy as np
    from geopandas.testing import assert_geodataframe_equal

    from twin.store.geoparquet import read_geoparquet

    rng = np.random.default_rng(1)
    frame = gpd.GeoDataFrame(
        {"name": ["a", None, "c"], "n": [1, 2, 3], "x": rng.random(3)},
        geometry=gpd.points_from_xy([121.4, 121.5, 121.6], [31.2, 31.3, 31.1]), crs=4326,
    )  # fmt: skip
    frame = frame[["name", "geometry", "n", "x"]]  # geometry not last
    frame.attrs = {"filled_defaults": ["height_m"]}
    if kind == "metric":
        frame = frame.to_crs(32651).assign(geometry=lambda f: f.buffer(50.0))
    elif kind == "no_crs":
        frame = frame.set_crs(None, allow_override=True)
    elif kind == "named_index":
        frame = frame.set_index(pd.Index(["s1", "s2", "s3"], name="site"))
    elif kind == "two_geometries":
        frame["centre"] = frame.geometry.envelope  # a second geometry column
    path = tmp_path / "frame.parquet"
    frame.to_parquet(path, write_covering_bbox=kind == "bbox_covering")
    ours, theirs = read_geoparquet(path), gpd.read_parquet(path)
    assert_geodataframe_equal(ours, theirs, check_crs=True)
    assert list(ours.columns) == list(theirs.columns) and ours.attrs == theirs.attrs
    assert ours.crs == theirs.crs and ours.geometry.name == theirs.geometry.name
