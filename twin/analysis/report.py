"""A district's plan targets next to the measured values, with the worst gaps.

Every row says what its figure stands on (``basis``): ``measured`` (real data: imported
inventories, POIs), ``calibrated`` (a generated layer that restates the plan), ``estimated``
(most residents' values are straight-line estimates) or ``not measured``. Its status is honest:

* ``met`` / ``not met`` only for a figure measured on real data against a number;
* ``calibrated, not measured`` for figures on generated layers;
* ``estimated`` where more than half of the residents' values are straight-line estimates;
* ``no number`` where the plan's target is qualitative (the measured value is still shown);
* ``not measured`` for targets twin cannot measure, with the reason (IoT nodes, fast chargers
  per parking space: twin knows no parking spaces);
* ``no target`` where the plan sets none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

import geopandas as gpd
import numpy as np

from twin.analysis.engine import DISTANCE_COLUMNS, Coverage, covered_share
from twin.analysis.places import PlaceNamer
from twin.analysis.report_text import (  # noqa: F401  (the report's words, re-exported)
    format_report,
    percent,
    percent_text,
    plan_text,
    range_text,
    row_for,
    row_of,
    share_text,
    standing_text,
    status_text,
    value_text,
)
from twin.analysis.served import QUESTIONS
from twin.categories import CATEGORIES
from twin.districts import TARGET_KEYS, fiveg_measure
from twin.i18n import N_
from twin.model import District

GAP_METRIC = {  # question key: (the metric a gap states, unit); its flag is QUESTIONS[key].flag
    "base_stations": ("rsrp_dbm", "dBm"),
    "base_stations_deep": ("rsrp_dbm", "dBm"),
    "charging": ("charging_m", "m"),
    "lockers": ("locker_m", "m"),
    "life_circle": ("lc_mean_min", "min"),
}


ESTIMATED_MAJORITY = 0.5  # above this share of residents on straight-line estimates: "estimated"
# checked in this order, the weakest basis first: a verdict only for a figure measured on real data
STATUSES = (N_("not measured"), N_("estimated"), N_("calibrated, not measured"),
            N_("no target"), N_("baseline"), N_("no number"), N_("met"), N_("not met"))  # fmt: skip
BASES = (N_("measured"), N_("calibrated"), N_("estimated"), N_("not measured"),
         N_("not measurable"))  # the basis of a figure, weakest last  # fmt: skip
LAYER_SOURCES = (N_("missing"), N_("generated"), N_("generated + what-if"), N_("imported"))


@dataclass(frozen=True)
class Measure:
    """One figure twin can set against a target, and how much it can be trusted."""

    value: float | None
    unit: str
    layer_source: str
    detail: str
    basis: str  # measured | calibrated | estimated | not measurable
    estimated_share: float = 0.0  # residents whose value is a straight-line estimate
    reason: str = ""
    range: tuple[float, float] | None = None  # [low, high] of a calibrated or estimated figure
    settle: str = ""  # the data or command that would make it a measured verdict
    question: str = ""  # the service question (map metric) whose served share this is
    spread: str = ""  # its key in the generator's re-seed spread (default: ``question``)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    measured: float | None
    unit: str
    target: float | None
    target_text: str
    status: str
    layer_source: str
    basis: str
    estimated_share: float
    detail: str
    plan_kind: str = ""  # target | baseline | norm ("" where the plan sets nothing)
    range: list[float] | None = None
    settle: str = ""
    question: str = ""  # the map metric whose headline is this figure (twin.analysis.served)
    scope: str = ""  # where the plan's scope differs from what twin measures, how

    def as_dict(self) -> dict[str, Any]:
        out = {k: _plain(v) for k, v in self.__dict__.items()}
        out["range"] = None if self.range is None else [_plain(v) for v in self.range]
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else round(float(value), 4)
    return value


def status_of(
    measure: Measure | None, target: float | None, has_target: bool, plan_kind: str = "target"
) -> str:
    """The honest status, the weakest basis first (:data:`STATUSES`): met / not met only for a
    figure measured on real data against a number the plan sets as a target."""
    if measure is None or measure.value is None or measure.basis == "not measurable":
        return "not measured"
    if measure.basis == "estimated":
        return "estimated"
    if measure.basis == "calibrated":
        return "calibrated, not measured"
    if not has_target:
        return "no target"
    if plan_kind == "baseline":
        return "baseline"
    if target is None:
        return "no number"
    return "met" if measure.value >= target - 1e-9 else "not met"


def layer_source(frame: gpd.GeoDataFrame | None) -> str:
    if frame is None or not len(frame):
        return "missing"
    sources = sorted(set(frame["source"].astype(str)))
    if set(sources) <= {"generated", "what-if"}:  # sites a scenario added are not measured
        return "generated" if sources == ["generated"] else "generated + what-if"
    return "imported: " + ", ".join(sources)


def _basis(source: str, estimated_share: float = 0.0) -> str:
    """The weakest basis of a figure: straight-line estimates for most residents, then a
    generated layer (calibrated to the plan), else measured."""
    if estimated_share > ESTIMATED_MAJORITY:
        return "estimated"
    return "calibrated" if source.startswith("generated") else "measured"


def estimated_share(cells: gpd.GeoDataFrame, flag: str) -> float:
    """Share of residents whose value of ``flag`` is a straight-line estimate."""
    if flag not in cells:
        return 0.0
    return covered_share(cells, flag)


def fiveg_figures(coverage: Coverage) -> dict[str, float]:
    """District 5G figures: covered shares (area, residents; outdoor and deep indoor), medians."""
    cells = coverage.cells
    area = cells["area_km2"].to_numpy(dtype=float)
    people = cells["residents"].to_numpy(dtype=float)

    def mean(column: str, weights: np.ndarray) -> float:
        total = weights.sum()
        return (
            float((cells[column].to_numpy(dtype=float) * weights).sum() / total) if total else 0.0
        )

    return {
        "covered_share_area": mean("p_covered_5g", area),
        "covered_share_residents": mean("p_covered_5g", people),
        "deep_share_area": mean("p_covered_5g_indoor", area),
        "deep_share_residents": mean("p_covered_5g_indoor", people),
        "median_rsrp_dbm": float(np.nanmedian(cells["rsrp_dbm"])) if len(cells) else float("nan"),
        "median_sinr_db": float(np.nanmedian(cells["sinr_db"])) if len(cells) else float("nan"),
        "cells_below_reliability": int((~cells["covered_5g"].astype(bool)).sum()),
        "cells": len(cells),
    }


def detour_range(coverage: Coverage, key: str) -> tuple[float, float] | None:
    """The served share of ``key`` with every straight-line estimate's detour factor at the
    ends of the norms' ``detour_factor_range`` (walks along the streets stay as measured);
    None when no resident's figure is estimated."""
    cells, params = coverage.cells, coverage.params
    rule = params.reach.detour_factor
    low, high = params.norms.reach.detour_factor_range
    weights = cells["residents"].to_numpy(dtype=float)
    total = weights.sum()
    if total <= 0:
        return None
    if key in ("charging", "lockers"):
        ratio_column, flag = DISTANCE_RATIO[key]
        ratio = cells[ratio_column].to_numpy(dtype=float)
        estimated = cells[flag].to_numpy(dtype=bool)

        def share(factor: float) -> float:
            scaled = np.where(estimated, ratio * factor / rule, ratio)
            return float(weights[scaled <= 1.0].sum() / total)

    elif key == "life_circle" and coverage.measured_categories:
        times = cells[[f"t_{c}" for c in coverage.measured_categories]].to_numpy(dtype=float)
        estimated = cells["lc_estimated"].to_numpy(dtype=bool)
        limit = params.life_circle_min

        def share(factor: float) -> float:  # all of a cell's times scaled: the widest range
            scaled = np.where(estimated[:, None], times * factor / rule, times)
            return float(weights[(scaled <= limit).all(axis=1)].sum() / total)

    else:
        return None
    if not (estimated & (weights > 0)).any():
        return None
    return share(high), share(low)


