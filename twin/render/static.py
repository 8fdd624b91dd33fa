"""Pictures to take away: a static map (PNG) and a printable district report (PDF).

The same classed metrics as the viewer, drawn by matplotlib in the district's UTM zone (true
scale), with legend, scale bar, north arrow and attribution; works offline and in the CLI
(``twin map``, ``twin report --pdf``). No pyplot: figures are built directly, so nothing global.
"""

from __future__ import annotations

import glob
import io
import re
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from twin.analysis.report import percent, plan_text, range_text, share_text, value_text
from twin.districts import target_names
from twin.i18n import _, in_language, joined, language, p_, place_text, sentence
from twin.keys import COMMANDS
from twin.norms import Norms
from twin.render.basemap import DENSE_SITES
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
    places: pd.DataFrame | None = None,
) -> None:
    """Draw ``metric`` on ``ax``: hexagons by class, streets, boundary, sites, named
    ``places`` (:func:`twin.render.basemap.landmarks`), legend, scale bar, north arrow and
    attribution."""
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
        dense = len(sites) > DENSE_SITES  # thousands of sites: fine dots, the hexagons legible
        ax.scatter(xy.geometry.x, xy.geometry.y, s=0.6 if dense else 3, linewidths=0,
                   color=(0.1, 0.1, 0.1, 0.55 if dense else 1.0), zorder=5)  # fmt: skip
    if places is not None and len(places):
        _draw_places(ax, places, metric_crs)
    west, south, east, north = outline.total_bounds
    pad = 0.04 * max(east - west, north - south)
    ax.set_xlim(west - pad, east + pad)
    ax.set_ylim(south - pad, north + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:  # each line wrapped to the map's width (a figure with basis and range is long)
        width_in = ax.get_position().width * ax.figure.get_figwidth()
        ax.set_title("\n".join(part for line in title.splitlines()
                               for part in _wrap(line, width_in, 10)), fontsize=10)  # fmt: skip
    handles = [Patch(facecolor=(c[0] / 255.0, c[1] / 255.0, c[2] / 255.0), edgecolor="0.5", label=label)
               for c, label in zip(metric.colours, metric.classes, strict=True)]  # fmt: skip
    if places is not None and len(places):
        handles += _place_handles(places)
    title_lines = "\n".join(_wrap(f"{metric.label} ({metric.unit})", 1.6, 6.5))
    ax.legend(
        handles=handles,
        title=title_lines,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=6,
        title_fontsize=6.5,
        framealpha=0.9,
        alignment="left",
    )  # beside the map
    length = _nice_length(east - west)
    x0, y0 = west, south - pad * 0.6
    ax.add_patch(Rectangle((x0, y0), length, pad * 0.12, color="black"))
    ax.text(x0 + length / 2, y0 + pad * 0.2, f"{length / 1000:g} km" if length >= 1000
            else f"{length:.0f} m", ha="center", fontsize=6)  # fmt: skip
    ax.add_patch(FancyArrow(east, north - pad * 1.2, 0, pad * 0.9, width=pad * 0.08,
                            head_width=pad * 0.3, head_length=pad * 0.3, color="black"))  # fmt: skip
    ax.text(east, north + pad * 0.05, "N", ha="center", fontsize=8, weight="bold")
    ax.text(east + pad, south - pad, attribution, ha="right", va="top", fontsize=5, color="0.3")


def _draw_places(ax, places: pd.DataFrame, metric_crs: CRS) -> None:
    """Landmarks as white markers ringed in their colour, their names beside them in small type
    with a white halo (legible over any hexagon)."""
    from matplotlib import patheffects

    from twin.render.basemap import LANDMARKS

    points = gpd.GeoSeries(gpd.points_from_xy(places["lon"], places["lat"]), crs=4326)
    xy = points.to_crs(metric_crs)
    halo = [patheffects.withStroke(linewidth=1.2, foreground="white")]
    for facility, _zoom, colour in LANDMARKS:
        mine = (places["facility"] == facility).to_numpy()
        if not mine.any():
            continue
        rgb = tuple(c / 255.0 for c in colour[:3])
        ax.scatter(xy.x[mine], xy.y[mine], s=9, facecolor="white", edgecolor=rgb, linewidths=0.8,
                   zorder=6)  # fmt: skip
        for x, y, text in zip(xy.x[mine], xy.y[mine], places["text"][mine], strict=True):
            ax.annotate(text, (x, y), xytext=(0, 3), textcoords="offset points", ha="center",
                        fontsize=3.6, color=tuple(0.55 * c for c in rgb), zorder=7,
                        path_effects=halo)  # fmt: skip


def _place_handles(places: pd.DataFrame) -> list:
    """One legend entry per kind of landmark drawn (a ringed marker and its name)."""
    from matplotlib.lines import Line2D

    from twin.render.basemap import LANDMARKS, landmark_label

    return [Line2D([], [], marker="o", linestyle="", markersize=3.5, markerfacecolor="white",
                   markeredgecolor=(colour[0] / 255.0, colour[1] / 255.0, colour[2] / 255.0),
                   label=landmark_label(facility))
            for facility, _zoom, colour in LANDMARKS
            if (places["facility"] == facility).any()]  # fmt: skip


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
    places: pd.DataFrame | None = None,
) -> bytes:
    """A PNG of ``metric_key`` (:func:`twin.render.hexagons.metrics_for` the run's ``norms``),
    with the named ``places`` (:func:`twin.render.basemap.landmarks`) when given."""
    fig = _figure(9.5, 7.5)
    ax = fig.add_axes((0.02, 0.04, 0.74, 0.9))  # the legend stands to its right, off the district
    draw_map(ax, cells, metric_for(metric_key, norms), boundary, metric_crs, streets, sites, unserved_only,
             title, attribution, places)  # fmt: skip
    buffer = io.BytesIO()
    _save(
        fig,
        buffer,
        format="png",
        metadata={"Software": "twin", "Copyright": attribution},
        bbox_inches="tight",
        pad_inches=0.15,
    )  # a long title is never cut at the top
    return buffer.getvalue()


