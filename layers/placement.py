"""Vectorised site placement: weighted choice of cells of a hexagonal lattice.

A lattice of spacing ``d`` (metres, local UTM) is laid over the region; each lattice cell gets a
weight from demand, POIs and streets; ``n`` cells are drawn without replacement in proportion to
their weight (Gumbel top-k), and each chosen cell's site is placed at the nearest candidate point
(a street point, a POI, a residential address) within ``0.25 d`` of its centre, else at a jittered
point near the centre. Every site is therefore within ``0.25 d`` of its own cell centre, and two
sites are at least ``d - 2 · 0.25 d = 0.5 d`` apart: the minimum spacing holds by construction.

Street-bound layers (charging, lockers) pass a :class:`StreetRule`: inside the street network's
study area, only candidates within ``max_distance_m`` of a street count, and only lattice cells
with such a candidate in reach can be chosen, so every site there stands by a street. Outside
the study area (no street data) sites follow demand alone and are counted in the notes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from twin.context import LayerContext

SNAP_FRACTION = 0.25
MIN_SPACING_FRACTION = 1.0 - 2 * SNAP_FRACTION
FILL = 0.7  # at most this share of lattice cells is used, so the weights still choose


@dataclass(frozen=True)
class Placement:
    """Where ``n`` sites went: metric coordinates, the candidate kind used, the lattice spacing."""

    xy: NDArray[np.float64]
    kind: NDArray[np.object_]
    lattice_spacing_m: float

    @property
    def min_spacing_m(self) -> float:
        return MIN_SPACING_FRACTION * self.lattice_spacing_m

    @property
    def snap_distance_m(self) -> float:
        return SNAP_FRACTION * self.lattice_spacing_m

    def annotate(self, frame, notes: list[str]):  # type: ignore[no-untyped-def]
        """Attach the layer's notes and its spacing guarantees to ``frame.attrs``."""
        frame.attrs["notes"] = notes
        frame.attrs["min_spacing_m"] = self.min_spacing_m
        frame.attrs["snap_distance_m"] = self.snap_distance_m
        return frame