DISTANCE_RATIO = {  # walking layer: (reach-ratio column, straight-line flag)
    "charging": ("charging_reach_ratio", "charging_estimated"),
    "lockers": ("locker_reach_ratio", "lockers_estimated"),
}


def scope_text(scope: str) -> str:
    """How a plan's scope differs from the district twin measures ("" when it does not).

    >>> scope_text("central urban area")
    'the plan asks this of the central urban area; twin measures the whole district (the district data has no central urban area polygon)'
    """
    if not scope:
        return ""
    return N_("the plan asks this of the {scope}; twin measures the whole district (the district "
              "data has no {scope} polygon)").format(scope=scope)  # fmt: skip


SETTLE_LAYER = {  # a whole sentence per layer: its noun never read as a unit ("个快递柜组")
    "base_stations": N_("a real inventory of the 5G base stations (twin import {slug} --layer "
                        "base_stations FILE) would make it a measured verdict"),
    "charging": N_("a real inventory of the charging stations (twin import {slug} --layer "
                   "charging FILE) would make it a measured verdict"),
    "lockers": N_("a real inventory of the locker groups (twin import {slug} --layer lockers "
                  "FILE) would make it a measured verdict"),
}  # fmt: skip


def _settle_layer(layer: str, slug: str) -> str:
    """What would make a generated layer's figure a measured verdict: its real inventory (a
    sentence for every layer of the registry; a test says so)."""
    return SETTLE_LAYER[layer].format(slug=slug)


