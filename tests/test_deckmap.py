"""The map component's payload: 17-byte binary hexagons, zoom → resolution, compact layers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.grid import cells_to_strings, cover_cells
from twin.render.deckmap import (
    HEX_BYTES,
    ZOOM_BREAKS,
    hex_columns,
    hex_style,
    layer_json,
    resolution_for_zoom,
)
from twin.render.hexagons import METRICS, hexagon_payload


def frame(n: int = 500) -> pd.DataFrame:
    from shapely.geometry import box

    cells = cover_cells(box(121.40, 31.20, 121.52, 31.30), 9)[:n]
    rng = np.random.default_rng(0)
    from twin.grid import cell_centres

    lon, lat = cell_centres(cells)
    values = rng.uniform(0, 1, len(cells))
    values[::3] = 1.0  # wholly served
    values[:7] = np.nan  # not measured
    return pd.DataFrame({
        "cell": cells, "h3": cells_to_strings(cells), "lon": lon, "lat": lat,
        "served_lockers": values, "covered_lockers": values >= 1.0,
        "residents": rng.integers(0, 3000, len(cells)), "inside_share": rng.uniform(0, 1, len(cells)),
    })  # fmt: skip


def decode(data: bytes, n: int) -> dict[str, np.ndarray]:
    return {
        "cell": np.frombuffer(data, "<u8", n, 0),
        "value": np.frombuffer(data, "<f4", n, 8 * n),
        "residents": np.frombuffer(data, "<f4", n, 12 * n),
        "inside": np.frombuffer(data, np.uint8, n, 16 * n),
    }


def test_hexagons_travel_as_17_bytes_and_decode_exactly():
    cells = frame()
    metric = METRICS["lockers"]
    columns = hex_columns(cells, metric)
    assert columns.count == len(cells) and columns.bytes_per_hexagon == HEX_BYTES
    back = decode(columns.data, columns.count)
    assert np.array_equal(back["cell"], cells["cell"].to_numpy())
    values = cells["served_lockers"].to_numpy()
    assert np.allclose(back["value"], values, equal_nan=True) and np.isnan(back["value"][:7]).all()
    assert np.array_equal(back["residents"], cells["residents"].to_numpy(dtype=np.float32))
    assert np.abs(back["inside"] / 255 - cells["inside_share"].to_numpy()).max() <= 0.5 / 255 + 1e-9
    # the same hexagons as pydeck JSON cost several times more
    json_bytes = len(hexagon_payload(cells, metric).to_json(orient="records")) / len(cells)
    assert json_bytes > 5 * HEX_BYTES


def test_unserved_only_sends_the_unserved_populated_hexagons():
    cells = frame()
    metric = METRICS["lockers"]
    columns = hex_columns(cells, metric, unserved_only=True)
    expected = (~cells["covered_lockers"]) & (cells["residents"] > 0)
    assert columns.count == int(expected.sum())
    assert set(decode(columns.data, columns.count)["cell"]) == set(cells.loc[expected, "cell"])


def test_too_many_hexagons_are_cut_to_the_view():
    cells = frame()
    west, south = cells["lon"].quantile(0.4), cells["lat"].quantile(0.4)
    view = (west, south, west + 0.01, south + 0.01)
    columns = hex_columns(cells, METRICS["lockers"], view_bounds=view, limit=100)
    assert 0 < columns.count <= 100 and columns.bounds is not None
    back = decode(columns.data, columns.count)["cell"]
    kept = cells.set_index("cell").loc[back]
    grown = columns.bounds
    assert (kept["lon"].between(grown[0], grown[2]) & kept["lat"].between(grown[1], grown[3])).all()
    # without a view the nearest to the centre are kept, never more than the limit
    assert hex_columns(cells, METRICS["lockers"], limit=50).count == 50


@pytest.mark.parametrize(("zoom", "res"), [(9.0, 7), (11.0, 8), (12.6, 9), (13.5, 10), (18, 10)])
def test_the_zoom_picks_the_resolution(zoom, res):
    assert resolution_for_zoom(zoom) == res


def test_finer_hexagons_as_the_zoom_grows():
    zooms = np.linspace(8, 19, 200)
    resolutions = [resolution_for_zoom(z) for z in zooms]
    assert resolutions == sorted(resolutions) and len(set(resolutions)) == len(ZOOM_BREAKS) + 1


def test_style_and_layers_travel_as_plain_json():
    import pydeck as pdk

    style = hex_style(METRICS["rsrp"], extruded=True)
    assert style["breaks"] == [-115.0, -105.0, -95.0, -85.0] and style["extruded"]
    assert len(style["colours"]) == len(style["classes"]) == 5
    layer = pdk.Layer("PathLayer", [{"path": [[121.4, 31.2], [121.5, 31.3]]}], id="x",
                      get_path="path", get_color=[1, 2, 3])  # fmt: skip
    spec = layer_json(layer)
    assert spec["@@type"] == "PathLayer" and spec["getPath"] == "@@=path"
    assert json.dumps(spec)  # compact when the component sends it
    assert spec == json.loads(layer.to_json())  # pydeck's own document, without its indenting


def test_a_hexagons_tooltip_line_takes_the_pages_brackets():
    """The component fills one template per language: "good (0.83 share)" in English,
    "良好（0.83 …）" with full-width brackets in Chinese, never half-width ones among Chinese."""
    from twin.i18n import in_language

    english = hex_style(METRICS["rsrp"])["words"]["value"]
    with in_language("zh"):
        chinese = hex_style(METRICS["rsrp"])["words"]["value"]
    assert english == "{class} ({value} {unit})"
    assert "（" in chinese and "(" not in chinese
    assert all(f in chinese for f in ("{class}", "{value}", "{unit}"))
    bundle = (Path(__file__).parents[1] / "app_pages" / "deckmap" / "bundle.js").read_text()
    assert '"{class} ({value} {unit})"' in bundle  # the built bundle reads the template


def sites(n: int, seed: int = 0):  # type: ignore[no-untyped-def]
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(121.3, 121.5, n), rng.uniform(31.1, 31.3, n)
    return gpd.GeoDataFrame({"feature_id": [f"s{i}" for i in range(n)]},
                            geometry=gpd.points_from_xy(lon, lat), crs=4326)  # fmt: skip


def test_many_sites_are_counted_zoomed_out_and_drawn_zoomed_in():
    from twin.grid import index_points
    from twin.render.basemap import COUNT_RESOLUTION, DENSE_SITES, SITES_ZOOM, site_layers

    few = [
        json.loads(layer.to_json())
        for layer in site_layers(sites(DENSE_SITES), "x", [0, 0, 0], [], 10)
    ]
    assert len(few) == 1 and "twinZoom" not in few[0]  # few: each one drawn at every zoom

    frame = sites(DENSE_SITES * 4)
    specs = [json.loads(layer.to_json()) for layer in site_layers(frame, "x", [0, 0, 0], [], 10)]
    zooms = {spec["id"]: spec["twinZoom"] for spec in specs}
    assert zooms == {
        "x_counts": [0, SITES_ZOOM],
        "x_count_labels": [0, SITES_ZOOM],
        "x": [SITES_ZOOM, 99],
    }
    counts = pd.DataFrame(specs[0]["data"])
    assert counts["n"].astype(int).sum() == len(frame)  # every site counted once
    cells = index_points(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy(), COUNT_RESOLUTION)
    assert len(counts) == len(np.unique(cells))  # one disc per hexagon that holds sites
    assert (
        np.diff(counts.sort_values("n", key=lambda n: n.astype(int))["r"]) >= 0
    ).all()  # bigger, more
    assert len(specs[-1]["data"]) == len(frame)  # zoomed in: every site


def test_masts_in_3d_follow_the_same_zoom_rule():
    import geopandas as gpd

    from twin.render.basemap import SITES_ZOOM, site_layers

    frame = sites(400)
    frame = gpd.GeoDataFrame(frame.assign(height_m=25.0, band="n78", downtilt_deg=6.0, azimuth_1=0.0,
                                          azimuth_2=120.0, azimuth_3=240.0), crs=4326)  # fmt: skip
    specs = [json.loads(layer.to_json()) for layer in site_layers(frame, "base_stations", [0, 0, 0], [],
                                                                  10, masts=True)]  # fmt: skip
    near = {s["id"] for s in specs if s["twinZoom"] == [SITES_ZOOM, 99]}
    assert near == {"masts", "sectors"}


def test_streets_are_drawn_by_class_major_roads_on_top():
    import geopandas as gpd
    from shapely.geometry import LineString, MultiLineString

    from twin.render.basemap import STREET_CLASSES, streets_layer

    line = LineString([(121.40, 31.20), (121.41, 31.21)])
    edges = gpd.GeoDataFrame(
        {"highway": ["primary", "residential", "tertiary_link", None, "trunk", "primary"]},
        geometry=[line, line, line, line, MultiLineString([line, line]), LineString()], crs=4326,
    )  # fmt: skip  # the last one empty: nothing to draw, the others keep their classes
    data = json.loads(streets_layer(edges).to_json())["data"]
    widths = [d["w"] for d in data]
    assert sorted(widths) == widths  # minor first: the major roads are drawn over them
    assert widths.count(STREET_CLASSES["major"][0]) == 3  # primary + both parts of the trunk
    assert widths.count(STREET_CLASSES["middle"][0]) == 1  # a link takes its road's class
    assert widths.count(STREET_CLASSES["minor"][0]) == 2  # residential, and no class at all
    # a bare series (a user's network without tags): every street drawn, as minor
    bare = json.loads(streets_layer(edges.geometry).to_json())["data"]
    assert len(bare) == 6 and {d["w"] for d in bare} == {STREET_CLASSES["minor"][0]}
    assert len(data) == 6


def test_metro_stations_are_named_landmarks_inside_the_district():
    import geopandas as gpd

    from twin.render.basemap import landmark_layers

    pois = gpd.GeoDataFrame(
        {"name": ["人民广场(地铁站)", "人民广场(地铁站)", "莘庄(地铁站)", "某医院", "外站(地铁站)"],
         "facility": ["metro_station", "metro_station", "metro_station", "hospital",
                      "metro_station"],
         "in_district": [True, True, True, True, False]},
        geometry=gpd.points_from_xy([121.47, 121.4701, 121.38, 121.40, 121.9],
                                    [31.23, 31.2301, 31.11, 31.20, 31.5]), crs=4326,
    )  # fmt: skip
    specs = [json.loads(layer.to_json()) for layer in landmark_layers(pois)]
    markers, names = specs
    assert [d["text"] for d in names["data"]] == ["人民广场", "莘庄"]  # once each, inside only
    assert markers["data"] == names["data"] and "twinZoom" not in markers  # markers at every zoom
    assert names["twinZoom"][0] > 9  # names only once zoomed in enough not to crowd
    # CJK names need the automatic character set (deck.gl's default holds ASCII only)
    assert names["characterSet"] == "auto" and "Noto Sans CJK" in names["fontFamily"]
    assert landmark_layers(pois[pois["facility"] == "hospital"]) == []
    assert landmark_layers(None) == []


def test_the_png_names_the_metro_stations_in_its_legend_and_on_the_map():
    """The PNG draws the same landmarks as the map (one function), ringed in the metro's blue,
    and says what they are in its legend, in the run's language."""
    from io import BytesIO

    import geopandas as gpd
    from PIL import Image
    from pyproj import CRS
    from shapely.geometry import box

    from twin.i18n import in_language
    from twin.render.basemap import LANDMARKS, landmarks
    from twin.render.static import map_png

    boundary = box(121.40, 31.20, 121.44, 31.23)
    cells = gpd.GeoDataFrame(
        {"h3": ["x"], "residents": [10.0], "inside_share": [1.0], "served_charging": [1.0]},
        geometry=[box(121.41, 31.21, 121.42, 31.22)], crs=4326,
    )  # fmt: skip
    pois = gpd.GeoDataFrame(
        {"name": [f"站{i}(地铁站)" for i in range(12)], "facility": ["metro_station"] * 12},
        geometry=gpd.points_from_xy(np.linspace(121.402, 121.438, 12), [31.205] * 12), crs=4326,
    )  # fmt: skip
    places = landmarks(pois)
    assert list(places["text"]) == [f"站{i}" for i in range(12)]
    blue = np.array(LANDMARKS[0][2][:3])

    def ringed(png: bytes) -> int:  # pixels of the markers' ring colour
        pixels = np.asarray(Image.open(BytesIO(png)).convert("RGB"), dtype=int)
        return int((np.abs(pixels - blue).sum(axis=2) < 60).sum())

    utm = CRS.from_epsg(32651)
    bare = map_png(cells, "charging", boundary, utm)
    with in_language("zh"):
        named = map_png(cells, "charging", boundary, utm, places=places)
    assert ringed(named) > ringed(bare) + 12 * 4  # every marker ringed, and the legend's


