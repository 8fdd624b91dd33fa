"""How much the walking layers' sites can serve, and how much the residents within reach ask.

A locker group serves parcels, a charging station EVs; a site within reach of a resident is not
enough when the residents around it ask for more than it holds. From the norms ([capacity]):

* **lockers**: demand ``parcels_per_resident_per_day × locker_share_of_parcels`` parcels a day per
  resident; a group holds ``compartments × compartment_turns_per_day`` parcels a day;
* **charging**: demand ``evs_per_resident × public_charging_share`` EVs per resident (those
  without a home pile); a station serves ``piles × evs_per_public_pile`` EVs.

:func:`capacity_view` allocates the demand of each hexagon to the sites within its reach (the
engine's reach rule, :func:`twin.network.within_radius`) up to their capacities, by maximum flow
(:func:`twin.location.capacity_served`): the most demand any assignment could serve. A hexagon
within reach but not fully served is one where *capacity*, not distance, is the gap.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csc_array

from twin import layers as layer_registry
from twin._errors import InvalidInputError
from twin.context import LayerContext
from twin.i18n import N_
from twin.location import capacity_served
from twin.model import District
from twin.network import ReachRule, StreetNetwork, within_radius
from twin.norms import Norms
from twin.store.digest import frame_digest

UNITS = {"lockers": N_("parcels a day"), "charging": N_("EVs")}
CAPACITY_LAYERS = tuple(UNITS)


def demand_per_resident(layer: str, norms: Norms) -> float:
    """What one resident asks of ``layer`` a day (lockers: parcels; charging: EVs)."""
    c = norms.capacity
    if layer == "lockers":
        return c.parcels_per_resident_per_day * c.locker_share_of_parcels
    if layer == "charging":
        return c.evs_per_resident * c.public_charging_share
    msg = f"capacity is modelled for {', '.join(CAPACITY_LAYERS)}, not {layer!r}."
    raise InvalidInputError(msg)


def site_capacity(layer: str, sites: gpd.GeoDataFrame, norms: Norms) -> NDArray[np.float64]:
    """What each site of ``layer`` can serve, in the layer's units."""
    c = norms.capacity
    if layer == "lockers":
        return sites["compartments"].to_numpy(dtype=float) * c.compartment_turns_per_day
    if layer == "charging":
        return sites["piles"].to_numpy(dtype=float) * c.evs_per_public_pile
    msg = f"capacity is modelled for {', '.join(CAPACITY_LAYERS)}, not {layer!r}."
    raise InvalidInputError(msg)


def reach_matrix(
    cells_xy: NDArray[np.float64],
    sites_xy: NDArray[np.float64],
    radii: NDArray[np.float64],
    network: StreetNetwork | None,
    rule: ReachRule,
) -> csc_array:
    """Cells × sites, True where the site lies within its own radius of the cell (the engine's
    reach rule: the same pairs the engine counts as served)."""
    pairs = within_radius(network, sites_xy, cells_xy, radii, rule)
    return csc_array(pairs.T.tocsc().astype(bool))


