"""Where to add the next sites: maximal covering (MCLP) by lazy greedy, and its inverse.

The demand is the district's hexagons weighted by what is not yet served by the current layer;
the coverage rule is the engine's own: the reach rule of :mod:`twin.network` within the service
radius a new site would have where the candidate stands (the layer's ``service_radius`` rule:
charging 0.9 km inside the Outer Ring, 1.5 km outside; lockers 300 m), so the share promised here
is the share ``twin build`` measures once the sites are added. The candidate × cell coverage
matrix is sparse (:func:`twin.network.within_radius`). 5G is sited on the engine's radio model
(:mod:`twin.siting_fiveg`): a candidate lifts each hexagon to the coverage probability it would
give, and the promise of every rank is then measured by the engine itself. The question is the
plan's: outdoor coverage of area, or deep (indoor) coverage of residents.

Lazy greedy (Minoux 1978): candidates sit in a max-heap keyed by their last known gain; the top is
re-evaluated and taken when it still beats the next key. Gains only shrink as cells get covered
(submodularity), so this equals plain greedy, which guarantees at least 1 − 1/e ≈ 63 % of the
optimum; :func:`exact_mclp` (PuLP/CBC) checks it on small instances, where greedy is typically
within a few percent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from twin import layers as layer_registry
from twin import siting_fiveg
from twin._errors import EmptyAreaError, InvalidInputError
from twin.analysis.engine import DISTANCE_COLUMNS, CoverageParams
from twin.analysis.served import QUESTIONS, district_share
from twin.context import LayerContext
from twin.location import Problem, lazy_greedy
from twin.network import StreetNetwork, within_radius

SITING_LAYERS = layer_registry.LAYER_NAMES
MAX_CANDIDATES = 6000


@dataclass(frozen=True)
class ExactSolution:
    """The MILP's choice, the new residents it covers, and whether CBC proved it optimal (False:
    the best found when the time limit stopped it)."""

    chosen: NDArray[np.int64]
    covered: float
    proven: bool


def exact_mclp(problem: Problem, k: int, time_limit_s: int = 60) -> ExactSolution:
    """The ``k`` candidates by MILP (PuLP/CBC), optimal when ``proven``."""
    import pulp

    a = problem.coverage.tocsr()
    open_cells = np.flatnonzero(~problem.served & (problem.weights > 0))
    model = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(a.shape[1])]
    y = {i: pulp.LpVariable(f"y{i}", lowBound=0, upBound=1) for i in open_cells}
    model += pulp.lpSum(float(problem.weights[i]) * y[i] for i in open_cells)
    for i in open_cells:
        cols = a.indices[a.indptr[i] : a.indptr[i + 1]]
        model += y[i] <= pulp.lpSum(x[j] for j in cols)
    model += pulp.lpSum(x) == min(k, a.shape[1])
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s))
    chosen = np.array([j for j, v in enumerate(x) if (v.value() or 0) > 0.5], dtype=np.int64)
    proven = model.sol_status == pulp.LpSolutionOptimal
    return ExactSolution(chosen, float(pulp.value(model.objective) or 0.0), proven)


def build_problem(
    layer: str,
    cells: gpd.GeoDataFrame,
    cells_xy: NDArray,
    cand_xy: NDArray,
    cand_radius: NDArray,
    network: StreetNetwork | None,
    params: CoverageParams,
) -> Problem:
    """The covering instance of a walking layer from the engine's hexagon metrics:
    ``cand_radius`` is each candidate's service radius (5G: :mod:`twin.siting_fiveg`)."""
    if layer not in layer_registry.WALKING_LAYERS:
        msg = f"walking-distance siting works for {', '.join(layer_registry.WALKING_LAYERS)}, not {layer!r}."
        raise InvalidInputError(msg)
    weights = cells["residents"].to_numpy(dtype=float)
    a = within_radius(network, cand_xy, cells_xy, np.asarray(cand_radius), params.reach)
    served = cells[DISTANCE_COLUMNS[layer][2]].to_numpy(dtype=bool)
    return Problem(a.T.tocsc().astype(bool), weights, served)


def walking_radius(layer: str, ctx: LayerContext, xy: NDArray) -> NDArray[np.float64]:
    """The service radius a new site of walking ``layer`` would have at each of ``xy``."""
    rule = layer_registry.spec(layer).service_radius
    if rule is None:
        msg = f"{layer} is served by signal, not by a walk: it has no service radius."
        raise InvalidInputError(msg)
    return np.asarray(rule(ctx, *ctx.lonlat(xy)), dtype=float) if len(xy) else np.empty(0)


def thin(xy: NDArray, kind: NDArray, max_count: int = MAX_CANDIDATES) -> tuple[NDArray, NDArray]:
    """At most ``max_count`` candidates, evenly strided (deterministic), duplicates removed."""
    _, unique = np.unique(np.round(xy, 0), axis=0, return_index=True)
    unique.sort()
    xy, kind = xy[unique], kind[unique]
    if len(xy) > max_count:
        pick = np.linspace(0, len(xy) - 1, max_count).astype(int)
        xy, kind = xy[pick], kind[pick]
    return xy, kind


