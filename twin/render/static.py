"""Pictures to take away: a static map (PNG) and a printable district report (PDF).

The same classed metrics as the viewer, drawn by matplotlib in the district's UTM zone (true
scale), with legend, scale bar, north arrow and attribution; works offline and in the CLI
(``twin map``, ``twin report --pdf``). No pyplot: figures are built directly, so nothing global.
"""

from __future__ import annotations

import glob
import io
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from twin.analysis.report import plan_text, range_text, value_text
from twin.norms import Norms
from twin.render.hexagons import Metric, metric_for, unserved_mask

FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "DejaVu Sans"]
OSM_LINE = "Streets and POIs © OpenStreetMap contributors (ODbL)"


def _ensure_cjk_font() -> None:
    """Register the system's Noto CJK fonts with matplotlib when its cache predates them."""
    from matplotlib import font_manager

    if any("CJK" in f.name for f in font_manager.fontManager.ttflist):
        return
    for path in sorted(glob.glob("/usr/share/fonts/**/NotoSansCJK*.tt[cf]", recursive=True)):
        font_manager.fontManager.addfont(path)


def _save(fig, buffer: io.BytesIO, **kwargs: Any) -> None:
    """Save, without a warning per CJK glyph where no CJK font is installed (boxes are drawn)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buffer, **kwargs)


def _figure(width_in: float, height_in: float):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    _ensure_cjk_font()

    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = FONTS
    return Figure(figsize=(width_in, height_in), dpi=150)


def _nice_length(span_m: float) -> float:
    target = span_m / 5
    magnitude = 10 ** np.floor(np.log10(target))
    return float(max(m * magnitude for m in (1, 2, 5) if m * magnitude <= target))


def draw_map(
    ax,
    cells: gpd.GeoDataFrame,
    metric: Metric,
    boundary: shapely.Geometry,
    metric_crs: CRS,
    streets: gpd.GeoSeries | None = None,
    sites: gpd.GeoDataFrame | None = None,
    unserved_only: bool = False,
    title: str = "",
    attribution: str = OSM_LINE,
) -> None:
    """Draw ``metric`` on ``ax``: hexagons by class, streets, boundary, sites, legend, scale bar,
    north arrow and attribution."""
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.patches import FancyArrow, Patch, Rectangle

    shown = cells[unserved_mask(cells, metric)] if unserved_only else cells
    hexagons = gpd.GeoSeries(shown.geometry.to_numpy(), crs=4326).to_crs(metric_crs)
    rgba = metric.colour_array(shown[metric.column].to_numpy(dtype=float),
                               shown["inside_share"].to_numpy(dtype=float)) / 255.0  # fmt: skip
    polygons = [np.asarray(p.exterior.coords) for p in hexagons]
    ax.add_collection(PolyCollection(polygons, facecolors=rgba, edgecolors=(1, 1, 1, 0.4),
                                     linewidths=0.2))  # fmt: skip
    if streets is not None and len(streets):
        lines = streets.to_crs(metric_crs)
        parts = shapely.get_parts(lines.to_numpy())
        ax.add_collection(LineCollection([np.asarray(p.coords) for p in parts],
                                         colors=(0.45, 0.45, 0.45, 0.5), linewidths=0.3))  # fmt: skip
    outline = gpd.GeoSeries([boundary], crs=4326).to_crs(metric_crs)
    outline.boundary.plot(ax=ax, color="black", linewidth=1.0)
    if sites is not None and len(sites):
        xy = sites.to_crs(metric_crs)
        ax.scatter(xy.geometry.x, xy.geometry.y, s=3, color=(0.1, 0.1, 0.1), zorder=5)
    west, south, east, north = outline.total_bounds
    pad = 0.04 * max(east - west, north - south)
    ax.set_xlim(west - pad, east + pad)
    ax.set_ylim(south - pad, north + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    handles = [Patch(facecolor=(c[0] / 255.0, c[1] / 255.0, c[2] / 255.0), edgecolor="0.5", label=label)
               for c, label in zip(metric.colours, metric.classes, strict=True)]  # fmt: skip
    ax.legend(handles=handles, title=f"{metric.label}\n({metric.unit})", loc="upper left",
              fontsize=6, title_fontsize=6.5, framealpha=0.9)  # fmt: skip
    length = _nice_length(east - west)
    x0, y0 = west, south - pad * 0.6
    ax.add_patch(Rectangle((x0, y0), length, pad * 0.12, color="black"))
    ax.text(x0 + length / 2, y0 + pad * 0.2, f"{length / 1000:g} km" if length >= 1000
            else f"{length:.0f} m", ha="center", fontsize=6)  # fmt: skip
    ax.add_patch(FancyArrow(east, north - pad * 1.2, 0, pad * 0.9, width=pad * 0.08,
                            head_width=pad * 0.3, head_length=pad * 0.3, color="black"))  # fmt: skip
    ax.text(east, north + pad * 0.05, "N", ha="center", fontsize=8, weight="bold")
    ax.text(east + pad, south - pad, attribution, ha="right", va="top", fontsize=5, color="0.3")


def map_png(
    cells: gpd.GeoDataFrame,
    metric_key: str,
    boundary: shapely.Geometry,
    metric_crs: CRS,
    streets: gpd.GeoSeries | None = None,
    sites: gpd.GeoDataFrame | None = None,
    unserved_only: bool = False,
    title: str = "",
    attribution: str = OSM_LINE,
    norms: Norms | None = None,
) -> bytes:
    """A PNG of ``metric_key`` (:func:`twin.render.hexagons.metrics_for` the run's ``norms``)."""
    fig = _figure(7.5, 7.5)
    ax = fig.add_axes((0.02, 0.04, 0.96, 0.9))
    draw_map(ax, cells, metric_for(metric_key, norms), boundary, metric_crs, streets, sites, unserved_only,
             title, attribution)  # fmt: skip
    buffer = io.BytesIO()
    _save(fig, buffer, format="png", metadata={"Software": "twin", "Copyright": attribution})
    return buffer.getvalue()


def _save_page(pdf, fig) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        pdf.savefig(fig)


def report_pdf(
    report: dict[str, Any],
    cells: gpd.GeoDataFrame,
    boundary: shapely.Geometry,
    metric_crs: CRS,
    streets: gpd.GeoSeries | None,
    layers: dict[str, gpd.GeoDataFrame],
    norms: Norms | None = None,
) -> bytes:
    """A printable district report: targets vs measured, one map per layer, gaps, sources;
    ``cells`` at any resolution (their served shares are those of the report's figures)."""
    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    attribution = " · ".join(dict.fromkeys(report["attribution"]))
    with PdfPages(buffer, metadata={"Title": f"twin report: {report['name']}",
                                    "Creator": "twin", "CreationDate": None}) as pdf:  # fmt: skip
        fig = _figure(8.27, 11.69)
        fig.text(0.06, 0.95, f"{report['name']} — {report['plan']}", fontsize=13, weight="bold")
        fig.text(0.06, 0.925, f"measured at H3 res {report['base_resolution']}: {report['cells']:,} hexagons, "
                 f"{report['area_km2']} km², {report['residents']:,} residents; street study area "
                 f"{report['study_area_share']:.0%}", fontsize=8)  # fmt: skip
        y = 0.89
        fig.text(0.06, y, "target", fontsize=8, weight="bold")
        fig.text(0.38, y, "measured", fontsize=8, weight="bold")
        fig.text(0.49, y, "range", fontsize=8, weight="bold")
        fig.text(0.64, y, "plan", fontsize=8, weight="bold")
        fig.text(0.79, y, "status", fontsize=8, weight="bold")
        for row in report["rows"]:  # the same words as the text report and the Overview
            y -= 0.025
            fig.text(0.06, y, row["label"][:36], fontsize=7)
            fig.text(0.38, y, value_text(row["measured"], row["unit"])[:18], fontsize=7)
            fig.text(0.49, y, range_text(row), fontsize=6.5)
            fig.text(0.64, y, plan_text(row)[:24], fontsize=7)
            fig.text(0.79, y, row["status"], fontsize=7)
        y -= 0.04
        fig.text(0.06, y, "Statuses: met / not met only for figures measured on real data; "
                 "'calibrated, not measured' restates the plan on a generated layer.", fontsize=6.5)  # fmt: skip
        fig.text(0.06, 0.03, attribution, fontsize=6, color="0.3")
        _save_page(pdf, fig)
        for key in (
            "base_stations",
            "base_stations_deep",
            "charging",
            "lockers",
            "life_circle",
            "standard",
        ):
            metric = metric_for(key, norms)
            if metric.column not in cells:
                continue
            fig = _figure(8.27, 11.69)
            ax = fig.add_axes((0.04, 0.06, 0.92, 0.88))
            draw_map(ax, cells, metric, boundary, metric_crs, streets,
                     layers.get(metric.sites_layer or ""), title=f"{report['name']}: {metric.label}",
                     attribution=attribution)  # fmt: skip
            _save_page(pdf, fig)
        fig = _figure(8.27, 11.69)
        fig.text(0.06, 0.95, "Worst gaps (unserved hexagons with the most residents)", fontsize=11,
                 weight="bold")  # fmt: skip
        y = 0.92
        for key, gaps in report["gaps"].items():
            y -= 0.03
            fig.text(0.06, y, key, fontsize=8, weight="bold")
            for gap in gaps[:6]:
                y -= 0.02
                fig.text(0.08, y, f"near {gap.get('near') or '—'}: {gap['unserved']:,} of "
                         f"{gap['residents']:,} residents unserved; {gap['shortfall']}",
                         fontsize=6.5)  # fmt: skip
        y -= 0.04
        fig.text(0.06, y, "Sources and parameters", fontsize=9, weight="bold")
        for note in report.get("notes", [])[:12]:
            y -= 0.02
            fig.text(0.08, y, note[:140], fontsize=5.5)
        fig.text(0.06, 0.03, attribution, fontsize=6, color="0.3")
        _save_page(pdf, fig)
    return buffer.getvalue()
