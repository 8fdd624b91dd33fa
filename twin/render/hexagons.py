"""Hexagon maps where the rule is the colour break: classed, colour-blind-safe, with legends.

Every layer's map answers "served or not": the service rule's threshold is a class break, so a
hexagon that breaks the rule can never look served. Breaks, labels and rules come from the run's
norms (:func:`metrics_for`), and a rule map shows the share of a hexagon served: at the base
resolution and at any coarser one alike, never the rule re-applied to a large hexagon. Diverging palettes (ColorBrewer RdYlBu,
colour-blind safe) split at the rule: blues served, oranges and reds not. Residents and the
service index are sequential (YlGnBu): more people is not "better". Hexagons mostly outside the
district fade with their inside share. Pure functions (no streamlit). A hexagon travels as its
H3 id, its class colour and a one-line tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd
import pydeck as pdk
from numpy.typing import NDArray

from twin._errors import InvalidInputError
from twin.i18n import _, aside, brackets
from twin.keys import MAP_METRICS
from twin.norms import Norms, packaged_norms

# ColorBrewer RdYlBu (diverging) and YlGnBu (sequential): colour-blind safe
RED, ORANGE, PALE, LIGHT_BLUE, BLUE = (
    (215, 48, 39),
    (252, 141, 89),
    (254, 224, 144),
    (145, 191, 219),
    (69, 117, 180),
)
SEQUENTIAL = (
    (255, 255, 204),
    (199, 233, 180),
    (127, 205, 187),
    (65, 182, 196),
    (44, 127, 184),
    (37, 52, 148),
)
NOT_MEASURED = (160, 160, 160)
MAX_HEXAGONS = 100_000
# CIM view: a hexagon's height in metres per √resident (3,000 residents ≈ 80 m), low enough for
# 5G masts (drawn × MAST_EXAGGERATION) to stand above the columns
ELEVATION_PER_SQRT_RESIDENT = 1.5


@dataclass(frozen=True)
class Metric:
    """How to draw one hexagon column: classes split at the rule, labels, unit, the rule.

    ``breaks`` are ascending class edges (a value equal to a break falls in the upper class);
    ``colours`` and ``classes`` have one entry more than ``breaks``; ``unserved`` names the
    boolean column that is False where the rule is broken (None: no service rule).
    """

    key: str
    column: str
    label: str
    unit: str
    breaks: tuple[float, ...]
    colours: tuple[tuple[int, int, int], ...]
    classes: tuple[str, ...]
    rule: str = ""
    unserved_flag: str | None = None
    decimals: int = 0
    higher_is_better: bool = True
    sites_layer: str | None = None  # the layer whose sites this map is about

    def class_of(self, values: NDArray) -> NDArray[np.int64]:
        return np.digitize(np.asarray(values, dtype=float), self.breaks)

    def class_labels(self, values: NDArray) -> NDArray[np.object_]:
        labels = np.asarray(self.classes, dtype=object)[self.class_of(values)]
        return np.where(np.isfinite(np.asarray(values, dtype=float)), labels, _("not measured"))

    def colour_array(
        self, values: NDArray, inside_share: NDArray | None = None
    ) -> NDArray[np.uint8]:
        """RGBA per value; NaN (not measured) is grey; alpha fades with the inside share."""
        v = np.asarray(values, dtype=float)
        rgb = np.asarray(self.colours, dtype=float)[self.class_of(v)]
        rgb[~np.isfinite(v)] = NOT_MEASURED
        share = np.ones(len(v)) if inside_share is None else np.clip(inside_share, 0, 1)
        alpha = np.where(np.isfinite(v), 70 + 140 * share, 50)
        return np.column_stack([rgb, alpha]).astype(np.uint8)

    def legend(self) -> list[tuple[str, str]]:
        """(CSS colour, class label) from the first class to the last."""
        return [
            (f"rgb({r},{g},{b})", label)
            for (r, g, b), label in zip(self.colours, self.classes, strict=True)
        ]


DARK_BLUE, DARK_RED = (49, 54, 149), (165, 0, 38)
WORSE_TO_BETTER_4 = (RED, ORANGE, LIGHT_BLUE, BLUE)  # the rule sits between orange and blue
BETTER_TO_WORSE_4 = (BLUE, LIGHT_BLUE, ORANGE, RED)


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def metrics_for(norms: Norms) -> dict[str, Metric]:
    """Every map metric, its class breaks, labels and rule text from the run's ``norms``: a
    changed norm moves the colours with the figures. The rule maps (5G, charging, lockers, life
    circle, GB 50180) show the share of a hexagon served, the same quantity at every resolution
    (:mod:`twin.analysis.served`); blue is served, orange and red are not."""
    fiveg, walking, charging, lockers = norms.fiveg, norms.walking, norms.charging, norms.lockers
    reliability, threshold = fiveg.cell_reliability, fiveg.covered_rsrp_dbm
    edges = sorted(fiveg.classes_dbm)  # ascending: very poor | poor | fair | good | excellent
    limit = walking.life_circle_min
    distances = sorted({f.distance_m for f in walking.facilities})
    walk_breaks = (0.5, 0.9, 1.0 - 1e-9)
    streets = _("along the streets (straight line × {detour} where there are none)").format(
        detour=f"{norms.reach.detour_factor:g}")  # fmt: skip
    walk_classes = (_("< 50% served"), _("50–90% served"), _("90–99% served"), _("all served"))
    walk_colours = (RED, ORANGE, PALE, BLUE)
    dbm, rel = f"{threshold:.0f}", _pct(reliability)
    covered = ("< 50%", f"50–{rel}", _("{low}–99% (covered)").format(low=rel),
               _("≥ 99% (covered)"))  # fmt: skip
    of_residents = _("share of the hexagon's residents")
    metrics = (
        Metric(
            "base_stations", "served_base_stations",
            _("5G: share of locations covered (RSRP ≥ {dbm} dBm)").format(dbm=dbm),
            _("share of the hexagon's area"),
            (0.5, reliability, max(reliability, 0.99)), WORSE_TO_BETTER_4, covered,
            _("the figure is the share of all locations that reach {dbm} dBm (shadowing "
              "included), by area; a hexagon is marked covered when ≥ {share} of its locations "
              "do").format(share=rel, dbm=dbm),
            "covered_5g", 2, sites_layer="base_stations",
        ),
        Metric(
            "base_stations_deep", "served_base_stations_deep",
            _("5G deep: residents covered indoors (RSRP ≥ {dbm} dBm inside)").format(dbm=dbm),
            of_residents, (0.5, reliability, max(reliability, 0.99)), WORSE_TO_BETTER_4, covered,
            _("the figure is the share of residents whose indoor locations reach {dbm} dBm after "
              "the outdoor-to-indoor loss (TR 38.901 low-loss); a hexagon is marked covered "
              "when ≥ {share} of them do").format(share=rel, dbm=dbm),
            "covered_5g_deep", 2, sites_layer="base_stations",
        ),
        Metric(
            "rsrp", "rsrp_dbm", _("5G RSRP (median of the hexagon)"), "dBm", tuple(edges),
            (RED, ORANGE, LIGHT_BLUE, BLUE, DARK_BLUE),
            (_("< {a} very poor").format(a=f"{edges[0]:.0f}"),
             _("{a}…{b} poor").format(a=f"{edges[0]:.0f}", b=f"{edges[1]:.0f}"),
             _("{a}…{b} fair").format(a=f"{edges[1]:.0f}", b=f"{edges[2]:.0f}"),
             _("{a}…{b} good").format(a=f"{edges[2]:.0f}", b=f"{edges[3]:.0f}"),
             _("≥ {a} excellent").format(a=f"{edges[3]:.0f}")),
            _("China Mobile's classes; the threshold is {dbm} dBm").format(dbm=dbm), None,
            sites_layer="base_stations",
        ),
        Metric(
            "sinr", "sinr_db", _("5G SINR (median of the hexagon)"), "dB", (0, 5, 13, 20),
            (RED, ORANGE, PALE, LIGHT_BLUE, BLUE), ("< 0 dB", "0–5 dB", "5–13 dB", "13–20 dB", "≥ 20 dB"),
            _("below 0 dB the serving signal is weaker than the interference"), None, 1,
            sites_layer="base_stations",
        ),
        Metric(
            "charging", "served_charging", _("Charging: residents within a station's service radius"),
            of_residents, walk_breaks, walk_colours, walk_classes,
            _("served within the station's own radius {streets}: {inside} m inside the Outer Ring, "
              "{outside} m outside").format(streets=streets,
                                            inside=f"{charging.radius_inside_outer_ring_m:,.0f}",
                                            outside=f"{charging.radius_outside_outer_ring_m:,.0f}"),
            "covered_charging", 2, sites_layer="charging",
        ),
        Metric(
            "lockers", "served_lockers", _("Lockers: residents within a group's service radius"),
            of_residents, walk_breaks, walk_colours, walk_classes,
            _("served within a group's {radius} m walk {streets}").format(
                radius=f"{lockers.service_radius_m:,.0f}", streets=streets),
            "covered_lockers", 2, sites_layer="lockers",
        ),
        Metric(
            "residual", "residual_rsrp_db", _("5G: measured − modelled RSRP"), "dB", (-10, -3, 3, 10),
            (RED, ORANGE, PALE, LIGHT_BLUE, BLUE),
            (_("model ≥ 10 dB too optimistic"), _("3–10 dB optimistic"), _("within ±3 dB"),
             _("3–10 dB pessimistic"), _("≥ 10 dB pessimistic")),
            _("measured drive tests / MDT against the model (twin calibrate)"), None, 1,
            sites_layer="base_stations",
        ),
        Metric(
            "life_circle", "served_life_circle",
            _("{limit}-minute life circle: residents with every category").format(limit=f"{limit:g}"),
            of_residents, walk_breaks, walk_colours, walk_classes,
            _("served when every measured category is within {limit} minutes' walk ({speed} km/h)").format(
                limit=f"{limit:g}", speed=f"{walking.speed_kmh:g}"),
            "lc_served", 2,
        ),
        Metric(
            "standard", "served_standard", _("GB 50180: residents with every facility at its level"),
            of_residents, walk_breaks, walk_colours, walk_classes,
            _("each facility within its own distance ({distances} m)").format(
                distances=" / ".join(f"{d:,.0f}" for d in distances)),
            "gb_all_met", 2,
        ),
        Metric(
            "life_circle_time", "lc_mean_min", _("Mean walk to daily needs"), "min",
            (limit / 3, 2 * limit / 3, limit, 4 * limit / 3), (DARK_BLUE, BLUE, LIGHT_BLUE, ORANGE, RED),
            (f"< {limit / 3:g}", f"{limit / 3:g}–{2 * limit / 3:g}", f"{2 * limit / 3:g}–{limit:g}",
             f"{limit:g}–{4 * limit / 3:g}", f"≥ {4 * limit / 3:g}"),
            _("the {limit}-minute rule").format(limit=f"{limit:g}"), None, 1, False,
        ),
        Metric(
            "service_index", "service_index", _("Combined service index"), "0–100", (20, 40, 60, 80),
            SEQUENTIAL[1:], ("< 20", "20–40", "40–60", "60–80", "≥ 80"), "", None,
        ),
        Metric(
            "residents", "residents_per_km2", _("Residents"), _("residents per km²"),
            (5_000, 15_000, 30_000, 50_000, 70_000),
            SEQUENTIAL, ("< 5 k", "5–15 k", "15–30 k", "30–50 k", "50–70 k", "≥ 70 k"), "", None,
        ),
    )  # fmt: skip
    return {m.key: m for m in metrics}


METRICS: dict[str, Metric] = metrics_for(packaged_norms())  # the packaged norms' metrics


if tuple(METRICS) != MAP_METRICS:  # pragma: no cover - caught by the tests
    msg = f"twin.keys.MAP_METRICS disagrees with the metrics {tuple(METRICS)}"
    raise RuntimeError(msg)


CHANGE = Metric(
    "change",
    "change",
    "What the scenario changed",
    "by the layer's rule",
    (-1.5, -0.5, 0.5, 1.5),
    (RED, ORANGE, PALE, LIGHT_BLUE, BLUE),
    ("newly unserved", "worse", "unchanged", "better", "newly served"),
    "",
    None,
)


def change_classes(before: pd.DataFrame, after: pd.DataFrame, metric: Metric) -> NDArray[np.int64]:
    """Per hexagon: −2 newly unserved, −1 worse, 0 unchanged, +1 better, +2 newly served."""
    old = before[metric.column].to_numpy(dtype=float)
    new = after[metric.column].to_numpy(dtype=float)
    moved = np.nan_to_num(new - old) * (1 if metric.higher_is_better else -1)
    change = np.sign(np.round(moved, 6)).astype(np.int64)
    if metric.unserved_flag is not None and metric.unserved_flag in before:
        was = before[metric.unserved_flag].to_numpy(dtype=bool)
        now = after[metric.unserved_flag].to_numpy(dtype=bool)
        change = np.where(now & ~was, 2, np.where(was & ~now, -2, change))
    return change


def metric_for(key: str, norms: Norms | None = None) -> Metric:
    """The metric ``key`` under the run's ``norms`` (packaged when None); an error naming the
    known keys when there is none."""
    if key not in METRICS:
        msg = f"unknown map metric {key!r}; choose one of {', '.join(METRICS)}."
        raise InvalidInputError(msg)
    return metrics_for(norms or packaged_norms())[key]  # in the run's language


def unserved_mask(cells: pd.DataFrame, metric: Metric) -> NDArray[np.bool_]:
    """Populated hexagons that break the metric's rule (all populated ones without a rule)."""
    populated = cells["residents"].to_numpy(dtype=float) > 0
    if metric.unserved_flag is None or metric.unserved_flag not in cells:
        return populated
    return populated & ~cells[metric.unserved_flag].to_numpy(dtype=bool)


