"""Reading a user's real inventory file: CSV, GeoJSON, GeoPackage or (Geo)Parquet.

Reading only: every row is kept with its 1-based ``row`` number; coordinates are left as found
(``lon_raw``/``lat_raw``) so that validation can say what is wrong with each row.

Bounded work on any input: the header is checked before any parser sees the file (at most
``MAX_COLUMNS`` columns, no repeated names, lines under ``MAX_LINE_BYTES``), and the file size is
capped. Encodings are detected honestly: a BOM (UTF-8 / UTF-16 / UTF-32) decides; else UTF-8;
else GB18030 (GBK from Chinese Excel) only when the text reads as Chinese, not as Big5 or
Shift-JIS garbled through it (``charset_normalizer`` decides); anything else is a clear error
naming the encoding found. Multi-part geometries become one row per point (``part``), nested
GeoJSON collections are walked, and a GeoPackage with several layers needs ``layer=`` (named in
the error).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from twin._errors import DataNotFoundError, EmptyAreaError, InvalidInputError
from twin.i18n import N_

LAT_NAMES = ("lat", "latitude", "wgs84_lat", "gcj02_lat", "y", "纬度", "緯度")
LON_NAMES = ("lon", "lng", "long", "longitude", "wgs84_lon", "gcj02_lon", "x", "经度", "經度")
MAX_BYTES = 200 * 1024 * 1024
MAX_COLUMNS = 500
MAX_LINE_BYTES = 1024 * 1024
BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))  # fmt: skip


def _find(columns: list[str], names: tuple[str, ...], explicit: str | None, what: str) -> str:
    if explicit is not None:
        if explicit not in columns:
            msg = N_(
                "column {column} for {what} is not in the file; columns are {columns}."
            ).format(column=repr(explicit), what=what, columns=", ".join(map(str, columns)))
            raise InvalidInputError(msg)
        return explicit
    lowered = {c.strip().lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    msg = N_(
        "no {what} column found (looked for {names}); the file has {columns}. Name it explicitly "
        "with {option}."
    ).format(what=what, names=", ".join(names), columns=", ".join(map(str, columns)),
             option=f"--{'lat' if what == 'latitude' else 'lon'}-col")  # fmt: skip
    raise InvalidInputError(msg)


SPREADSHEETS = (  # file signatures of workbooks saved under a .csv name
    (b"PK\x03\x04", N_("an Excel workbook (.xlsx, a zip archive)")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", N_("an old Excel workbook (.xls)")),
)


def detect_encoding(path: Path) -> str:
    """The text encoding of ``path`` (see the module docstring), or a clear error."""
    with path.open("rb") as fh:
        head = fh.read(4 * 1024 * 1024)
    for magic, what in SPREADSHEETS:
        if head.startswith(magic):
            msg = N_("{file} is {what}, not a CSV; save it from the spreadsheet as CSV UTF-8 (in "
                     "Excel: Save As, CSV UTF-8).").format(file=path.name, what=what)  # fmt: skip
            raise InvalidInputError(msg)
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a multi-byte character cut at the sample's end
            return "utf-8"
    if head[:200].count(b"\x00") > 20:  # UTF-16 without a BOM: every other byte is zero
        return (
            "utf-16-le"
            if head[1:200:2].count(b"\x00") > head[0:200:2].count(b"\x00")
            else "utf-16-be"
        )
    if _reads_as_simplified_chinese(head):
        return "gb18030"
    name = N_("an unknown encoding")
    for codec, label in (("big5", N_("Big5 (traditional Chinese)")),
                         ("shift_jis", N_("Shift-JIS (Japanese)")),
                         ("euc_kr", N_("EUC-KR (Korean)"))):  # fmt: skip
        try:
            head.decode(codec)
            name = label
            break
        except UnicodeDecodeError:
            continue
    msg = N_("{file} is encoded as {encoding}, which twin does not read; save it as UTF-8 CSV (in "
             "Excel: Save As, CSV UTF-8).").format(file=path.name, encoding=name)  # fmt: skip
    raise InvalidInputError(msg)


def _reads_as_simplified_chinese(data: bytes) -> bool:
    """GB18030 (GBK) text: it decodes, and its Chinese characters are nearly all common
    simplified ones (GB2312). Big5 or Shift-JIS bytes read as GBK give rare characters."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not han:
        return True  # no Chinese at all: the other bytes decide nothing
    common = 0
    for c in han:
        try:
            c.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(han) >= 0.9


