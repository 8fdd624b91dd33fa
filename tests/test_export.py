"""Exports: read every format back and compare; RFC 7946 rules; identical bytes twice; CLI."""

import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import rasterio
import shapely

from twin import InvalidInputError
from twin.cli import main
from twin.crs import gcj02_to_wgs84
from twin.exports import csv_metadata, export_bytes, metadata


@pytest.fixture(scope="module")
def built(hongkou, settings):
    from twin.analysis.build import build

    return build(hongkou, settings)


@pytest.fixture(scope="module")
def meta(built):
    return metadata(built.report["attribution"], {"resolution": 9})


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_geojson_follows_rfc_7946(built, meta, tmp_path):
    cells = built.coverage.cells
    data = export_bytes(cells, "geojson", meta, "hexagons")
    document = json.loads(data)
    assert "crs" not in document and document["coordinate_datum"] == "WGS84"
    assert any("OpenStreetMap" in a for a in document["attribution"])
    ring = np.array(document["features"][0]["geometry"]["coordinates"][0])
    assert shapely.LinearRing(ring).is_ccw  # exterior rings counter-clockwise
    back = gpd.read_file(write(tmp_path, "cells.geojson", data))
    assert len(back) == len(cells)
    assert np.allclose(back["rsrp_dbm"], cells["rsrp_dbm"], equal_nan=True)
    assert back["h3"].tolist() == cells["h3"].tolist()
    assert data == export_bytes(cells, "geojson", meta, "hexagons")  # identical bytes


def test_geojson_in_gcj02_for_amap(built, meta):
    stations = built.layers["charging"]
    document = json.loads(export_bytes(stations, "geojson", meta, datum="gcj02"))
    assert document["coordinate_datum"] == "GCJ02"
    lon, lat = np.array([f["geometry"]["coordinates"] for f in document["features"]]).T
    back_lon, back_lat = gcj02_to_wgs84(lon, lat)
    assert np.abs(back_lon - stations.geometry.x.to_numpy()).max() < 1e-6
    assert np.abs(back_lat - stations.geometry.y.to_numpy()).max() < 1e-6
    assert np.abs(lon - stations.geometry.x.to_numpy()).min() > 1e-4  # really shifted (~500 m)


@pytest.mark.parametrize("fmt", ["parquet", "gpkg"])
def test_vector_round_trips(built, meta, tmp_path, fmt):
    stations = built.layers["charging"]
    data = export_bytes(stations, fmt, meta, "charging")
    path = write(tmp_path, f"charging.{fmt}", data)
    back = gpd.read_parquet(path) if fmt == "parquet" else gpd.read_file(path, layer="charging")
    assert back.crs.to_epsg() == 4326 and len(back) == len(stations)
    assert back["piles"].tolist() == stations["piles"].tolist()
    assert np.allclose(back.geometry.x, stations.geometry.x)
    if fmt == "parquet":
        extra = json.loads(pq.read_schema(path).metadata[b"twin"])
        assert any("OpenStreetMap" in a for a in extra["attribution"])
    assert data == export_bytes(stations, fmt, meta, "charging")


def test_csv_of_hexagons_reads_as_it_is(built, meta, tmp_path):
    """A plain header: pandas reads it without options; kepler.gl finds its H3 column."""
    cells = built.coverage.cells
    path = write(tmp_path, "cells.csv", export_bytes(cells, "csv", meta))
    back = pd.read_csv(path)
    assert back.columns[0] == "hex_id" and back["hex_id"].tolist() == cells["h3"].tolist()
    assert np.allclose(back["residents"], cells["residents"], rtol=1e-5)
    assert "geometry" not in back.columns and "cell" not in back.columns
    sidecar = json.loads(csv_metadata(cells, meta, "cells.csv"))
    assert sidecar["url"] == "cells.csv" and any("OpenStreetMap" in a for a in sidecar["dc:source"])
    assert [c["name"] for c in sidecar["tableSchema"]["columns"]] == list(back.columns)


def test_csv_never_carries_a_live_formula(town, meta):
    """Site names a spreadsheet would run (=HYPERLINK, +cmd, @SUM, -2+3) stay text."""
    from twin.layers import generate

    sites = generate("charging", town).iloc[:4].copy()
    sites["site_type"] = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(1)", "plain"]
    back = pd.read_csv(io.BytesIO(export_bytes(sites, "csv", meta)))
    assert back["site_type"].tolist()[:3] == [
        "'=HYPERLINK(\"http://x\")", "'+cmd|' /C calc'!A0", "'@SUM(1)"]  # fmt: skip
    assert back["site_type"].iloc[3] == "plain"


def test_geotiff_of_a_metric(built, meta, hongkou, tmp_path):
    cells = built.coverage.cells
    data = export_bytes(cells, "gtiff", meta, column="locker_m", metric_crs=hongkou.metric_crs)
    with rasterio.open(write(tmp_path, "lockers.tif", data)) as src:
        assert src.crs.to_epsg() == hongkou.metric_crs.to_epsg()
        assert src.nodata == -9999 and src.descriptions[0] == "locker_m"
        assert "OpenStreetMap" in src.tags()["attribution"]
        band = src.read(1)
        # the pixel under a hexagon's centre holds that hexagon's value
        row = cells.iloc[len(cells) // 2]
        x, y = (
            gpd.GeoSeries(gpd.points_from_xy([row["lon"]], [row["lat"]]), crs=4326)
            .to_crs(src.crs)
            .iloc[0]
            .coords[0]
        )
        r, c = src.index(x, y)
        assert band[r, c] == pytest.approx(row["locker_m"], rel=1e-5)
        assert (band != -9999).mean() > 0.3
    with pytest.raises(InvalidInputError, match="no hexagon metric"):
        export_bytes(cells, "gtiff", meta, column="colour", metric_crs=hongkou.metric_crs)


def test_cli_export_and_bad_requests(settings, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    out = tmp_path / "lockers.gpkg"
    assert (
        main(["export", "hongkou", "--layer", "lockers", "--format", "gpkg", "-o", str(out)]) == 0
    )
    assert len(gpd.read_file(out)) > 100
    assert (
        main(["export", "hongkou", "--layer", "lockers", "--format", "gtiff", "-o", "x.tif"]) == 2
    )
    assert main(["export", "hongkou", "--layer", "lockers", "--format", "csv", "--datum", "gcj02",
                 "-o", "x.csv"]) == 2  # fmt: skip
    assert "GeoJSON only" in capsys.readouterr().err


def test_an_export_never_replaces_a_device_or_a_link(built, tmp_path):
    """`-o /dev/null` (as root) or a link must not be replaced by a regular file."""
    from twin.store.atomic import atomic_write_bytes

    link = tmp_path / "link.csv"
    target = tmp_path / "target.csv"
    target.write_text("keep")
    link.symlink_to(target)
    for path in (Path("/dev/null"), link, tmp_path):
        with pytest.raises(InvalidInputError, match="not a regular file"):
            atomic_write_bytes(path, b"x")
    assert Path("/dev/null").is_char_device() and link.is_symlink()
    assert target.read_text() == "keep"
