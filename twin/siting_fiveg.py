"""5G siting on the engine's own radio model: what ``twin site`` promises, the build measures.

A new site is a full row of the layer (:func:`template_site`): a macro of the *lead* network (the
operator with the most subscribers among those present, so the subscriber weights of
:func:`twin.analysis.radio.subscriber_view` do not move), with that network's band, height,
power, gain, three sectors at 0°/120°/240° and the norms' default downtilt.

**Scoring** (the greedy's gains). At each hexagon centre the lead network's coverage probability
today is ``p_i`` (best server, shadowing, indoors for the deep question); candidate ``j`` would
give ``p_ij`` (the same link budget, antenna pattern and σ as the engine, for the template's row).
The lead network's probability after adding a set S is ``max(p_i, max_{j∈S} p_ij)`` (a better
server only raises it); the other networks' part ``o_i`` does not move, so a hexagon's level is
``o_i + w · max(p_i, p_ij)`` (``w`` the lead network's subscriber weight) and the gain of ``j`` is
``Σ_i a_i · max(0, level_ij − level_i)`` with ``a_i`` the question's denominator (area outdoors,
residents for deep coverage): a weighted maximum-coverage objective, submodular, so lazy greedy
holds.

**The promise** is not the score: after the choice, every rank's share is *measured* with the
engine (:func:`twin.analysis.engine.write_fiveg` on the hexagons whose sixteen nearest lead sites
the new site enters, seven points each), so ``covered_share`` of rank ``m`` is the figure a build
with the first ``m`` sites reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.sparse import csc_matrix
from scipy.spatial import cKDTree

from twin._errors import InvalidInputError
from twin.analysis import radio
from twin.analysis.engine import CoverageParams, write_fiveg
from twin.analysis.served import QUESTIONS
from twin.context import LayerContext
from twin.districts import fiveg_measure
from twin.model import District

SECTORS = (0.0, 120.0, 240.0)


def fiveg_question(district: District) -> str:
    """The question the plan words its 5G target in: deep coverage or outdoor coverage."""
    deep = fiveg_measure(district.preset.target("coverage_5g")) == "deep"
    return "base_stations_deep" if deep else "base_stations"


def lead_operator(sites: gpd.GeoDataFrame, params: radio.RadioParams) -> str:
    """The network with the largest subscriber weight among the layer's operators."""
    weights = radio.network_weights(sites["operator"].to_numpy(), dict(params.subscriber_share))
    return max(sorted(weights), key=weights.__getitem__)


def template_site(sites: gpd.GeoDataFrame, params: radio.RadioParams) -> pd.Series:
    """The row a new 5G site takes: a macro of the lead network (its first one), three sectors
    at 0°/120°/240°, the default macro downtilt."""
    if not len(sites):
        msg = "the 5G layer is empty: there is no network to add sites to; import or generate one."
        raise InvalidInputError(msg)
    lead = sites[sites["operator"].astype(str) == lead_operator(sites, params)]
    macros = lead[lead["cell_type"].astype(str) == "UMa"]
    row = (macros if len(macros) else lead).iloc[0].copy()
    row["azimuth_1"], row["azimuth_2"], row["azimuth_3"] = SECTORS
    row["downtilt_deg"] = (
        params.default_downtilt_macro_deg
        if str(row["cell_type"]) == "UMa"
        else params.default_downtilt_micro_deg
    )
    return row


def new_sites(
    template: pd.Series, lon: NDArray, lat: NDArray, source: str = "recommended", start: int = 1
) -> gpd.GeoDataFrame:
    """Copies of ``template`` at (lon, lat), with fresh ids."""
    frame = pd.DataFrame([template] * len(lon)).reset_index(drop=True)
    ids = [f"NEW-{start + i:04d}" for i in range(len(lon))]
    frame["feature_id"] = ids
    if "site_id" in frame:
        frame["site_id"] = ids
    frame["source"] = source
    frame = frame.drop(columns=["geometry"], errors="ignore")
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def _pair_probability(
    cells_xy: NDArray, cand_xy: NDArray, template: pd.Series, params: radio.RadioParams,
    deep: bool, reach_m: float,
) -> csc_matrix:  # fmt: skip
    """Sparse cells × candidates matrix of the coverage probability each candidate alone would
    give each hexagon centre within ``reach_m`` (the engine's link budget for ``template``)."""
    pairs = cKDTree(cand_xy).query_ball_point(cells_xy, reach_m)
    counts = np.fromiter((len(p) for p in pairs), dtype=np.int64, count=len(pairs))
    rows = np.repeat(np.arange(len(cells_xy)), counts)
    cols = np.concatenate([np.asarray(p, dtype=np.int64) for p in pairs]) if counts.sum() else (
        np.empty(0, dtype=np.int64))  # fmt: skip
    delta = cells_xy[rows] - cand_xy[cols]
    d2d = np.maximum(np.hypot(delta[:, 0], delta[:, 1]), 1.0)
    height = float(template["height_m"])
    bearing = np.degrees(np.arctan2(delta[:, 0], delta[:, 1])) % 360.0
    depression = np.degrees(np.arctan2(height - params.ue_height_m, d2d))
    azimuths = np.broadcast_to(np.asarray(SECTORS), (len(rows), 3))
    tilt = np.full(len(rows), float(template["downtilt_deg"]))
    pattern = radio.antenna_gain_db(bearing, depression, azimuths, tilt, params)
    fc = float(template["frequency_ghz"])
    rsrp = radio.link_rsrp_dbm(
        d2d, height, fc, float(template["tx_power_dbm"]), float(template["bandwidth_mhz"]),
        float(template["antenna_gain_dbi"]), str(template["cell_type"]) == "UMi", params,
        np.asarray(pattern).reshape(-1),
    )  # fmt: skip
    p = _probability(rsrp, fc, params, deep)
    return csc_matrix((p, (rows, cols)), shape=(len(cells_xy), len(cand_xy)))