def recommend(
    district,
    layer: str,
    cells: gpd.GeoDataFrame,
    add: int | None = None,
    target_share: float | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    params: CoverageParams | None = None,
    progress: Callable[[str], None] = lambda _: None,
    network: StreetNetwork | None = None,
    sites: gpd.GeoDataFrame | None = None,
    measure_ranks: bool = True,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Ranked new sites for ``layer`` and a summary (see the module docstring).

    ``cells`` are the build's base hexagons. Each site carries the ``service_radius_m`` it was
    chosen with (walking layers), so adding it to the layer reproduces the promised share; a 5G
    site is a whole row of the layer (:mod:`twin.siting_fiveg`), scored and then measured with
    the engine's radio model against the current ``sites`` (required for 5G); with
    ``measure_ranks`` False a 5G rank's share is the scoring model's, for a caller that measures
    the whole choice itself. ``network`` reuses a built CSR street network.
    """
    if layer not in SITING_LAYERS:
        msg = f"siting works for {', '.join(SITING_LAYERS)}, not {layer!r}."
        raise InvalidInputError(msg)
    if (add is None) == (target_share is None):
        msg = "give either a number of sites to add or a target share, not both."
        raise InvalidInputError(msg)
    if add is not None and add < 1:
        msg = f"--add must be at least 1, not {add}."
        raise InvalidInputError(msg)
    if target_share is not None and not 0 < target_share <= 1:
        msg = f"the target share must be in (0, 1], not {target_share}."
        raise InvalidInputError(msg)
    params = params or CoverageParams()
    ctx = LayerContext(district, params.norms)
    if candidates is not None:
        cand_xy = ctx.xy(candidates)
        cand_kind = np.full(len(cand_xy), "user file", dtype=object)
    else:
        cand_xy, cand_kind = layer_registry.spec(layer).candidates(ctx)
    inside = np.asarray(
        gpd.GeoSeries(gpd.points_from_xy(*ctx.lonlat(cand_xy)), crs=4326).within(district.boundary)
    ) if len(cand_xy) else np.zeros(0, dtype=bool)  # fmt: skip
    cand_xy, cand_kind = thin(cand_xy[inside], cand_kind[inside])
    if not len(cand_xy):
        msg = f"no candidate locations for {layer} inside {district.name}."
        raise EmptyAreaError(msg)
    progress(f"coverage matrix: {len(cand_xy):,} candidates × {len(cells):,} cells")
    cells_xy = ctx.xy_of(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    question = layer
    template = None
    if layer == "base_stations":
        if sites is None:
            msg = "5G siting needs the current 5G layer (sites=...) to add to."
            raise InvalidInputError(msg)
        question = siting_fiveg.fiveg_question(district)
        levels, weights, today, template = siting_fiveg.scoring_problem(
            district, cells, cand_xy, sites, params, question
        )
        problem = Problem(levels, weights, today)
        cand_radius = None
    else:
        if network is None and district.has_streets:
            network = district.streets.network
        cand_radius = walking_radius(layer, ctx, cand_xy)
        problem = build_problem(layer, cells, cells_xy, cand_xy, cand_radius, network, params)
    progress("lazy greedy")
    q = QUESTIONS[question]
    modelled = float((problem.weights * problem.served).sum() / (problem.weights.sum() or 1.0))
    before = district_share(cells, question) if q.served in cells else modelled
    goal = None if target_share is None else target_share - (before - modelled)  # same footing
    choice = lazy_greedy(problem, add, goal)
    lon, lat = (
        ctx.lonlat(cand_xy[choice.order]) if len(choice.order) else (np.empty(0), np.empty(0))
    )
    if template is not None and sites is not None:  # 5G: measured by the engine, rank by rank
        added = siting_fiveg.new_sites(template, lon, lat)
        if measure_ranks:
            cumulative = siting_fiveg.measured_shares(district, cells, sites, added, params,
                                                      question, progress)  # fmt: skip
        else:  # the caller measures the whole choice itself (What-if's incremental update)
            cumulative = before + np.cumsum(choice.gains) / (float(problem.weights.sum()) or 1.0)
        gained = np.diff(np.concatenate([[before], cumulative])) * float(
            cells[q.by].to_numpy(dtype=float).sum())  # fmt: skip
    else:
        total = float(problem.weights.sum()) or 1.0
        cumulative = before + np.cumsum(choice.gains) / total
        gained = choice.gains
        added = None
    columns = {
        "rank": np.arange(1, len(choice.order) + 1),
        "candidate_kind": cand_kind[choice.order].astype(str),
        ("new_km2" if q.by == "area_km2" else "new_residents"): np.round(
            gained, 3 if q.by == "area_km2" else 1
        ),
        "covered_share": np.round(cumulative, 4),
    }
    if cand_radius is not None:
        columns["service_radius_m"] = np.asarray(cand_radius)[choice.order]
    ranked = gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    if added is not None:  # the whole row a 5G site takes, so it can be added as it is
        extra = added.drop(columns="geometry").reset_index(drop=True)
        ranked = gpd.GeoDataFrame(pd.concat([ranked.reset_index(drop=True), extra], axis=1),
                                  geometry="geometry", crs=4326)  # fmt: skip
    sites_out = ranked
    reached = cumulative[-1] if len(cumulative) else before
    summary = {
        "layer": layer, "question": question, "denominator": q.by.removesuffix("_km2"),
        "candidates": len(cand_xy), "cells": len(cells),
        "covered_share_before": round(before, 4), "covered_share_after": round(float(reached), 4),
        "sites": len(choice.order), "target_share": target_share,
        "target_reached": None if target_share is None else bool(reached >= target_share - 1e-9),
    }  # fmt: skip
    if add is not None and len(choice.order) < add:
        summary["note"] = (f"only {len(choice.order)} of {add} sites add residents: every resident "
                           "the candidates can reach is covered")  # fmt: skip
    elif target_share is not None and not summary["target_reached"]:
        summary["note"] = (f"{target_share:.0%} is out of reach with these candidates; all of them "
                           f"together cover {reached:.1%}")  # fmt: skip
    return sites_out, summary
