"""Points of interest from the data pack (Amap) and OpenStreetMap, on :mod:`twin.categories`."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from twin._errors import DataNotFoundError, InvalidInputError
from twin.categories import (
    AMAP_FACILITY_RULES,
    AMAP_RULES,
    OSM_FACILITY_RULES,
    OSM_RULES,
    OSM_TAGS,
)
from twin.i18n import N_
from twin.settings import Settings
from twin.sources.record import AMAP_POI_ATTRIBUTION, OSM_ATTRIBUTION, SourceRecord

POI_COLUMNS = ["name", "category", "subtype", "facility", "source", "geometry"]

PACK_FILES = (
    "bus_stop", "metro_station", "food", "hotpot", "hospital", "kindergarten",
    "primary_school", "middle_school", "school", "university", "cinema_theatre",
)  # fmt: skip


def empty_pois() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in POI_COLUMNS[:-1]}, geometry=[], crs=4326)


def categorise_amap(types: pd.Series) -> pd.Series:
    """Category of each Amap type path (``None`` where no rule matches or the rule excludes)."""
    result = pd.Series(np.full(len(types), None, dtype=object), index=types.index)
    undecided = pd.Series(True, index=types.index)
    text = types.fillna("").astype(str)
    for needle, category in AMAP_RULES:
        hit = undecided & text.str.contains(needle, regex=False)
        result[hit] = category
        undecided &= ~hit
    return result


def facility_amap(stems: pd.Series, names: pd.Series, types: pd.Series) -> pd.Series:
    """GB 50180 facility type of each Amap POI (``None`` where the standard has none)."""
    result = pd.Series(np.full(len(stems), None, dtype=object), index=stems.index)
    fields = {"name": names.fillna("").astype(str), "type": types.fillna("").astype(str)}
    undecided = pd.Series(True, index=stems.index)
    for stem, field, needle, facility in AMAP_FACILITY_RULES:
        hit = undecided & (stems == stem)
        if needle is not None:
            hit &= fields[field].str.contains(needle, regex=False)
        result[hit] = facility
        undecided &= ~hit
    return result


def facility_osm(frame: pd.DataFrame) -> pd.Series:
    """GB 50180 facility type of each OSM feature from its tags."""
    result = pd.Series(np.full(len(frame), None, dtype=object), index=frame.index)
    undecided = pd.Series(True, index=frame.index)
    for key, values, facility in OSM_FACILITY_RULES:
        if key not in frame.columns:
            continue
        hit = undecided & frame[key].isin(values)
        result[hit] = facility
        undecided &= ~hit
    return result


def categorise_osm(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Category and subtype (the matched tag value) of each OSM feature from its tags.

    Both are ``None`` where no rule matches.
    """
    result = pd.Series(np.full(len(frame), None, dtype=object), index=frame.index)
    subtype = result.copy()
    undecided = pd.Series(True, index=frame.index)
    for key, values, category in OSM_RULES:
        if key not in frame.columns:
            continue
        column = frame[key]
        hit = column.notna() if values is None else column.isin(values)
        hit &= undecided
        result[hit] = category
        subtype[hit] = column[hit].astype(str)
        undecided &= ~hit
    return result, subtype


