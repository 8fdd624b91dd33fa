"""What-if: add, move or remove sites of one layer and update only the hexagons the change touches.

A :class:`Scenario` starts from a built district (its layers and hexagon metrics) and keeps the
edited layer, the updated hexagons and a log. For walking-distance layers (charging, lockers) the
update is exact: under the reach rule a walk is never shorter than the straight line, so a
changed site can only alter cells whose straight-line distance to it is below their current
nearest distance, or below their current reach ratio times the site's radius; only those cells
are recomputed, against the whole layer. For 5G, cells within ``reach`` of a changed site
(3 × the 95th percentile of serving distances, at least 500 m) and cells served by a removed site
get a new best server; beyond that a site's signal is far below the best server's.

The scenario holds no UI state; the viewer's What-if page only draws it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from twin import layers as layer_registry
from twin._errors import InvalidInputError
from twin.analysis import radio
from twin.analysis.build import Build, finish
from twin.analysis.engine import (
    DISTANCE_COLUMNS,
    Coverage,
    CoverageParams,
    service_index,
    walk_service,
    write_distance,
    write_fiveg,
)
from twin.analysis.served import add_served, district_share
from twin.context import LayerContext
from twin.i18n import N_
from twin.model import District
from twin.network import StreetNetwork, straight_line
from twin.siting_fiveg import fiveg_question, template_site

SLACK = 1e-3  # UTM vs geodesic lengths differ by < 0.1 %: keep the bound safe


@dataclass(frozen=True)
class Change:
    """Sites that appeared (added or moved to) and disappeared (removed or moved from), metres."""

    added_xy: NDArray[np.float64]
    added_radius: NDArray[np.float64]
    removed_xy: NDArray[np.float64]
    removed_radius: NDArray[np.float64]
    removed_ids: tuple[str, ...]
    added_ids: tuple[str, ...] = ()


def diff_layers(
    layer: str, ctx: LayerContext, before: gpd.GeoDataFrame, after: gpd.GeoDataFrame
) -> Change:
    """What changed between two versions of a layer, matched by ``feature_id``."""
    b = before.set_index(before["feature_id"].astype(str))
    a = after.set_index(after["feature_id"].astype(str))
    common = b.index.intersection(a.index)
    same = b.geometry.loc[common].geom_equals_exact(a.geometry.loc[common], tolerance=1e-9)
    moved = common[~same.to_numpy()]
    gone = b.index.difference(a.index).union(moved)
    new = a.index.difference(b.index).union(moved)

    def radii(frame: gpd.GeoDataFrame) -> NDArray[np.float64]:
        if layer not in layer_registry.WALKING_LAYERS or not len(frame):
            return np.zeros(len(frame))
        return layer_registry.site_radii(layer, ctx, gpd.GeoDataFrame(frame, crs=4326))

    return Change(ctx.xy(a.loc[new]), radii(a.loc[new]), ctx.xy(b.loc[gone]), radii(b.loc[gone]),
                  tuple(str(i) for i in gone), tuple(str(i) for i in new))  # fmt: skip


def fiveg_affected(
    cells_xy: NDArray[np.float64],
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame,
    change: Change,
    ctx: LayerContext,
    k: int,
    margin_m: float,
) -> NDArray[np.bool_]:
    """Cells whose 5G figures a change can alter: each operator's network weighs its own k
    nearest sites, so per operator, cells whose k nearest (before or after) the change enters or
    leaves; every cell when the set of operators changes (the subscriber weights move)."""
    n = len(cells_xy)
    if "operator" not in after.columns or "operator" not in before.columns:
        union = np.vstack([ctx.xy(before), ctx.xy(after)])
        changed = np.vstack([change.added_xy, change.removed_xy])
        return radio.within_kth_neighbour(cells_xy, union, changed, k, margin_m)
    ops_before = set(before["operator"].astype(str))
    ops_after = set(after["operator"].astype(str))
    if ops_before != ops_after:
        return np.ones(n, dtype=bool)
    hit = np.zeros(n, dtype=bool)
    removed, added = set(change.removed_ids), set(change.added_ids)
    for op in sorted(ops_after):
        b = before[before["operator"].astype(str) == op]
        a = after[after["operator"].astype(str) == op]
        changed = np.vstack([ctx.xy(b[b["feature_id"].astype(str).isin(removed)]),
                             ctx.xy(a[a["feature_id"].astype(str).isin(added)])])  # fmt: skip
        for sites in (b, a):  # the k nearest before and after the change
            hit |= radio.within_kth_neighbour(cells_xy, ctx.xy(sites), changed, k, margin_m)
    return hit


def affected_by_walk(
    cells_xy: NDArray, current_m: NDArray, current_ratio: NDArray, change: Change
) -> NDArray[np.bool_]:
    """Cells a change of a walking-distance layer can alter (exact, see the module docstring)."""
    hit = np.zeros(len(cells_xy), dtype=bool)
    for xy, radius in ((change.added_xy, change.added_radius),
                       (change.removed_xy, change.removed_radius)):  # fmt: skip
        if not len(xy):
            continue
        hit |= straight_line(cells_xy, xy) * (1 - SLACK) <= current_m
        # a site farther than the nearest may still serve better (a larger radius)
        for r in np.unique(radius):
            d_r = straight_line(cells_xy, xy[radius == r])
            hit |= d_r * (1 - SLACK) <= current_ratio * r
    return hit


def update(
    cells: gpd.GeoDataFrame,
    cells_xy: NDArray[np.float64],
    layer: str,
    after: gpd.GeoDataFrame,
    ctx: LayerContext,
    change: Change,
    network: StreetNetwork | None,
    params: CoverageParams,
    before: gpd.GeoDataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, int]:
    """A copy of ``cells`` with ``layer``'s metrics updated for the change; cells recomputed.

    ``before`` is the layer before the change (5G: to find whose k nearest sites it moves)."""
    out = cells.copy()
    after_xy = ctx.xy(after)
    if layer == "base_stations":
        served = out["serving_site"].isin(change.removed_ids).to_numpy()
        finite = out["serving_site"].ne("").to_numpy()
        serving_d = straight_line(cells_xy, after_xy)
        reach = max(500.0, 3.0 * float(np.nanpercentile(serving_d[finite], 95))) if (
            finite.any() and len(after_xy)) else 5000.0  # fmt: skip
        moved = np.vstack([change.added_xy, change.removed_xy])
        near = np.zeros(len(out), dtype=bool)
        if len(moved):
            near = np.asarray(
                cKDTree(moved).query(cells_xy, distance_upper_bound=reach)[0] < np.inf
            )
        if len(moved) and before is not None:  # a point's best server is among its k nearest
            margin = 2.0 * np.sqrt(out["area_km2"].to_numpy(dtype=float).max() * 1e6)
            near |= fiveg_affected(cells_xy, before, after, change, ctx, params.radio.neighbours,
                                   margin)  # fmt: skip
        hit = np.flatnonzero(near | served)
        write_fiveg(out, hit, ctx, after, params)
        service_index(out, params.weights)
        add_served(out)
        return out, len(hit)
    column, *_, ratio = DISTANCE_COLUMNS[layer]
    hit = np.flatnonzero(affected_by_walk(
        cells_xy, out[column].to_numpy(dtype=float), out[ratio].to_numpy(dtype=float), change))  # fmt: skip
    if len(hit):
        radii = layer_registry.site_radii(layer, ctx, after)
        write_distance(out, layer, hit, walk_service(network, cells_xy[hit], after_xy, radii,
                                                     params.reach))  # fmt: skip
        if layer == "charging":
            out.loc[out.index[hit], "charging_line_m"] = np.round(
                straight_line(cells_xy[hit], after_xy), 1
            )
    service_index(out, params.weights)
    add_served(out)
    return out, len(hit)


@dataclass
class Scenario:
    """Edits of one layer of a built district, with incrementally updated hexagon metrics.

    >>> scenario = Scenario.start(district, layers, coverage, "lockers")   # doctest: +SKIP
    >>> scenario.add(121.49, 31.26); scenario.share_after() > scenario.share_before()  # doctest: +SKIP
    """

    district: District
    layer: str
    layers: dict[str, gpd.GeoDataFrame]
    before: Coverage
    network: StreetNetwork | None
    frame: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    log: list[str] = field(default_factory=list)
    added: int = 0
    calibration: str = ""
    _rows: tuple[int, pd.DataFrame] | None = field(default=None, repr=False)
    _before: Build | None = field(default=None, repr=False)

    @classmethod
    def start(
        cls,
        district: District,
        layers: dict[str, gpd.GeoDataFrame],
        coverage: Coverage,
        layer: str,
        network: StreetNetwork | None = None,
        calibration: str = "",
    ) -> Scenario:
        """A scenario on ``layer`` starting from ``coverage`` of ``district`` with ``layers``
        (``calibration``: the build's description of its 5G calibration, kept in reports)."""
        layer_registry.spec(layer)
        if layer not in layers:
            msg = f"the build has no {layer} layer; build it with that layer first."
            raise InvalidInputError(msg)
        if network is None and district.streets is not None and district.has_streets:
            network = district.streets.network
        return cls(district, layer, dict(layers), coverage, network, layers[layer].copy(),
                   coverage.cells.copy(), calibration=calibration)  # fmt: skip

    @classmethod
    def of(cls, result: Build, layer: str, network: StreetNetwork | None = None) -> Scenario:
        """A scenario on ``layer`` of a whole build."""
        return cls.start(result.district, result.layers, result.coverage, layer, network,
                         result.report.get("calibration", ""))  # fmt: skip

    @property
    def ctx(self) -> LayerContext:
        return LayerContext(self.district, self.params.norms)

    @property
    def params(self) -> CoverageParams:
        return self.before.params

    @property
    def question(self) -> str:
        """The question the layer's figure answers (5G: in the plan's wording, as siting)."""
        return fiveg_question(self.district) if self.layer == "base_stations" else self.layer

    def apply(self, new_frame: gpd.GeoDataFrame, what: str) -> int:
        """Replace the layer by ``new_frame``, update the touched cells; returns how many."""
        start = time.perf_counter()
        ctx = self.ctx
        cells_xy = ctx.xy_of(self.cells["lon"].to_numpy(), self.cells["lat"].to_numpy())
        change = diff_layers(self.layer, ctx, self.frame, new_frame)
        self.cells, touched = update(self.cells, cells_xy, self.layer, new_frame, ctx, change,
                                     self.network, self.params, self.frame)  # fmt: skip
        self.frame = new_frame
        elapsed = (time.perf_counter() - start) * 1000
        self.log.append(
            N_("{what}: {touched} of {cells} hexagons recomputed in {ms} ms").format(
                what=what, touched=f"{touched:,}", cells=f"{len(self.cells):,}", ms=f"{elapsed:.0f}"
            )
        )
        return touched

    def new_sites(
        self, lon: NDArray, lat: NDArray, radius_m: NDArray | None = None
    ) -> gpd.GeoDataFrame:
        """New sites at (lon, lat), with the layer's attributes and their service radius there."""
        lon, lat = np.atleast_1d(lon).astype(float), np.atleast_1d(lat).astype(float)
        inside = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).within(
            self.district.boundary
        )
        if not inside.all():
            msg = N_(
                "{count} of the new sites lie outside {district}; pick points inside the boundary."
            ).format(count=int((~inside).sum()), district=self.district.name)
            raise InvalidInputError(msg)
        source = self.frame if len(self.frame) else self.layers[self.layer]
        if not len(source):
            msg = N_(
                "the {layer} layer is empty: there is no site to take attributes from."
            ).format(layer=layer_registry.spec(self.layer).label.lower())
            raise InvalidInputError(msg)
        if self.layer == "base_stations":  # the row twin site scores a new 5G site with
            row = template_site(source, self.params.radio)
            template = pd.DataFrame([row] * len(lon)).reset_index(drop=True)
            template = gpd.GeoDataFrame(template, geometry="geometry", crs=4326)
        else:
            template = source.iloc[[0] * len(lon)].copy().reset_index(drop=True)
        ids = [f"WHATIF-{self.added + i + 1:04d}" for i in range(len(lon))]
        self.added += len(lon)
        template["feature_id"] = ids
        for id_column in ("site_id", "station_id", "locker_id"):
            if id_column in template:
                template[id_column] = ids
        template["source"] = N_("what-if")  # a site the scenario added
        if "status" in template:
            template["status"] = (
                "new"  # a planned locker group counts towards the plan's new groups
            )
        rule = layer_registry.spec(self.layer).service_radius
        if rule is not None:
            template["service_radius_m"] = (
                rule(self.ctx, lon, lat) if radius_m is None else np.asarray(radius_m, dtype=float)
            )
        return template.set_geometry(gpd.points_from_xy(lon, lat), crs=4326)

    def add(self, lon: float, lat: float) -> int:
        """Add one site at (lon, lat)."""
        sites = self.new_sites(np.array([lon]), np.array([lat]))
        return self.apply(pd.concat([self.frame, sites], ignore_index=True), N_("added a site"))

    def move(self, feature_id: str, east_m: float, north_m: float) -> int:
        """Move a site by metres east and north."""
        frame = self.frame.copy()
        index = frame.index[frame["feature_id"].astype(str) == str(feature_id)]
        if not len(index):
            msg = N_("no site {site} in the {layer} scenario; pick an existing feature_id.").format(
                site=repr(feature_id), layer=layer_registry.spec(self.layer).label.lower()
            )
            raise InvalidInputError(msg)
        xy = self.ctx.xy(frame.loc[index]) + np.array([east_m, north_m])
        lon, lat = self.ctx.lonlat(xy)
        frame.loc[index, "geometry"] = gpd.points_from_xy(lon, lat)
        return self.apply(
            frame.set_crs(4326, allow_override=True), N_("moved {site}").format(site=feature_id)
        )

    def remove(self, feature_ids: list[str]) -> int:
        """Remove the sites with these ids."""
        wanted = {str(i) for i in feature_ids}
        keep = ~self.frame["feature_id"].astype(str).isin(wanted)
        return self.apply(
            self.frame[keep].copy(), N_("removed {count} sites").format(count=int((~keep).sum()))
        )

    def recommend(
        self, k: int, measure_ranks: bool = True
    ) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
        """The ``k`` best new sites for this scenario's current state (maximal covering);
        ``measure_ranks`` False: 5G ranks keep the scoring model's shares (accept measures)."""
        from twin.siting import recommend

        return recommend(self.district, self.layer, self.cells, add=k, params=self.params,
                         network=self.network, sites=self.frame,
                         measure_ranks=measure_ranks)  # fmt: skip

    def accept(self, recommended: gpd.GeoDataFrame) -> int:
        """Add recommended sites, with the radius they were chosen with."""
        radius = recommended.get("service_radius_m")
        sites = self.new_sites(recommended.geometry.x.to_numpy(), recommended.geometry.y.to_numpy(),
                               None if radius is None else radius.to_numpy())  # fmt: skip
        return self.apply(
            pd.concat([self.frame, sites], ignore_index=True),
            N_("accepted {count} recommended sites").format(count=len(sites)),
        )

    def share_before(self) -> float:
        """The layer's district figure before (the report row's value)."""
        return district_share(self.before.cells, self.question)

    def share_after(self) -> float:
        """The layer's district figure after the changes so far."""
        return district_share(self.cells, self.question)

    def coverage_after(self) -> Coverage:
        """The whole coverage after the changes (nothing of the build before is dropped)."""
        return replace(self.before, cells=self.cells)

    def build_before(self) -> Build:
        """The build the scenario started from (reported once)."""
        if self._before is None:
            self._before = finish(self.district, self.layers, self.before, self.calibration)
        return self._before

    def build_after(self) -> Build:
        """A whole build after the changes: the same report, rows and views as any build."""
        return finish(self.district, self.layers_after(), self.coverage_after(), self.calibration)

    def layers_after(self) -> dict[str, gpd.GeoDataFrame]:
        return self.layers | {self.layer: self.frame}

    def report_rows(self) -> pd.DataFrame:
        """Plan report rows before and after, side by side (computed once per change)."""
        if self._rows is not None and self._rows[0] == len(self.log):
            return self._rows[1]
        before = self.build_before().report
        after = self.build_after().report
        after_rows = {r["key"]: r for r in after["rows"]}
        rows = pd.DataFrame([
            {"target": r["label"], "before": r["measured"], "after": after_rows[k]["measured"],
             "plan": r["target"], "unit": r["unit"], "plan_kind": r.get("plan_kind", ""),
             "status before": r["status"], "status after": after_rows[k]["status"]}
            for r in before["rows"]
            if (k := r["key"]) in after_rows
            and (r["measured"] is not None or after_rows[k]["measured"] is not None)
        ])  # fmt: skip
        self._rows = (len(self.log), rows)
        return rows