def _settle_streets(slug: str) -> str:
    return N_("the district's streets (twin fetch {slug} online, or --osm-file EXTRACT) would "
              "measure the walks along them").format(slug=slug)  # fmt: skip


def capacity_measure(
    coverage: Coverage,
    district: District,
    layer: str,
    sites: gpd.GeoDataFrame,
    reach: Measure,
) -> Measure:
    """The share of residents' demand a walking layer serves within reach *and* capacity
    (:mod:`twin.capacity`), on the basis of its reach figure; says how many residents within
    reach capacity leaves unserved; ranged over the detour factors where walks are estimated."""
    from twin.capacity import UNITS, capacity_view

    params = coverage.params
    network = district.streets.network if district.has_streets and district.streets else None
    cells = coverage.cells

    def view(factor: float | None = None):
        rule = params.reach if factor is None else replace(params.reach, detour_factor=factor)
        return capacity_view(district, layer, cells, sites, params.norms, rule, network)

    now = view()
    short = now.capacity_bound(cells["residents"].to_numpy(dtype=float))
    spread = None
    if reach.estimated_share > 0:
        low, high = params.norms.reach.detour_factor_range
        spread = (view(high).share, view(low).share)
    return Measure(
        now.share, "share of demand", reach.layer_source,
        N_("{demand} {units} asked by residents, the sites hold {capacity}; capacity, not "
           "distance, leaves {short} residents within reach unserved").format(
            demand=f"{now.demand.sum():,.0f}", units=UNITS[layer],
            capacity=f"{now.capacity.sum():,.0f}", short=f"{short:,.0f}"),
        reach.basis, reach.estimated_share, range=spread, settle=reach.settle,
        spread=f"{layer}_capacity",
    )  # fmt: skip


def _walking_measure(
    coverage: Coverage, district: District, key: str, layer: str, src: str, what: str
) -> Measure:
    """A walking layer's share of residents served, its basis, range and what would settle it."""
    cells = coverage.cells
    _, flag = DISTANCE_RATIO[key]
    est = estimated_share(cells, flag)
    slug = district.preset.slug
    reach = (N_("{what} along the streets").format(what=what) if district.has_streets else
             N_("{what} by straight line × {factor} (no street data)").format(
                 what=what, factor=f"{coverage.params.reach.detour_factor:g}"))  # fmt: skip
    basis = _basis(src, est)
    needs = []
    if est > 0:  # the streets would measure the estimated walks (and narrow the range)
        needs.append(_settle_streets(slug))
    if src.startswith("generated"):
        needs.append(_settle_layer(layer, slug))
    settle = "; ".join(needs)
    spread = detour_range(coverage, key)  # whenever some residents' walks are estimated
    return Measure(
        coverage.served_share(key), "share of residents", src,
        N_("{area} of area within {reach}; {estimated} of residents on straight-line "
           "estimates").format(area=f"{coverage.share(QUESTIONS[key].flag, 'area_km2'):.1%}",
                               reach=reach, estimated=f"{est:.0%}"),
        basis, est, range=spread, settle=settle, question=key,
    )  # fmt: skip


