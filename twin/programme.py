"""A district's programme: which sites to add, of which layer, where and in which year, to reach
its plan by the deadline, with the sites that stand kept.

The geo adapter of :mod:`twin.location`. For each walking layer (charging, lockers) the demand
of every base hexagon (residents × :func:`twin.capacity.demand_per_resident`) is served by the
sites within reach (the engine's reach rule) up to their capacity; the candidates are the
layer's candidate places, the sites that stand are fixed (moved only with ``relocate``). Year by
year, the programme opens up to the year's budget of sites, each time the place serving the most
demand still unserved within reach and capacity (greedy; gains are recomputed, vectorised, at
every pick). A place that can host several layers (a compound's car park: a charging station
and a locker group; a hospital; a commercial street) is scored on all of them at once and opens
a site for each layer it helps: a *shared* site. Each year's figures are exact for its sites:
``covered_share`` is the share of residents within reach of a site (what ``twin build`` reports
with those sites), ``capacity_share`` the share of demand served within reach and capacity (a
maximum flow). The gap of the last year's choice to the LP relaxation's bound is reported.

5G is phased on the engine's radio model: each year the sites :mod:`twin.siting_fiveg`
recommends are added to a What-if scenario, whose incremental update measures the year's share
(the plan's question: outdoor coverage of area, or deep coverage of residents); its capacity is
not modelled (``capacity_share`` is None).

Budgets: where the plan gives a number of sites (5G sites, new locker groups), what is left of it
spread evenly over the years; elsewhere ``[programme]`` of the norms (sites per 100,000 residents
a year, a stated assumption); ``budget`` overrides both. Years run from the plan's first year to
its deadline (``start`` and ``until`` override them; without a plan period, this year and the next
two): the plan years have passed, so the programme replays them from the state twin holds (for a generated locker layer, the groups marked *new* are
the plan's and are left out of the state).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.sparse import csc_array

from twin import layers as layer_registry
from twin._errors import InvalidInputError
from twin.analysis.build import Build
from twin.capacity import CAPACITY_LAYERS, UNITS, demand_per_resident, reach_matrix, site_capacity
from twin.context import LayerContext
from twin.i18n import N_
from twin.inside import contains_xy
from twin.location import (
    capacitated_bound,
    capacity_flows,
    capacity_gains,
    capacity_served,
    give_capacity,
)
from twin.siting import thin, walking_radius

PROGRAMME_LAYERS = ("charging", "lockers", "base_stations")
DEFAULT_YEARS = 3  # where no plan period is known: this year and the next two
SHARED_ROUND_M = 1.0  # candidate places of two layers this close are one place


@dataclass
class _Track:
    """One walking layer's instance: candidates (sites that stand first), reach, demand,
    capacity, and what is open and served so far."""

    layer: str
    xy: NDArray[np.float64]
    kind: NDArray[np.object_]
    a: csc_array  # cells × candidates
    demand: NDArray[np.float64]
    capacity: NDArray[np.float64]
    fixed: NDArray[np.bool_]
    open: NDArray[np.bool_]
    residual: NDArray[np.float64] = field(init=False)
    place: NDArray[np.int64] = field(init=False)

    def __post_init__(self) -> None:
        self.residual = self.demand - capacity_served(self.a, self.demand, self.capacity, self.open)
        self.place = np.full(len(self.xy), -1, dtype=np.int64)

    def gains(self) -> NDArray[np.float64]:
        """Demand each closed candidate would serve from what is unserved within its reach."""
        return np.where(self.open, 0.0, capacity_gains(self.a, self.capacity, self.residual))

    def relocate_one(self) -> tuple[int, int] | None:
        """Move the standing site serving least (in the exact maximum flow) to the candidate
        that would serve more without it: (from, to) positions, or None when no move helps."""
        _, load = capacity_flows(self.a, self.demand, self.capacity, self.open)
        standing = np.flatnonzero(self.open & self.fixed)
        if not len(standing):
            return None
        weakest = int(standing[np.argmin(load[standing])])
        without = self.open.copy()
        without[weakest] = False
        residual = self.demand - capacity_served(self.a, self.demand, self.capacity, without)
        gains = np.where(without | self.fixed, 0.0, capacity_gains(self.a, self.capacity, residual))
        best = int(np.argmax(gains))
        if gains[best] <= load[weakest] + 1e-9:
            return None
        self.open[weakest], self.open[best] = False, True
        self.residual = residual
        give_capacity(self.a, best, self.capacity[best], self.residual)
        return weakest, best

    def served_share(self) -> float:
        """The share of demand served so far (the greedy's allocation: at most the exact)."""
        total = self.demand.sum()
        return float(1.0 - self.residual.sum() / total) if total > 0 else 1.0

    def take(self, j: int) -> None:
        """Open candidate ``j`` and give its capacity to the unserved demand within its reach."""
        self.open[j] = True
        give_capacity(self.a, j, self.capacity[j], self.residual)

    def figures(self, residents: NDArray) -> tuple[float, float]:
        """(covered share of residents, capacity share of demand), exact for what is open."""
        reached = (self.a @ self.open.astype(float)) > 0
        people = residents.sum() or 1.0
        served = capacity_served(self.a, self.demand, self.capacity, self.open)
        self.residual = self.demand - served  # the exact allocation from here on
        total = self.demand.sum() or 1.0
        return float(residents[reached].sum() / people), float(served.sum() / total)


def _track(result: Build, layer: str, max_candidates: int) -> _Track:
    district, cells = result.district, result.coverage.cells
    params = result.coverage.params
    ctx = LayerContext(district, params.norms)
    sites = result.layers[layer]
    if (
        layer == "lockers"
        and "status" in sites
        and set(sites["source"].astype(str)) == {"generated"}
    ):
        sites = sites[sites["status"].astype(str) != "new"]  # the plan's groups are the programme's
    cand_xy, cand_kind = layer_registry.spec(layer).candidates(ctx)
    inside = (
        contains_xy(district.boundary, *ctx.lonlat(cand_xy))
        if len(cand_xy)
        else np.zeros(0, dtype=bool)
    )
    cand_xy, cand_kind = thin(cand_xy[inside], cand_kind[inside], max_candidates)
    xy = np.vstack([ctx.xy(sites), cand_xy])
    kind = np.concatenate([np.full(len(sites), "standing", dtype=object), cand_kind])
    radii = np.concatenate(
        [
            layer_registry.site_radii(layer, ctx, sites),
            walking_radius(layer, ctx, cand_xy),
        ]
    )
    cells_xy = ctx.xy_of(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    network = district.streets.network if district.has_streets and district.streets else None
    a = reach_matrix(cells_xy, xy, radii, network, params.reach)
    norms = params.norms
    standing = site_capacity(layer, sites, norms)
    new_site = float(np.median(standing)) if len(standing) else _default_capacity(layer, norms)
    capacity = np.concatenate([standing, np.full(len(cand_xy), new_site)])
    demand = cells["residents"].to_numpy(dtype=float) * demand_per_resident(layer, norms)
    fixed = np.arange(len(xy)) < len(sites)
    return _Track(layer, xy, kind, a, demand, capacity, fixed, fixed.copy())


def _default_capacity(layer: str, norms) -> float:
    frame = gpd.GeoDataFrame({"compartments": [80.0], "piles": [norms.charging.mean_piles]})
    return float(site_capacity(layer, frame, norms)[0])


def _link_places(tracks: Sequence[_Track]) -> int:
    """Give candidates of several layers at one spot one place index; returns the count."""
    keys = (
        np.vstack([np.round(t.xy / SHARED_ROUND_M) for t in tracks]) if tracks else np.empty((0, 2))
    )
    _, index = np.unique(keys, axis=0, return_inverse=True)
    start = 0
    for t in tracks:
        t.place = np.asarray(index[start : start + len(t.xy)], dtype=np.int64).ravel()
        start += len(t.xy)
    return int(index.max()) + 1 if len(index) else 0


def budget_per_year(result: Build, layer: str, years: int, standing: int) -> tuple[int, str]:
    """Sites of ``layer`` a year: what is left of the plan's number spread over ``years``, else
    the norms' pace per 100,000 residents."""
    preset = result.district.preset
    key = {"base_stations": "base_stations_5g", "lockers": "lockers_new"}.get(layer)
    target = preset.target(key) if key else None
    if target is not None and target.value is not None and target.kind == "target":
        left = target.value if layer == "lockers" else max(0.0, target.value - standing)
        if left > 0:
            return math.ceil(left / max(years, 1)), N_("the plan's {value} ({target})").format(
                value=f"{target.value:,.0f}", target=target.label
            )
    pace = result.coverage.params.norms.programme[f"{layer}_per_100k_residents_per_year"]
    residents = float(result.coverage.cells["residents"].sum())
    return max(1, round(pace * residents / 100_000)), N_(
        "{pace} a year per 100,000 residents (an assumed pace from the norms, not the plan's)"
    ).format(pace=f"{pace:g}")


def plan_years(
    result: Build, layers: Sequence[str], start: int | None, until: int | None
) -> tuple[int, int]:
    """The programme's first and last year: the plan's first year and the layers' deadline; for
    layers the plan sets no target for (Minhang's lockers), the plan period's last deadline;
    without a plan period, this year and the next two."""
    preset = result.district.preset
    keys = {
        "base_stations": ("base_stations_5g", "coverage_5g"),
        "charging": ("charging_coverage",),
        "lockers": ("lockers_new", "lockers_coverage"),
    }
    due = [
        t.year
        for t in preset.targets
        if t.kind == "target" and any(t.key in keys[layer] for layer in layers)
    ]
    period = [t.year for t in preset.targets if t.kind == "target"] if preset.plan_start else []
    deadlines = due or period  # the layers' own deadlines, else the plan period's last
    first = start if start is not None else preset.plan_start
    last = until if until is not None else (max(deadlines) if deadlines else None)
    if first is None:  # no plan period: a programme from this year
        first = date.today().year if last is None else min(date.today().year, last)
    if last is None:
        last = first + DEFAULT_YEARS - 1
    if last < first:
        msg = N_(
            "the programme would end ({last}) before it starts ({first}); check its first "
            "and last year (--from/--until)."
        ).format(last=last, first=first)
        raise InvalidInputError(msg)
    return first, last


def programme(
    result: Build,
    layers: Sequence[str],
    start: int | None = None,
    until: int | None = None,
    budget: int | None = None,
    max_candidates: int = 4000,
    progress: Callable[[str], None] = lambda _: None,
    target_share: float | None = None,
    relocate: int = 0,
) -> dict[str, Any]:
    """The year-by-year programme of ``layers`` for a built district (see the module docstring).

    ``target_share``: a walking layer stops adding sites once that share of its demand is served
    within reach and capacity (otherwise every year uses its budget while a site still helps).
    ``relocate``: each year, up to that many standing sites of each walking layer may move
    (the one serving least, to the candidate that would serve more; never otherwise removed)."""
    for layer in layers:
        if layer not in PROGRAMME_LAYERS:
            msg = f"the programme plans {', '.join(PROGRAMME_LAYERS)}, not {layer!r}."
            raise InvalidInputError(msg)
        if layer not in result.layers:
            msg = f"the build has no {layer} layer; build it with that layer first."
            raise InvalidInputError(msg)
    if target_share is not None and not 0 < target_share <= 1:
        msg = f"the target share must lie in (0, 1], not {target_share}."
        raise InvalidInputError(msg)
    if relocate < 0:
        msg = f"--relocate must be a number of sites a year (0 or more), not {relocate}."
        raise InvalidInputError(msg)
    if budget is not None and budget < 0:
        msg = f"--budget must be a number of sites a year (0 or more), not {budget}."
        raise InvalidInputError(msg)
    first, last = plan_years(result, layers, start, until)
    years = list(range(first, last + 1))
    cells = result.coverage.cells
    residents = cells["residents"].to_numpy(dtype=float)
    walking = [layer for layer in layers if layer in CAPACITY_LAYERS]
    tracks = []
    for layer in walking:
        progress(f"{layer}: candidates and reach")
        tracks.append(_track(result, layer, max_candidates))
    n_places = _link_places(tracks)
    paces: dict[str, int] = {}
    why: dict[str, str] = {}
    for t in tracks:
        paces[t.layer], why[t.layer] = (
            (budget, "--budget")
            if budget is not None
            else budget_per_year(result, t.layer, len(years), int(t.fixed.sum()))
        )
    start_figures = {t.layer: t.figures(residents) for t in tracks}
    scenario = None
    if "base_stations" in layers:
        from twin.analysis.whatif import Scenario

        scenario = Scenario.of(result, "base_stations")
        standing = len(result.layers["base_stations"])
        paces["base_stations"], why["base_stations"] = (
            (budget, "--budget")
            if budget is not None
            else (budget_per_year(result, "base_stations", len(years), standing))
        )
        start_figures["base_stations"] = (scenario.share_before(), float("nan"))
    out_years: list[dict[str, Any]] = []
    ctx = LayerContext(result.district, result.coverage.params.norms)
    for year in years:
        progress(f"{year}")
        sites: list[dict[str, Any]] = []
        left = {t.layer: paces[t.layer] for t in tracks}
        while tracks and any(left[t.layer] > 0 for t in tracks):
            for t in tracks:
                if target_share is not None and t.served_share() >= target_share - 1e-12:
                    left[t.layer] = 0
            gains = [(t, t.gains() / (t.demand.sum() or 1.0)) for t in tracks if left[t.layer] > 0]
            if not gains:
                break
            score = np.zeros(n_places)
            for t, g in gains:
                np.add.at(score, t.place, g)
            best = int(np.argmax(score))
            if score[best] <= 1e-12:
                break
            hosted = []
            for t, g in gains:
                here = np.flatnonzero((t.place == best) & (g > 1e-12))
                if len(here):
                    t.take(int(here[0]))
                    left[t.layer] -= 1
                    hosted.append((t, int(here[0])))
            for t, pick in hosted:
                lon, lat = ctx.lonlat(t.xy[[pick]])
                sites.append(
                    {
                        "layer": t.layer,
                        "kind": str(t.kind[pick]),
                        "lon": round(float(lon[0]), 6),
                        "lat": round(float(lat[0]), 6),
                        "shared": len(hosted) > 1,
                    }
                )
        moves: list[dict[str, Any]] = []
        for t in tracks:
            for _ in range(relocate):
                moved = t.relocate_one()
                if moved is None:
                    break
                (flon, flat), (tlon, tlat) = (ctx.lonlat(t.xy[[k]]) for k in moved)
                moves.append({"layer": t.layer, "from": [round(float(flon[0]), 6), round(float(flat[0]), 6)],
                              "to": [round(float(tlon[0]), 6), round(float(tlat[0]), 6)],
                              "kind": str(t.kind[moved[1]])})  # fmt: skip
        by_layer: dict[str, dict[str, Any]] = {}
        for t in tracks:
            covered, cap_share = t.figures(residents)
            by_layer[t.layer] = {
                "covered_share": round(covered, 4),
                "capacity_share": round(cap_share, 4),
                "sites_added": sum(s["layer"] == t.layer for s in sites),
            }
        if scenario is not None:  # 5G: the year's sites on the radio model, measured by What-if
            added = 0
            if paces["base_stations"] > 0:
                recommended, _ = scenario.recommend(paces["base_stations"], measure_ranks=False)
                if len(recommended):
                    scenario.accept(recommended)
                added = len(recommended)
                sites += [
                    {"layer": "base_stations", "kind": str(row.candidate_kind),
                     "lon": round(float(row.geometry.x), 6), "lat": round(float(row.geometry.y), 6),
                     "shared": False}
                    for row in recommended.itertuples()
                ]  # fmt: skip
            by_layer["base_stations"] = {"covered_share": round(scenario.share_after(), 4),
                                         "capacity_share": None, "sites_added": added}  # fmt: skip
        for t in tracks:
            by_layer[t.layer]["sites_moved"] = sum(m["layer"] == t.layer for m in moves)
        entry: dict[str, Any] = {"year": year, "sites": sites, "moves": moves, "by_layer": by_layer}
        out_years.append(entry)
    _newly_served(out_years, start_figures, residents, layers)
    _targets_met(out_years, result, layers, tracks)
    if len(layers) == 1:  # one layer: its figures at the top of each year
        for entry in out_years:
            entry.update(
                {k: v for k, v in entry["by_layer"][layers[0]].items() if k != "sites_added"}
            )
    bounds = {}
    for t in tracks:
        added = int((t.open & ~t.fixed).sum())
        value = float(capacity_served(t.a, t.demand, t.capacity, t.open).sum())
        if (t.fixed & ~t.open).any():  # sites moved: any set of as many sites is the bound's
            upper, kind = capacitated_bound(t.a, t.demand, t.capacity, int(t.open.sum()))
        else:
            upper, kind = capacitated_bound(t.a, t.demand, t.capacity, added, t.fixed)
        bounds[t.layer] = {
            "served": round(value, 2),
            "upper_bound": round(upper, 2),
            "bound_kind": kind,
            "gap": round(max(0.0, upper - value) / upper, 4) if upper > 0 else 0.0,
            "units": UNITS[t.layer],
        }
    shared = sum(1 for y in out_years for s in y["sites"] if s["shared"])
    return {
        "district": result.district.preset.slug,
        "name": result.district.name,
        "layers": list(layers),
        "from": first,
        "until": last,
        "budget_per_year": paces,
        "budget_basis": why,
        "start": {
            layer: {
                "covered_share": round(c, 4),
                "capacity_share": None if not np.isfinite(s) else round(s, 4),
            }
            for layer, (c, s) in start_figures.items()
        },
        "years": out_years,
        "shared_sites": shared,
        "bound": bounds,
        "assumptions": _assumptions(result, tracks),
        "basis": _bases(result, layers),
        "attribution": result.report["attribution"],
    }


def _bases(result: Build, layers: Sequence[str]) -> list[str]:
    """Per layer, the basis of its figures: that of the report's row for its question (the
    programme's "now" row is that row's figure), with its residents on straight-line walks."""
    from twin.analysis.report_text import row_for
    from twin.siting_fiveg import fiveg_question

    notes = []
    for layer in layers:  # 5G: the question the programme scores (deep where the plan asks it)
        question = fiveg_question(result.district) if layer == "base_stations" else layer
        row = row_for(result.report, question)
        if row is None:
            continue
        label = layer_registry.spec(layer).label
        est = float(row.get("estimated_share") or 0.0)
        notes.append(
            N_("{layer}: {basis} figures; {estimated} of residents on straight-line estimates"
               ).format(layer=label, basis=row["basis"], estimated=f"{est:.0%}")
            if est > 0 else
            N_("{layer}: {basis} figures").format(layer=label, basis=row["basis"])
        )  # fmt: skip
    return notes


def _newly_served(years: list[dict[str, Any]], start: dict, residents: NDArray, layers) -> None:
    people = float(residents.sum())
    before = {layer: start[layer][0] for layer in layers}
    for entry in years:
        newly = 0.0
        for layer in layers:
            now = entry["by_layer"][layer]["covered_share"]
            gained = max(0.0, now - before[layer]) * people
            entry["by_layer"][layer]["newly_served"] = round(gained)
            newly += gained
            before[layer] = now
        entry["newly_served"] = round(newly)


SHARE_TARGETS = {
    "charging": "charging_coverage",
    "lockers": "lockers_coverage",
    "base_stations": "coverage_5g",
}
COUNT_TARGETS = {"lockers": "lockers_new", "base_stations": "base_stations_5g"}


def _targets_met(years, result: Build, layers, tracks) -> None:
    """The plan targets each year meets first: a share by the year's figure, a count of new
    locker groups by the groups added, a count of 5G sites by all that stand."""
    preset = result.district.preset
    standing = {t.layer: int(t.fixed.sum()) for t in tracks}
    if "base_stations" in layers:
        standing["base_stations"] = len(result.layers["base_stations"])
    met_before: set[str] = set()
    added = dict.fromkeys(layers, 0)
    for entry in years:
        met = []
        for layer in layers:
            added[layer] += entry["by_layer"][layer]["sites_added"]
            figures = {SHARE_TARGETS[layer]: entry["by_layer"][layer]["covered_share"]}
            if layer in COUNT_TARGETS:
                figures[COUNT_TARGETS[layer]] = (
                    added[layer] if layer == "lockers" else standing[layer] + added[layer]
                )
            for key, value in figures.items():
                target = preset.target(key)
                if (
                    target is None
                    or target.kind != "target"
                    or target.value is None
                    or key in met_before
                    or value is None
                ):
                    continue
                if value >= target.value - 1e-9:
                    met.append(key)
                    met_before.add(key)
        entry["targets_met"] = met


def _assumptions(result: Build, tracks) -> list[str]:
    c = result.coverage.params.norms.capacity
    notes = []
    for t in tracks:
        label = layer_registry.spec(t.layer).label
        if t.layer == "lockers":
            notes.append(N_(
                "{layer}: {parcels} parcels per resident a day, {share} to lockers; a compartment "
                "turns over {turns}× a day"
            ).format(layer=label, parcels=f"{c.parcels_per_resident_per_day:g}",
                     share=f"{c.locker_share_of_parcels:.0%}",
                     turns=f"{c.compartment_turns_per_day:g}"))  # fmt: skip
        if t.layer == "charging":
            notes.append(N_(
                "{layer}: {evs} EVs per resident, {share} without a home pile; a public pile "
                "serves {per_pile} EVs"
            ).format(layer=label, evs=f"{c.evs_per_resident:g}",
                     share=f"{c.public_charging_share:.0%}",
                     per_pile=f"{c.evs_per_public_pile:g}"))  # fmt: skip
        median = np.median(t.capacity[t.fixed]) if t.fixed.any() else t.capacity[0]
        notes.append(N_(
            "{layer}: a new site holds the median capacity of those that stand ({capacity} {units})"
        ).format(layer=label, capacity=f"{median:,.0f}", units=UNITS[t.layer]))  # fmt: skip
    return notes


def programme_sites(plan: dict[str, Any]) -> gpd.GeoDataFrame:
    """The programme's sites as points (layer, kind of place, year, shared), EPSG:4326."""
    rows = [{"year": y["year"], **s} for y in plan["years"] for s in y["sites"]]
    frame = pd.DataFrame(rows, columns=["year", "layer", "kind", "lon", "lat", "shared"])
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float)),
        crs=4326,
    )
