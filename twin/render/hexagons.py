"""Hexagon metrics as pydeck layers with legends: colours, units, and a small payload.

Pure functions (no streamlit). A hexagon travels as its H3 id, one rounded value and its colour
(H3HexagonLayer draws the shape from the id), about 60 bytes instead of seven coordinate pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydeck as pdk
from numpy.typing import NDArray

from twin._errors import InvalidInputError

# colour ramps from bad to good (ColorBrewer RdYlGn, colour-blind safer than pure red/green)
RAMP_BAD_TO_GOOD = np.array(
    [
        [215, 48, 39],
        [252, 141, 89],
        [254, 224, 139],
        [217, 239, 139],
        [145, 207, 96],
        [26, 152, 80],
    ],
    dtype=float,
)
MAX_HEXAGONS = 100_000


@dataclass(frozen=True)
class Metric:
    """How to draw one hexagon column: label, unit, the value range and which end is good."""

    column: str
    label: str
    unit: str
    low: float
    high: float
    higher_is_better: bool
    decimals: int = 0

    def colours(self, values: NDArray) -> NDArray[np.uint8]:
        """RGBA per value; NaN (unmeasured) is transparent grey."""
        v = np.asarray(values, dtype=float)
        t = np.clip((v - self.low) / (self.high - self.low), 0.0, 1.0)
        if not self.higher_is_better:
            t = 1.0 - t
        pos = np.nan_to_num(t) * (len(RAMP_BAD_TO_GOOD) - 1)
        i = np.minimum(pos.astype(int), len(RAMP_BAD_TO_GOOD) - 2)
        frac = (pos - i)[:, None]
        rgb = RAMP_BAD_TO_GOOD[i] * (1 - frac) + RAMP_BAD_TO_GOOD[i + 1] * frac
        alpha = np.where(np.isfinite(v), 190, 60)[:, None]
        rgb[~np.isfinite(v)] = 160
        return np.hstack([np.round(rgb), alpha]).astype(np.uint8)

    def legend_stops(self, n: int = 6) -> list[tuple[str, str]]:
        """(CSS colour, label) from the low end of the range to the high end."""
        values = np.linspace(self.low, self.high, n)
        colours = self.colours(values)
        return [
            (f"rgb({c[0]},{c[1]},{c[2]})", f"{v:.{self.decimals}f}")
            for c, v in zip(colours, values, strict=True)
        ]


METRICS: dict[str, Metric] = {
    "base_stations": Metric("rsrp_dbm", "5G RSRP (best server)", "dBm", -115, -55, True),
    "charging": Metric("charging_m", "Walk to the nearest charging station", "m", 0, 2000, False),
    "lockers": Metric("locker_m", "Walk to the nearest locker group", "m", 0, 600, False),
    "life_circle": Metric(
        "lc_15", "Life-circle categories within 15 min", "categories", 0, 10, True
    ),
    "life_circle_time": Metric("lc_mean_min", "Mean walk to daily needs", "min", 0, 20, False, 1),
    "service_index": Metric("service_index", "Combined service index", "0–100", 0, 100, True),
    "residents": Metric("residents", "Residents", "people", 0, 10_000, True),
}


def metric_for(key: str, cells: pd.DataFrame) -> Metric:
    """The metric, with the life-circle range set to the categories actually measured."""
    metric = METRICS[key]
    if key == "life_circle":
        measured = sum(1 for c in cells.columns if c.startswith("t_") and cells[c].notna().any())
        metric = Metric(metric.column, metric.label, metric.unit, 0, max(measured, 1), True)
    if key == "residents":
        top = float(np.nanpercentile(cells["residents"], 95)) if len(cells) else 1.0
        metric = Metric(metric.column, metric.label, metric.unit, 0, max(top, 1.0), True)
    return metric


def hexagon_payload(cells: pd.DataFrame, metric: Metric, extra: list[str]) -> pd.DataFrame:
    """Only what the layer draws and the tooltip shows, rounded."""
    if len(cells) > MAX_HEXAGONS:
        msg = f"{len(cells):,} hexagons exceed the viewer's {MAX_HEXAGONS:,}; choose a coarser resolution."
        raise InvalidInputError(msg)
    values = cells[metric.column].to_numpy(dtype=float)
    data = pd.DataFrame({"h3": cells["h3"].to_numpy(), "value": np.round(values, metric.decimals)})
    data["colour"] = metric.colours(values).tolist()
    for column in extra:
        series = cells[column]
        data[column] = series.round(1) if series.dtype.kind == "f" else series
    return data


def hexagon_layer(
    cells: pd.DataFrame,
    metric: Metric,
    extra: list[str] | None = None,
    extruded: bool = False,
    elevation_scale: float = 1.0,
) -> pdk.Layer:
    """An H3HexagonLayer coloured (and, in 3D, raised) by ``metric``."""
    data = hexagon_payload(cells, metric, extra or [])
    span = metric.high - metric.low
    good = (data["value"] - metric.low) / span
    if not metric.higher_is_better:
        good = 1 - good
    data["height"] = np.round(np.clip(good.fillna(0), 0, 1) * 600.0, 0)
    return pdk.Layer(
        "H3HexagonLayer", data, id="hexagons", get_hexagon="h3", get_fill_color="colour",
        get_line_color=[255, 255, 255, 80], line_width_min_pixels=0.5, stroked=not extruded,
        filled=True, extruded=extruded, get_elevation="height", elevation_scale=elevation_scale,
        pickable=True, auto_highlight=True, opacity=0.75,
    )  # fmt: skip


def legend_html(metric: Metric) -> str:
    """A horizontal colour legend with the unit, for ``st.markdown(..., unsafe_allow_html=True)``."""
    stops = metric.legend_stops()
    gradient = ", ".join(colour for colour, _ in stops)
    labels = "".join(f"<span>{label}</span>" for _, label in stops)
    return (
        f"<div style='font-size:0.85rem'><b>{metric.label}</b> ({metric.unit})"
        f"<div style='height:12px;border-radius:3px;background:linear-gradient(to right, {gradient})'></div>"
        f"<div style='display:flex;justify-content:space-between'>{labels}</div>"
        "<span style='color:#888'>grey: not measured</span></div>"
    )
