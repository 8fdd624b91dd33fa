"""The only place with st.cache_*: the run's settings, districts, layers and builds, once each.

The viewer is one more face of the one pipeline: :func:`district_build` calls
:func:`twin.analysis.build.build` with the run's settings (norms, calibration, measured signal,
saved inventories), exactly as ``twin build`` does, and every page reads its figures from that
build's report rows and its hexagons from :meth:`Build.cells` (aggregated from the base
resolution, so the sidebar's resolution changes the hexagons drawn, never a figure).

Builds and graphs are resources (``st.cache_resource``: shared, never copied, read only);
small frames are data (``st.cache_data``). Every cache key holds :func:`inputs_token`: this session's uploads (layers
uploaded on the Data page live in the session's state, so two sessions never see each other's
inventories), the settings and what the store holds for the district (so a ``twin calibrate``
run while the viewer is open reaches its next page).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from twin.analysis.build import Build, build
from twin.analysis.engine import LAYERS, CoverageParams
from twin.analysis.places import Cluster, PlaceNamer, largest_cluster
from twin.analysis.report import worst_gaps
from twin.analysis.report_text import figure_line, row_for
from twin.analysis.served import QUESTIONS
from twin.context import LayerContext
from twin.districts import chinese_names, district_title, load_presets
from twin.exports import EXTENSIONS, csv_metadata, export_bytes, metadata
from twin.i18n import _, in_language, language
from twin.layers import REGISTRY
from twin.model import District
from twin.network import StreetNetwork
from twin.norms import Norms
from twin.programme import programme
from twin.render.basemap import (
    boundary_layer,
    landmark_layers,
    landmarks,
    site_layers,
    street_labels_layer,
    streets_layer,
)
from twin.render.deckmap import HexColumns, hex_columns, layer_json
from twin.render.hexagons import Metric, metric_for
from twin.render.static import map_png, report_pdf
from twin.settings import Settings
from twin.store.district import load_district
from twin.store.layers import layer_for
from twin.store.reports import load_report, plan_report_key
from twin.store.stamp import stored_inputs

IMPORTS_KEY = "imported_layers"


def run_settings() -> Settings:
    """The run configuration, resolved at the viewer's edge (``TWIN_*``); cheap, and part of
    every cache key below, so a changed setting never meets a stale build."""
    return Settings.from_env()


def run_key(slug: str) -> str:
    """The settings and what the store holds for ``slug`` (measured signal, calibration,
    imported inventories): a ``twin calibrate`` while the viewer runs reaches the next page."""
    settings = run_settings()
    return f"{settings!r}|{stored_inputs(slug, settings)}"


@st.cache_resource(show_spinner=False)
def _load(slug: str, settings_key: str) -> District:
    return load_district(slug, run_settings())


def load(slug: str) -> District:
    """The district ``slug`` from the cache or its sources."""
    return _load(slug, repr(run_settings()))


@st.cache_data(show_spinner=False)
def _generated_layer(slug: str, layer: str, key: str) -> gpd.GeoDataFrame:
    return layer_for(load(slug), layer, run_settings())


def generated_layer(slug: str, layer: str) -> gpd.GeoDataFrame:
    """The layer a build of ``slug`` uses: an imported inventory, else the generated one."""
    return _generated_layer(slug, layer, run_key(slug))


def session_imports(slug: str) -> dict[str, gpd.GeoDataFrame]:
    """Layers this session uploaded for ``slug`` (Data page)."""
    return st.session_state.setdefault(IMPORTS_KEY, {}).get(slug, {})


def use_import(slug: str, layer: str, frame: gpd.GeoDataFrame | None) -> None:
    """Put ``frame`` in place of the generated ``layer`` for this session (None restores it)."""
    imports = st.session_state.setdefault(IMPORTS_KEY, {}).setdefault(slug, {})
    if frame is None:
        imports.pop(layer, None)
    else:
        imports[layer] = frame


def current_layers(slug: str) -> dict[str, gpd.GeoDataFrame]:
    imports = session_imports(slug)
    return {name: imports.get(name, generated_layer(slug, name)) for name in LAYERS}


def inputs_token(slug: str) -> str:
    """Everything a build of ``slug`` depends on beyond the district, as one cache key: this
    session's uploaded layers (a content fingerprint), the settings and the store's measured
    signal, calibration and imported inventories (:func:`run_key`)."""
    digest = hashlib.sha256(run_key(slug).encode())
    for name, frame in sorted(session_imports(slug).items()):
        digest.update(name.encode())
        digest.update(pd.util.hash_pandas_object(frame.drop(columns="geometry")).values.tobytes())
        digest.update(b"".join(frame.geometry.to_wkb()))
    return digest.hexdigest()[:16]


@st.cache_resource(show_spinner=False, max_entries=16)
def _build(slug: str, elderly: bool, token: str, _layers: dict[str, gpd.GeoDataFrame]) -> Build:
    """The one pipeline for ``slug`` (``token``: :func:`inputs_token`)."""
    settings = run_settings()
    params = CoverageParams.from_settings(settings, None, elderly)
    other = _build(slug, False, token, _layers) if elderly else None  # lends its 5G columns
    return build(load(slug), settings, params, _layers, reuse=other)


def district_build(slug: str, elderly: bool = False) -> Build:
    """The build of ``slug`` with this session's layers: its report is every page's figures."""
    return _build(slug, elderly, inputs_token(slug), current_layers(slug))


def district_report(slug: str, elderly: bool = False) -> dict[str, Any]:
    """The report of :func:`district_build` without loading the district where the store has
    it: read where `twin prepare` and `twin report` leave it (keyed by every input it depends
    on, :func:`twin.store.reports.plan_report_key`), else the build's own. The viewer only
    reads that store: a build it holds in memory may predate a `twin fetch` or a code change,
    so it never writes its report under today's key. A session that uploaded layers for
    ``slug`` gets its own build's report."""
    if session_imports(slug):
        return district_build(slug, elderly).report
    stored = _stored_report(slug, elderly, run_key(slug))
    return stored if stored is not None else district_build(slug, elderly).report