def pois_from_pack(area: BaseGeometry, settings: Settings) -> tuple[gpd.GeoDataFrame, dict]:
    """Amap POIs of the data pack inside ``area`` (WGS-84), on the category scheme.

    Returns the POIs and a summary with rows read, kept, excluded by rule (pet clinics, hotels)
    and duplicates merged (``school.csv`` overlaps the other school files).
    """
    if settings.data_dir is None:
        msg = "no data directory is set; set TWIN_DATA_DIR to the data pack (e.g. ../shared/data)."
        raise DataNotFoundError(msg)
    folder = settings.data_dir / "poi"
    frames = []
    for stem in PACK_FILES:
        path = folder / f"{stem}.csv"
        if not path.exists():
            msg = f"POI file {path} is missing from the data pack; check TWIN_DATA_DIR."
            raise DataNotFoundError(msg)
        frame = pd.read_csv(path, dtype={"name": str, "type": str})
        missing = {"name", "type", "lat", "lon"} - set(frame.columns)
        if missing:
            msg = f"{path} lacks the column(s) {sorted(missing)}; expected name,type,lat,lon."
            raise InvalidInputError(msg)
        frame["subtype"] = stem
        frames.append(frame)
    raw = pd.concat(frames, ignore_index=True)
    inside = gpd.points_from_xy(raw["lon"], raw["lat"], crs=4326).intersects(area)
    raw = raw[inside].copy()
    raw["category"] = categorise_amap(raw["type"])
    excluded = int(raw["category"].isna().sum())
    raw = raw[raw["category"].notna()]
    key = raw["name"].fillna("") + raw["lat"].round(5).astype(str) + raw["lon"].round(5).astype(str)
    duplicated = key.duplicated()
    raw = raw[~duplicated]
    pois = gpd.GeoDataFrame(
        {
            "name": raw["name"].fillna("").to_numpy(),
            "category": raw["category"].to_numpy(),
            "subtype": raw["subtype"].to_numpy(),
            "facility": facility_amap(raw["subtype"], raw["name"], raw["type"]).to_numpy(),
            "source": "amap",
        },
        geometry=gpd.points_from_xy(raw["lon"], raw["lat"]),
        crs=4326,
    )
    summary = {
        "rows_in_area": int(inside.sum()),
        "excluded_by_rule": excluded,
        "duplicates_merged": int(duplicated.sum()),
        "kept": len(pois),
    }
    return pois, summary


def pack_poi_record(settings: Settings) -> SourceRecord:
    return SourceRecord(
        "pois", str(settings.data_dir / "poi" if settings.data_dir else "poi/"), "WGS-84",
        AMAP_POI_ATTRIBUTION, N_("Amap categories mapped to the twin scheme"),
    )  # fmt: skip


def _pois_from_features(features: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict]:
    if features.empty:
        return empty_pois(), {"rows_in_area": 0, "excluded_by_rule": 0, "duplicates_merged": 0,
                          "kept": 0}  # fmt: skip
    features = features.copy()
    features["category"], features["subtype"] = categorise_osm(features)
    unmatched = int(features["category"].isna().sum())
    features = features[features["category"].notna()]
    geometry = features.geometry
    polygonal = geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    points = geometry.where(~polygonal, geometry.representative_point())
    points = points.where(points.geom_type == "Point", points.representative_point())
    pois = gpd.GeoDataFrame(
        {
            "name": features.get("name", pd.Series("", index=features.index)).fillna("").to_numpy(),
            "category": features["category"].to_numpy(),
            "subtype": features["subtype"].to_numpy(),
            "facility": facility_osm(features).to_numpy(),
            "source": "osm",
        },
        geometry=points.to_numpy(),
        crs=4326,
    )
    return pois, {"rows_in_area": len(geometry) + unmatched, "excluded_by_rule": unmatched,
                  "duplicates_merged": 0, "kept": len(pois)}  # fmt: skip


def pois_from_osm_file(path: Path, area: BaseGeometry) -> tuple[gpd.GeoDataFrame, dict]:
    """OSM POIs of a local ``.osm`` file inside ``area``."""
    import osmnx as ox

    from twin.sources.osm import check_osm_xml

    if not str(path).lower().endswith((".graphml", ".pbf")):
        check_osm_xml(Path(path))
    try:
        features = ox.features_from_xml(path, polygon=area, tags=OSM_TAGS)
    except ox._errors.InsufficientResponseError:
        features = gpd.GeoDataFrame(geometry=[], crs=4326)
    except Exception as exc:
        msg = f"cannot read POIs from {path} ({type(exc).__name__}: {exc})."
        raise InvalidInputError(msg) from None
    return _pois_from_features(features)


def pois_from_osm(area: BaseGeometry, settings: Settings) -> tuple[gpd.GeoDataFrame, dict]:
    """OSM POIs inside ``area`` downloaded from Overpass (cached by osmnx's HTTP cache)."""
    from twin.sources.osm import features_from_overpass

    features = features_from_overpass(
        area, OSM_TAGS, settings, "OSM POIs",
        "OSM POIs need the internet but twin is offline; the data pack POIs are used instead.",
    )  # fmt: skip
    return _pois_from_features(features)


def osm_poi_record(origin: str) -> SourceRecord:
    return SourceRecord(
        "pois", origin, "WGS-84", OSM_ATTRIBUTION, N_("OSM tags mapped to the scheme")
    )