def _save_page(pdf, fig) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        pdf.savefig(fig)


A4 = (8.27, 11.69)
MARGIN = 0.06  # of the page, left and bottom
CHARS_PER_INCH_AT_7PT = 17.0  # a line's width in characters, for wrapping (CJK counts double)


COMMAND = re.compile(  # kept on one line: a twin command with its ASCII words, or an option
    r"twin (?:" + "|".join(COMMANDS) + r")\b(?: (?:--?[a-z][\w-]*|[A-Z]+|[a-z0-9_.-]+)"
    r"(?=[ )）,，;；]|$))*|--[a-z][\w-]* [A-Z]+\b",
    re.ASCII,
)
_KEPT = re.compile("[!-~\u00a0]*\u00a0[!-~\u00a0]*")  # a command, its spaces made unbreakable


def _wrap(text: str, width_in: float, size: float) -> list[str]:
    """``text`` broken into lines that fit ``width_in`` inches at ``size`` points; a command
    (``twin import hongkou --layer lockers FILE``) is never broken across two lines."""
    chars = max(10, int(width_in * CHARS_PER_INCH_AT_7PT * 7.0 / size))
    lines: list[str] = []
    text = COMMAND.sub(lambda m: m.group(0).replace(" ", "\u00a0"), str(text))
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}".strip()
            if _text_width(candidate) > chars and line:
                lines.append(line)
                line = word
            else:
                line = candidate
            while _text_width(line) > chars:  # a word longer than the line (CJK runs)
                cut = _fit(line, chars)
                kept = next((m for m in _KEPT.finditer(line) if m.start() < cut < m.end()), None)
                if kept is not None and kept.start() > 0:
                    cut = kept.start()  # the command starts the next line
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return [line.replace("\u00a0", " ") for line in lines]


