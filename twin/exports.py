"""Layers and hexagon metrics as GIS files: GeoJSON, GeoParquet, CSV, GeoPackage, GeoTIFF.

Every export carries the attribution of its sources and the parameters that produced it, and the
same inputs give the same bytes (no timestamps, sorted keys, fixed precision):

* GeoJSON per RFC 7946: WGS-84 lon/lat, counter-clockwise exterior rings, no ``crs`` member,
  7 decimals (≈ 1 cm); ``datum="gcj02"`` writes Amap's GCJ-02 instead and says so in the
  ``coordinate_datum`` member (not RFC 7946 then: name the file ``*_gcj02.geojson``);
* GeoParquet with its ``geo`` metadata plus a ``twin`` key (attribution, parameters);
* CSV with a plain header, so ``pandas.read_csv`` and kepler.gl read it as it is: hexagons by
  ``hex_id`` (the H3 id, the column kepler.gl detects) and centre, points by lon/lat; text cells
  that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) are quoted with ``'``.
  The attribution and parameters travel in a CSVW sidecar (``<file>.csv-metadata.json``, W3C
  "CSV on the Web"), :func:`csv_metadata`;
* GeoPackage (layer metadata holds the attribution; the file's change stamps are fixed);
* GeoTIFF of one hexagon metric in the district's UTM zone, nodata −9999, band description =
  the metric, attribution and parameters in the tags.
"""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import shapely

from twin._errors import InvalidInputError
from twin.crs import CrsName, from_wgs84
from twin.keys import EXPORT_FORMATS
from twin.sources.record import OSM_ATTRIBUTION

FORMATS = EXPORT_FORMATS
EXTENSIONS = {"geojson": ".geojson", "parquet": ".parquet", "csv": ".csv", "gpkg": ".gpkg",
              "gtiff": ".tif"}  # fmt: skip
COORD_DECIMALS = 7
NODATA = -9999.0
FIXED_STAMP = "2000-01-01T00:00:00.000Z"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _clean(value: Any) -> Any:
    """JSON-safe scalars: NaN and inf become null."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def metadata(attribution: list[str], parameters: dict[str, Any]) -> dict[str, Any]:
    sources = list(dict.fromkeys([*attribution, OSM_ATTRIBUTION]))
    return {"attribution": sources, "parameters": parameters, "generator": "twin"}


def _properties(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    for column in table.columns:
        if table[column].dtype.kind == "f":
            table[column] = table[column].round(6)
    table = table.astype(object).where(table.notna(), None)
    return [{k: _clean(v) for k, v in row.items()} for row in table.to_dict("records")]


def to_geojson(
    frame: gpd.GeoDataFrame, meta: dict[str, Any], datum: CrsName | str = "wgs84"
) -> bytes:
    """RFC 7946 GeoJSON bytes (see the module docstring for ``datum``)."""
    geometry = frame.to_crs(4326).geometry.to_numpy()
    geometry = shapely.orient_polygons(geometry, exterior_cw=False)
    if datum != "wgs84":

        def shift(coords: np.ndarray) -> np.ndarray:
            return np.column_stack(from_wgs84(coords[:, 0], coords[:, 1], cast(CrsName, datum)))

        geometry = shapely.transform(geometry, shift)
    geometry = shapely.transform(geometry, lambda c: np.round(c, COORD_DECIMALS))
    shapes = [json.loads(text) for text in shapely.to_geojson(geometry)]
    features = [
        {"type": "Feature", "properties": props, "geometry": shape}
        for props, shape in zip(_properties(frame), shapes, strict=True)
    ]
    document = {"type": "FeatureCollection", **meta, "coordinate_datum": datum.upper(),
                "features": features}  # fmt: skip
    text = json.dumps(document, ensure_ascii=False, sort_keys=False, default=_json_default,
                      allow_nan=False, separators=(",", ":"))  # fmt: skip
    return text.encode("utf-8")


def to_parquet(frame: gpd.GeoDataFrame, meta: dict[str, Any]) -> bytes:
    """GeoParquet bytes with ``geo`` metadata and a ``twin`` metadata key."""
    buffer = io.BytesIO()
    frame.to_crs(4326).to_parquet(buffer, index=False)
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[b"twin"] = json.dumps(meta, ensure_ascii=False, default=_json_default).encode()
    out = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(schema_meta), out)
    return out.getvalue()


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_NOTE = ("Text cells that begin with =, +, -, @, a tab or a carriage return are prefixed "
                "with ' so that a spreadsheet shows them instead of running them as formulas.")  # fmt: skip


def _neutral(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def without_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text cell and column name a spreadsheet would evaluate
    (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM(…)``) quoted by a leading ``'`` (OWASP's
    CSV-injection rule)."""
    out = table.rename(columns={c: _neutral(c) for c in table.columns if isinstance(c, str)})
    for position in range(out.shape[1]):
        values = out.iloc[:, position]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            risky = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START))
            if risky.any():
                out.iloc[risky.to_numpy(), position] = "'" + values[risky].astype(str)
    return out