def measured_values(
    coverage: Coverage, layers: dict[str, gpd.GeoDataFrame], district: District
) -> dict[str, Measure]:
    """Key → :class:`Measure` for every target twin can set a figure against."""
    values: dict[str, Measure] = {}
    cells = coverage.cells
    radio_params = coverage.params.radio
    slug = district.preset.slug
    sites = layers.get("base_stations")
    if sites is not None and "p_covered_5g" in cells:
        src = layer_source(sites)
        settle = _settle_layer("base_stations", slug) if src.startswith("generated") else ""
        values["base_stations_5g"] = Measure(float(len(sites)), "sites", src, "", _basis(src),
                                             settle=settle)  # fmt: skip
        f = fiveg_figures(coverage)
        physics = N_("median RSRP {rsrp} dBm, SINR {sinr} dB ({model}, shadowing included; "
                     "covered at ≥ {threshold} dBm)").format(
            rsrp=f"{f['median_rsrp_dbm']:.0f}", sinr=f"{f['median_sinr_db']:.1f}",
            model=radio_params.los_model.upper(), threshold=f"{radio_params.covered_rsrp_dbm:.0f}",
        )  # fmt: skip
        values["coverage_5g_outdoor"] = Measure(
            coverage.served_share("base_stations"), "share of area", src,
            N_("outdoors; {outdoors} of residents outdoors, {indoors} indoors; {physics}; "
               "{below} of {cells} hexagons below {reliability} of their area covered").format(
                outdoors=f"{f['covered_share_residents']:.1%}",
                indoors=f"{f['deep_share_residents']:.1%}", physics=physics,
                below=f["cells_below_reliability"], cells=f["cells"],
                reliability=f"{radio_params.cell_reliability:.0%}"),
            _basis(src), settle=settle, question="base_stations",
        )  # fmt: skip
        values["coverage_5g_deep"] = Measure(
            coverage.served_share("base_stations_deep"), "share of residents indoors", src,
            N_("deep coverage: residents covered inside buildings (TR 38.901 low-loss O2I, "
               "{depth} m in); outdoors {area} of area; {physics}").format(
                depth=f"{radio_params.indoor_distance_m:g}", area=f"{f['covered_share_area']:.1%}",
                physics=physics),
            _basis(src), settle=settle, question="base_stations_deep",
        )  # fmt: skip
        measure = fiveg_measure(district.preset.target("coverage_5g"))
        values["coverage_5g"] = values[f"coverage_5g_{measure}"]
    charging = layers.get("charging")
    if charging is not None and "covered_charging" in cells:
        src = layer_source(charging)
        values["charging_coverage"] = _walking_measure(
            coverage, district, "charging", "charging", src, N_("a station's service radius")
        )
        values["charging_capacity"] = capacity_measure(
            coverage, district, "charging", charging, values["charging_coverage"]
        )
        values["fast_charging_share"] = Measure(
            None, "share of parking spaces", src, "", "not measurable",
            reason=N_("the plan counts fast chargers per parking space; twin knows no parking "
                      "spaces"),
            settle=N_("a parking-space inventory, which twin does not read yet"),
        )  # fmt: skip
    lockers = layers.get("lockers")
    if lockers is not None and "covered_lockers" in cells:
        src = layer_source(lockers)
        filled = set(lockers.attrs.get("filled_defaults", ()))
        target = district.preset.target("lockers_new")
        has_number = target is not None and target.value is not None
        if src == "generated" and target is not None and not has_number:  # the generator adds none
            values["lockers_new"] = Measure(
                None, "locker groups", src, "", "not measurable",
                reason=N_("the plan gives no number, so the generated layer adds no new groups"),
                settle=_settle_layer("lockers", slug),
            )  # fmt: skip
        elif "status" not in lockers or "status" in filled:
            values["lockers_new"] = Measure(
                None, "locker groups", src, "", "not measurable",
                reason=N_("the inventory does not say which groups are new (no status column)"),
                settle=N_("a locker file with a status column (existing / new) would count them"),
            )  # fmt: skip
        elif has_number or src != "generated":  # never a pure generator's artefact
            new = float((lockers["status"].astype(str) == "new").sum())
            settle = _settle_layer("lockers", slug) if src.startswith("generated") else ""
            values["lockers_new"] = Measure(new, "locker groups", src,
                                            N_("locker groups with status 'new'"), _basis(src),
                                            settle=settle)  # fmt: skip
        values["lockers_coverage"] = _walking_measure(
            coverage, district, "lockers", "lockers", src, N_("a group's service radius")
        )
        values["lockers_capacity"] = capacity_measure(
            coverage, district, "lockers", lockers, values["lockers_coverage"]
        )
    figures = coverage.life_circle_figures()
    est = estimated_share(cells, "lc_estimated")
    basis = "estimated" if est > ESTIMATED_MAJORITY else "measured"
    f15 = coverage.served_share("life_circle")
    values["life_circle_f15"] = Measure(
        f15 if np.isfinite(f15) else None, "share of residents", "POIs",
        N_("mean {minutes} min, Gini {gini}; categories measured: {categories}; {estimated} of "
           "residents on straight-line estimates").format(
            minutes=f"{figures['mean_time_min']:.1f}", gini=f"{figures['gini']:.2f}",
            categories=", ".join(CATEGORIES.get(c, c) for c in coverage.measured_categories)
            or N_("none"),  # the categories' names (a catalogue's words), not their keys
            estimated=f"{est:.0%}"),
        basis, est, range=detour_range(coverage, "life_circle"),
        settle=_settle_streets(slug) if est > 0 else "", question="life_circle",
    )  # fmt: skip
    return {key: with_seed_spread(m, coverage.seed_spread) for key, m in values.items()}