def _text_width(text: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _fit(text: str, chars: int) -> int:
    width = 0
    for i, c in enumerate(text):
        width += 2 if ord(c) > 0x2E80 else 1
        if width > chars:
            return max(1, i)
    return len(text)


class _Pages:
    """A4 pages filled top to bottom: text wraps, a full page starts the next one, every page
    carries the attribution line."""

    def __init__(self, attribution: str) -> None:
        self.attribution = attribution
        self.figures: list[Any] = []
        self.fig = None
        self.y = 0.0

    def new(self):
        self.close()
        self.fig = _figure(*A4)
        self.y = 0.955
        return self.fig

    def close(self) -> None:
        if self.fig is not None:
            for i, line in enumerate(_wrap(self.attribution, A4[0] * (1 - 2 * MARGIN), 5.5)[:3]):
                self.fig.text(MARGIN, 0.03 - i * 0.009, line, fontsize=5.5, color="0.3")
            self.figures.append(self.fig)
            self.fig = None

    def current(self):
        """The page being filled (a new one when none is)."""
        return self.fig if self.fig is not None else self.new()

    def need(self, height: float) -> None:
        if self.fig is None or self.y - height < 0.06:
            self.new()

    def text(self, text: str, size: float = 7.0, x: float = MARGIN, width: float = 1 - 2 * MARGIN,
             gap: float = 0.0, **style: Any) -> None:  # fmt: skip
        step = size / 72.0 / A4[1] * 1.35
        lines = _wrap(text, A4[0] * width, size)
        self.need(step * len(lines) + gap)
        self.y -= gap
        fig = self.current()
        for line in lines:
            self.y -= step
            fig.text(x, self.y, line, fontsize=size, **style)

    def columns(
        self, cells: list[tuple[str, float, float]], size: float = 7.0, **style: Any
    ) -> None:
        """One table row: (text, x, width) per column, each wrapped in its column."""
        step = size / 72.0 / A4[1] * 1.35
        wrapped = [_wrap(t, A4[0] * w, size) for t, _, w in cells]
        self.need(step * max(len(w) for w in wrapped) + 0.004)
        top = self.y - 0.004
        fig = self.current()
        for lines, (_text, x, _width) in zip(wrapped, cells, strict=True):
            for i, line in enumerate(lines):
                fig.text(x, top - step * (i + 1), line, fontsize=size, **style)
        self.y = top - step * max(len(w) for w in wrapped)


ROW_COLUMNS = ((0.06, 0.27), (0.34, 0.13), (0.48, 0.17), (0.66, 0.13), (0.80, 0.16))


def report_pdf(
    report: dict[str, Any],
    cells: gpd.GeoDataFrame,
    boundary: shapely.Geometry,
    metric_crs: CRS,
    streets: gpd.GeoSeries | None,
    layers: dict[str, gpd.GeoDataFrame],
    norms: Norms | None = None,
    programme: dict[str, Any] | None = None,
    language: str = "en",
    names: dict[str, str] | None = None,
) -> bytes:
    """A printable district report (:func:`report_pages` as a PDF) in ``language`` (``names``:
    proper nouns in it, e.g. the district's); with a ``programme``
    (:func:`twin.programme.programme`) its pages close the report."""
    from matplotlib.backends.backend_pdf import PdfPages

    with in_language(language):
        figures = report_pages(report, cells, boundary, metric_crs, streets, layers, norms, names)
        if programme is not None:
            from twin.layers import REGISTRY

            labels = {k: _(spec.label) for k, spec in REGISTRY.items()}
            figures += programme_pages(programme, boundary, metric_crs, streets, labels, names)
    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"Title": f"twin report: {report['name']}",
                                    "Creator": "twin", "CreationDate": None}) as pdf:  # fmt: skip
        for fig in figures:
            _save_page(pdf, fig)
    return buffer.getvalue()