def hexagon_payload(
    cells: pd.DataFrame, metric: Metric, unserved_only: bool = False
) -> pd.DataFrame:
    """Only what the layer draws and the tooltip shows: id, colour, a one-line tip."""
    if unserved_only:
        cells = cells[unserved_mask(cells, metric)]
    if len(cells) > MAX_HEXAGONS:
        msg = f"{len(cells):,} hexagons exceed the viewer's {MAX_HEXAGONS:,}; choose a coarser resolution."
        raise InvalidInputError(msg)
    values = cells[metric.column].to_numpy(dtype=float)
    inside = cells["inside_share"].to_numpy(dtype=float) if "inside_share" in cells else None
    labels = metric.class_labels(values)
    shown = np.where(np.isfinite(values), np.round(values, metric.decimals).astype(str), "—")
    residents = cells["residents"].to_numpy(dtype=np.int64)
    opening, closing = brackets()  # the run's language's
    unit = escape(metric.unit)
    tips = [f"<b>{h}</b><br/>{escape(str(c))}{opening}{v} {unit}{closing}<br/>{r:,} residents"
            for h, c, v, r in zip(cells["h3"], labels, shown, residents, strict=True)]  # fmt: skip
    data = pd.DataFrame({"h3": cells["h3"].to_numpy(), "tip": tips})
    data["colour"] = metric.colour_array(values, inside).tolist()
    data["height"] = np.round(np.sqrt(np.maximum(residents, 0)) * ELEVATION_PER_SQRT_RESIDENT, 0)
    return data


