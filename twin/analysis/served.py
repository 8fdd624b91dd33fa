"""The service questions twin answers per hexagon, and how a coarser hexagon aggregates them.

**Measure once, aggregate up.** A district is measured at one *base* resolution (res 10 by
default, ≈ 0.015 km², 66 m edges: fine enough that a hexagon's centre speaks for where its
residents walk from). For each question a base hexagon has a *served fraction* ``s`` in [0, 1]:

=============== ===================== ============== ========================================
question        base column (``s``)   denominator    served hexagon
=============== ===================== ============== ========================================
base_stations   ``p_covered_5g``      area           ``s`` ≥ the norms' cell reliability
 …_deep         ``p_covered_5g_indoor`` residents    the same, indoors ("deep" coverage)
charging        ``covered_charging``  residents      every resident within a station's radius
lockers         ``covered_lockers``   residents      every resident within a group's radius
life_circle     ``lc_served``         residents      every resident with all categories ≤ 15 min
standard        ``gb_all_met``        residents      every resident with all GB 50180 types met
=============== ===================== ============== ========================================

Outdoor 5G is asked of area because the plans word it so ("full coverage of the district");
where a plan asks for "deep" or "high-quality" coverage its row is the residents covered indoors
(``base_stations_deep``), and the outdoor share stays as a second figure.
Every hexagon, at any resolution, carries ``served_<question>`` (the served share of its
denominator) and ``unserved_<question>`` (its residents not served). A coarser hexagon *sums* its
children's served and total amounts; the rule is never re-applied to a coarse hexagon, so the
district's figures are the same at every resolution and zoom (:func:`district_share`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from twin._errors import InvalidInputError
from twin.grid import (
    cell_centres,
    cell_parents,
    cell_polygons,
    cells_to_strings,
    check_resolution,
)

AREA, RESIDENTS = "area_km2", "residents"


@dataclass(frozen=True)
class Question:
    """One service question: its base column, its denominator and its report row."""

    key: str  # map metric, gap list and what-if key
    report_key: str  # the report's figure of this question (a plan row may state it instead)
    fraction: str  # base-hexagon column holding the served fraction (bool or 0–1)
    by: str  # AREA or RESIDENTS
    flag: str  # boolean column: the whole hexagon is served

    @property
    def served(self) -> str:
        return f"served_{self.key}"

    @property
    def unserved(self) -> str:
        return f"unserved_{self.key}"


QUESTIONS: dict[str, Question] = {
    q.key: q
    for q in (
        Question("base_stations", "coverage_5g_outdoor", "p_covered_5g", AREA, "covered_5g"),
        Question(
            "base_stations_deep",
            "coverage_5g_deep",
            "p_covered_5g_indoor",
            RESIDENTS,
            "covered_5g_deep",
        ),
        Question(
            "charging", "charging_coverage", "covered_charging", RESIDENTS, "covered_charging"
        ),
        Question("lockers", "lockers_coverage", "covered_lockers", RESIDENTS, "covered_lockers"),
        Question("life_circle", "life_circle_f15", "lc_served", RESIDENTS, "lc_served"),
        Question("standard", "standard_all_met", "gb_all_met", RESIDENTS, "gb_all_met"),
    )
}


def question(key: str) -> Question:
    """The question ``key``, or an error naming the known ones."""
    if key not in QUESTIONS:
        msg = f"unknown service question {key!r}; choose one of {', '.join(QUESTIONS)}."
        raise InvalidInputError(msg)
    return QUESTIONS[key]


def add_served(cells: pd.DataFrame) -> None:
    """Write ``served_<q>`` and ``unserved_<q>`` of every question present, at the base."""
    residents = cells[RESIDENTS].to_numpy(dtype=float)
    for q in QUESTIONS.values():
        if q.fraction not in cells:
            continue
        share = np.clip(cells[q.fraction].to_numpy(dtype=float), 0.0, 1.0)
        cells[q.served] = share
        cells[q.unserved] = residents * (1.0 - share)


def district_share(cells: pd.DataFrame, key: str) -> float:
    """The district's served share of question ``key``: the same at every resolution.

    >>> cells = pd.DataFrame({"residents": [900.0, 100.0], "area_km2": [0.01, 0.03],
    ...                       "served_lockers": [1.0, 0.0], "served_base_stations": [1.0, 0.5]})
    >>> district_share(cells, "lockers")  # residents served over residents
    0.9
    >>> district_share(cells, "base_stations")  # 5G: area covered over area
    0.625
    """
    q = question(key)
    weights = cells[q.by].to_numpy(dtype=float)
    total = weights.sum()
    served = (weights * cells[q.served].to_numpy(dtype=float)).sum()
    return float(served / total) if total > 0 else 0.0


def unserved_residents(cells: pd.DataFrame, key: str) -> float:
    """Residents not served by question ``key`` (expected, for 5G's location shares)."""
    return float(cells[question(key).unserved].to_numpy(dtype=float).sum())


def _weighted_mean(values: NDArray, weights: NDArray, group: NDArray, n: int) -> NDArray:
    finite = np.isfinite(values)
    w = np.where(finite, weights, 0.0)
    num = np.bincount(group, weights=np.where(finite, values, 0.0) * w, minlength=n)
    den = np.bincount(group, weights=w, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def aggregate(
    cells: gpd.GeoDataFrame, base: int, resolution: int, thresholds: dict[str, float]
) -> gpd.GeoDataFrame:
    """``cells`` measured at ``base`` seen at the coarser ``resolution``.

    Sums: residents, area, ``unserved_*`` and measured samples. ``served_*``: the served share of
    the question's denominator (area-weighted where a hexagon has no residents, so empty land
    still shows its coverage). A question's flag is ``served_*`` ≥ ``thresholds[key]`` (5G: the
    cell reliability; walking questions: 1, every resident). Other numbers: the mean weighted by
    residents (by area where there are none); text columns: the most populous child's value.
    """
    resolution = check_resolution(resolution)
    if resolution == base:
        return cells
    if resolution > base:
        msg = (f"H3 resolution {resolution} is finer than the base resolution {base} the district "
               f"was measured at; set TWIN_H3_RES={resolution} (or --base-res) to measure finer.")  # fmt: skip
        raise InvalidInputError(msg)
    parent = cell_parents(cells["cell"].to_numpy(dtype=np.uint64), resolution)
    ids, group = np.unique(parent, return_inverse=True)
    n = len(ids)
    residents = cells[RESIDENTS].to_numpy(dtype=float)
    area = cells[AREA].to_numpy(dtype=float)
    data: dict[str, object] = {}
    lon, lat = cell_centres(ids)
    data["h3"], data["cell"], data["lon"], data["lat"] = cells_to_strings(ids), ids, lon, lat
    people = np.bincount(group, weights=residents, minlength=n)
    land = np.bincount(group, weights=area, minlength=n)
    children = 7 ** (base - resolution)
    weights = np.where(people[group] > 0, residents, area)  # residents, else area, per parent
    order = np.lexsort((-residents, group))  # most populous child first within each parent
    first = order[np.searchsorted(group[order], np.arange(n))]
    sums = {RESIDENTS, AREA, "measured_samples"} | {q.unserved for q in QUESTIONS.values()}
    shares = {q.served: q for q in QUESTIONS.values()}
    by_area = {"p_covered_5g", "p_covered_5g_indoor", "score_base_stations"}  # shares of area
    flags = {q.flag: q for q in QUESTIONS.values()}
    skip = {"h3", "cell", "lon", "lat", "geometry"}
    for column in cells.columns:
        if column in skip:
            continue
        values = cells[column].to_numpy()
        if column in sums:
            data[column] = np.bincount(group, weights=values.astype(float), minlength=n)
        elif column in shares:
            by = area if shares[column].by == AREA else weights
            data[column] = _weighted_mean(values.astype(float), by, group, n)
        elif column in by_area:
            data[column] = _weighted_mean(values.astype(float), area, group, n)
        elif column in flags or column in {"inside_share", "study_share", "in_study"}:
            continue  # derived below
        elif values.dtype.kind in "biuf":
            mean = _weighted_mean(values.astype(float), weights, group, n)
            data[column] = mean >= 0.5 if values.dtype.kind == "b" else mean
        else:
            data[column] = values[first]
    for name in ("inside_share", "study_share"):
        if name in cells:
            total = np.bincount(group, weights=cells[name].to_numpy(dtype=float), minlength=n)
            data[name] = np.clip(total / children, 0.0, 1.0)
    if "study_share" in data:
        data["in_study"] = np.asarray(data["study_share"]) >= 0.5
    for q in QUESTIONS.values():
        if q.served in data:
            data[q.flag] = np.asarray(data[q.served]) >= thresholds.get(q.key, 1.0) - 1e-9
    data[RESIDENTS], data[AREA] = people, land
    if "residents_per_km2" in cells:
        data["residents_per_km2"] = np.round(people / np.maximum(land, 1e-9), 0)
    frame = pd.DataFrame({k: v for k, v in data.items()})
    frame = frame[[c for c in cells.columns if c in frame.columns]]
    return gpd.GeoDataFrame(frame, geometry=cell_polygons(ids), crs=cells.crs)
