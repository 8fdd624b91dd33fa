"""One district from layers to hexagon metrics and the plan report, and its files on disk.

``twin build`` writes into ``--out`` (default ``build/<district>/``):

* ``layers/<layer>.parquet``: each layer (GeoParquet), imported inventory or generated;
* ``hexagons_r<res>.parquet``: the hexagon metrics (GeoParquet, columns in ``twin.analysis.engine``);
* ``report.json``: the plan report, with the parameters and the attribution of every source.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from twin.analysis.engine import LAYERS, Coverage, CoverageParams, compute
from twin.analysis.report import plan_report
from twin.layer_store import layer_for
from twin.model import District
from twin.network import StreetNetwork
from twin.settings import Settings
from twin.sources.cache import atomic_write


@dataclass
class Build:
    district: District
    layers: dict[str, gpd.GeoDataFrame]
    coverage: Coverage
    report: dict[str, Any]


def _noop(_: str) -> None:
    return None


def build(
    district: District,
    settings: Settings,
    params: CoverageParams | None = None,
    layers: dict[str, gpd.GeoDataFrame] | None = None,
    progress: Callable[[str], None] = _noop,
) -> Build:
    """Layers (imported where saved, else generated), hexagon metrics and the report.

    ``params`` default to :meth:`CoverageParams.from_settings` (norms, walking speed, resolution).
    """
    params = params or CoverageParams.from_settings(settings)
    if layers is None:
        layers = {}
        for name in LAYERS:
            progress(f"layer {name}")
            layers[name] = layer_for(district, name, settings)
    coverage = compute_cached(district, layers, params, settings, progress)
    report = plan_report(district, coverage, layers)
    report["parameters"] = _jsonable(asdict(params)) | {"norms": settings.norms.source}
    return Build(district, layers, coverage, report)


def compute_cached(
    district: District,
    layers: dict[str, gpd.GeoDataFrame],
    params: CoverageParams,
    settings: Settings,
    progress: Callable[[str], None] = _noop,
    network: StreetNetwork | None = None,
) -> Coverage:
    """:func:`compute`, read from and written to the coverage store in ``settings.cache_dir``."""
    from twin.coverage_store import coverage_key, load_coverage, save_coverage

    slug = district.preset.slug
    key = coverage_key(district, layers, params)
    stored = load_coverage(slug, key, params, settings)
    if stored is not None:
        progress("coverage: from the store")
        return stored
    coverage = compute(district, layers, params, progress, network)
    try:
        save_coverage(slug, key, coverage, settings)
    except OSError as exc:  # a read-only cache never stops a build
        progress(f"coverage not stored ({exc.strerror or exc})")
    return coverage


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def write(result: Build, out_dir: Path) -> dict[str, Path]:
    """Write the build's files atomically; returns what was written."""
    out_dir = Path(out_dir)
    written: dict[str, Path] = {}
    for name, frame in result.layers.items():
        path = out_dir / "layers" / f"{name}.parquet"
        written[name] = atomic_write(path, frame.to_parquet)
    res = result.coverage.params.resolution
    cells = result.coverage.cells.drop(columns=["cell"])
    written["hexagons"] = atomic_write(out_dir / f"hexagons_r{res}.parquet", cells.to_parquet)
    text = json.dumps(result.report, ensure_ascii=False, indent=1, allow_nan=False)
    written["report"] = atomic_write(
        out_dir / "report.json", lambda tmp: tmp.write_text(text + "\n", encoding="utf-8")
    )
    return written