@dataclass(frozen=True)
class StreetRule:
    """Keep sites by the streets where the street network is known (metric coordinates)."""

    street_xy: NDArray[np.float64]
    study_area: BaseGeometry
    max_distance_m: float

    def inside(self, xy: NDArray[np.float64]) -> NDArray[np.bool_]:
        return shapely.contains_xy(self.study_area, xy[:, 0], xy[:, 1])

    def usable(self, xy: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Points outside the study area, or inside it and within reach of a street."""
        ok = ~self.inside(xy)
        if len(self.street_xy) and (~ok).any():
            d, _ = cKDTree(self.street_xy).query(xy[~ok], distance_upper_bound=self.max_distance_m)
            ok[~ok] = np.isfinite(d)
        return ok


def stack_candidates(
    groups: list[tuple[NDArray[np.float64], str]],
) -> tuple[NDArray[np.float64], NDArray[np.object_]]:
    """Candidate points of several kinds as one coordinate array and a parallel kind array."""
    xy = np.vstack([points for points, _ in groups]) if groups else np.empty((0, 2))
    kind = np.concatenate([np.full(len(points), k, dtype=object) for points, k in groups])
    return xy, kind


def hex_lattice(region: BaseGeometry, spacing: float) -> NDArray[np.float64]:
    """Centres of a hexagonal lattice with neighbour distance ``spacing`` inside ``region``."""
    west, south, east, north = region.bounds
    row_step = spacing * np.sqrt(3) / 2
    ys = np.arange(south, north + row_step, row_step)
    xs = np.arange(west, east + spacing, spacing)
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + (np.arange(len(ys))[:, None] % 2) * spacing / 2
    gx, gy = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(region, gx, gy)
    return np.column_stack([gx[inside], gy[inside]])


def spacing_for(region_area_m2: float, n: int, preferred_m: float) -> float:
    """The preferred spacing, or the largest one whose lattice holds ``n`` sites at ``FILL``."""
    fits = np.sqrt(region_area_m2 * FILL / (max(n, 1) * np.sqrt(3) / 2))
    return float(min(preferred_m, fits))


def cell_weights(
    centres: NDArray[np.float64],
    points: NDArray[np.float64],
    point_weights: NDArray[np.float64],
    floor: float,
) -> NDArray[np.float64]:
    """Sum of ``point_weights`` per lattice cell (nearest centre) plus ``floor`` everywhere."""
    weights = np.full(len(centres), floor, dtype=float)
    if len(points):
        _, nearest = cKDTree(centres).query(points)
        weights += np.bincount(nearest, weights=point_weights, minlength=len(centres))
    return weights


def weighted_top_k(
    weights: NDArray[np.float64], k: int, rng: np.random.Generator
) -> NDArray[np.int64]:
    """``k`` indices drawn without replacement with probability ∝ weight (Gumbel top-k)."""
    keys = np.log(np.maximum(weights, 1e-300)) + rng.gumbel(size=len(weights))
    chosen = np.argpartition(-keys, k - 1)[:k] if k < len(weights) else np.arange(len(weights))
    return np.sort(chosen)


def _eligible_centres(
    region: BaseGeometry,
    spacing: float,
    candidates_xy: NDArray[np.float64],
    streets: StreetRule | None,
) -> NDArray[np.float64]:
    """Lattice centres; under a street rule, study-area cells need a candidate within the snap."""
    centres = hex_lattice(region, spacing)
    if streets is None or not len(centres):
        return centres
    in_study = streets.inside(centres)
    reachable = np.zeros(len(centres), dtype=bool)
    if len(candidates_xy):
        d, _ = cKDTree(candidates_xy).query(
            centres[in_study], distance_upper_bound=SNAP_FRACTION * spacing
        )
        reachable[in_study] = np.isfinite(d)
    return centres[~in_study | reachable]


def place_sites(
    region: BaseGeometry,
    n: int,
    preferred_spacing_m: float,
    demand_xy: NDArray[np.float64],
    demand_weight: NDArray[np.float64],
    candidates_xy: NDArray[np.float64],
    candidate_kind: NDArray[np.object_],
    rng: np.random.Generator,
    floor: float = 0.0,
    streets: StreetRule | None = None,
    ranked: bool = False,
) -> Placement:
    """Place ``n`` sites in ``region`` (metric CRS); see the module docstring for the method.

    With ``ranked``, candidate kinds are preferred in the order they first appear in
    ``candidate_kind`` (a car park before a roadside point); otherwise the nearest candidate wins.
    """
    inside = shapely.contains_xy(region, candidates_xy[:, 0], candidates_xy[:, 1])
    if streets is not None:
        inside &= streets.usable(candidates_xy)
    candidates_xy, candidate_kind = candidates_xy[inside], candidate_kind[inside]
    spacing = spacing_for(float(region.area), n, preferred_spacing_m)
    centres = _eligible_centres(region, spacing, candidates_xy, streets)
    while len(centres) < n:  # irregular regions or sparse streets: tighten until the sites fit
        spacing *= 0.9
        centres = _eligible_centres(region, spacing, candidates_xy, streets)
    weights = cell_weights(centres, demand_xy, demand_weight, floor)
    chosen = centres[weighted_top_k(weights, n, rng)]
    snap = SNAP_FRACTION * spacing
    xy = chosen.copy()
    kind = np.full(n, "open", dtype=object)
    found = np.zeros(n, dtype=bool)
    groups = pd.unique(candidate_kind) if ranked else [None]
    for group in groups:  # a handful of kinds, each a vectorised query
        members = candidate_kind == group if ranked else np.ones(len(candidates_xy), dtype=bool)
        if not members.any() or found.all():
            continue
        pool_xy, pool_kind = candidates_xy[members], candidate_kind[members]
        distance, index = cKDTree(pool_xy).query(chosen[~found], distance_upper_bound=snap)
        hit = np.isfinite(distance)
        todo = np.flatnonzero(~found)[hit]
        xy[todo] = pool_xy[index[hit]]
        kind[todo] = pool_kind[index[hit]]
        found[todo] = True
    jitter_r = snap * 0.8 * np.sqrt(rng.random(n))
    jitter_a = rng.random(n) * 2 * np.pi
    jittered = chosen + np.column_stack([jitter_r * np.cos(jitter_a), jitter_r * np.sin(jitter_a)])
    keep_centre = ~shapely.contains_xy(region, jittered[:, 0], jittered[:, 1])
    jittered[keep_centre] = chosen[keep_centre]
    xy[~found] = jittered[~found]
    return Placement(xy=xy, kind=kind, lattice_spacing_m=spacing)


def street_rule(ctx: LayerContext, max_distance_m: float) -> StreetRule | None:
    """Sites by the streets where streets are known; None when there are none."""
    if ctx.study_region is None or not len(ctx.street_xy):
        return None
    return StreetRule(ctx.street_xy, ctx.study_region, max_distance_m)


def street_notes(ctx: LayerContext, xy: NDArray[np.float64], reach_m: float) -> list[str]:
    """What the street rule meant for these sites, for the layer notes."""
    if ctx.study_region is None:
        return ["no street network: sites follow demand only, not checked against streets"]
    outside = int((~shapely.contains_xy(ctx.study_region, xy[:, 0], xy[:, 1])).sum())
    notes = [f"inside the street study area every site is within {reach_m:.0f} m of a street"]
    if outside:
        notes.append(
            f"{outside} of {len(xy)} sites lie outside the street study area (no street data "
            "there) and follow demand only"
        )
    return notes