def report_pages(
    report: dict[str, Any],
    cells: gpd.GeoDataFrame,
    boundary: shapely.Geometry,
    metric_crs: CRS,
    streets: gpd.GeoSeries | None,
    layers: dict[str, gpd.GeoDataFrame],
    norms: Norms | None = None,
    names: dict[str, str] | None = None,
) -> list[Any]:
    """The report's A4 pages (matplotlib figures): a first page with the district's map and
    headline figures, the plan rows as every face words them (figure, range, plan, status,
    detail, scope, what would settle it), one map per question, the gaps by shortfall and the
    notes; ``cells`` at any resolution (their served shares are those of the report's figures)."""
    attribution = " · ".join(dict.fromkeys(report["attribution"]))
    names = names or {}

    def said(text: str) -> str:  # a sentence the core wrote, in the document's language
        return sentence(text, names)

    pages = _Pages(attribution)
    fig = pages.new()
    pages.text(said(report["name"]), 16, weight="bold")
    plan = (
        report.get("plan_zh") if language() == "zh" else None
    )  # a report stored before it: English
    pages.text(plan or _(report["plan"]), 9, gap=0.004)
    pages.text(_("measured at H3 res {res}: {cells} hexagons, {area} km², {residents} residents; "
                 "street study area {study}").format(
        res=report["base_resolution"], cells=f"{report['cells']:,}", area=f"{report['area_km2']:,}",
        residents=f"{report['residents']:,}", study=f"{report['study_area_share']:.0%}"),
        7, color="0.3", gap=0.004)  # fmt: skip
    headline = _headline_rows(report)
    pages.text(_("Headline figures"), 10, weight="bold", gap=0.012)
    for row in headline:
        rng = range_text(row)
        status = _(row["status"]) + ("; " + _("range {range}").format(range=rng) if rng else "")
        pages.columns([(_(row["label"]), 0.06, 0.30),
                       (share_text(row, "").strip() or value_text(row["measured"], row["unit"]), 0.37, 0.24),
                       (status, 0.62, 0.33)], 7.5)  # fmt: skip
    key = _first_page_map(report, cells)
    if key is not None:
        metric = metric_for(key, norms)
        top = pages.y - 0.015
        ax = fig.add_axes((0.04, 0.07, 0.7, max(0.3, top - 0.09)))
        draw_map(ax, cells, metric, boundary, metric_crs, streets,
                 layers.get(metric.sites_layer or ""), title=metric.label,
                 attribution=attribution)  # fmt: skip
    pages.new()
    pages.text(_("Plan targets and what twin measures"), 11, weight="bold")
    header = (p_("column", "target"), p_("column", "measured"), p_("column", "range"),
              p_("column", "plan"), p_("column", "status"))  # fmt: skip
    pages.columns([(h, x, w) for h, (x, w) in zip(header, ROW_COLUMNS, strict=True)], 7.5,
                  weight="bold")  # fmt: skip
    for row in report["rows"]:  # the same words as the text report and the Overview
        values = (_(row["label"]), value_text(row["measured"], row["unit"]), range_text(row),
                  plan_text(row), _(row["status"]))  # fmt: skip
        pages.columns([(v, x, w) for v, (x, w) in zip(values, ROW_COLUMNS, strict=True)], 7)
        settle = (_("to settle it: {what}").format(what=said(row["settle"]))
                  if row.get("settle") else "")  # fmt: skip
        for extra in (said(row.get("detail") or ""), said(row.get("scope") or ""), settle):
            if extra:
                pages.text(extra, 5.8, x=0.08, width=0.86, color="0.35")
    pages.text(_("Statuses: met / not met only for figures measured on real data; 'calibrated, "
                 "not measured' restates the plan on a generated layer; 'estimated' rests mostly "
                 "on straight-line walks. A range is the spread of detour factors and of other "
                 "draws of the generator."), 6.5, gap=0.012)  # fmt: skip
    for key in MAP_QUESTIONS:
        metric = metric_for(key, norms)
        if metric.column not in cells:
            continue
        fig = pages.new()
        ax = fig.add_axes((0.04, 0.07, 0.7, 0.86))
        draw_map(ax, cells, metric, boundary, metric_crs, streets,
                 layers.get(metric.sites_layer or ""), title=f"{said(report['name'])}: {metric.label}",
                 attribution=attribution)  # fmt: skip
    pages.new()
    pages.text(_("Worst gaps: the hexagons leaving the most residents unserved"), 11, weight="bold")
    for key, gaps in report["gaps"].items():
        if not gaps:
            continue
        pages.text(metric_for(key, norms).label, 8.5, weight="bold", gap=0.012)
        pages.columns([(p_("column", "near"), 0.06, 0.22), (p_("column", "subdistrict / town"), 0.29, 0.12),
                       (_("residents unserved"), 0.42, 0.14), (_("by how much"), 0.57, 0.38)], 6.5,
                      weight="bold")  # fmt: skip
        for gap in gaps[:8]:
            unserved = _("{unserved} of {residents}").format(unserved=f"{gap['unserved']:,}",
                                                             residents=f"{gap['residents']:,}")  # fmt: skip
            pages.columns([(place_text(gap.get("near") or "—"), 0.06, 0.22), (gap.get("township") or "—", 0.29, 0.12),
                           (unserved, 0.42, 0.14), (said(gap["shortfall"]), 0.57, 0.38)], 6.5)  # fmt: skip
    pages.text(_("Notes, sources and parameters"), 9, weight="bold", gap=0.015)
    for note in report.get("notes", []):
        pages.text(f"· {said(note)}", 6, x=0.07, width=0.87)
    pages.close()
    return pages.figures


MAP_QUESTIONS = (
    "base_stations",
    "base_stations_deep",
    "charging",
    "lockers",
    "life_circle",
    "standard",
)


