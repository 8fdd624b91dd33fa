import bz2
import shutil
from pathlib import Path

import numpy as np
import pytest
import shapely

from tests.conftest import INPUT
from twin import DataNotFoundError, EmptyAreaError, InvalidInputError, resolve
from twin.crs import gcj02_to_wgs84
from twin.sources import boundary_from_file, boundary_from_pack, graph_from_file
from twin.sources.pois import categorise_amap, pois_from_osm_file, pois_from_pack
from twin.store.atomic import atomic_write

TINY = INPUT / "tiny.osm"


def highways(graph):
    return {str(d.get("highway")) for _, _, d in graph.edges(data=True)}


def test_walk_filter_on_a_hand_built_grid(settings):
    graph = graph_from_file(TINY, settings)
    assert graph.number_of_nodes() == 16
    # 4 residential + 2 tertiary + 2 footway ways of 3 segments each, both directions
    assert graph.number_of_edges() == 48
    assert highways(graph) == {"residential", "tertiary", "footway"}


def test_walk_filter_on_the_tongji_campus(data_dir, settings):
    graph = graph_from_file(data_dir / "osm" / "tongji_campus.osm", settings)
    kinds = highways(graph)
    assert {"footway", "service", "path"} <= kinds  # real walking tags survive
    assert "None" not in kinds  # buildings and landuse ways are not streets
    assert not any(k == "cycleway" or k == "construction" for k in kinds)


def test_bz2_and_graphml_and_pbf_read_the_same_streets(tmp_path, settings):
    import osmium
    import osmnx as ox

    reference = graph_from_file(TINY, settings)
    packed = tmp_path / "tiny.osm.bz2"
    packed.write_bytes(bz2.compress(TINY.read_bytes()))
    assert graph_from_file(packed, settings).number_of_edges() == reference.number_of_edges()
    graphml = tmp_path / "tiny.graphml"
    ox.save_graphml(reference, graphml)
    assert graph_from_file(graphml, settings).number_of_edges() == reference.number_of_edges()
    pbf = tmp_path / "tiny.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(TINY)):
            writer.add(obj)
    assert graph_from_file(pbf, settings).number_of_edges() == reference.number_of_edges()


@pytest.mark.parametrize(
    "content",
    [b"<osm><node id='1' lat='31.2' lon='121.4'></osm>", b"not xml at all", b""],
)
def test_corrupt_osm_file_is_a_clear_error(tmp_path, settings, content):
    broken = tmp_path / "broken.osm"
    broken.write_bytes(content)
    with pytest.raises(InvalidInputError, match=r"broken\.osm"):
        graph_from_file(broken, settings)


def test_missing_and_unknown_street_files(tmp_path, settings):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        graph_from_file(tmp_path / "nope.osm", settings)
    odd = tmp_path / "streets.shp"
    odd.write_text("x")
    with pytest.raises(InvalidInputError, match="not a street file"):
        graph_from_file(odd, settings)


def test_pack_boundary_is_converted_from_gcj02(settings):
    boundary, record = boundary_from_pack(resolve("hongkou"), settings)
    assert "GCJ-02" in record.crs
    import geopandas as gpd

    raw = gpd.read_file(settings.data_dir / "boundaries" / "shanghai_districts_gcj02.geojson")
    raw_shape = raw[raw["adcode"] == "310109"].geometry.iloc[0]
    # the WGS-84 boundary lies west-north-west of the GCJ-02 one by about 500 m
    shift = np.subtract(raw_shape.centroid.coords[0], boundary.centroid.coords[0])
    assert 0.003 < shift[0] < 0.006 and -0.004 < shift[1] < 0
    area_km2 = gpd.GeoSeries([boundary], crs=4326).to_crs(32651).area.iloc[0] / 1e6
    assert 22 < area_km2 < 25  # Hongkou is 23.5 km²


