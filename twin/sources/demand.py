"""Demand: where people live, as points with an estimated number of residents each.

Methods (documented so that every per-resident figure can be traced):

* **Data pack addresses** (``residential/addresses_gcj02.csv``, GCJ-02 → WGS-84): each geocoded
  residential address inside the district stands for an equal share of the district's resident
  population from the 2020 census (``population / n_addresses``). The addresses are a sample of
  where people live, so this spreads the census total over the sampled pattern of housing.
* **Population raster** (WorldPop-style GeoTIFF, people per pixel): every pixel centre inside the
  district with a positive value becomes a point carrying that value.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from twin._errors import DataNotFoundError, EmptyAreaError, InvalidInputError
from twin.crs import gcj02_to_wgs84
from twin.i18n import N_
from twin.settings import Settings
from twin.sources.record import AMAP_GEOCODER_ATTRIBUTION, CONVERTED, PROVIDER, SourceRecord

PACK_ADDRESSES = Path("residential") / "addresses_gcj02.csv"


def demand_from_pack(
    area: BaseGeometry, population: int, settings: Settings
) -> tuple[gpd.GeoDataFrame, SourceRecord]:
    """Residential address points inside ``area`` sharing the census ``population`` equally."""
    if settings.data_dir is None:
        msg = "no data directory is set; set TWIN_DATA_DIR to the data pack (e.g. ../shared/data)."
        raise DataNotFoundError(msg)
    path = settings.data_dir / PACK_ADDRESSES
    if not path.exists():
        msg = f"residential addresses not found at {path}; check TWIN_DATA_DIR."
        raise DataNotFoundError(msg)
    raw = pd.read_csv(path)
    lon, lat = gcj02_to_wgs84(raw["lng"].to_numpy(), raw["lat"].to_numpy())
    points = gpd.points_from_xy(lon, lat, crs=4326)
    inside = points.intersects(area)
    count = int(inside.sum())
    frame = gpd.GeoDataFrame(
        {
            "address": raw.loc[inside, "address"].to_numpy(),
            "population": np.full(count, population / count if count else 0.0),
            "method": "census share per address",
        },
        geometry=points[inside],
        crs=4326,
    )
    record = SourceRecord(
        "demand", str(path), CONVERTED, AMAP_GEOCODER_ATTRIBUTION,
        N_("{count} addresses, {residents} residents (2020 census) shared equally").format(
            count=f"{count:,}", residents=f"{population:,}"),
    )  # fmt: skip
    return frame, record


def demand_from_raster(path: Path, area: BaseGeometry) -> tuple[gpd.GeoDataFrame, SourceRecord]:
    """Pixels of a population GeoTIFF (people per pixel) inside ``area`` as weighted points."""
    import rasterio
    import rasterio.mask
    from pyproj import Transformer
    from shapely.ops import transform as shapely_transform

    path = Path(path)
    if not path.exists():
        msg = f"population raster {path} does not exist."
        raise DataNotFoundError(msg)
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                msg = f"{path} has no CRS; write one into the GeoTIFF (e.g. EPSG:4326)."
                raise InvalidInputError(msg)
            to_src = Transformer.from_crs(4326, src.crs, always_xy=True)
            shape = shapely_transform(to_src.transform, area)
            try:
                data, transform = rasterio.mask.mask(src, [shape], crop=True, filled=False)
            except ValueError as exc:
                msg = f"{path} does not overlap the district ({exc})."
                raise EmptyAreaError(msg) from None
            crs = src.crs
    except rasterio.errors.RasterioIOError as exc:
        msg = f"cannot read {path} as a raster ({exc})."
        raise InvalidInputError(msg) from None
    band = np.ma.masked_invalid(data[0].astype(np.float64))
    rows, cols = np.nonzero(~np.ma.getmaskarray(band) & (band.filled(0) > 0))
    values = band.data[rows, cols]
    xs, ys = rasterio.transform.xy(transform, rows, cols, offset="center")
    to_wgs = Transformer.from_crs(crs, 4326, always_xy=True)
    lon, lat = to_wgs.transform(np.asarray(xs), np.asarray(ys))
    frame = gpd.GeoDataFrame(
        {"population": values, "method": "raster pixel"},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    record = SourceRecord(
        "demand", str(path), str(crs), PROVIDER,
        N_("{pixels} populated pixels, {residents} residents").format(
            pixels=f"{len(frame):,}", residents=f"{values.sum():,.0f}"),
    )  # fmt: skip
    return frame, record


RESIDENTIAL_BUILDINGS = frozenset(
    {"residential", "apartments", "house", "dormitory", "terrace", "detached", "semidetached_house"}
)
DEFAULT_LEVELS = {"house": 2.0, "terrace": 3.0, "detached": 2.0}  # else 6: a Shanghai walk-up
BUILDING_TAGS: dict[str, bool | str | list[str]] = {"building": True, "landuse": ["residential"]}


def _levels(features: gpd.GeoDataFrame) -> np.ndarray:
    """Floors of each building: ``building:levels``, else ``height`` / 3 m, else by type."""
    kind = features["building"].astype(str)
    default = kind.map(DEFAULT_LEVELS).fillna(6.0).to_numpy(dtype=float)
    levels = pd.to_numeric(features.get("building:levels"), errors="coerce")
    height = pd.to_numeric(features.get("height"), errors="coerce") / 3.0
    out = np.where(np.isfinite(levels), levels, np.where(np.isfinite(height), height, default)) if (
        levels is not None and height is not None) else default  # fmt: skip
    return np.clip(np.asarray(out, dtype=float), 1.0, 100.0)


def demand_from_buildings(
    features: gpd.GeoDataFrame, area: BaseGeometry, population: float, origin: str
) -> tuple[gpd.GeoDataFrame, SourceRecord] | None:
    """Residential buildings as demand: the census ``population`` shared by floor area.

    Residential building types count anywhere; ``building=yes`` counts inside
    ``landuse=residential``. None when the features hold no residential building in ``area``.
    """
    if features is None or features.empty or "building" not in features.columns:
        return None
    polygons = features[features.geom_type.isin(["Polygon", "MultiPolygon"])]
    buildings = polygons[polygons["building"].notna()]
    if "landuse" in polygons.columns:
        landuse = polygons[polygons["landuse"] == "residential"]
    else:
        landuse = polygons.iloc[0:0]
    kind = buildings["building"].astype(str)
    generic = kind.isin(["yes"])
    in_residential = (
        buildings.geometry.representative_point().within(landuse.geometry.union_all())
        if len(landuse) else pd.Series(False, index=buildings.index)
    )  # fmt: skip
    homes = buildings[kind.isin(RESIDENTIAL_BUILDINGS) | (generic & in_residential)]
    centres = homes.geometry.representative_point()
    homes = homes[centres.within(area)]
    if homes.empty:
        return None
    point = homes.geometry.representative_point().iloc[0]
    from twin.crs import utm_crs

    footprint = homes.geometry.to_crs(utm_crs(point.x, point.y)).area.to_numpy()
    floor_area = footprint * _levels(homes)
    frame = gpd.GeoDataFrame(
        {"population": population * floor_area / floor_area.sum(),
         "method": "building floor area", "floor_area_m2": floor_area},
        geometry=homes.geometry.representative_point().to_numpy(), crs=4326,
    )  # fmt: skip
    record = SourceRecord(
        "demand", origin, "WGS-84", "© OpenStreetMap contributors (ODbL)",
        N_("{buildings} residential buildings, {area} km² of floor area; {residents} residents "
           "(2020 census) shared by floor area").format(
            buildings=f"{len(frame):,}", area=f"{floor_area.sum() / 1e6:.2f}",
            residents=f"{population:,.0f}"),
    )  # fmt: skip
    return frame, record


LEVEL_HEIGHT_M = 3.0  # storey height when a building has levels but no height


def _number(values: pd.Series | None, length: int) -> np.ndarray:
    """The leading number of each tag value ("18", "18 m", "18.5") as float, NaN otherwise."""
    if values is None:
        return np.full(length, np.nan)
    text = values.astype("string").str.extract(r"^\s*([0-9]+(?:\.[0-9]+)?)")[0]
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)


def building_footprints(features: gpd.GeoDataFrame | None, area: BaseGeometry) -> gpd.GeoDataFrame:
    """Every building polygon of ``features`` inside ``area`` with its height in metres, for the
    3D view: the ``height`` tag, else ``building:levels`` × 3 m, else the type's usual floors
    × 3 m; ``height_from`` says which (``height``, ``levels``, ``assumed``)."""
    columns: dict[str, list[object]] = {"kind": [], "height_m": [], "height_from": []}
    if features is None or features.empty or "building" not in features.columns:
        return gpd.GeoDataFrame(columns, geometry=[], crs=4326)
    polygons = features[features.geom_type.isin(["Polygon", "MultiPolygon"])]
    buildings = polygons[polygons["building"].notna()]
    buildings = buildings[buildings.geometry.representative_point().within(area)]
    n = len(buildings)
    height = _number(buildings.get("height"), n)
    levels = _number(buildings.get("building:levels"), n)
    kind = buildings["building"].astype(str)
    assumed = kind.map(DEFAULT_LEVELS).fillna(6.0).to_numpy(dtype=float) * LEVEL_HEIGHT_M
    tagged, by_levels = np.isfinite(height), np.isfinite(levels)
    metres = np.where(tagged, height, np.where(by_levels, levels * LEVEL_HEIGHT_M, assumed))
    source = np.where(tagged, "height", np.where(by_levels, "levels", "assumed"))
    return gpd.GeoDataFrame(
        {"kind": kind.to_numpy(), "height_m": np.clip(metres, 2.0, 650.0), "height_from": source},
        geometry=buildings.geometry.to_numpy(), crs=4326,
    )  # fmt: skip


def buildings_from_osm(area: BaseGeometry, settings: Settings) -> gpd.GeoDataFrame:
    """Building and residential land-use polygons inside ``area`` downloaded from Overpass
    (cached by osmnx's HTTP cache); :class:`NetworkAccessError` offline or unreachable."""
    from twin.sources.osm import features_from_overpass

    return features_from_overpass(area, BUILDING_TAGS, settings, "OSM buildings",
                                  "OSM buildings need the internet but twin is offline.")  # fmt: skip


def buildings_from_osm_file(path: Path, area: BaseGeometry) -> gpd.GeoDataFrame:
    """Building and residential land-use polygons of an OSM XML file inside ``area``."""
    import osmnx as ox

    try:
        return ox.features_from_xml(path, polygon=area, tags=BUILDING_TAGS)
    except (ValueError, ox._errors.InsufficientResponseError):  # nothing of the kind in the file
        return gpd.GeoDataFrame(geometry=[], crs=4326)