@st.cache_resource(show_spinner=False, max_entries=32)
def _stored_report(slug: str, elderly: bool, run: str) -> dict[str, Any] | None:
    """The stored report of ``slug`` under this run's inputs (``run``: :func:`run_key`)."""
    settings = run_settings()
    stored = load_report(*plan_report_key(slug, settings, elderly), settings)
    if stored is None or not isinstance(stored.get("rows"), list) or "has_streets" not in stored:
        return None  # missing, or not the report this code writes: built instead
    return stored


@st.cache_resource(show_spinner=False, max_entries=64)
def _unserved_cluster(
    slug: str, elderly: bool, token: str, question: str, _result: Build
) -> Cluster | None:
    cells = _result.cells()  # the base hexagons: the same cluster at every hexagon size shown
    served = QUESTIONS[question]
    mostly = (cells[served.served].to_numpy(dtype=float) < 0.5) & (cells["residents"] > 0)
    ctx = LayerContext(_result.district, _result.coverage.params.norms)
    return largest_cluster(cells, mostly.to_numpy(), ctx, served.unserved)


def unserved_cluster(slug: str, question: str, elderly: bool = False) -> Cluster | None:
    """The largest group of touching *base* hexagons mostly not served for ``question`` (a key
    of :data:`twin.analysis.served.QUESTIONS`), weighed by its residents not served: measured
    once per build, so it does not move with the zoom or the hexagon size shown."""
    return _unserved_cluster(slug, elderly, inputs_token(slug), question,
                             district_build(slug, elderly))  # fmt: skip