def _headline_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the service questions (each question once, the plan's wording first)."""
    seen: set[str] = set()
    rows = []
    for row in report["rows"]:
        question = row.get("question") or ""
        if question and question not in seen and row["measured"] is not None:
            seen.add(question)
            rows.append(row)
    return rows


def _first_page_map(report: dict[str, Any], cells: gpd.GeoDataFrame) -> str | None:
    """The first page's map: the life circle where measured, else the plan's 5G question."""
    for key in ("life_circle", "base_stations_deep", "base_stations"):
        if f"served_{key}" in cells:
            return key
    return None


PROGRAMME_COLUMNS = ((0.06, 0.07), (0.14, 0.17), (0.32, 0.09), (0.42, 0.13), (0.56, 0.13),
                     (0.70, 0.1), (0.81, 0.14))  # fmt: skip


def programme_pages(
    plan: dict[str, Any],
    boundary: shapely.Geometry,
    metric_crs: CRS,
    streets: gpd.GeoSeries | None,
    labels: dict[str, str],
    names: dict[str, str] | None = None,
) -> list[Any]:
    """The programme as A4 pages: its years as a table (the figures ``twin programme --json``
    gives) and a map of its sites coloured by year; ``labels`` names each layer, ``names`` the
    proper nouns (the district) in the document's language."""
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    pages = _Pages(" · ".join(dict.fromkeys(plan["attribution"])))
    pages.new()
    name = sentence(plan["name"], names or {})
    pages.text(_("Programme: {name}").format(name=name), 14, weight="bold")
    budgets = joined(_("{layer}: {count} sites a year ({basis})").format(
        layer=labels[k], count=v, basis=sentence(plan["budget_basis"][k]))
        for k, v in plan["budget_per_year"].items())  # fmt: skip
    period = joined((labels[k] for k in plan["layers"]), ", ") + f" {plan['from']}–{plan['until']}"
    pages.text(joined([period, budgets]), 7.5, gap=0.004)
    header = (p_("column", "year"), p_("column", "layer"), _("sites added"),  # the page's words
              _("residents within reach"), _("demand served within capacity"),
              _("residents newly served"), _("plan targets met"))  # fmt: skip
    pages.columns([(h, x, w) for h, (x, w) in zip(header, PROGRAMME_COLUMNS, strict=True)], 7,
                  weight="bold")  # fmt: skip
    for layer, start in plan["start"].items():  # where the district stands: the report's figures
        values = (_("now"), labels[layer], "", percent(start["covered_share"]),
                  percent(start["capacity_share"]), "", "")  # fmt: skip
        pages.columns([(v, x, w) for v, (x, w) in zip(values, PROGRAMME_COLUMNS, strict=True)], 7)
    for entry in plan["years"]:
        for i, (layer, f) in enumerate(entry["by_layer"].items()):
            values = (str(entry["year"]), labels[layer], str(f["sites_added"]),
                      percent(f["covered_share"]), percent(f["capacity_share"]),
                      f"{f['newly_served']:,}",
                      target_names(entry["targets_met"])
                      if i == 0 else "")  # fmt: skip
            pages.columns(
                [(v, x, w) for v, (x, w) in zip(values, PROGRAMME_COLUMNS, strict=True)], 7
            )
    if plan["shared_sites"]:
        pages.text(_("{count} shared sites host two layers at one place.").format(
            count=plan["shared_sites"]), 7, gap=0.01)  # fmt: skip
    for layer, bound in plan["bound"].items():
        pages.text(_("{layer}: {served} {units} served; no choice of as many sites serves more "
                     "than {bound} ({kind} bound; gap {gap}).").format(
            layer=labels[layer], served=f"{bound['served']:,.0f}", units=_(bound["units"]),
            bound=f"{bound['upper_bound']:,.0f}", kind=_(bound["bound_kind"]),
            gap=percent(bound["gap"])), 7)  # fmt: skip
    for note in plan["basis"] + plan["assumptions"]:
        pages.text(f"· {sentence(note)}", 6.5, x=0.07, width=0.87)
    fig = pages.new()
    ax = fig.add_axes((0.04, 0.07, 0.7, 0.86))
    outline = gpd.GeoSeries([boundary], crs=4326).to_crs(metric_crs)
    if streets is not None and len(streets):
        streets.to_crs(metric_crs).plot(ax=ax, color="0.75", linewidth=0.3)
    outline.boundary.plot(ax=ax, color="black", linewidth=1.0)
    years = [y["year"] for y in plan["years"]]
    palette = colormaps["viridis"].resampled(max(len(years), 2))
    handles = []
    for k, entry in enumerate(plan["years"]):
        if not entry["sites"]:
            continue
        xy = gpd.GeoSeries(gpd.points_from_xy([s["lon"] for s in entry["sites"]],
                                              [s["lat"] for s in entry["sites"]]), crs=4326).to_crs(metric_crs)  # fmt: skip
        ax.scatter(xy.x, xy.y, s=8, color=palette(k), edgecolors="black", linewidths=0.2, zorder=5)
        label = _("{year}: {count} sites").format(year=entry["year"], count=len(entry["sites"]))
        handles.append(Patch(facecolor=palette(k), label=label))
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(_("{name}: sites by year").format(name=name), fontsize=10)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=6.5,
                  title=_("year"), title_fontsize=7)  # fmt: skip
    pages.close()
    return pages.figures
