"""The map component's payload: 17-byte binary hexagons, zoom → resolution, compact layers."""

from __future__ import annotations

import json

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