def check_header(path: Path, encoding: str) -> None:
    """Refuse, before parsing, a header that would make the parser slow or ambiguous."""
    with path.open("rb") as fh:
        head = fh.read(MAX_LINE_BYTES + 1)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = text.splitlines()  # \n, \r\n and old Macs' \r alike
    if len(head) > MAX_LINE_BYTES and len(lines) < 2:
        msg = N_("{file}: the first line is over {size} KB; is this a CSV?").format(
            file=path.name, size=MAX_LINE_BYTES // 1024
        )
        raise InvalidInputError(msg)
    text = lines[0] if lines else ""
    import csv

    names = next(csv.reader([text]), [])
    if len(names) > MAX_COLUMNS:
        msg = N_("{file} has {count} columns, over the {limit} twin reads.").format(
            file=path.name, count=f"{len(names):,}", limit=MAX_COLUMNS
        )
        raise InvalidInputError(msg)
    repeated = sorted({n for n in names if names.count(n) > 1}) if len(names) <= MAX_COLUMNS else []
    if repeated:
        shown = ", ".join(repr(n[:40]) for n in repeated[:5])
        msg = N_(
            "{file} repeats the column name(s) {names}; give every column its own name."
        ).format(file=path.name, names=shown)
        raise InvalidInputError(msg)


def _read_csv(path: Path) -> pd.DataFrame:
    encoding = detect_encoding(path)
    check_header(path, encoding)
    try:
        frame = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)
    except UnicodeDecodeError as exc:
        msg = N_(
            "{file} is not valid {encoding} text throughout ({reason}); save it as UTF-8."
        ).format(file=path.name, encoding=encoding, reason=exc.reason)
        raise InvalidInputError(msg) from None
    except pd.errors.EmptyDataError:
        msg = N_("{file} is empty; it needs a header and one row per site.").format(file=path.name)
        raise EmptyAreaError(msg) from None
    except pd.errors.ParserError as exc:
        msg = N_("{file} is not a readable CSV ({reason}).").format(
            file=path.name, reason=str(exc)[:200]
        )
        raise InvalidInputError(msg) from None
    frame.columns = [str(c).lstrip("\ufeff").strip() for c in frame.columns]
    return frame