@dataclass(frozen=True)
class CapacityView:
    """Each hexagon's demand and what is served of it within reach and capacity."""

    layer: str
    demand: NDArray[np.float64]  # per cell, in the layer's units
    served: NDArray[np.float64]  # per cell, within reach and capacity
    reached: NDArray[np.bool_]  # per cell: some site within reach
    capacity: NDArray[np.float64]  # per site

    @property
    def share(self) -> float:
        """The district's demand served within reach and capacity."""
        total = self.demand.sum()
        return float(self.served.sum() / total) if total > 0 else float("nan")

    def cell_share(self) -> NDArray[np.float64]:
        """Each hexagon's served share of its demand (1 where it asks nothing)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(
                self.demand > 0, self.served / np.where(self.demand > 0, self.demand, 1), 1.0
            )

    def capacity_bound(self, residents: NDArray) -> float:
        """Residents within reach whose demand capacity leaves unserved (expected)."""
        short = np.where(self.reached, 1.0 - self.cell_share(), 0.0)
        return float((np.asarray(residents, dtype=float) * short).sum())


VIEWS_KEPT = 8  # capacity views remembered per process: a district's layers, both profiles


class _Remembered:
    """The last :data:`VIEWS_KEPT` capacity views by the digest of their inputs, each with the
    street network it was measured on (compared by identity); safe across a server's threads."""

    def __init__(self) -> None:
        self._views: OrderedDict[bytes, tuple[StreetNetwork | None, CapacityView]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes, network: StreetNetwork | None) -> CapacityView | None:
        with self._lock:
            kept = self._views.get(key)
            if kept is None or kept[0] is not network:
                return None
            self._views.move_to_end(key)
            return kept[1]

    def put(self, key: bytes, network: StreetNetwork | None, view: CapacityView) -> None:
        with self._lock:
            self._views[key] = (network, view)
            self._views.move_to_end(key)
            while len(self._views) > VIEWS_KEPT:
                self._views.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._views.clear()


REMEMBERED = _Remembered()


def _view_key(ctx: LayerContext, layer: str, cells: gpd.GeoDataFrame, sites: gpd.GeoDataFrame,
              radii: NDArray[np.float64], rule: ReachRule) -> bytes:  # fmt: skip
    """A digest of everything a capacity view depends on but the street network: the
    district's metric CRS (the hexagons' metres), the layer, the hexagons' places and
    residents, the sites by content and the radius each is given, every norm and the rule."""
    crs = ctx.district.metric_crs
    digest = hashlib.sha256(f"{layer}|{crs}|{rule!r}|{ctx.norms!r}".encode())
    for values in (cells["lon"], cells["lat"], cells["residents"], radii):
        digest.update(np.ascontiguousarray(np.asarray(values, dtype=float)).tobytes())
    digest.update(frame_digest(sites))
    return digest.digest()


def capacity_view(
    district: District,
    layer: str,
    cells: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    norms: Norms,
    rule: ReachRule,
    network: StreetNetwork | None = None,
    *,
    remember: bool = True,
) -> CapacityView:
    """Demand of ``cells`` (base hexagons) allocated to ``sites`` within reach, up to capacity.

    The same inputs give the same view, so the last :data:`VIEWS_KEPT` are remembered: a
    build's seed spread and report ask for the layer as built, and both walking profiles ask
    the same questions (reach is in metres, never minutes). ``remember``: False for a view
    nobody will ask for again (a seed's draw). Its arrays are read-only."""
    ctx = LayerContext(district, norms)
    radii = layer_registry.site_radii(layer, ctx, sites)
    key = _view_key(ctx, layer, cells, sites, radii, rule)
    kept = REMEMBERED.get(key, network)
    if kept is not None:
        return kept
    view = _measure_view(ctx, layer, cells, sites, radii, rule, network)
    for values in (view.demand, view.served, view.reached, view.capacity):
        values.flags.writeable = False
    if remember:
        REMEMBERED.put(key, network, view)
    return view


def _measure_view(
    ctx: LayerContext,
    layer: str,
    cells: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    radii: NDArray[np.float64],
    rule: ReachRule,
    network: StreetNetwork | None,
) -> CapacityView:
    """The view itself (:func:`capacity_view`): demand, capacities, the pairs within reach and
    the maximum flow between them."""
    norms = ctx.norms
    residents = cells["residents"].to_numpy(dtype=float)
    demand = residents * demand_per_resident(layer, norms)
    capacity = site_capacity(layer, sites, norms)
    if not len(sites):
        return CapacityView(
            layer, demand, np.zeros(len(cells)), np.zeros(len(cells), bool), capacity
        )
    cells_xy = ctx.xy_of(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    a = reach_matrix(cells_xy, ctx.xy(sites), radii, network, rule)
    served = capacity_served(a, demand, capacity, np.ones(len(sites), dtype=bool))
    reached = np.asarray(a.sum(axis=1)).ravel() > 0
    return CapacityView(layer, demand, served, reached, capacity)
