"""pydeck layers that draw a district without web tiles: boundary, streets and points.

Pure functions (no streamlit): they turn frames into small, rounded payloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from shapely.geometry.base import BaseGeometry

from twin.grid import index_points
from twin.i18n import N_, _

OSM_CREDIT = "© OpenStreetMap contributors"
COORD_DECIMALS = 5  # ≈ 1 m
LABEL_FONT = "'Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif'"


def _rounded_paths(geometries: np.ndarray) -> list[list[list[float]]]:
    parts = shapely.get_parts(geometries)
    coords, index = shapely.get_coordinates(parts, return_index=True)
    coords = np.round(coords, COORD_DECIMALS)
    splits = np.flatnonzero(np.diff(index)) + 1
    return [c.tolist() for c in np.split(coords, splits)]


def boundary_layer(boundary: BaseGeometry) -> pdk.Layer:
    rings = [
        {"path": path}
        for path in _rounded_paths(np.asarray(shapely.boundary(shapely.get_parts(boundary))))
    ]
    return pdk.Layer(
        "PathLayer", rings, id="boundary", get_path="path", get_color=[30, 30, 30],
        width_min_pixels=2, get_width=3, pickable=False,
    )  # fmt: skip


# OSM highway classes as the map draws them: (width px, RGBA), major roads first. A street
# without a known class (a user's network, GraphML without tags) is drawn as a minor one.
STREET_CLASSES: dict[str, tuple[float, list[int]]] = {
    "major": (3.0, [105, 105, 110, 210]),  # motorway, trunk, primary (and links)
    "middle": (2.0, [135, 135, 140, 190]),  # secondary, tertiary (and links)
    "minor": (1.0, [165, 165, 170, 150]),  # residential, unclassified, living streets, paths
}
_HIGHWAY_CLASS = {
    **dict.fromkeys(["motorway", "trunk", "primary"], "major"),
    **dict.fromkeys(["secondary", "tertiary"], "middle"),
}


def street_class(highway: pd.Series) -> pd.Series:
    """The drawn class of each OSM ``highway`` value (links take their road's class)."""
    road = highway.fillna("").astype(str).str.removesuffix("_link")
    return road.map(_HIGHWAY_CLASS).fillna("minor")


def streets_layer(streets: gpd.GeoSeries | gpd.GeoDataFrame) -> pdk.Layer:
    """The street network (WGS-84), drawn by class when ``streets`` carries OSM's ``highway``:
    major roads wider and darker than secondary and tertiary ones, minor streets thin and light
    (:data:`STREET_CLASSES`); a bare GeoSeries draws every street as minor."""
    lines = streets.geometry
    if isinstance(streets, gpd.GeoDataFrame) and "highway" in streets:
        classes = street_class(streets["highway"])
    else:
        classes = pd.Series("minor", index=lines.index)
    parts, owner = shapely.get_parts(lines.to_numpy(), return_index=True)
    drawable = ~shapely.is_empty(parts)  # an empty part has no path: skip it, keep the classes
    paths = _rounded_paths(parts[drawable])
    drawn = classes.to_numpy()[owner[drawable]]
    rank = pd.Series(drawn).map({name: k for k, name in enumerate(STREET_CLASSES)}).to_numpy()
    order = np.argsort(-rank, kind="stable")  # minor streets first: major roads drawn on top
    data = [{"path": paths[i], "w": STREET_CLASSES[drawn[i]][0], "c": STREET_CLASSES[drawn[i]][1]}
            for i in order]  # fmt: skip
    return pdk.Layer(
        "PathLayer", data, id="streets", get_path="path", get_color="c", get_width="w",
        width_units='"pixels"', width_min_pixels=1, pickable=False,
    )  # fmt: skip


# Named places drawn offline as the map's landmarks: (facility, zoom from which the name shows,
# marker RGBA). Metro stations are what Shanghai finds its way by, and the data pack names every
# one (Amap, whole city); its hospitals carry no rank to pick the landmark ones from.
LANDMARKS: tuple[tuple[str, float, list[int]], ...] = (("metro_station", 11.0, [0, 92, 170, 255]),)
_NAME_SUFFIX = r"\((?:地铁站|公交站)\)$"  # Amap's kind, already said by the marker
_LANDMARK_LABELS = {"metro_station": N_("Metro station")}


def landmark_label(facility: str) -> str:
    """What a legend calls a kind of landmark, in the run's language."""
    return _(_LANDMARK_LABELS.get(facility, facility))


def landmarks(pois: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """The :data:`LANDMARKS` of ``pois`` (with ``name`` and ``facility``) inside the district,
    once per name: ``lon``, ``lat``, ``text`` (the name without Amap's kind), ``tip`` and
    ``facility``. What the map and the PNG both draw."""
    columns = ["lon", "lat", "text", "tip", "facility"]
    if pois is None or not len(pois) or not {"name", "facility"} <= set(pois.columns):
        return pd.DataFrame(columns=columns)
    rows = pois[pois["facility"].isin([facility for facility, *_ in LANDMARKS])]
    if "in_district" in rows:
        rows = rows[rows["in_district"].astype(bool)]
    names = rows["name"].fillna("").astype(str).str.replace(_NAME_SUFFIX, "", regex=True)
    rows = rows.assign(label=names)[names != ""].drop_duplicates(["facility", "label"])
    return pd.DataFrame({
        "lon": np.round(rows.geometry.x.to_numpy(), COORD_DECIMALS),
        "lat": np.round(rows.geometry.y.to_numpy(), COORD_DECIMALS),
        "text": rows["label"].to_numpy(),
        "tip": [f"<b>{escape(n)}</b>" for n in rows["name"].astype(str)],
        "facility": rows["facility"].astype(str).to_numpy(),
    }, columns=columns)  # fmt: skip


def landmark_layers(pois: gpd.GeoDataFrame | None) -> list[pdk.Layer]:
    """:func:`landmarks` as markers of constant pixel size with their names, shown from a zoom
    where the names do not crowd (the component's ``twinZoom``): context the data holds where
    no street is loaded. Empty without such POIs."""
    places = landmarks(pois)
    layers = []
    for facility, label_zoom, colour in LANDMARKS:
        data = places[places["facility"] == facility].drop(columns="facility")
        if data.empty:
            continue
        layers.append(pdk.Layer(
            "ScatterplotLayer", data, id=f"{facility}_places", get_position=["lon", "lat"],
            get_radius=4, radius_units='"pixels"', get_fill_color=[255, 255, 255, 255],
            stroked=True, get_line_color=colour, line_width_min_pixels=2, pickable=True,
        ))  # fmt: skip
        layers.append(pdk.Layer(
            "TextLayer", data, id=f"{facility}_names", get_position=["lon", "lat"],
            get_text="text", get_size=13, size_units='"pixels"', get_pixel_offset=[0, -13],
            get_color=[int(c * 0.55) for c in colour[:3]] + [255],  # the marker's hue, darker
            font_family=LABEL_FONT, font_weight=600, character_set='"auto"',
            outline_width=2, outline_color=[255, 255, 255, 255], font_settings={"sdf": True},
            pickable=False, twin_zoom=[label_zoom, 99.0],
        ))  # fmt: skip
    return layers


def _value(value: object) -> str:
    """A cell as escaped text in the run's language (a word the catalogue knows translated)."""
    return _text(_(value) if isinstance(value, str) else value)


def _text(value: object) -> str:
    """A cell as escaped text ('' for missing values)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return escape(f"{value:g}" if isinstance(value, float) else str(value))


TipColumns = Sequence[str | tuple[str, str]]  # a column, or a column and how its value reads


def site_tips(frame: gpd.GeoDataFrame, title: str, columns: TipColumns) -> list[str]:
    """One tooltip line per site, escaped: its id and the named attributes, each worded by its
    template (``("height_m", "{value} m high")``) in the run's language, words among the values
    (a kind of place, a status) translated too."""
    parts = []
    for column in columns:
        name, template = (column, "{value}") if isinstance(column, str) else column
        if name not in frame:
            continue
        worded = _(template)
        parts.append([worded.format(value=v) if v else "" for v in frame[name].map(_value)])
    ids = frame["feature_id"].map(_text)
    rest = (
        [" · ".join(p for p in values if p) for values in zip(*parts, strict=True)]
        if parts else [""] * len(frame)
    )  # fmt: skip
    return [f"<b>{escape(title)} {i}</b><br/>{r}" for i, r in zip(ids, rest, strict=True)]


def points_layer(
    frame: gpd.GeoDataFrame,
    layer_id: str,
    color: list[int],
    columns: TipColumns,
    radius_m: float,
    title: str = "",
) -> pdk.Layer:
    """Sites as dots with a one-line tooltip (``tip``): id and the named attributes."""
    data = pd.DataFrame({"tip": site_tips(frame, title or layer_id, columns)})
    data["lon"] = np.round(frame.geometry.x.to_numpy(), COORD_DECIMALS)
    data["lat"] = np.round(frame.geometry.y.to_numpy(), COORD_DECIMALS)
    return pdk.Layer(
        "ScatterplotLayer", data, id=layer_id, get_position=["lon", "lat"], get_fill_color=color,
        get_radius=radius_m, radius_min_pixels=2, pickable=True,
    )  # fmt: skip


DENSE_SITES = 300  # more sites than this: counted per hexagon zoomed out, drawn one by one in
SITES_ZOOM = 12.5  # from this zoom (≈ 35 m a pixel) each site is drawn; below it, the counts
COUNT_RESOLUTION = 7  # sites counted per res-7 hexagon (≈ 5 km²) at district scale
NEAR_ONLY = [SITES_ZOOM, 99.0]  # the map component's ``twinZoom``: drawn while min ≤ zoom < max
FAR_ONLY = [0.0, SITES_ZOOM]


def site_counts_layers(
    frame: gpd.GeoDataFrame, layer_id: str, color: list[int], title: str
) -> list[pdk.Layer]:
    """Sites counted per res-7 hexagon, drawn at their mean position as a disc of 6–16 px sized
    by the count (area ∝ count) with the count written in it: what the map shows zoomed out, where dots would bury
    the coverage hexagons."""
    if not len(frame):
        return []
    x, y = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    _cells, group, counts = np.unique(index_points(x, y, COUNT_RESOLUTION), return_inverse=True,
                                 return_counts=True)  # fmt: skip
    lon = np.bincount(group, weights=x) / counts  # at the sites' mean, inside the district
    lat = np.bincount(group, weights=y) / counts
    scale = np.sqrt(counts / counts.max())
    tip = _("{what}: {count} in this hexagon (res {res}); zoom in to see each one")
    data = pd.DataFrame({
        "lon": np.round(lon, COORD_DECIMALS), "lat": np.round(lat, COORD_DECIMALS),
        "r": np.round(6 + 10 * scale, 1), "n": counts.astype(str),
        "tip": [escape(tip.format(count=f"{c:,}", what=title, res=COUNT_RESOLUTION))
                for c in counts],
    })  # fmt: skip
    discs = pdk.Layer(
        "ScatterplotLayer", data, id=f"{layer_id}_counts", get_position=["lon", "lat"],
        get_radius="r", radius_units='"pixels"', get_fill_color=[*color[:3], 175], stroked=True,
        get_line_color=[255, 255, 255, 230], line_width_min_pixels=1, pickable=True,
        twin_zoom=FAR_ONLY,
    )  # fmt: skip
    numbers = pdk.Layer(
        "TextLayer", data, id=f"{layer_id}_count_labels", get_position=["lon", "lat"],
        get_text="n", get_size=10, size_units='"pixels"', font_family=LABEL_FONT,
        get_color=[255, 255, 255, 255], font_weight=700, outline_width=0, pickable=False,
        twin_zoom=FAR_ONLY,
    )  # fmt: skip
    return [discs, numbers]


def site_layers(
    frame: gpd.GeoDataFrame,
    layer_id: str,
    color: list[int],
    columns: TipColumns,
    radius_m: float,
    title: str = "",
    masts: bool = False,
) -> list[pdk.Layer]:
    """A site layer readable at every scale: up to :data:`DENSE_SITES` sites, each drawn (as
    dots, or ``masts`` in 3D); more, counted per hexagon below :data:`SITES_ZOOM` and drawn one
    by one from it."""
    near = (mast_layers(frame) if masts
            else [points_layer(frame, layer_id, color, columns, radius_m, title)])  # fmt: skip
    if len(frame) <= DENSE_SITES:
        return near
    for layer in near:
        layer.twin_zoom = NEAR_ONLY
    return [*site_counts_layers(frame, layer_id, color, title or layer_id), *near]


MAST_EXAGGERATION = 5.0  # masts drawn 5× their height (a 25 m macro mast stands 125 m)


def mast_layers(
    sites: gpd.GeoDataFrame, exaggeration: float = MAST_EXAGGERATION
) -> list[pdk.Layer]:
    """5G sites as masts at their height (× ``exaggeration``) with their three sector directions."""
    from twin.layers import REGISTRY  # the 5G layer's words for its tooltip

    lon, lat = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    data = pd.DataFrame({
        "lon": np.round(lon, COORD_DECIMALS), "lat": np.round(lat, COORD_DECIMALS),
        "height": sites["height_m"].to_numpy(dtype=float) * exaggeration,
        "tip": site_tips(sites, _(REGISTRY["base_stations"].site_label),
                         REGISTRY["base_stations"].tip_columns),
    })  # fmt: skip
    masts = pdk.Layer(
        "ColumnLayer", data, id="masts", get_position=["lon", "lat"], get_elevation="height",
        elevation_scale=1, radius=8, get_fill_color=[40, 40, 50, 255], extruded=True,
        pickable=True,
    )  # fmt: skip
    arms = []
    length_deg = 40.0 / 111_000.0  # 40 m
    for column in ("azimuth_1", "azimuth_2", "azimuth_3"):
        angle = np.radians(sites[column].to_numpy(dtype=float))
        end_lon = lon + length_deg * np.sin(angle) / np.cos(np.radians(lat))
        end_lat = lat + length_deg * np.cos(angle)
        arms.append(np.column_stack([lon, lat, data["height"], end_lon, end_lat, data["height"]]))
    sectors = pd.DataFrame(np.vstack(arms).round(6), columns=["x0", "y0", "z0", "x1", "y1", "z1"])
    beams = pdk.Layer(
        "LineLayer", sectors, id="sectors", get_source_position=["x0", "y0", "z0"],
        get_target_position=["x1", "y1", "z1"], get_color=[200, 30, 30, 220], get_width=2,
        pickable=False,
    )  # fmt: skip
    return [masts, beams]


def buildings_layer(buildings: gpd.GeoDataFrame) -> pdk.Layer:
    """OSM building footprints extruded to their height (m), pale so the hexagons stay readable."""
    parts = shapely.get_parts(
        shapely.get_exterior_ring(shapely.get_parts(buildings.geometry.to_numpy()))
    )
    index = np.repeat(
        np.arange(len(buildings)), shapely.get_num_geometries(buildings.geometry.to_numpy())
    )
    heights = buildings["height_m"].to_numpy(dtype=float)[index]
    kinds = buildings["kind"].astype(str).to_numpy()[index]
    sources = buildings["height_from"].astype(str).to_numpy()[index]
    data = pd.DataFrame({
        "polygon": _rounded_paths(parts), "height": np.round(heights, 1),
        "tip": [f"building ({escape(k)}), {h:.0f} m ({s})" for k, h, s in zip(kinds, heights, sources, strict=True)],
    })  # fmt: skip
    return pdk.Layer(
        "PolygonLayer", data, id="buildings", get_polygon="polygon", get_elevation="height",
        extruded=True, get_fill_color=[215, 215, 220, 235], get_line_color=[150, 150, 160],
        wireframe=False, pickable=True,
    )  # fmt: skip


def street_labels_layer(edges: gpd.GeoDataFrame, min_length_m: float = 250.0) -> pdk.Layer | None:
    """Names of the longer named streets (``edges`` with ``name`` and ``length``) at their
    midpoints (CJK glyphs included)."""
    if "name" not in edges:
        return None
    names = edges["name"].fillna("").astype(str).replace("", None)
    named = edges[names.notna() & (edges["length"] >= 60)].assign(label=names)
    if named.empty:
        return None
    total = named.groupby("label")["length"].sum()
    keep = total[total >= min_length_m].index
    longest = named[named["label"].isin(keep)].sort_values("length").groupby("label").tail(1)
    mid = gpd.GeoSeries(shapely.line_interpolate_point(longest.geometry.to_numpy(), 0.5,
                                                       normalized=True))  # fmt: skip
    data = pd.DataFrame({"text": longest["label"].astype(str).to_numpy(),
                         "lon": np.round(mid.x.to_numpy(), COORD_DECIMALS),
                         "lat": np.round(mid.y.to_numpy(), COORD_DECIMALS)})  # fmt: skip
    return pdk.Layer(
        "TextLayer", data, id="street_labels", get_position=["lon", "lat"], get_text="text",
        # pydeck reads bare strings as accessors: literal strings go in quotes
        # sized in metres: unobtrusive at district zoom, readable at street level
        get_size=45, size_units='"meters"', size_max_pixels=16, get_color=[20, 20, 20, 255],
        character_set='"auto"',
        font_family=LABEL_FONT,
        font_weight=600, outline_width=2, outline_color=[255, 255, 255, 255],
        font_settings={"sdf": True}, pickable=False,
    )  # fmt: skip


def deck(layers: list[pdk.Layer], view: pdk.ViewState, web_basemap: bool = False) -> pdk.Deck:
    """A deck with tooltips from each object's ``tip``; no web basemap (no request) unless asked."""
    return pdk.Deck(
        layers=layers, initial_view_state=view, tooltip={"html": "{tip}", "style": {"fontSize": "12px"}},
        map_provider="carto" if web_basemap else None,
        map_style="light" if web_basemap else OFFLINE_STYLE,
    )  # fmt: skip


# a MapLibre style with no sources, glyphs or sprites, served by the app itself (static/):
# with no style at all, Streamlit falls back to CARTO's, a web request
OFFLINE_STYLE = "app/static/offline-style.json"
CAMERAS = {  # name: (lon, lat, zoom, pitch, bearing); None centres on the district
    "District": None,
    "North Bund 北外滩": (121.4975, 31.2480, 15.2, 50.0, -25.0),
    "Street level": ("focus", "focus", 17.0, 60.0, 20.0),
}
CAMERA_NAMES = {"District": N_("Whole district"), "North Bund 北外滩": N_("North Bund 北外滩"),
                "Street level": N_("Street level")}  # as the camera menu names them  # fmt: skip


CANVAS_PX = (1000, 600)  # the viewer's map canvas (wide layout, 1440 px screen), width × height
TILE_PX = 512  # deck.gl's world width at zoom 0, in pixels


def fit_zoom(
    bounds: tuple[float, float, float, float],
    canvas: tuple[int, int] = CANVAS_PX,
    margin: float = 0.92,
) -> float:
    """The web-mercator zoom at which ``bounds`` (west, south, east, north, degrees) fill
    ``margin`` of a ``canvas`` (width, height px) along their tighter side."""
    west, south, east, north = bounds
    width, height = canvas
    span_x = max(east - west, 1e-6) / 360.0
    merc = np.log(np.tan(np.pi / 4 + np.radians([south, north]) / 2))
    span_y = max(float(merc[1] - merc[0]), 1e-6) / (2 * np.pi)
    zoom = min(np.log2(margin * width / (TILE_PX * span_x)),
               np.log2(margin * height / (TILE_PX * span_y)))  # fmt: skip
    return float(np.clip(zoom, 8, 17))


def view_of(boundary: BaseGeometry, pitch: float = 0.0) -> pdk.ViewState:
    """The first view of a district: its bounds' centre, fitted to the viewer's canvas (the map
    component refits the same bounds to the canvas's real width)."""
    west, south, east, north = boundary.bounds
    return pdk.ViewState(latitude=(south + north) / 2, longitude=(west + east) / 2,
                         zoom=fit_zoom(boundary.bounds), pitch=pitch)  # fmt: skip
