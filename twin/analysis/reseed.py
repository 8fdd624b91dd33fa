"""How much a figure on a generated layer owes to the generator's dice: its spread over re-seeds.

A generated layer (5G sites, charging stations, locker groups) restates the plan's number of
sites; *where* they stand is drawn at random from real demand and real streets with a seed. The
same plan drawn with other seeds gives other shares served. :func:`seed_spread` regenerates each
generated layer with :data:`SEEDS`, measures the served share of its questions on an evenly
strided sample of at most :data:`SAMPLE` base hexagons for each seed and for the layer as built,
and returns, per question, the lowest and highest *offset* of another seed's share from the
layer's own (0 included). The report adds these offsets to the district's figure (and to the
detour-factor range of straight-line walks): the row's ``range``.

Offsets, not shares, are taken from the sample so that the sample's own error cancels: the same
hexagons are measured for every seed. The cost is bounded (≤ ``SAMPLE`` hexagons per seed) and
paid once per build input (the result is stored with the measured hexagons).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np

from twin import layers as layer_registry
from twin.analysis.engine import Coverage, walk_service, write_fiveg
from twin.capacity import capacity_view
from twin.context import LayerContext
from twin.model import District

SEEDS: tuple[int, ...] = (1, 2, 3)  # the other draws; the layer's own seed is the reference
SAMPLE = 2000  # base hexagons measured per draw, evenly strided over the district
Spread = dict[str, tuple[float, float]]  # question key → (lowest, highest) offset of its share


def _shares(
    layer: str,
    sites: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    district: District,
    coverage: Coverage,
    *,
    own: bool,
) -> dict[str, float]:
    """The served shares of ``layer``'s questions on ``cells`` with ``sites``. ``own``: the
    layer as built, whose 5G columns ``cells`` already hold where it has them (each hexagon's
    columns depend on its own sample points only, so the sample reads them) and whose capacity
    view the report asks for again (remembered; a seed's draw is not)."""
    params = coverage.params
    ctx = LayerContext(district, params.norms)
    residents = cells["residents"].to_numpy(dtype=float)
    people = residents.sum() or 1.0
    if layer == "base_stations":
        frame = cells
        if not (own and "p_covered_5g" in cells):
            frame = cells[["cell", "residents", "area_km2"]].copy()
            write_fiveg(frame, None, ctx, sites, params)
        area = frame["area_km2"].to_numpy(dtype=float)
        outdoor = frame["p_covered_5g"].to_numpy(dtype=float)
        deep = frame["p_covered_5g_indoor"].to_numpy(dtype=float)
        return {
            "base_stations": float((outdoor * area).sum() / (area.sum() or 1.0)),
            "base_stations_deep": float((deep * residents).sum() / people),
        }
    network = district.streets.network if district.has_streets and district.streets else None
    origins = ctx.xy_of(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    radii = layer_registry.site_radii(layer, ctx, sites)
    service = walk_service(network, origins, ctx.xy(sites), radii, params.reach)
    every = coverage.cells  # capacity is shared by all residents within reach: all hexagons
    view = capacity_view(district, layer, every, sites, params.norms, params.reach, network,
                         remember=own)  # fmt: skip
    return {
        layer: float(residents[service.covered].sum() / people),
        f"{layer}_capacity": view.share,
    }


def sample_rows(n: int, size: int = SAMPLE) -> np.ndarray:
    """At most ``size`` row positions evenly strided over ``n`` (all of them when fewer).

    >>> sample_rows(5, 3).tolist(), len(sample_rows(10, 20))
    ([0, 2, 4], 10)
    """
    if n <= size:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, size).astype(np.int64))


def seed_spread(
    district: District,
    layers: dict[str, gpd.GeoDataFrame],
    coverage: Coverage,
    seeds: Sequence[int] = SEEDS,
    sample: int = SAMPLE,
    progress: Callable[[str], None] = lambda _: None,
) -> Spread:
    """Per question of each *generated* layer, the (lowest, highest) offset of its served share
    when the layer is drawn with ``seeds`` instead of its own (see the module docstring).
    Imported or edited layers have no spread: their sites are not a draw. ``coverage`` is the
    hexagons measured with ``layers`` (their 5G columns are the layer's own shares)."""
    cells = coverage.cells.iloc[sample_rows(len(coverage.cells), sample)]
    spread: Spread = {}
    for layer, frame in layers.items():
        if layer not in layer_registry.REGISTRY or not len(frame):
            continue
        if set(frame["source"].astype(str)) != {"generated"}:
            continue
        progress(f"{layer}: re-drawn with {len(seeds)} other seeds")
        own = _shares(layer, frame, cells, district, coverage, own=True)
        offsets: dict[str, list[float]] = {key: [0.0] for key in own}
        for seed in seeds:
            params = layer_registry.params_for(layer, coverage.params.norms, seed=seed)
            drawn = layer_registry.generate(layer, district, params)
            for key, share in _shares(layer, drawn, cells, district, coverage, own=False).items():
                offsets[key].append(share - own[key])
        for key, values in offsets.items():
            spread[key] = (min(values), max(values))
    return spread
