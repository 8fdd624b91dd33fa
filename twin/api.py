"""The notebook-level API: load, build, generate, import, recommend, export (``import twin``).

Each function takes and returns plain objects (a :class:`~twin.model.District`, a
:class:`~twin.analysis.build.Build`, GeoDataFrames), so a notebook needs nothing but ``twin``::

    import twin
    hongkou = twin.load_district("hongkou")
    result = twin.build(hongkou)                 # measured once at res 10
    result.row("coverage_5g")                   # the figure every face shows
    result.report["rows"]                      # plan targets next to measured values
    sites, summary = twin.recommend_sites(result, "lockers", add=10)
    twin.export(result, "hexagons", "hongkou_r9.geojson")
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd

from twin._errors import InvalidInputError
from twin.analysis.build import Build
from twin.analysis.build import build as build_district
from twin.analysis.engine import CoverageParams
from twin.analysis.whatif import Scenario
from twin.crs import CrsName
from twin.exports import EXTENSIONS, FORMATS, metadata, write_export
from twin.inventory import ImportReport
from twin.inventory import import_inventory as read_inventory_for
from twin.layers import generate
from twin.model import District
from twin.settings import Settings
from twin.siting import recommend
from twin.store.inventories import save_imported


def _noop(_: str) -> None:
    return None


def build(
    district: District,
    resolution: int | None = None,
    *,
    elderly: bool = False,
    settings: Settings | None = None,
    layers: dict[str, gpd.GeoDataFrame] | None = None,
    progress: Callable[[str], None] = _noop,
    **params: Any,
) -> Build:
    """Layers, hexagon metrics and the plan report of ``district``.

    ``resolution`` is the base the district is measured at (default ``TWIN_H3_RES``, 10); every
    coarser view aggregates it (``result.cells(8)``). Other keyword arguments override fields of
    :class:`~twin.analysis.engine.CoverageParams` (e.g. ``walk_speed_kmh=3.0``). ``layers``
    replaces the stored or generated layers.

    >>> result = twin.build(twin.load_district("hongkou"))  # doctest: +SKIP
    >>> result.coverage.share("covered_lockers")  # doctest: +SKIP
    """
    settings = settings or Settings.from_env()
    coverage_params = CoverageParams.from_settings(settings, resolution, elderly, **params)
    return build_district(district, settings, coverage_params, layers, progress)


def load_district(name: str, settings: Settings | None = None, **options: Any) -> District:
    """The district ``name`` (slug, English or Chinese name, adcode), cached; ``settings``
    default to the environment's (``TWIN_*``). Options: ``cache``, ``refresh``, ``osm_file``,
    ``boundary_file``, ``boundary_crs``, ``demand_raster``, ``progress``."""
    from twin.store.district import load_district as load

    return load(name, settings or Settings.from_env(), **options)


def generate_layer(
    layer: str, district: District, params: Any = None, settings: Settings | None = None
) -> gpd.GeoDataFrame:
    """A generated layer (``base_stations``, ``charging``, ``lockers``) for ``district``, its
    params from ``params`` or else the norms of ``settings`` (the environment's when None)."""
    if params is None:
        return generate(layer, district, norms=(settings or Settings.from_env()).norms)
    return generate(layer, district, params)


def import_inventory(
    district: District,
    layer: str,
    path: str | Path,
    crs: CrsName = "wgs84",
    *,
    lat_col: str | None = None,
    lon_col: str | None = None,
    gpkg_layer: str | None = None,
    save: bool = False,
    settings: Settings | None = None,
) -> tuple[gpd.GeoDataFrame, ImportReport]:
    """Validate a real inventory; with ``save`` it replaces the generated layer from now on."""
    settings = settings or Settings.from_env()
    frame, report = read_inventory_for(district, layer, Path(path), crs, lat_col, lon_col,
                                       gpkg_layer, settings.norms)  # fmt: skip
    if save:
        save_imported(district.preset.slug, layer, frame, settings)
    return frame, report


def recommend_sites(
    result: Build,
    layer: str,
    add: int | None = None,
    target_share: float | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    progress: Callable[[str], None] = _noop,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Ranked new sites for ``layer`` (maximal covering), or the fewest reaching a share."""
    return recommend(result.district, layer, result.coverage.cells, add, target_share,
                     candidates, result.coverage.params, progress,
                     sites=result.layers.get(layer))  # fmt: skip


def scenario(result: Build, layer: str) -> Scenario:
    """A what-if scenario on ``layer`` of a build (add, move, remove, accept recommendations)."""
    return Scenario.of(result, layer)


def export(
    result: Build,
    layer: str,
    path: str | Path,
    fmt: str | None = None,
    *,
    datum: str = "wgs84",
    metric: str | None = None,
    resolution: int | None = None,
) -> Path:
    """Write ``layer`` (a layer name or ``hexagons``) of a build to ``path``, atomically.

    The format follows the suffix (``.geojson``, ``.parquet``, ``.csv``, ``.gpkg``, ``.tif``)
    unless ``fmt`` names one; a GeoTIFF needs a hexagon ``metric``. Hexagons are written at
    ``resolution`` (None: the base), aggregated from the base; a CSV gets its CSVW sidecar.
    """
    path = Path(path)
    if fmt is None:
        by_suffix = {ext: name for name, ext in EXTENSIONS.items()}
        fmt = by_suffix.get(path.suffix.lower())
        if fmt is None:
            msg = f"cannot tell the format of {path.name}; pass fmt= one of {', '.join(FORMATS)}."
            raise InvalidInputError(msg)
    if layer == "hexagons":
        frame = result.cells(resolution)
    elif layer in result.layers:
        frame = result.layers[layer]
    else:
        msg = f"the build has no layer {layer!r}; choose hexagons or {', '.join(result.layers)}."
        raise InvalidInputError(msg)
    meta = metadata(result.report["attribution"], result.report["parameters"] | {
        "district": result.district.preset.slug, "layer": layer, "datum": datum})  # fmt: skip
    return write_export(path, frame, fmt, meta, layer, datum, metric,
                        result.district.metric_crs)[0]  # fmt: skip