def csv_bytes(table: pd.DataFrame, float_format: str | None = None, bom: bool = False) -> bytes:
    """``table`` as CSV the way every CSV twin writes is written: formulas neutralised, rows
    ended by CRLF (RFC 4180), so a carriage return inside a text cell is quoted with it and
    cannot start a row of its own; ``bom`` for spreadsheets that need it to read UTF-8."""
    text = without_formulas(table).to_csv(index=False, float_format=float_format,
                                          lineterminator="\r\n")  # fmt: skip
    return text.encode("utf-8-sig" if bom else "utf-8")


def csv_table(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The rows a CSV export holds: hexagons by ``hex_id`` and centre, points by lon/lat."""
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if "h3" in table.columns:
        table = table.rename(columns={"h3": "hex_id"})
    else:
        points = frame.to_crs(4326).geometry
        table.insert(0, "lat", points.y.round(COORD_DECIMALS))
        table.insert(0, "lon", points.x.round(COORD_DECIMALS))
    return table.drop(columns=[c for c in ("cell",) if c in table.columns])


def to_csv(frame: gpd.GeoDataFrame, meta: dict[str, Any]) -> bytes:
    """CSV bytes with a plain header (see :func:`csv_metadata` for the attribution)."""
    return csv_bytes(csv_table(frame), float_format="%.6g")


def csv_metadata(frame: gpd.GeoDataFrame, meta: dict[str, Any], file_name: str) -> bytes:
    """The CSVW sidecar of a CSV export (``<file>.csv-metadata.json``): its columns, the
    attribution of every source and the parameters that produced it."""
    table = without_formulas(csv_table(frame.iloc[:0]))
    document = {
        "@context": "http://www.w3.org/ns/csvw", "url": file_name,
        "dc:source": meta["attribution"], "dc:creator": "twin",
        "twin:parameters": meta["parameters"],
        "rdfs:comment": FORMULA_NOTE,
        "tableSchema": {"columns": [{"name": str(c), "titles": str(c)} for c in table.columns]},
    }  # fmt: skip
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1, default=_json_default)
    return (text + "\n").encode()


def to_gpkg(frame: gpd.GeoDataFrame, meta: dict[str, Any], layer: str) -> bytes:
    """GeoPackage bytes; the change stamps are fixed so the same input gives the same bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.gpkg"
        frame.to_crs(4326).to_file(
            path, layer=layer, driver="GPKG", engine="pyogrio",
            metadata={"attribution": "; ".join(meta["attribution"]),
                      "parameters": json.dumps(meta["parameters"], default=_json_default)},
        )  # fmt: skip
        with sqlite3.connect(path) as db:
            db.execute("UPDATE gpkg_contents SET last_change = ?", (FIXED_STAMP,))
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            if "gpkg_metadata_reference" in tables:
                db.execute("UPDATE gpkg_metadata_reference SET timestamp = ?", (FIXED_STAMP,))
        with sqlite3.connect(path) as db:
            db.execute("VACUUM")
        return path.read_bytes()


def to_geotiff(
    cells: gpd.GeoDataFrame,
    column: str,
    metric_crs: Any,
    meta: dict[str, Any],
    pixel_m: float = 25.0,
) -> bytes:
    """One hexagon metric rasterised in ``metric_crs`` at ``pixel_m`` (float32, nodata −9999)."""
    import rasterio
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    if column not in cells.columns:
        msg = f"no hexagon metric {column!r}; choose one of {', '.join(numeric_columns(cells))}."
        raise InvalidInputError(msg)
    projected = cells.to_crs(metric_crs)
    west, south, east, north = projected.total_bounds
    width = int(np.ceil((east - west) / pixel_m))
    height = int(np.ceil((north - south) / pixel_m))
    transform = from_origin(west, north, pixel_m, pixel_m)
    values = projected[column].to_numpy(dtype=float)
    shapes = [(g, v) for g, v in zip(projected.geometry, values, strict=True) if np.isfinite(v)]
    raster = rasterize(shapes, out_shape=(height, width), transform=transform, fill=NODATA,
                       dtype="float32") if shapes else np.full((height, width), NODATA, "float32")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.tif"
        profile = {"driver": "GTiff", "height": height, "width": width, "count": 1,
                   "dtype": "float32", "crs": metric_crs, "transform": transform,
                   "nodata": NODATA, "compress": "deflate"}  # fmt: skip
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(raster, 1)
            dst.set_band_description(1, column)
            dst.update_tags(attribution="; ".join(meta["attribution"]),
                            parameters=json.dumps(meta["parameters"], default=_json_default))  # fmt: skip
        return path.read_bytes()


def numeric_columns(cells: pd.DataFrame) -> list[str]:
    skip = {"cell", "lon", "lat"}
    return [c for c in cells.columns if c not in skip and cells[c].dtype.kind in "fiub"]


def export_bytes(
    frame: gpd.GeoDataFrame,
    fmt: str,
    meta: dict[str, Any],
    layer: str = "layer",
    datum: str = "wgs84",
    column: str | None = None,
    metric_crs: Any = None,
) -> bytes:
    """``frame`` in format ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        msg = f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}."
        raise InvalidInputError(msg)
    if datum != "wgs84" and fmt != "geojson":
        raise InvalidInputError("GCJ-02 output is offered for GeoJSON only (for Amap); use wgs84.")
    if "cell" in frame.columns:  # uint64 H3 ids do not survive JSON; the string id stays
        frame = frame.drop(columns="cell")
    if fmt == "geojson":
        return to_geojson(frame, meta, datum)
    if fmt == "parquet":
        return to_parquet(frame, meta)
    if fmt == "csv":
        return to_csv(frame, meta)
    if fmt == "gpkg":
        return to_gpkg(frame, meta, layer)
    if column is None or metric_crs is None:
        raise InvalidInputError("a GeoTIFF needs a hexagon metric (--metric) and the district CRS.")
    return to_geotiff(frame, column, metric_crs, meta)


def write_export(
    path: Path,
    frame: gpd.GeoDataFrame,
    fmt: str,
    meta: dict[str, Any],
    layer: str = "layer",
    datum: str = "wgs84",
    column: str | None = None,
    metric_crs: Any = None,
) -> list[Path]:
    """Write ``frame`` to ``path`` atomically (and a CSV's CSVW sidecar beside it); the paths."""
    from twin.store.atomic import atomic_write_bytes

    data = export_bytes(frame, fmt, meta, layer, datum, column, metric_crs)
    written = [atomic_write_bytes(Path(path), data)]
    if fmt == "csv":
        sidecar = Path(path).with_name(Path(path).name + "-metadata.json")
        written.append(atomic_write_bytes(sidecar, csv_metadata(frame, meta, Path(path).name)))
    return written
