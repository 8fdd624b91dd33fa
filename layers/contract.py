"""The output contract every layer obeys, checked by one validator."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from twin._errors import InvalidInputError
from twin.i18n import N_

BASE_COLUMNS = ("layer", "feature_id", "source", "geometry")
LAYER_COLUMNS: dict[str, tuple[str, ...]] = {
    "base_stations": (
        "site_id", "height_m", "cell_type", "azimuth_1", "azimuth_2", "azimuth_3", "operator",
        "band", "frequency_ghz", "bandwidth_mhz", "tx_power_dbm", "antenna_gain_dbi", "downtilt_deg",
    ),
    "charging": ("station_id", "site_type", "piles", "fast_piles", "service_radius_m"),
    "lockers": ("locker_id", "site_type", "compartments", "status", "service_radius_m"),
}  # fmt: skip


def validate_layer(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Raise :class:`InvalidInputError` listing every way ``frame`` breaks the layer contract."""
    problems: list[str] = []
    if layer not in LAYER_COLUMNS:
        msg = f"unknown layer {layer!r}; known layers are {', '.join(LAYER_COLUMNS)}."
        raise InvalidInputError(msg)
    missing = [c for c in (*BASE_COLUMNS, *LAYER_COLUMNS[layer]) if c not in frame.columns]
    if missing:
        problems.append(f"missing columns {missing}")
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        problems.append(f"CRS is {frame.crs}, not EPSG:4326")
    if len(frame) and not (frame.geometry.geom_type == "Point").all():
        problems.append("geometries are not all points")
    if "layer" in frame.columns and not (frame["layer"] == layer).all():
        problems.append(f"'layer' column is not {layer!r} everywhere")
    if "feature_id" in frame.columns:
        duplicated = frame["feature_id"].duplicated()
        if duplicated.any():
            problems.append(f"{int(duplicated.sum())} duplicate feature_id values")
    if len(frame):
        x, y = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
        bad = ~(np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90))
        if bad.any():
            problems.append(f"{int(bad.sum())} points with invalid coordinates")
    broken = attribute_problems(frame, layer) if len(frame) else pd.Series(dtype=object)
    if len(broken) and (broken != "").any():
        problems.append(f"{int((broken != '').sum())} rows with attributes out of range "
                        f"(first: {broken[broken != ''].iloc[0]})")  # fmt: skip
    if problems:
        msg = f"the {layer} layer breaks the contract: " + "; ".join(problems) + "."
        raise InvalidInputError(msg)
    return frame


def make_layer(
    layer: str, ids: list[str], lon: np.ndarray, lat: np.ndarray, attributes: dict, source: str
) -> gpd.GeoDataFrame:
    """Assemble a contract-conforming frame in the standard column order."""
    frame = gpd.GeoDataFrame(
        {"layer": layer, "feature_id": ids, "source": source, **attributes},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    return validate_layer(gpd.GeoDataFrame(pd.DataFrame(frame), crs=4326), layer)


@dataclass(frozen=True)
class Rule:
    """What one attribute may hold: a number in [low, high] (whole when ``integer``), or one of
    ``choices``."""

    low: float | None = None
    high: float | None = None
    integer: bool = False
    choices: frozenset[object] | None = None

    def describe(self) -> str:
        if self.choices is not None:
            return N_("one of {choices}").format(choices=", ".join(sorted(map(str, self.choices))))
        words = (N_("a whole number from {low} to {high}") if self.integer
                 else N_("a number from {low} to {high}"))  # fmt: skip
        return words.format(low=f"{self.low:g}", high=f"{self.high:g}")


BANDWIDTHS_MHZ = frozenset({5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100, 160})
RULES: dict[str, dict[str, Rule]] = {
    "base_stations": {
        "height_m": Rule(1, 300), "cell_type": Rule(choices=frozenset({"UMa", "UMi"})),
        "azimuth_1": Rule(0, 360), "azimuth_2": Rule(0, 720), "azimuth_3": Rule(0, 720),
        "frequency_ghz": Rule(0.4, 7.2),  # FR1
        "bandwidth_mhz": Rule(choices=BANDWIDTHS_MHZ),  # TS 38.101-1 channel bandwidths (+160 CA)
        "tx_power_dbm": Rule(0, 60), "antenna_gain_dbi": Rule(-5, 30), "downtilt_deg": Rule(-10, 30),
    },
    "charging": {"piles": Rule(1, 1000, integer=True), "fast_piles": Rule(0, 1000, integer=True),
                 "service_radius_m": Rule(50, 10_000)},
    "lockers": {"compartments": Rule(1, 2000, integer=True),
                "status": Rule(choices=frozenset({"existing", "new", "planned"})),
                "service_radius_m": Rule(50, 5000)},
}  # fmt: skip


BLANKS = ("", "<NA>", "null")  # "nan" written out is a value, and not a number


def blank_cells(values: pd.Series) -> pd.Series:
    """Cells a file leaves empty (missing, NaN, null or only spaces): the attribute's default
    applies to them as to a column the file does not have."""
    return values.isna() | values.astype(str).str.strip().isin(BLANKS)


def attribute_problems(frame: pd.DataFrame, layer: str) -> pd.Series:
    """Per row, the first attribute that breaks its rule ('' where all hold), vectorised."""
    reason = pd.Series("", index=frame.index, dtype=object)
    for column, rule in RULES.get(layer, {}).items():
        if column not in frame.columns:
            continue
        raw = frame[column]
        if rule.choices is not None:
            numeric = pd.to_numeric(raw, errors="coerce")
            as_number = numeric.where(numeric.notna(), raw)
            ok = as_number.isin(rule.choices) | raw.astype(str).isin({str(c) for c in rule.choices})
        else:
            value = pd.to_numeric(raw, errors="coerce")
            ok = value.notna() & np.isfinite(value) & value.between(rule.low, rule.high)
            if rule.integer:
                ok &= value.round() == value
        failing = ~ok & (reason == "")
        if not failing.any():  # the usual case (every generated layer): nothing to word
            continue
        bad = failing.copy()
        bad[failing] = ~blank_cells(raw[failing])  # a blank cell is filled, not wrong
        shown = raw[bad].astype(str).str.slice(0, 30).str.replace(
            r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", regex=True)  # fmt: skip
        allowed = rule.describe()
        reason[bad] = shown.map(lambda value, c=column, a=allowed: N_(
            "{column} = {value} (allowed: {allowed})").format(column=c, value=value, allowed=a))  # fmt: skip
    if {"piles", "fast_piles"} <= set(frame.columns):
        piles = pd.to_numeric(frame["piles"], errors="coerce")
        fast = pd.to_numeric(frame["fast_piles"], errors="coerce")
        bad = (fast > piles) & (reason == "")
        reason[bad] = N_("fast_piles is more than piles")
    return reason