@st.cache_resource(show_spinner=False, max_entries=64)
def _view(
    slug: str, resolution: int, elderly: bool, token: str, _result: Build
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Hexagons at ``resolution`` and the report with its gaps listed at that resolution."""
    cells = _result.cells(resolution)
    gaps = worst_gaps(_result.coverage, namer=place_namer(slug), resolution=resolution)
    return cells, _result.report | {"gaps": gaps, "gap_resolution": resolution}


GAP_LIST = 200  # gaps listed per question for the Gaps page's filters (the report keeps 10)


@st.cache_resource(show_spinner=False, max_entries=16)
def _gap_list(
    slug: str, resolution: int, elderly: bool, token: str, _result: Build
) -> dict[str, list[dict[str, Any]]]:
    return worst_gaps(
        _result.coverage, top=GAP_LIST, namer=place_namer(slug), resolution=resolution
    )


def district_gap_list(slug: str, resolution: int, elderly: bool = False) -> dict[str, list[dict]]:
    """The report's gaps of ``slug`` at ``resolution``, listed deeper (the same ranking and
    names: the report's ten are the first ten), for filtering by residents, township, shortfall."""
    return _gap_list(slug, resolution, elderly, inputs_token(slug), district_build(slug, elderly))


def district_coverage(
    slug: str, resolution: int | None = None, elderly: bool = False
) -> tuple[gpd.GeoDataFrame, dict[str, Any], list[str]]:
    """(hexagons at ``resolution``, the report, measured categories) of ``slug``: the figures
    are the build's, the same at every resolution (None: the base)."""
    result = district_build(slug, elderly)
    shown = min(resolution or result.base_resolution, result.base_resolution)
    cells, report = _view(slug, shown, elderly, inputs_token(slug), result)
    return cells, report, result.coverage.measured_categories


@st.cache_data(show_spinner=False, max_entries=64)
def hex_columns_cached(
    slug: str,
    resolution: int,
    elderly: bool,
    token: str,
    metric_key: str,
    unserved_only: bool,
    view_bounds: tuple[float, float, float, float] | None = None,
) -> HexColumns:
    """The map's hexagons as binary columns, built once per district, resolution, profile,
    layers, metric, filter (and view, for districts too large to send whole), not on every
    rerun of every session (``token``: :func:`inputs_token`)."""
    cells, _, _ = district_coverage(slug, resolution, elderly)
    return hex_columns(cells, map_metric(metric_key), unserved_only, view_bounds)


# The map's layers as deck.gl JSON, built once per district, inputs and language (not per rerun
# of every session): pydeck's own serialisation is slow, and the first map waits for it.
@st.cache_resource(show_spinner=False, max_entries=32)
def _context_specs(slug: str, token: str, lang: str) -> tuple[dict, ...]:
    loaded = load(slug)
    with in_language(lang):
        layers = [boundary_layer(loaded.boundary)]
        labels = street_labels_layer(loaded.streets.edges) if loaded.has_streets else None
        layers += [labels] if labels is not None else []
        layers += landmark_layers(loaded.pois)
        return tuple(layer_json(layer) for layer in layers)


def context_layers(slug: str) -> list[dict]:
    """The boundary, street names and metro stations of ``slug`` (deck.gl JSON, the run's
    language): what every map of the district draws for context."""
    return list(_context_specs(slug, inputs_token(slug), language()))


@st.cache_resource(show_spinner=False, max_entries=64)
def _site_specs(
    slug: str, name: str, token: str, lang: str, masts: bool, _sites: gpd.GeoDataFrame
) -> tuple[dict, ...]:
    spec = REGISTRY[name]
    with in_language(lang):
        layers = site_layers(_sites, name, list(spec.colour), list(spec.tip_columns),
                             spec.marker_m, _(spec.site_label), masts=masts)  # fmt: skip
        return tuple(layer_json(layer) for layer in layers)


def site_layer_specs(slug: str, name: str, masts: bool = False) -> list[dict]:
    """The sites of layer ``name`` as this session's builds see them (deck.gl JSON, the run's
    language; ``masts``: drawn as 3D masts)."""
    return list(_site_specs(slug, name, inputs_token(slug), language(), masts,
                            current_layers(slug)[name]))  # fmt: skip


@st.cache_resource(show_spinner=False, max_entries=8)
def streets_spec(slug: str, token: str) -> dict:
    """The streets of ``slug`` by class (deck.gl JSON; ``token``: :func:`inputs_token`)."""
    return layer_json(streets_layer(load(slug).streets.edges))


@st.cache_resource(show_spinner=False)
def place_namer(slug: str) -> PlaceNamer:
    """Names the places of ``slug`` (nearest named street or POI)."""
    return PlaceNamer(load(slug))


def map_png_maker(
    slug: str, resolution: int, elderly: bool, metric_key: str, unserved_only: bool
) -> Callable[[], bytes]:
    """The current map as a PNG (same classes as the viewer, in its language), for a deferred
    download: what it draws is read in this run (this session's layers, the language), the
    drawing happens only when the planner asks for it, and once per map (cached)."""
    token, lang = inputs_token(slug), language()
    loaded = load(slug)
    cells, report = district_coverage(slug, resolution, elderly)[:2]
    sites = current_layers(slug).get(map_metric(metric_key).sites_layer or "")
    streets = street_lines(slug)
    attribution = " · ".join(dict.fromkeys(report["attribution"]))
    norms = run_settings().norms
    figure = figure_line(row_for(report, metric_key))  # the headline's figure, for the title

    def make() -> bytes:
        return _map_png(slug, resolution, elderly, metric_key, unserved_only, token, lang,
                        cells, loaded, streets, sites, attribution, norms, figure)  # fmt: skip

    return make


@st.cache_data(show_spinner=False, max_entries=16)
def _map_png(
    slug: str, resolution: int, elderly: bool, metric_key: str, unserved_only: bool, token: str,
    lang: str, _cells: gpd.GeoDataFrame, _loaded: District, _streets: gpd.GeoSeries | None,
    _sites: gpd.GeoDataFrame | None, _attribution: str, _norms: Norms, figure: str = "",
) -> bytes:  # fmt: skip
    with in_language(lang):
        title = district_title(_loaded.preset) + (f"\n{figure}" if figure else "")
        return map_png(_cells, metric_key, _loaded.boundary, _loaded.metric_crs, _streets, _sites,
                       unserved_only, title, _attribution, _norms,
                       landmarks(_loaded.pois))  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=8)
