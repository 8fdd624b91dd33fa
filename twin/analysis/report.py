"""A district's plan targets next to the measured values, with the worst gaps.

Status of a row: ``met`` / ``not met`` against a number; ``no number`` where the plan's target
is qualitative (the measured value is still shown); ``no target`` where the plan sets none;
``not measured`` for targets twin does not model (IoT nodes, digital homes, …). Counts measured
on a *generated* layer restate the calibration, and the row says so through ``layer_source``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from twin.analysis.engine import Coverage
from twin.districts import TARGET_KEYS
from twin.model import District

GAP_FLAGS = {  # layer key: (covered flag, metric column, unit)
    "base_stations": ("covered_5g", "rsrp_dbm", "dBm"),
    "charging": ("covered_charging", "charging_m", "m"),
    "lockers": ("covered_lockers", "locker_m", "m"),
    "life_circle": ("lc_served", "lc_mean_min", "min"),
}
COVERED_FLAG = {key: flag for key, (flag, _, _) in GAP_FLAGS.items()}


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    measured: float | None
    unit: str
    target: float | None
    target_text: str
    status: str
    layer_source: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in self.__dict__.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else round(float(value), 4)
    return value


def _status(measured: float | None, target: float | None, has_target: bool) -> str:
    if not has_target:
        return "no target"
    if measured is None:
        return "not measured"
    if target is None:
        return "no number"
    return "met" if measured >= target - 1e-9 else "not met"


def layer_source(frame: gpd.GeoDataFrame | None) -> str:
    if frame is None or not len(frame):
        return "missing"
    sources = sorted(set(frame["source"].astype(str)))
    return "generated" if sources == ["generated"] else "imported: " + ", ".join(sources)


def measured_values(
    coverage: Coverage, layers: dict[str, gpd.GeoDataFrame]
) -> dict[str, tuple[float | None, str, str, str]]:
    """Key → (value, unit, layer source, detail) for every target twin can measure."""
    values: dict[str, tuple[float | None, str, str, str]] = {}
    cells = coverage.cells
    sites = layers.get("base_stations")
    if sites is not None:
        src = layer_source(sites)
        values["base_stations_5g"] = (float(len(sites)), "sites", src, "")
        area, people = coverage.share("covered_5g", "area_km2"), coverage.share("covered_5g")
        values["coverage_5g"] = (
            area, "share of area", src,
            f"{people:.1%} of residents; RSRP ≥ {coverage.params.radio.covered_rsrp_dbm:.0f} dBm "
            f"({coverage.params.radio.los_model.upper()}, outdoor"
            f"{' + O2I' if coverage.params.radio.outdoor_to_indoor else ''})",
        )  # fmt: skip
    charging = layers.get("charging")
    if charging is not None:
        src = layer_source(charging)
        estimated = float(cells["charging_estimated"].mean())
        values["charging_coverage"] = (
            coverage.share("covered_charging"), "share of residents", src,
            f"{coverage.share('covered_charging', 'area_km2'):.1%} of area within the radius rule "
            f"along the streets; {estimated:.0%} of cells estimated (no street data)",
        )  # fmt: skip
        piles = charging["piles"].to_numpy(dtype=float).sum()
        fast = charging["fast_piles"].to_numpy(dtype=float).sum()
        values["fast_charging_share"] = (
            fast / piles if piles else None, "share of piles", src,
            "fast piles over all piles (the plan counts parking spaces, which twin does not model)",
        )  # fmt: skip
    lockers = layers.get("lockers")
    if lockers is not None:
        new = float((lockers["status"].astype(str) == "new").sum()) if "status" in lockers else None
        values["lockers_new"] = (new, "locker groups", layer_source(lockers),
                                 f"{coverage.share('covered_lockers'):.1%} of residents within "
                                 "a group's service radius along the streets")  # fmt: skip
    figures = coverage.life_circle_figures()
    values["life_circle_f15"] = (
        figures["f15"], "share of residents", "POIs",
        f"mean {figures['mean_time_min']:.1f} min, Gini {figures['gini']:.2f}; "
        f"categories measured: {', '.join(coverage.measured_categories) or 'none'}",
    )  # fmt: skip
    return values


def worst_gaps(coverage: Coverage, top: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Per layer, the unserved cells with the most residents."""
    cells = coverage.cells
    gaps: dict[str, list[dict[str, Any]]] = {}
    for key, (flag, metric, unit) in GAP_FLAGS.items():
        if flag not in cells:
            continue
        unserved = cells[~cells[flag].astype(bool) & (cells["residents"] > 0)]
        worst = unserved.nlargest(top, "residents")
        gaps[key] = [
            {"h3": h, "residents": round(float(r), 1), "value": _plain(float(v)), "unit": unit,
             "lon": round(float(x), 6), "lat": round(float(y), 6)}
            for h, r, v, x, y in zip(worst["h3"], worst["residents"], worst[metric], worst["lon"],
                                     worst["lat"], strict=True)
        ]  # fmt: skip
    return gaps