def _reserved(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep a file's own columns named like twin's bookkeeping (row, lon_raw, …) under new names."""
    clash = [
        c for c in frame.columns if c in ("row", "lon_raw", "lat_raw", "part", "reason", "detail")
    ]
    return frame.rename(columns={c: f"{c}_in_file" for c in clash})


def _points(geo: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """One row per point: multi-points and collections exploded (``part``), lines and polygons
    at a representative point; attributes repeated on every part."""
    geo = geo.reset_index(drop=True)
    geo["__source_row"] = np.arange(1, len(geo) + 1)
    missing = geo[geo.geometry.isna() | geo.geometry.is_empty]  # kept: rejected by validation
    exploded = geo[~geo.index.isin(missing.index)].explode(index_parts=False, ignore_index=True)
    for _ in range(3):  # collections inside collections
        nested = exploded.geometry.notna() & (exploded.geom_type == "GeometryCollection")
        if not nested.any():
            break
        exploded = exploded.explode(index_parts=False, ignore_index=True)
    exploded = pd.concat([exploded, missing], ignore_index=True).sort_values(
        "__source_row", kind="stable", ignore_index=True)  # fmt: skip
    exploded = gpd.GeoDataFrame(exploded, geometry=geo.geometry.name, crs=geo.crs)
    points = exploded.geometry
    not_point = points.notna() & ~points.is_empty & (points.geom_type != "Point")
    points = points.where(~not_point, points.representative_point())
    frame = pd.DataFrame(exploded.drop(columns=exploded.geometry.name))
    frame["part"] = frame.groupby("__source_row").cumcount() + 1
    frame.loc[frame.groupby("__source_row")["part"].transform("max") == 1, "part"] = 0
    frame = frame.drop(columns="__source_row")
    usable = points.notna() & ~points.is_empty
    x = pd.Series(np.nan, index=points.index)
    y = pd.Series(np.nan, index=points.index)
    x[usable], y[usable] = points[usable].x, points[usable].y
    return frame, x, y


def _read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """The features of a vector file; GDAL's warnings about malformed features stay quiet
    (those features come back as rows without coordinates and are counted as rejected)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _read_vector_quietly(path, layer)


def gpkg_layers(path: Path) -> list[str]:
    """The layers a GeoPackage holds, in the file's order (a clear error if it is not one)."""
    import pyogrio

    try:
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # GDAL's own error types
        msg = N_("cannot read {file} ({reason}).").format(
            file=path.name, reason=f"{type(exc).__name__}: {str(exc)[:200]}")  # fmt: skip
        raise InvalidInputError(msg) from None


def _read_vector_quietly(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    if path.suffix.lower() == ".gpkg":
        names = gpkg_layers(path)
        if layer is None and len(names) > 1:
            msg = N_("{file} holds {count} layers ({layers}); name the one to import "
                     "(--gpkg-layer, or gpkg_layer= in Python).").format(
                file=path.name, count=len(names), layers=", ".join(names))  # fmt: skip
            raise InvalidInputError(msg)
        if layer is not None and layer not in names:
            msg = N_("{file} has no layer {layer}; its layers are {layers}.").format(
                file=path.name, layer=repr(layer), layers=", ".join(names)
            )
            raise InvalidInputError(msg)
        return gpd.read_file(path, layer=layer or names[0])
    return gpd.read_file(path)


CHUNK_BYTES = 16 * 1024 * 1024  # CSVs above this are read in chunks
CHUNK_ROWS = 100_000


def read_csv_chunks(
    path: Path, lat_col: str | None = None, lon_col: str | None = None
) -> Iterator[pd.DataFrame]:
    """A large CSV as frames of at most ``CHUNK_ROWS`` rows, each shaped like
    :func:`read_inventory`'s result (``row`` numbered across the whole file)."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        msg = N_("{file} is {size} MB, over the {limit} MB limit.").format(
            file=path.name, size=f"{size / 1e6:.0f}", limit=f"{MAX_BYTES / 1e6:.0f}"
        )
        raise InvalidInputError(msg)
    encoding = detect_encoding(path)
    check_header(path, encoding)
    reader = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False,
                         chunksize=CHUNK_ROWS)  # fmt: skip
    first_row = 1
    try:
        for chunk in reader:
            chunk.columns = [str(c).lstrip("\ufeff").strip() for c in chunk.columns]
            chunk = _reserved(chunk)
            lat = _find(list(chunk.columns), LAT_NAMES, lat_col, N_("latitude"))
            lon = _find(list(chunk.columns), LON_NAMES, lon_col, N_("longitude"))
            chunk = chunk.rename(columns={lat: "lat_raw", lon: "lon_raw"})
            chunk.insert(0, "row", np.arange(first_row, first_row + len(chunk)))
            first_row += len(chunk)
            yield chunk.reset_index(drop=True)
    except UnicodeDecodeError as exc:
        msg = N_(
            "{file} is not valid {encoding} text throughout ({reason}); save it as UTF-8."
        ).format(file=path.name, encoding=encoding, reason=exc.reason)
        raise InvalidInputError(msg) from None
    except pd.errors.ParserError as exc:
        msg = N_("{file} is not a readable CSV ({reason}).").format(
            file=path.name, reason=str(exc)[:200]
        )
        raise InvalidInputError(msg) from None


def read_inventory(
    path: Path, lat_col: str | None = None, lon_col: str | None = None, layer: str | None = None
) -> pd.DataFrame:
    """Rows of an inventory with ``row``, ``lon_raw`` and ``lat_raw`` plus the file's attributes."""
    path = Path(path)
    if not path.exists():
        msg = N_("inventory file {path} does not exist.").format(path=path)
        raise DataNotFoundError(msg)
    size = path.stat().st_size
    if size > MAX_BYTES:
        msg = N_("{file} is {size} MB, over the {limit} MB limit.").format(
            file=path.name, size=f"{size / 1e6:.0f}", limit=f"{MAX_BYTES / 1e6:.0f}"
        )
        raise InvalidInputError(msg)
    if size == 0:
        msg = N_("{file} is empty; it needs a header and one row per site.").format(file=path.name)
        raise EmptyAreaError(msg)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        frame = _reserved(_read_csv(path))
        lat = _find(list(frame.columns), LAT_NAMES, lat_col, N_("latitude"))
        lon = _find(list(frame.columns), LON_NAMES, lon_col, N_("longitude"))
        frame = frame.rename(columns={lat: "lat_raw", lon: "lon_raw"})
    elif suffix in (".geojson", ".json", ".gpkg", ".parquet", ".geoparquet", ".shp"):
        try:
            if suffix in (".parquet", ".geoparquet"):
                try:
                    geo = gpd.read_parquet(path)
                except ValueError:  # plain Parquet with coordinate columns
                    plain = _reserved(pd.read_parquet(path))
                    lat = _find(list(plain.columns), LAT_NAMES, lat_col, N_("latitude"))
                    lon = _find(list(plain.columns), LON_NAMES, lon_col, N_("longitude"))
                    frame = plain.rename(columns={lat: "lat_raw", lon: "lon_raw"})
                    geo = None
            else:
                geo = _read_vector(path, layer)
        except InvalidInputError:
            raise
        except Exception as exc:
            msg = N_("cannot read {file} ({reason}).").format(
                file=path.name, reason=f"{type(exc).__name__}: {str(exc)[:200]}"
            )
            raise InvalidInputError(msg) from None
        if geo is not None:
            if geo.crs is not None and not geo.crs.is_geographic:
                geo = geo.to_crs(4326)
            geo = geo.rename(columns={c: f"{c}_in_file" for c in geo.columns if c in (
                "row", "lon_raw", "lat_raw", "part", "reason", "detail")})  # fmt: skip
            frame, lon, lat = _points(geo)
            frame["lon_raw"], frame["lat_raw"] = lon, lat
            if suffix in (".geojson", ".json"):
                frame = _with_skipped_features(path, frame)
    else:
        msg = N_("{file}: unsupported format; use CSV, GeoJSON, GeoPackage or GeoParquet.").format(
            file=path.name
        )
        raise InvalidInputError(msg)
    if frame.empty:
        msg = N_("{file} has no rows.").format(file=path.name)
        raise EmptyAreaError(msg)
    if "row" not in frame:
        frame.insert(0, "row", np.arange(1, len(frame) + 1))
    return frame.reset_index(drop=True)


def _with_skipped_features(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """GDAL skips GeoJSON features that are not Features (``{}``, a bare geometry): put them
    back as rows without coordinates (rejected with a reason, never dropped), and number every
    row by its feature in the file."""
    import json

    try:
        features = json.loads(path.read_text(encoding="utf-8")).get("features")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return frame
    if not isinstance(features, list):
        return frame
    valid = np.array([isinstance(f, dict) and f.get("type") == "Feature" for f in features])
    if valid.all() or int(valid.sum()) != int((frame.get("part", 0) <= 1).sum()):
        return frame  # nothing skipped, or parts the count cannot map: keep GDAL's numbering
    first_parts = (frame["part"] <= 1).to_numpy() if "part" in frame else np.ones(len(frame), bool)
    feature_row = np.flatnonzero(valid) + 1
    frame = frame.copy()
    frame.insert(0, "row", feature_row[np.cumsum(first_parts) - 1])
    skipped = pd.DataFrame({"row": np.flatnonzero(~valid) + 1, "lon_raw": np.nan, "lat_raw": np.nan,
                            "part": 0, "skipped_feature": True})  # fmt: skip
    return pd.concat([frame, skipped], ignore_index=True).sort_values("row", kind="stable")