def _probability(
    rsrp: NDArray, fc: NDArray | float, params: radio.RadioParams, deep: bool
) -> NDArray:
    """Coverage probability of a best-server RSRP as the engine computes it (outdoors or deep)."""
    if not deep:
        return radio.coverage_probability(
            rsrp, params.covered_rsrp_dbm, params.shadow_sigma_db(False)
        )
    indoor = replace(params, penetration="indoor_low")
    shifted = rsrp + radio.penetration_loss_db(np.broadcast_to(fc, np.shape(rsrp)), params)
    shifted = shifted - radio.penetration_loss_db(np.broadcast_to(fc, np.shape(rsrp)), indoor)
    return radio.coverage_probability(
        shifted, params.covered_rsrp_dbm, indoor.shadow_sigma_db(False)
    )


def reach_m(template: pd.Series, params: radio.RadioParams) -> float:
    """How far the template's boresight can still lift a point's probability by 0.1 %."""
    d = np.geomspace(10, params.max_distance_m, 2000)
    rsrp = radio.link_rsrp_dbm(
        d, float(template["height_m"]), float(template["frequency_ghz"]),
        float(template["tx_power_dbm"]), float(template["bandwidth_mhz"]),
        float(template["antenna_gain_dbi"]), str(template["cell_type"]) == "UMi", params,
    )  # fmt: skip
    useful = _probability(rsrp, float(template["frequency_ghz"]), params, False) > 1e-3
    return float(d[useful].max()) if useful.any() else float(d[0])


def scoring_problem(
    district: District,
    cells: gpd.GeoDataFrame,
    cand_xy: NDArray,
    sites: gpd.GeoDataFrame,
    params: CoverageParams,
    question: str,
) -> tuple[csc_matrix, NDArray, NDArray, pd.Series]:
    """The greedy's instance at the hexagon centres: each candidate's level (the subscribers'
    coverage probability with it: the other networks' part plus the lead network's weight times
    ``max(p_i, p_ij)``, see the module docstring), the question's denominator per hexagon,
    today's level, and the template site."""
    ctx = LayerContext(district, params.norms)
    rp = params.radio
    template = template_site(sites, rp)
    lead = lead_operator(sites, rp)
    lead_sites = sites[sites["operator"].astype(str) == lead]
    cells_xy = ctx.xy_of(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    deep = question == "base_stations_deep"
    view = radio.best_server(cells_xy, ctx.xy(lead_sites), lead_sites, rp)
    lead_today = view.p_covered_deep if deep else view.p_covered
    everyone = radio.subscriber_view(cells_xy, ctx.xy(sites), sites, rp)
    today = everyone.p_covered_deep if deep else everyone.p_covered
    weight = radio.network_weights(sites["operator"].to_numpy(), dict(rp.subscriber_share))[lead]
    other = np.clip(today - weight * lead_today, 0.0, 1.0)  # the other networks' part
    weights = cells[QUESTIONS[question].by].to_numpy(dtype=float)
    alone = _pair_probability(cells_xy, cand_xy, template, rp, deep, reach_m(template, rp))
    levels = alone.tocoo()
    levels.data = other[levels.row] + weight * levels.data  # the level with the candidate
    levels = levels.tocsc()
    return levels, weights, today, template


def measured_shares(
    district: District,
    cells: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    added: gpd.GeoDataFrame,
    params: CoverageParams,
    question: str,
    progress: Callable[[str], None] = lambda _: None,
) -> NDArray[np.float64]:
    """The question's district share after each of ``added``'s sites in turn, measured by the
    engine on the hexagons each new site can change (its lead network's sixteen nearest)."""

    ctx = LayerContext(district, params.norms)
    q = QUESTIONS[question]
    work = cells[["cell", "lon", "lat", "residents", "area_km2"]].copy()
    values = cells[q.fraction].to_numpy(dtype=float).copy()
    weights = work[q.by].to_numpy(dtype=float)
    total = weights.sum() or 1.0
    cells_xy = ctx.xy_of(work["lon"].to_numpy(), work["lat"].to_numpy())
    lead = str(added["operator"].iloc[0]) if len(added) else ""
    margin = 2 * h3.average_hexagon_edge_length(params.resolution, unit="m")
    shares = np.empty(len(added))
    layer = sites
    for m in range(len(added)):
        layer = pd.concat([layer, added.iloc[[m]]], ignore_index=True)
        lead_xy = ctx.xy(layer[layer["operator"].astype(str) == lead])
        hit = radio.within_kth_neighbour(cells_xy, lead_xy, ctx.xy(added.iloc[[m]]),
                                   params.radio.neighbours, margin)  # fmt: skip
        rows = np.flatnonzero(hit)
        progress(f"measuring site {m + 1} of {len(added)} ({len(rows):,} hexagons)")
        if len(rows):
            part = work.iloc[rows][["cell", "residents", "area_km2"]].copy()
            write_fiveg(part, None, ctx, layer, params)
            values[rows] = part[q.fraction].to_numpy(dtype=float)
        shares[m] = float((weights * np.clip(values, 0.0, 1.0)).sum() / total)
    return shares
