"""District boundaries: the data pack (GCJ-02 → WGS-84), OpenStreetMap, or a user file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from twin._errors import DataNotFoundError, EmptyAreaError, InvalidInputError, NetworkAccessError
from twin.crs import CrsName, geometry_to_wgs84
from twin.districts import DistrictPreset
from twin.settings import Settings
from twin.sources.record import (
    AMAP_BOUNDARY_ATTRIBUTION,
    CONVERTED,
    OSM_ATTRIBUTION,
    PROVIDER,
    SourceRecord,
)

PACK_DISTRICTS = Path("boundaries") / "shanghai_districts_gcj02.geojson"


def _clean(geometry: BaseGeometry, origin: str) -> BaseGeometry:
    geometry = shapely.make_valid(geometry)
    if geometry.is_empty or geometry.area == 0:
        msg = f"the boundary from {origin} is empty; check the file or the district name."
        raise EmptyAreaError(msg)
    return geometry


def boundary_from_pack(
    preset: DistrictPreset, settings: Settings
) -> tuple[BaseGeometry, SourceRecord]:
    """The district polygon from the data pack, converted from GCJ-02 to WGS-84."""
    if settings.data_dir is None:
        msg = "no data directory is set; set TWIN_DATA_DIR to the data pack (e.g. ../shared/data)."
        raise DataNotFoundError(msg)
    path = settings.data_dir / PACK_DISTRICTS
    if not path.exists():
        msg = f"district boundaries not found at {path}; check TWIN_DATA_DIR."
        raise DataNotFoundError(msg)
    frame = gpd.read_file(path)
    match = frame[frame["adcode"].astype(str) == preset.adcode]
    if match.empty:
        msg = f"{path.name} has no district with adcode {preset.adcode} ({preset.name_en})."
        raise DataNotFoundError(msg)
    geometry = geometry_to_wgs84(match.geometry.union_all(), "gcj02")
    record = SourceRecord("boundary", str(path), CONVERTED, AMAP_BOUNDARY_ATTRIBUTION)
    return _clean(geometry, str(path)), record


def pack_district_boundaries(settings: Settings) -> gpd.GeoDataFrame:
    """Every district of the data pack (adcode, name_en, geometry in WGS-84); empty without one."""
    if settings.data_dir is None or not (settings.data_dir / PACK_DISTRICTS).exists():
        return gpd.GeoDataFrame({"adcode": [], "name_en": []}, geometry=[], crs=4326)
    frame = gpd.read_file(settings.data_dir / PACK_DISTRICTS)
    frame["geometry"] = [geometry_to_wgs84(g, "gcj02") for g in frame.geometry]
    return frame[["adcode", "name_en", "geometry"]].set_crs(4326, allow_override=True)


def boundary_from_file(
    path: Path, crs: CrsName = "wgs84", name: str | None = None
) -> tuple[BaseGeometry, SourceRecord]:
    """A boundary from any vector file GDAL reads (GeoJSON, GeoPackage, Shapefile, ...).

    All features are dissolved, or only those whose ``name``/``name_zh``/``name_en`` equals
    ``name`` when it is given. ``crs`` names the datum of lon/lat files (``gcj02`` for Amap data).
    """
    path = Path(path)
    if not path.exists():
        msg = f"boundary file {path} does not exist."
        raise DataNotFoundError(msg)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:
        msg = f"cannot read {path} as a vector file ({exc}); use GeoJSON or GeoPackage."
        raise InvalidInputError(msg) from None
    if frame.empty:
        msg = f"{path} holds no features."
        raise EmptyAreaError(msg)
    if name is not None:
        columns = [c for c in ("name", "name_zh", "name_en", "adcode") if c in frame.columns]
        mask = frame[columns].astype(str).eq(name).any(axis=1) if columns else frame.index < 0
        if not mask.any():
            msg = f"no feature named {name!r} in {path} (looked in columns {columns})."
            raise EmptyAreaError(msg)
        frame = frame[mask]
    if frame.crs is not None and not frame.crs.is_geographic:
        frame = frame.to_crs(4326)
    geometry = geometry_to_wgs84(frame.geometry.union_all(), crs)
    record = SourceRecord("boundary", str(path), crs.upper(), PROVIDER)
    return _clean(geometry, str(path)), record


def boundary_from_osm(
    preset: DistrictPreset, settings: Settings
) -> tuple[BaseGeometry, SourceRecord]:
    """The OSM administrative boundary, geocoded through osmnx (Nominatim)."""
    if settings.offline:
        msg = (
            f"the OSM boundary of {preset.name_en} needs the internet but twin is offline; "
            "use the data pack (TWIN_DATA_DIR) or a boundary file."
        )
        raise NetworkAccessError(msg)
    import osmnx as ox

    query = f"{preset.name_zh}, 上海市, 中国"
    try:
        frame = ox.geocode_to_gdf(query)
    except Exception as exc:
        msg = f"could not download the OSM boundary of {preset.name_en} ({exc})."
        raise NetworkAccessError(msg) from None
    record = SourceRecord("boundary", f"OSM Nominatim: {query}", "WGS-84", OSM_ATTRIBUTION)
    return _clean(frame.geometry.union_all(), query), record