def with_seed_spread(measure: Measure, spread: dict[str, tuple[float, float]]) -> Measure:
    """``measure`` with its range widened by the generator's re-seed offsets of its question
    (:mod:`twin.analysis.reseed`); a calibrated count keeps its value as its range (every draw
    places the plan's number of sites).

    >>> m = Measure(0.8, "share of residents", "generated", "", "calibrated", question="lockers")
    >>> with_seed_spread(m, {"lockers": (-0.05, 0.02)}).range
    (0.75, 0.8200000000000001)
    """
    if measure.value is None or measure.basis not in ("calibrated", "estimated"):
        return measure
    offsets = spread.get(measure.spread or measure.question)
    if offsets is None:
        if measure.range is None and measure.basis == "calibrated" and "share" not in measure.unit:
            return replace(measure, range=(measure.value, measure.value))
        return measure
    low, high = measure.range if measure.range is not None else (measure.value, measure.value)
    low, high = max(0.0, low + offsets[0]), min(1.0, high + offsets[1])
    return replace(measure, range=(low, high))


def shortfall(key: str, cell: Any, coverage: Coverage, coarse: bool = False) -> str:
    """By how much a hexagon misses its rule, in the rule's own terms (dB below the threshold,
    metres beyond the radius, the categories beyond the life circle's limit); a ``coarse``
    hexagon's walks and radii are its residents' means."""
    params = coverage.params
    residents = float(cell["residents"]) or 1.0
    unserved = float(cell[QUESTIONS[key].unserved]) / residents
    if key == "base_stations":
        threshold = params.radio.covered_rsrp_dbm
        below = 1.0 - float(cell["served_base_stations"])
        rsrp = float(cell["rsrp_dbm"])
        words = (N_("{below} of its area below {threshold} dBm (median RSRP {rsrp} dBm, {by} dB "
                    "above it)") if rsrp >= threshold else
                 N_("{below} of its area below {threshold} dBm (median RSRP {rsrp} dBm, {by} dB "
                    "below it)"))  # fmt: skip
        return words.format(below=f"{below:.0%}", threshold=f"{threshold:.0f}", rsrp=f"{rsrp:.0f}",
                            by=f"{abs(rsrp - threshold):.0f}")  # fmt: skip
    if key == "base_stations_deep":
        threshold = params.radio.covered_rsrp_dbm
        rsrp = float(cell["rsrp_dbm"])
        return N_("{unserved} of its residents not covered indoors at {threshold} dBm (median "
                  "outdoor RSRP {rsrp} dBm)").format(unserved=f"{unserved:.0%}",
                                                     threshold=f"{threshold:.0f}", rsrp=f"{rsrp:.0f}")  # fmt: skip
    if key in ("charging", "lockers"):
        walk = float(cell[DISTANCE_COLUMNS[key][0]])
        radius = float(cell[DISTANCE_COLUMNS[key][4]])
        if walk > radius:
            # mostly straight-line estimates (no streets there): said so, never called a walk
            estimated = float(cell.get(DISTANCE_COLUMNS[key][1], 0.0) or 0.0) >= 0.5
            words = {
                (False, False): N_("{beyond} m beyond the {radius} m radius (walk {walk} m)"),
                (True, False): N_(
                    "{beyond} m beyond the {radius} m radius on average (walk {walk} m)"
                ),
                (False, True): N_(
                    "{beyond} m beyond the {radius} m radius (estimated walk {walk} "
                    "m: the straight line × {detour})"
                ),
                (True, True): N_(
                    "{beyond} m beyond the {radius} m radius on average (estimated "
                    "walk {walk} m: the straight line × {detour})"
                ),
            }[(coarse, estimated)]
            return words.format(beyond=f"{walk - radius:,.0f}", radius=f"{radius:,.0f}",
                                walk=f"{walk:,.0f}", detour=f"{params.reach.detour_factor:g}")  # fmt: skip
        words = (N_("{unserved} of its residents beyond the {radius} m radius on average") if coarse
                 else N_("{unserved} of its residents beyond the {radius} m radius"))  # fmt: skip
        return words.format(unserved=f"{unserved:.0%}", radius=f"{radius:,.0f}")
    limit = params.life_circle_min
    late = [CATEGORIES.get(c, c) for c in coverage.measured_categories
            if float(cell.get(f"t_{c}", np.nan)) > limit]  # fmt: skip
    if late:
        return N_("beyond {limit} min: {categories}").format(limit=f"{limit:g}",
                                                             categories=", ".join(late))  # fmt: skip
    return N_("{unserved} of its residents lack a category within {limit} min").format(
        unserved=f"{unserved:.0%}", limit=f"{limit:g}"
    )