def test_boundary_file_in_gcj02(tmp_path, settings):
    import geopandas as gpd

    raw = gpd.read_file(settings.data_dir / "boundaries" / "shanghai_districts_gcj02.geojson")
    path = tmp_path / "hk.geojson"
    raw[raw["adcode"] == "310109"].to_file(path)
    converted, record = boundary_from_file(path, "gcj02")
    expected, _ = boundary_from_pack(resolve("hongkou"), settings)
    assert converted.symmetric_difference(expected).area < 1e-9
    assert record.crs == "GCJ02"
    with pytest.raises(EmptyAreaError, match="no feature named"):
        boundary_from_file(path, "gcj02", name="Atlantis")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{ broken")
    with pytest.raises(InvalidInputError, match="cannot read"):
        boundary_from_file(bad)


def test_amap_types_map_onto_the_scheme():
    import pandas as pd

    types = pd.Series(
        [
            "医疗保健服务;综合医院;三级甲等医院",
            "医疗保健服务;动物医疗场所;宠物诊所",
            "住宿服务;宾馆酒店;四星级宾馆|餐饮服务;糕饼店;糕饼店",
            "住宿服务;宾馆酒店;三星级宾馆",
            "交通设施服务;公交车站;公交车站相关",
            "科教文化服务;学校;幼儿园",
            None,
        ]
    )
    assert categorise_amap(types).tolist() == [
        "healthcare",
        None,
        "eating",
        None,
        "moving",
        "learning",
        None,
    ]


def test_pack_pois_report_what_they_drop(settings):
    boundary, _ = boundary_from_pack(resolve("hongkou"), settings)
    pois, summary = pois_from_pack(boundary, settings)
    assert summary["kept"] == len(pois)
    assert summary["rows_in_area"] == (
        summary["kept"] + summary["excluded_by_rule"] + summary["duplicates_merged"]
    )
    assert summary["duplicates_merged"] > 0  # school.csv overlaps the other school files
    assert set(pois["category"]) <= {"learning", "eating", "moving", "cultural", "healthcare"}
    assert shapely.contains_xy(boundary, pois.geometry.x, pois.geometry.y).all()


def test_osm_file_pois(settings):
    from shapely.geometry import box

    pois, summary = pois_from_osm_file(TINY, box(121.49, 31.28, 121.50, 31.29))
    assert sorted(pois["category"]) == ["learning", "outdoor", "parking", "parking", "supplies"]
    assert sorted(pois["subtype"]) == ["fuel", "park", "parking", "school", "supermarket"]
    assert summary["kept"] == 5


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def failing(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(target, failing)
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_demand_from_raster(tmp_path, settings):
    import rasterio
    from rasterio.transform import from_origin

    from twin.sources.demand import demand_from_raster

    boundary, _ = boundary_from_pack(resolve("hongkou"), settings)
    west, south, east, north = boundary.bounds
    data = np.full((40, 30), 10.0, dtype="float32")
    data[0, 0] = -99999  # nodata
    path = tmp_path / "pop.tif"
    transform = from_origin(west, north, (east - west) / 30, (north - south) / 40)
    with rasterio.open(
        path, "w", driver="GTiff", width=30, height=40, count=1, dtype="float32",
        crs="EPSG:4326", transform=transform, nodata=-99999,
    ) as dst:  # fmt: skip
        dst.write(data, 1)
    demand, record = demand_from_raster(path, boundary)
    assert len(demand) > 100 and (demand["population"] == 10).all()
    assert shapely.contains_xy(boundary.buffer(0.002), demand.geometry.x, demand.geometry.y).all()
    assert "EPSG:4326" in record.crs


def test_gcj02_conversion_of_demand_points(settings):
    from twin.sources.demand import demand_from_pack

    boundary, _ = boundary_from_pack(resolve("hongkou"), settings)
    demand, record = demand_from_pack(boundary, 757_498, settings)
    assert demand["population"].sum() == pytest.approx(757_498)
    lon, _ = gcj02_to_wgs84(np.array([121.5]), np.array([31.26]))
    assert "GCJ-02" in record.crs and lon[0] < 121.5


def test_missing_pack_files_name_the_file(tmp_path):
    from twin import Settings

    empty = Settings(data_dir=tmp_path, cache_dir=tmp_path / "cache", offline=True)
    with pytest.raises(DataNotFoundError, match=r"shanghai_districts_gcj02\.geojson"):
        boundary_from_pack(resolve("hongkou"), empty)
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)


def test_a_street_node_with_an_impossible_coordinate_is_left_out_not_the_file(tmp_path, settings):
    """A GraphML node at x = NaN once ended in a native crash; now the valid streets stay."""
    import re

    import osmnx as ox

    reference = graph_from_file(TINY, settings)
    good = tmp_path / "good.graphml"
    ox.save_graphml(reference, good)
    text = good.read_text(encoding="utf-8")
    key = re.search(r'<key id="(d\d+)" for="node" attr.name="x"', text).group(1)
    value = re.search(rf'<data key="{key}">([-0-9.]+)</data>', text)
    bad = tmp_path / "bad.graphml"
    bad.write_text(text[: value.start(1)] + "nan" + text[value.end(1) :], encoding="utf-8")
    graph = graph_from_file(bad, settings)
    assert graph.number_of_nodes() == reference.number_of_nodes() - 1
    assert "1 street node" in graph.graph["twin_note"]


def test_a_hostile_list_of_street_names_is_not_parsed():
    import time

    from twin.streets import first_name

    start = time.perf_counter()
    assert first_name("['Main Road', " + "'x', " * 500_000 + "]") == "Main Road"
    assert time.perf_counter() - start < 5.0  # a guard against a hang, not a speed claim
    assert first_name("['四川北路', '多伦路']") == "四川北路"


def test_a_bz2_decompression_bomb_is_refused(tmp_path):
    from twin.sources.osm import check_bz2

    bomb = tmp_path / "bomb.osm.bz2"
    bomb.write_bytes(bz2.compress(b"<osm>" + b" " * (8 << 20) + b"</osm>"))  # 8 MiB → ≈ 100 B
    with pytest.raises(InvalidInputError, match="decompression bomb"):
        check_bz2(bomb, floor_bytes=1 << 20)
    plain = tmp_path / "tiny.osm.bz2"
    plain.write_bytes(bz2.compress(TINY.read_bytes()))
    check_bz2(plain, floor_bytes=1 << 20)  # an ordinary extract passes