@pytest.mark.parametrize(
    "bounds", [(121.2355, 30.9779, 121.5712, 31.2616), (121.4555, 31.2439, 121.5133, 31.3179)]
)
def test_the_first_view_fits_the_district_to_the_canvas(bounds):
    """Mercator: at the fitted zoom the tighter side fills ≈ 92 % of the canvas, the other fits."""
    from twin.render.basemap import CANVAS_PX, TILE_PX, fit_zoom

    zoom = fit_zoom(bounds)
    world = TILE_PX * 2**zoom
    width_px = (bounds[2] - bounds[0]) / 360 * world
    merc = np.log(np.tan(np.pi / 4 + np.radians([bounds[1], bounds[3]]) / 2))
    height_px = (merc[1] - merc[0]) / (2 * np.pi) * world
    shares = (width_px / CANVAS_PX[0], height_px / CANVAS_PX[1])
    assert max(shares) == pytest.approx(0.92, abs=1e-6)
    assert min(shares) < 0.92
    assert fit_zoom(bounds, canvas=(2000, 1200)) == pytest.approx(zoom + 1)  # twice the canvas


def test_the_camera_and_3d_in_a_url_are_read_strictly():
    from twin.render.camera import camera_from_text, camera_text, three_d_from_text, three_d_text

    view = {
        "longitude": 121.48123456,
        "latitude": 31.27,
        "zoom": 13.456,
        "pitch": 30.2,
        "bearing": -19.6,
    }
    text = camera_text(view)
    assert text == "121.48123,31.27000,13.46,30,-20"
    back = camera_from_text(text)
    assert (back.longitude, back.latitude, back.zoom, back.pitch, back.bearing) == (
        121.48123,
        31.27,
        13.46,
        30,
        -20,
    )
    for bad in (None, "", "1,2,3", "121,31,nan,0,0", "121,95,12,0,0", "a,b,c,d,e", "121,31,30,0,0"):
        assert camera_from_text(bad) is None, bad
    assert three_d_from_text(three_d_text("North Bund 北外滩", 50, -25)) == (
        "North Bund 北外滩",
        50,
        -25,
    )
    for bad in (None, "north-bund,70,0", "moon,45,0", "district,45", "street,45,x"):
        assert three_d_from_text(bad) is None, bad


