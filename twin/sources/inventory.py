"""Reading a user's real inventory file: CSV, GeoJSON, GeoPackage or (Geo)Parquet.

Reading only: every row is kept with its 1-based ``row`` number; coordinates are left as found
(``lon_raw``/``lat_raw``) so that validation can say what is wrong with each row.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from twin._errors import DataNotFoundError, EmptyAreaError, InvalidInputError

LAT_NAMES = ("lat", "latitude", "wgs84_lat", "gcj02_lat", "y", "纬度", "緯度")
LON_NAMES = ("lon", "lng", "long", "longitude", "wgs84_lon", "gcj02_lon", "x", "经度", "經度")
CSV_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")  # gb18030 covers GBK files from Chinese Excel
MAX_BYTES = 200 * 1024 * 1024


def _find(columns: list[str], names: tuple[str, ...], explicit: str | None, what: str) -> str:
    if explicit is not None:
        if explicit not in columns:
            msg = f"column {explicit!r} for {what} is not in the file; columns are {columns}."
            raise InvalidInputError(msg)
        return explicit
    lowered = {c.strip().lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    msg = (
        f"no {what} column found (looked for {', '.join(names)}); the file has {columns}. "
        f"Name it explicitly with --{'lat' if what == 'latitude' else 'lon'}-col."
    )
    raise InvalidInputError(msg)


def _read_csv(path: Path) -> pd.DataFrame:
    for encoding in CSV_ENCODINGS:
        try:
            return pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            msg = f"{path.name} is empty; it needs a header and one row per site."
            raise EmptyAreaError(msg) from None
        except pd.errors.ParserError as exc:
            msg = f"{path.name} is not a readable CSV ({exc})."
            raise InvalidInputError(msg) from None
    msg = f"{path.name} is neither UTF-8 nor GBK text; save it as UTF-8 CSV."
    raise InvalidInputError(msg)


def read_inventory(
    path: Path, lat_col: str | None = None, lon_col: str | None = None
) -> pd.DataFrame:
    """Rows of an inventory with ``row``, ``lon_raw`` and ``lat_raw`` plus the file's attributes."""
    path = Path(path)
    if not path.exists():
        msg = f"inventory file {path} does not exist."
        raise DataNotFoundError(msg)
    size = path.stat().st_size
    if size > MAX_BYTES:
        msg = f"{path.name} is {size / 1e6:.0f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit."
        raise InvalidInputError(msg)
    if size == 0:
        msg = f"{path.name} is empty; it needs a header and one row per site."
        raise EmptyAreaError(msg)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        frame = _read_csv(path)
        lat = _find(list(frame.columns), LAT_NAMES, lat_col, "latitude")
        lon = _find(list(frame.columns), LON_NAMES, lon_col, "longitude")
        frame = frame.rename(columns={lat: "lat_raw", lon: "lon_raw"})
    elif suffix in (".geojson", ".json", ".gpkg", ".parquet", ".geoparquet", ".shp"):
        try:
            if suffix in (".parquet", ".geoparquet"):
                try:
                    geo = gpd.read_parquet(path)
                except ValueError:  # plain Parquet with coordinate columns
                    plain = pd.read_parquet(path)
                    lat = _find(list(plain.columns), LAT_NAMES, lat_col, "latitude")
                    lon = _find(list(plain.columns), LON_NAMES, lon_col, "longitude")
                    frame = plain.rename(columns={lat: "lat_raw", lon: "lon_raw"})
                    geo = None
            else:
                geo = gpd.read_file(path)
        except InvalidInputError:
            raise
        except Exception as exc:
            msg = f"cannot read {path.name} ({type(exc).__name__}: {exc})."
            raise InvalidInputError(msg) from None
        if geo is not None:
            if geo.crs is not None and not geo.crs.is_geographic:
                geo = geo.to_crs(4326)
            points = geo.geometry
            not_point = points.notna() & (points.geom_type != "Point")
            points = points.where(~not_point, points.representative_point())
            frame = pd.DataFrame(geo.drop(columns=geo.geometry.name))
            frame["lon_raw"] = points.x.where(points.notna())
            frame["lat_raw"] = points.y.where(points.notna())
    else:
        msg = f"{path.name}: unsupported format; use CSV, GeoJSON, GeoPackage or GeoParquet."
        raise InvalidInputError(msg)
    if frame.empty:
        msg = f"{path.name} has no rows."
        raise EmptyAreaError(msg)
    frame.insert(0, "row", np.arange(1, len(frame) + 1))
    return frame.reset_index(drop=True)
