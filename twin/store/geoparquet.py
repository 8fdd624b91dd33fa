"""GeoParquet as the store writes it, read back with each distinct CRS parsed once per thread.

pyproj builds a CRS from a file's PROJJSON in ≈ 12 ms, most of a small file's read, and a
district's first page reads seven files that all say EPSG:4326. The parsed CRS is kept (pyproj
holds it per thread: a Streamlit rerun's thread parses it once, not once per file).
:func:`read_geoparquet` reads what geopandas' ``to_parquet`` writes (one WKB geometry column)
into the same frame as ``geopandas.read_parquet`` (columns, index, CRS, attrs); anything else
goes to geopandas.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyarrow.parquet as pq
import shapely
from pyproj import CRS


def _without_member_ids(value: Any) -> Any:
    """The PROJJSON with the ids of datum-ensemble members removed, as geopandas reads it
    (older PROJ databases do not know every member's id)."""
    if isinstance(value, dict):
        return {
            key: [
                {k: v for k, v in member.items() if k != "id"}
                if isinstance(member, dict)
                else member
                for member in item
            ]
            if key == "members" and isinstance(item, list)
            else _without_member_ids(item)
            for key, item in value.items()
        }
    return value


@lru_cache(maxsize=64)
def _crs(text: str) -> CRS | None:
    """The CRS of a file's ``crs`` entry (JSON text: null is none)."""
    value = json.loads(text)
    return None if value is None else CRS.from_user_input(_without_member_ids(value))


def read_geoparquet(path: Path) -> gpd.GeoDataFrame:
    """The GeoDataFrame in ``path``, as :func:`geopandas.read_parquet` reads it."""
    table = pq.read_table(path)
    metadata = table.schema.metadata or {}
    try:
        geo = json.loads(metadata[b"geo"])
        column = geo["primary_column"]
        info = geo["columns"][column]
        plain = len(geo["columns"]) == 1 and info["encoding"] == "WKB" and "covering" not in info
    except (KeyError, TypeError, ValueError):
        plain = False
    if not plain or column not in table.column_names:
        return gpd.read_parquet(path)  # another encoding, a bbox covering, several geometries
    # per the GeoParquet spec a missing crs is OGC:CRS84, an explicit null is unknown
    crs = _crs(json.dumps(info.get("crs", "OGC:CRS84"), sort_keys=True))
    position = list(table.slice(0, 0).to_pandas().columns).index(column)
    frame = table.drop([column]).to_pandas()
    geometry = gpd.GeoSeries(shapely.from_wkb(table[column].to_numpy()), index=frame.index,
                             crs=crs)  # fmt: skip
    frame.insert(position, column, geometry)
    result = gpd.GeoDataFrame(frame, geometry=column)
    if metadata.get(b"PANDAS_ATTRS"):
        result.attrs = json.loads(metadata[b"PANDAS_ATTRS"])
    return result
