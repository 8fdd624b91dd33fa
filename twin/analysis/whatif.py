"""What-if: add, move or remove sites and update only the hexagons the change can touch.

For walking-distance layers (charging, lockers) the update is exact: a street walk is never
shorter than the straight line, so an added site can only improve cells whose straight-line
distance to it is below their current distance, and a removed site can only have served cells
whose straight-line distance to it is at most their current distance. Only those cells get a new
multi-source Dijkstra (on the whole network, origins restricted to them).

For 5G, cells within ``reach`` of a changed site (default: 3 × the 95th percentile of serving
distances, at least 500 m) and cells served by a removed site get a new best server; beyond that
a site's signal is far below the best server's in any realistic layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from twin.analysis import radio
from twin.analysis.engine import (
    DISTANCE_COLUMNS,
    CoverageParams,
    service_index,
    write_distance,
    write_fiveg,
)
from twin.network import StreetNetwork, nearest_facility, straight_line


@dataclass(frozen=True)
class Change:
    """Sites that appeared (added or moved to) and disappeared (removed or moved from), metres."""

    added_xy: NDArray[np.float64]
    removed_xy: NDArray[np.float64]
    removed_ids: tuple[str, ...]


def diff_layers(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, to_xy) -> Change:  # type: ignore[no-untyped-def]
    """What changed between two versions of a layer, matched by ``feature_id``."""
    b = before.set_index("feature_id").geometry
    a = after.set_index("feature_id").geometry
    common = b.index.intersection(a.index)
    moved = common[~b.loc[common].geom_equals_exact(a.loc[common], tolerance=1e-9).to_numpy()]
    gone = b.index.difference(a.index).union(moved)
    new = a.index.difference(b.index).union(moved)
    return Change(
        to_xy(gpd.GeoDataFrame(geometry=a.loc[new].to_numpy(), crs=4326)),
        to_xy(gpd.GeoDataFrame(geometry=b.loc[gone].to_numpy(), crs=4326)),
        tuple(str(i) for i in gone),
    )


def affected_by_distance(
    cells_xy: NDArray, current_m: NDArray, change: Change
) -> NDArray[np.bool_]:
    """Cells a change of a walking-distance layer can alter (exact, see the module docstring)."""
    hit = np.zeros(len(cells_xy), dtype=bool)
    if len(change.added_xy):
        hit |= straight_line(cells_xy, change.added_xy) < current_m
    if len(change.removed_xy):
        hit |= straight_line(cells_xy, change.removed_xy) <= current_m + 1e-6
    return hit


def update(
    cells: gpd.GeoDataFrame,
    cells_xy: NDArray[np.float64],
    layer: str,
    after: gpd.GeoDataFrame,
    after_xy: NDArray[np.float64],
    change: Change,
    network: StreetNetwork | None,
    params: CoverageParams,
) -> tuple[gpd.GeoDataFrame, int]:
    """A copy of ``cells`` with ``layer``'s metrics updated for the change; cells recomputed."""
    out = cells.copy()
    if layer == "base_stations":
        served = out["serving_site"].isin(change.removed_ids).to_numpy()
        finite = out["serving_site"].ne("").to_numpy()
        serving_d = (
            straight_line(cells_xy, after_xy) if len(after_xy) else np.full(len(out), np.inf)
        )
        reach = (
            max(500.0, 3.0 * float(np.nanpercentile(serving_d[finite], 95)))
            if finite.any()
            else 5000.0
        )
        moved = np.vstack([change.added_xy, change.removed_xy])
        near = np.zeros(len(out), dtype=bool)
        if len(moved):
            near = np.asarray(
                cKDTree(moved).query(cells_xy, distance_upper_bound=reach)[0] < np.inf
            )
        hit = np.flatnonzero(near | served)
        best = radio.best_server(cells_xy[hit], after_xy, after, params.radio)
        write_fiveg(out, hit, best, after["feature_id"].astype(str).to_numpy(), params)
        service_index(out, params.weights)
        return out, len(hit)
    column = DISTANCE_COLUMNS[layer][0]
    hit = np.flatnonzero(affected_by_distance(cells_xy, out[column].to_numpy(dtype=float), change))
    if len(hit):
        found = nearest_facility(network, cells_xy[hit], after_xy, params.search_limit_m,
                                 params.max_snap_m, params.detour_factor)  # fmt: skip
        write_distance(out, layer, hit, found.metres, found.estimated, params)
        if layer == "charging":
            out.loc[out.index[hit], "charging_line_m"] = np.round(
                straight_line(cells_xy[hit], after_xy), 1
            )
    service_index(out, params.weights)
    return out, len(hit)