def hexagon_layer(
    cells: pd.DataFrame,
    metric: Metric,
    extruded: bool = False,
    unserved_only: bool = False,
    data: pd.DataFrame | None = None,
) -> pdk.Layer:
    """An H3HexagonLayer coloured by ``metric``'s classes; in 3D raised by residents.

    ``data`` reuses a payload already built by :func:`hexagon_payload` (the viewer caches it)."""
    data = hexagon_payload(cells, metric, unserved_only) if data is None else data
    return pdk.Layer(
        "H3HexagonLayer", data, id="hexagons", get_hexagon="h3", get_fill_color="colour",
        get_line_color=[255, 255, 255, 80], line_width_min_pixels=0.5, stroked=not extruded,
        filled=True, extruded=extruded, get_elevation="height", elevation_scale=1.0,
        pickable=True, auto_highlight=True,
    )  # fmt: skip


def outline_layer(h3_id: str) -> pdk.Layer:
    """A thick outline around one hexagon (the one chosen on the Gaps page or by a click)."""
    import h3

    ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(h3_id)]
    return pdk.Layer(
        "PathLayer", [{"path": [*ring, ring[0]], "tip": f"<b>{h3_id}</b>"}], id="focus",
        get_path="path", get_color=[20, 20, 20, 255], width_min_pixels=4, get_width=4,
        pickable=False,
    )  # fmt: skip


def legend_html(metric: Metric, headline: str = "") -> str:
    """A classed legend with the unit and the rule, for ``st.markdown(..., unsafe_allow_html=True)``."""
    boxes = "".join(
        f"<span style='display:inline-flex;align-items:center;margin-right:10px'>"
        f"<span style='width:14px;height:14px;background:{colour};border:1px solid #999;"
        f"margin-right:4px;display:inline-block'></span>{escape(label)}</span>"
        for colour, label in metric.legend()
    )
    rule_text = _("Rule: {rule}").format(rule=metric.rule)
    rule = f"<br/><span style='color:#555'>{escape(rule_text)}</span>" if metric.rule else ""
    grey = _("grey: not measured · faded: mostly outside the district")
    head = f"<div style='font-weight:600'>{escape(headline)}</div>" if headline else ""
    return (
        f"<div style='font-size:0.85rem;line-height:1.6'>{head}<b>{escape(metric.label)}</b>"
        f"{escape(aside(metric.unit))}<br/>{boxes}"
        f"<span style='color:#888'>{escape(grey)}</span>"
        f"{rule}</div>"
    )