def test_a_sites_tooltip_words_each_field_in_the_viewers_language():
    """A site's tooltip names what each figure is (band, height, tilt), in the viewer's
    language, and translates words among the values (a kind of place, a status); a missing
    value leaves its field out rather than an empty "·"."""
    import geopandas as gpd

    from twin.i18n import _, in_language
    from twin.layers import REGISTRY
    from twin.render.basemap import site_tips

    masts = gpd.GeoDataFrame(
        {"feature_id": ["BS-1", "BS-2"], "band": ["n28", "n78"], "height_m": [25.0, 30.0],
         "downtilt_deg": [9.5, np.nan]},
        geometry=gpd.points_from_xy([121.4, 121.41], [31.2, 31.21]), crs=4326,
    )  # fmt: skip
    lockers = gpd.GeoDataFrame(
        {"feature_id": ["LK-1"], "site_type": ["residential"], "compartments": [60],
         "status": ["new"]},
        geometry=gpd.points_from_xy([121.4], [31.2]), crs=4326,
    )  # fmt: skip
    english = site_tips(masts, "5G site", REGISTRY["base_stations"].tip_columns)
    assert english == ["<b>5G site BS-1</b><br/>band n28 · 25 m high · tilted 9.5°",
                       "<b>5G site BS-2</b><br/>band n78 · 30 m high"]  # fmt: skip
    with in_language("zh"):
        chinese = site_tips(masts, _("5G site"), REGISTRY["base_stations"].tip_columns)
        locker = site_tips(lockers, _("Locker group"), REGISTRY["lockers"].tip_columns)
    assert chinese[0].endswith("频段 n28 · 高 25 米 · 下倾 9.5°")
    assert locker == ["<b>智能快递柜组 LK-1</b><br/>住宅小区 · 60 个格口 · 新增"]