def plan_report(
    district: District, coverage: Coverage, layers: dict[str, gpd.GeoDataFrame]
) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    measured = measured_values(coverage, layers)
    rows: list[Row] = []
    seen: set[str] = set()
    for target in district.preset.targets:
        seen.add(target.key)
        value, unit, src, detail = measured.get(target.key, (None, target.unit, "", ""))
        rows.append(Row(target.key, target.label, value, unit, target.value, target.text,
                        _status(value, target.value, True), src, detail))  # fmt: skip
    for key, (value, unit, src, detail) in measured.items():
        if key not in seen:
            rows.append(Row(key, TARGET_KEYS.get(key, key), value, unit, None, "",
                            "no target", src, detail))  # fmt: skip
    cells = coverage.cells
    figures = coverage.life_circle_figures()
    return {
        "district": district.preset.slug,
        "name": district.name,
        "plan": district.preset.plan,
        "resolution": coverage.params.resolution,
        "cells": len(cells),
        "area_km2": round(district.area_km2, 3),
        "residents": round(float(cells["residents"].sum()), 1),
        "study_area_share": round(district.study_share, 4),
        "rows": [row.as_dict() for row in rows],
        "life_circle": {k: _plain(v) for k, v in figures.items()}
        | {
            "categories_measured": coverage.measured_categories,
            "speed_kmh": coverage.params.speed_kmh,
        },
        "gaps": worst_gaps(coverage),
        "notes": list(district.notes),
        "attribution": [s.attribution for s in district.sources],
    }


def format_report(report: dict[str, Any]) -> str:
    """The report as aligned text for the terminal."""

    def show(value: Any, unit: str) -> str:
        if value is None:
            return "—"
        if "share" in unit:
            return f"{value:.2%}" if 0.999 <= value < 1 else f"{value:.1%}"
        integral = abs(value) >= 10 or float(value).is_integer()
        return f"{value:,.0f} {unit}" if integral else f"{value:.2f} {unit}"

    lines = [
        f"{report['name']} — {report['plan']}",
        f"H3 res {report['resolution']}: {report['cells']} cells, {report['area_km2']} km², "
        f"{report['residents']:,.0f} residents; street study area {report['study_area_share']:.0%}",
        "",
        f"{'target':34} {'measured':>16} {'plan':>16}  status",
    ]
    for row in report["rows"]:
        lines.append(
            f"{row['label'][:34]:34} {show(row['measured'], row['unit']):>16} "
            f"{show(row['target'], row['unit']):>16}  {row['status']}"
        )
        if row["detail"]:
            lines.append(f"{'':36}{row['detail']}")
    generated = sorted({r["key"] for r in report["rows"] if r["layer_source"] == "generated"})
    if generated:
        lines += ["", "generated layers measured (counts restate their calibration; load real "
                  "inventories with 'twin import'): " + ", ".join(generated)]  # fmt: skip
    lc = report["life_circle"]
    lines += ["", f"15-minute life circle: F15 {lc['f15']:.1%}, mean {lc['mean_time_min']:.1f} min, "
              f"Gini {lc['gini']:.2f} at {lc['speed_kmh']} km/h"]  # fmt: skip
    for key, cells in report["gaps"].items():
        if cells:
            worst = cells[0]
            lines.append(f"worst {key} gap: {worst['h3']} ({worst['residents']:,.0f} residents, "
                         f"{worst['value']} {worst['unit']})")  # fmt: skip
    return "\n".join(lines)