def worst_gaps(
    coverage: Coverage,
    top: int = 10,
    namer: PlaceNamer | None = None,
    resolution: int | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Per question, the hexagons at ``resolution`` (None: the base) with the most residents
    not served, named by the nearest street or POI. ``unserved`` counts the residents not served
    (a coarse hexagon sums its children's); ``value`` is the residents' mean of the metric."""
    cells = coverage.at(resolution)
    coarse = resolution is not None and resolution < coverage.base_resolution
    gaps: dict[str, list[dict[str, Any]]] = {}
    for key, (metric, unit) in GAP_METRIC.items():
        q = QUESTIONS[key]
        column = q.unserved
        if column not in cells:
            continue
        breaks_rule = ~cells[q.flag].to_numpy(dtype=bool)  # as the map's "unserved only"
        counts = cells[column].to_numpy(dtype=float)
        rows = np.flatnonzero(breaks_rule & (counts >= 0.5))
        # the most unserved first, ties by hexagon id; only the rows listed are copied
        order = np.lexsort((cells["h3"].to_numpy()[rows].astype(str), -counts[rows]))[:top]
        worst = cells.iloc[rows[order]]
        gaps[key] = [
            {"h3": h, "residents": int(r), "unserved": round(float(u)), "value": _plain(float(v)),
             "unit": unit, "lon": round(float(x), 6), "lat": round(float(y), 6),
             "shortfall": shortfall(key, row, coverage, coarse)}
            for h, r, u, v, x, y, (_, row) in zip(
                worst["h3"], worst["residents"], worst[column], worst[metric], worst["lon"],
                worst["lat"], worst.iterrows(), strict=True)
        ]  # fmt: skip
        if namer is not None and gaps[key]:
            lon, lat = worst["lon"].to_numpy(), worst["lat"].to_numpy()
            for gap, name, town in zip(gaps[key], namer.near(lon, lat), namer.township(lon, lat),
                                       strict=True):  # fmt: skip
                gap["near"], gap["township"] = name, town
    return gaps


def plan_report(
    district: District,
    coverage: Coverage,
    layers: dict[str, gpd.GeoDataFrame],
    gap_resolution: int | None = None,
) -> dict[str, Any]:
    """The report as a JSON-ready dict: every figure from the base hexagons (the same at every
    resolution); the gaps listed as hexagons of ``gap_resolution`` (None: the base)."""
    measured = measured_values(coverage, layers, district)
    rows: list[Row] = []
    seen: set[str] = set()

    def row(key: str, label: str, m: Measure | None, unit: str, target: float | None,
            text: str, has_target: bool, plan_kind: str = "", scope: str = "") -> Row:  # fmt: skip
        detail = "" if m is None else "; ".join(x for x in (m.detail, m.reason) if x)
        if m is None and has_target:
            detail = N_("twin does not model this target")
        status = status_of(m, target, has_target, plan_kind)
        shown = None if m is None or status == "not measured" else m.value  # no figure unmeasured
        spread = None if m is None or m.range is None else [m.range[0], m.range[1]]
        settle = m.settle if m is not None else ""
        return Row(key, label, shown, unit if m is None else m.unit, target, text, status,
                   "" if m is None else m.layer_source, "not measured" if m is None else m.basis,
                   0.0 if m is None else m.estimated_share, detail, plan_kind, spread,
                   settle if status not in ("met", "not met") else "",
                   "" if m is None else m.question, scope_text(scope))  # fmt: skip

    for target in district.preset.targets:
        seen.add(target.key)
        rows.append(row(target.key, target.label, measured.get(target.key), target.unit,
                        target.value, target.text, True, target.kind, target.scope))  # fmt: skip
    answered = {r.question for r in rows if r.question}
    for key, m in measured.items():
        if key not in seen and not (m.question and m.question in answered):
            rows.append(row(key, TARGET_KEYS.get(key, key), m, m.unit, None, "", False))
            seen.add(key)
            answered.add(m.question)
    cells = coverage.cells
    figures = coverage.life_circle_figures()
    return {
        "district": district.preset.slug,
        "name": district.name,
        "plan": district.preset.plan or N_("no plan targets"),
        "plan_zh": district.preset.plan_zh,
        "resolution": coverage.params.resolution,
        "base_resolution": coverage.base_resolution,
        "gap_resolution": gap_resolution or coverage.base_resolution,
        "cells": len(cells),
        "area_km2": round(district.area_km2, 3),
        "residents": int(cells["residents"].sum()),
        "residents_method": coverage.residents_method,
        "study_area_share": round(district.study_share, 4),
        "has_streets": district.has_streets,
        "rows": [row.as_dict() for row in rows],
        "life_circle": {k: _plain(v) for k, v in figures.items()}
        | {
            "categories_measured": coverage.measured_categories,
            "speed_kmh": coverage.params.speed_kmh,
            "limit_min": coverage.params.life_circle_min,
            "categories": [
                {k: _plain(v) for k, v in row.items()} for row in coverage.category_figures()
            ],
        },
        "standard": _jsonable_standard(coverage),
        "fiveg": {k: _plain(v) for k, v in fiveg_figures(coverage).items()}
        if "p_covered_5g" in cells
        else None,
        "gaps": worst_gaps(coverage, namer=PlaceNamer(district), resolution=gap_resolution),
        "notes": list(district.notes),
        "attribution": list(dict.fromkeys(s.attribution for s in district.sources)),  # each once
    }


def _jsonable_standard(coverage: Coverage) -> dict[str, Any]:
    figures = coverage.standard_figures()
    facilities = cast(list[dict[str, Any]], figures["facilities"])
    cells = coverage.cells
    est = estimated_share(cells, "gb_estimated") if "gb_estimated" in cells else 0.0
    return {
        "name": "GB 50180-2018 life-circle checklist",
        "facilities": [{k: _plain(v) for k, v in row.items()} for row in facilities],
        "share_all_met": _plain(figures["share_all_met"]),
        "most_often_missing": figures["most_often_missing"],
        "unmeasured": figures["unmeasured"],
        "estimated_share": _plain(est),
        "basis": "estimated" if est > ESTIMATED_MAJORITY else "measured",
    }