def district_report_pdf(
    slug: str, resolution: int, elderly: bool, token: str, lang: str = "en"
) -> bytes:
    """The printable district report (targets, one map per layer, gaps, sources) as a PDF in
    ``lang``; ``token``: :func:`inputs_token`."""
    loaded = load(slug)
    cells, report, _ = district_coverage(slug, resolution, elderly)
    return report_pdf(report, cells, loaded.boundary, loaded.metric_crs, street_lines(slug),
                      current_layers(slug), run_settings().norms, language=lang,
                      names=chinese_names())  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=16)
def _programme(
    slug: str, layers: tuple[str, ...], budget: int | None, until: int | None, elderly: bool,
    token: str,
) -> dict[str, Any]:  # fmt: skip
    return programme(district_build(slug, elderly), layers, None, until, budget)


def district_programme(
    slug: str, layers: tuple[str, ...], budget: int | None, until: int | None, elderly: bool
) -> dict[str, Any]:
    """The district's programme (:func:`twin.programme.programme`), as ``twin programme``
    gives it for these layers, budget and last year; computed once per inputs."""
    return _programme(slug, layers, budget, until, elderly, inputs_token(slug))


@st.cache_data(show_spinner=False, max_entries=8)
def _programme_pdf(
    slug: str, layers: tuple[str, ...], budget: int | None, until: int | None, elderly: bool,
    token: str, lang: str,
) -> bytes:  # fmt: skip
    result = district_build(slug, elderly)
    loaded = load(slug)
    plan = district_programme(slug, layers, budget, until, elderly)
    return report_pdf(result.report, result.cells(min(9, result.base_resolution)),
                      loaded.boundary, loaded.metric_crs, street_lines(slug), result.layers,
                      run_settings().norms, programme=plan, language=lang,
                      names=chinese_names())  # fmt: skip


def programme_pdf_bytes(
    slug: str, layers: tuple[str, ...], budget: int | None, until: int | None, elderly: bool
) -> bytes:
    """The district report with the programme as its last section (``twin programme --pdf``)."""
    return _programme_pdf(slug, layers, budget, until, elderly, inputs_token(slug), language())


@st.cache_data(show_spinner=False, max_entries=64)
def _export_file(
    slug: str, key: str, fmt: str, resolution: int, elderly: bool, token: str
) -> tuple[bytes, bytes | None]:
    cells, report, _ = district_coverage(slug, resolution, elderly)
    frame = cells if key == "hexagons" else current_layers(slug)[key]
    meta = metadata(report["attribution"], report["parameters"] | {
        "district": slug, "resolution": resolution,
        "base_resolution": report["base_resolution"], "elderly": elderly})  # fmt: skip
    data = export_bytes(frame, fmt, meta, layer=key)
    name = f"twin_{slug}_{key}{EXTENSIONS[fmt]}"
    return data, (csv_metadata(frame, meta, name) if fmt == "csv" else None)


def export_file(
    slug: str, key: str, fmt: str, resolution: int, elderly: bool
) -> tuple[bytes, bytes | None]:
    """A download of the Export page (``key``: hexagons or a layer) in ``fmt``, and its CSVW
    sidecar for CSV: built once per build and format, not on every rerun."""
    return _export_file(slug, key, fmt, resolution, elderly, inputs_token(slug))


@st.cache_resource(show_spinner=False)
def city_boundaries() -> gpd.GeoDataFrame:
    """The sixteen districts' outlines (WGS-84) with their slug and label, from the data pack
    (empty without one): the city page's map."""
    from twin.sources.boundary import pack_district_boundaries

    frame = pack_district_boundaries(run_settings())
    presets = {p.adcode: p for p in load_presets()}
    known = frame["adcode"].astype(str).isin(presets)
    frame = frame[known].copy()
    frame["slug"] = [presets[str(a)].slug for a in frame["adcode"]]
    frame["label"] = [presets[str(a)].label for a in frame["adcode"]]
    frame["geometry"] = frame.geometry.simplify(0.0005)
    return frame[["slug", "label", "geometry"]]


@st.cache_resource(show_spinner=False)
def street_lines(slug: str) -> gpd.GeoSeries | None:
    """The street network's edges as lines (None without streets)."""
    loaded = load(slug)
    return loaded.streets.lines if loaded.has_streets else None


def map_metric(key: str) -> Metric:
    """The map metric ``key`` under the run's norms (its breaks, legend and rule)."""
    return metric_for(key, run_settings().norms)


@st.cache_resource(show_spinner=False)
def street_network(slug: str) -> StreetNetwork | None:
    """The CSR street network of ``slug`` (None without streets)."""
    loaded = load(slug)
    return loaded.streets.network if loaded.has_streets else None
