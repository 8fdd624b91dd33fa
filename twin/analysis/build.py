"""The one pipeline: a district from layers to hexagon metrics and the plan report.

Every face calls :func:`build`: ``twin build/report/map/prepare/batch``, the Python API
(``twin.build``), every viewer page, and What-if (a scenario returns a whole :class:`Build` after
each change). A build applies the run's :class:`~twin.settings.Settings` in full: its norms (layer
params, the engine's rules, siting, legends), the saved calibration of the 5G model, measured
signal and imported inventories. It measures the district once, at the base resolution
(``Settings.h3_resolution``, res 10 by default); :meth:`Build.cells` aggregates any coarser view
from it (:mod:`twin.analysis.served`), so a figure never depends on the resolution shown.


``twin build`` writes into ``--out`` (default ``build/<district>/``):

* ``layers/<layer>.parquet``: each layer (GeoParquet), imported inventory or generated;
* ``hexagons_r<res>.parquet``: the hexagon metrics (GeoParquet, columns in ``twin.analysis.engine``);
* ``report.json``: the plan report, with the parameters and the attribution of every source.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from twin._errors import InvalidInputError
from twin.analysis.engine import LAYERS, Coverage, CoverageParams, compute
from twin.analysis.report import plan_report, row_of
from twin.analysis.reseed import Spread, seed_spread
from twin.measurements import Calibration, at_resolution
from twin.model import District
from twin.network import StreetNetwork
from twin.settings import Settings
from twin.store.digest import district_digest, frame_digest
from twin.store.layers import layer_for
from twin.store.measurements import load_calibration, load_measurements


@dataclass
class Build:
    """A measured district: its layers, base-resolution hexagon metrics and the plan report."""

    district: District
    layers: dict[str, gpd.GeoDataFrame]
    coverage: Coverage
    report: dict[str, Any]

    @property
    def base_resolution(self) -> int:
        return self.coverage.base_resolution

    def cells(self, resolution: int | None = None) -> gpd.GeoDataFrame:
        """The hexagons at ``resolution`` (≤ the base; None: the base), aggregated up."""
        return self.coverage.at(resolution)

    def row(self, key: str) -> dict[str, Any] | None:
        """The report row ``key`` (the one figure every face shows for that question)."""
        return row_of(self.report, key)


def _noop(_: str) -> None:
    return None


def build(
    district: District,
    settings: Settings,
    params: CoverageParams | None = None,
    layers: dict[str, gpd.GeoDataFrame] | None = None,
    progress: Callable[[str], None] = _noop,
    gap_resolution: int | None = None,
    reuse: Build | None = None,
) -> Build:
    """Layers (imported where saved, else generated), hexagon metrics and the report.

    ``params`` default to :meth:`CoverageParams.from_settings` (norms, walking speed, base
    resolution); the report lists its gaps as hexagons of ``gap_resolution`` (None: the base).
    ``reuse``, a build of the same district (the other walking profile), lends its hexagons
    and residents when its resolution and residents norms are the same, and its 5G columns
    when its sites and radio model are the same too: neither depends on walking.
    """
    params = params or CoverageParams.from_settings(settings)
    calibration = load_calibration(district.preset.slug, settings)
    if calibration is not None:  # measured signal corrects the 5G model of this district
        params = replace(params, radio=replace(
            params.radio, calibration_offset_db=calibration.offset_db,
            calibration_slope_db_per_decade=calibration.slope_db_per_decade))  # fmt: skip
    if layers is None:
        layers = {}
        for name in LAYERS:
            progress(f"layer {name}")
            layers[name] = layer_for(district, name, settings)
    stored = load_measurements(district.preset.slug, settings)
    measured = at_resolution(stored, params.resolution) if stored is not None else None
    grid_from = reuse.coverage if reuse is not None and grid_reusable(
        reuse, district, params) else None  # fmt: skip
    fiveg_from = None
    if reuse is not None and fiveg_reusable(reuse, district, layers, params):
        fiveg_from = reuse.coverage.cells
    extra = {"measured": measured} if measured is not None else {}
    key = coverage_key(district, layers | extra, params)  # hashed once: hexagons and report
    coverage = compute_cached(district, layers, params, settings, progress,
                              measured_signal=measured, fiveg_from=fiveg_from,
                              grid_from=grid_from, key=key)  # fmt: skip
    lent = reuse.coverage.seed_spread if reuse is not None and spread_reusable(
        reuse, district, layers, params) else None  # fmt: skip
    spread_key = key if measured is None else coverage_key(district, layers, params)
    coverage = replace(coverage, seed_spread=spread_cached(district, layers, coverage, settings,
                                                           progress, lent, key=spread_key))  # fmt: skip
    return finish_cached(district, layers, coverage, calibration_text(calibration),
                         gap_resolution, settings, key)  # fmt: skip


# what a walking profile changes: the life circle's minutes, never a distance, a site or a signal
WALKING_PROFILE = ("walk_speed_kmh", "elderly", "elderly_speed_kmh", "life_circle_min",
                   "facilities", "rings_min", "weights")  # fmt: skip


def spread_reusable(
    other: Build, district: District, layers: dict[str, gpd.GeoDataFrame], params: CoverageParams
) -> bool:
    """Whether ``other``'s seed spread is the one a build of ``layers`` with ``params`` would
    measure: the same district, layers (by content) and parameters but for the walking profile.
    The spread re-draws sites and measures 5G signal and walks *within a radius in metres*
    (:mod:`twin.analysis.reseed`), none of which a walking speed changes."""
    mine = replace(params, **{f: getattr(other.coverage.params, f) for f in WALKING_PROFILE})
    return (
        bool(other.coverage.seed_spread)
        and fiveg_reusable(other, district, layers, params)
        and mine == other.coverage.params
        and params.norms == other.coverage.params.norms
        and set(layers) == set(other.layers)
        and all(frame_digest(layers[k]) == frame_digest(other.layers[k]) for k in layers)
    )


SPREAD_NOTE = "seed_spread_2"  # 2: capacity shares too


def spread_cached(
    district: District,
    layers: dict[str, gpd.GeoDataFrame],
    coverage: Coverage,
    settings: Settings,
    progress: Callable[[str], None] = _noop,
    lent: Spread | None = None,
    *,
    key: str,
) -> Spread:
    """:func:`twin.analysis.reseed.seed_spread`, stored beside the measured hexagons of
    ``key`` (:func:`coverage_key` of ``layers``: the spread never depends on measured signal);
    ``lent``: the same spread measured by the other walking profile's build (stored, not
    measured again)."""
    from twin.store.coverage import load_note, save_note

    slug = district.preset.slug
    stored = load_note(slug, key, SPREAD_NOTE, settings)
    try:
        return {str(k): (float(v[0]), float(v[1])) for k, v in stored.items()}
    except (AttributeError, TypeError, ValueError, IndexError, KeyError):
        pass  # missing or damaged: measure again
    spread = (
        lent if lent is not None else seed_spread(district, layers, coverage, progress=progress)
    )
    try:
        save_note(slug, key, SPREAD_NOTE, {k: list(v) for k, v in spread.items()}, settings)
    except OSError as exc:  # a read-only cache never stops a build
        progress(f"seed spread not stored ({exc.strerror or exc})")
    return spread


def calibration_text(calibration: Calibration | None) -> str:
    if calibration is None:
        return ("the 5G model is not calibrated to measurements "
                "(twin measurements import, twin calibrate)")  # fmt: skip
    return calibration.describe()


def finish(
    district: District,
    layers: dict[str, gpd.GeoDataFrame],
    coverage: Coverage,
    calibration: str,
    gap_resolution: int | None = None,
) -> Build:
    """The build of measured ``coverage``: the report rows every face reads."""
    report = plan_report(district, coverage, layers, gap_resolution)
    report["parameters"] = coverage.params.describe()
    report["calibration"] = calibration
    return Build(district, layers, coverage, report)


def grid_reusable(other: Build, district: District, params: CoverageParams) -> bool:
    """Whether ``other`` laid the hexagons and residents a build with ``params`` would: the
    same district (by content), base resolution and residents norms."""
    return (
        other.district.preset.slug == district.preset.slug
        and other.coverage.params.resolution == params.resolution
        and other.coverage.params.norms.residents == params.norms.residents
        and (
            other.district is district
            or district_digest(other.district) == district_digest(district)
        )
    )


REPORT_NOTE = "report"


def finish_cached(
    district: District,
    layers: dict[str, gpd.GeoDataFrame],
    coverage: Coverage,
    calibration: str,
    gap_resolution: int | None,
    settings: Settings,
    key: str,
) -> Build:
    """:func:`finish`, its report stored beside the measured hexagons (entry ``key``) under a
    name over the gap resolution, the calibration and twin's code: a warm build reads the report
    instead of computing it again. The report is plain JSON either way (read or computed, the
    same lists and numbers)."""
    from twin.store.atomic import cache_key
    from twin.store.coverage import load_note, save_note
    from twin.store.reports import code_fingerprint

    slug = district.preset.slug
    name = f"{REPORT_NOTE}-{cache_key([gap_resolution, calibration, code_fingerprint()])}"
    stored = load_note(slug, key, name, settings)
    if isinstance(stored, dict) and isinstance(stored.get("rows"), list):
        return Build(district, layers, coverage, stored)
    built = finish(district, layers, coverage, calibration, gap_resolution)
    report = json.loads(json.dumps(built.report, ensure_ascii=False, allow_nan=False))
    with contextlib.suppress(OSError):  # a read-only cache never stops a build
        save_note(slug, key, name, report, settings)
    return Build(district, layers, coverage, report)


def fiveg_reusable(
    other: Build, district: District, layers: dict[str, gpd.GeoDataFrame], params: CoverageParams
) -> bool:
    """Whether ``other`` measured 5G exactly as a build of ``layers`` with ``params`` would:
    the same district, base resolution, radio model and sites (by content)."""
    if "base_stations" not in layers or "base_stations" not in other.layers:
        return False
    return (
        other.district.preset.slug == district.preset.slug
        and other.coverage.params.resolution == params.resolution
        and other.coverage.params.radio == params.radio
        and (
            other.district is district
            or district_digest(other.district) == district_digest(district)
        )
        and frame_digest(other.layers["base_stations"]) == frame_digest(layers["base_stations"])
    )


def coverage_key(
    district: District, layers: dict[str, gpd.GeoDataFrame], params: CoverageParams
) -> str:
    """A key over every input of :func:`compute`: the district's content, each layer's
    content, every engine parameter, the value of every norm and twin's code (hexagons measured
    by an older radio model or walk rule are measured again after an upgrade)."""
    from twin.store.reports import code_fingerprint

    digest = hashlib.sha256(b"coverage")
    digest.update(json.dumps(code_fingerprint()).encode())
    digest.update(district_digest(district))
    digest.update(json.dumps(params.describe(), sort_keys=True, default=str).encode())
    digest.update(repr(params.norms).encode())
    for name in sorted(layers):
        digest.update(name.encode())
        digest.update(frame_digest(layers[name]))
    return digest.hexdigest()[:24]


def compute_cached(
    district: District,
    layers: dict[str, gpd.GeoDataFrame],
    params: CoverageParams,
    settings: Settings,
    progress: Callable[[str], None] = _noop,
    network: StreetNetwork | None = None,
    measured_signal: pd.DataFrame | None = None,
    fiveg_from: pd.DataFrame | None = None,
    grid_from: Coverage | None = None,
    *,
    key: str,
) -> Coverage:
    """:func:`compute`, read from and written to the coverage store in ``settings.cache_dir``
    under ``key``: :func:`coverage_key` of these inputs (the measured signal among the layers),
    hashed once by :func:`build` for the hexagons and the report alike."""
    from twin.store.coverage import load_coverage, save_coverage

    slug = district.preset.slug
    stored = load_coverage(slug, key, settings)
    if stored is not None:
        progress("coverage: from the store")
        cells, meta = stored
        return Coverage(cells, params, meta["measured_categories"], meta["unassigned_population"],
                        meta["residents_method"], meta["measured_facilities"])  # fmt: skip
    coverage = compute(district, layers, params, progress, network, measured_signal=measured_signal,
                       workers=settings.workers, fiveg_from=fiveg_from, grid_from=grid_from)  # fmt: skip
    meta = {
        "measured_categories": coverage.measured_categories,
        "measured_facilities": coverage.measured_facilities,
        "unassigned_population": coverage.unassigned_population,
        "residents_method": coverage.residents_method,
    }
    try:
        save_coverage(slug, key, coverage.cells, meta, settings)
    except OSError as exc:  # a read-only cache never stops a build
        progress(f"coverage not stored ({exc.strerror or exc})")
    return coverage


def write(result: Build, out_dir: Path, resolution: int | None = None) -> dict[str, Path]:
    """Write the build's files as a unit: staged beside ``out_dir`` and renamed into place, so
    the folder never mixes an old report with new layers; returns what was written. The
    hexagons are written at ``resolution`` (None: the base), aggregated from the base."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"the output {out_dir} is a file, not a folder; choose a folder with --out."
        raise InvalidInputError(msg)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        names: dict[str, Path] = {}
        for name, frame in result.layers.items():
            (stage / "layers").mkdir(exist_ok=True)
            frame.to_parquet(stage / "layers" / f"{name}.parquet")
            names[name] = Path("layers") / f"{name}.parquet"
        res = resolution or result.base_resolution
        cells = result.cells(res).drop(columns=["cell"])
        cells.to_parquet(stage / f"hexagons_r{res}.parquet")
        names["hexagons"] = Path(f"hexagons_r{res}.parquet")
        text = json.dumps(result.report, ensure_ascii=False, indent=1, allow_nan=False)
        (stage / "report.json").write_text(text + "\n", encoding="utf-8")
        names["report"] = Path("report.json")
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            out_dir.rename(old)
        stage.rename(out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return {k: out_dir / v for k, v in names.items()}
