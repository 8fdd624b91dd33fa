"""Side by side: two layers of a district, or two districts, on two maps with one camera.

Each side is the coverage map's own pieces (the build's hexagons, its report row, its sites
counted or drawn by zoom); the two canvases share their camera in the browser (a
``BroadcastChannel``, no server round trip): the whole camera for two layers of one place, the
zoom, pitch and bearing for two districts (each stays centred on its own). The URL holds the
pair (``pair``, ``left``, ``right``, ``with``).
"""

from __future__ import annotations

import streamlit as st

from app_pages._cached import (
    context_layers,
    hex_columns_cached,
    inputs_token,
    load,
    map_metric,
    site_layer_specs,
)
from app_pages._deckmap import CAMERA_FIELDS, deck_map
from app_pages._state import (
    View,
    current_view,
    district_title,
    loaded_coverage,
    osm_credit,
    shown_name,
)
from twin.analysis.report import row_for, share_text
from twin.analysis.served import QUESTIONS
from twin.districts import DistrictPreset, load_presets
from twin.i18n import _, aside
from twin.render.basemap import (
    view_of,
)
from twin.render.deckmap import RESOLUTIONS, resolution_for_zoom
from twin.render.hexagons import METRICS, legend_html

MODES = {"layers": _("Two layers of this district"), "districts": _("Two districts")}
PLACE_FIELDS = ("zoom", "pitch", "bearing")  # two districts: each stays on its own ground

view = current_view()
presets = {p.slug: p for p in load_presets()}
params = st.query_params
st.title(_("Side by side") + f" · {district_title(view.preset)}")
st.caption(_("Two maps, one camera: move either and the other follows. Each side shows its "
             "report figure, its hexagons and its sites exactly as the coverage map does."))  # fmt: skip

keys = [k for k in METRICS if k in QUESTIONS]
if "compare_mode" not in st.session_state:  # a shared link's pair
    st.session_state["compare_mode"] = (
        params.get("pair") if params.get("pair") in MODES else "layers"
    )
    st.session_state["compare_left"] = params.get("left") if params.get("left") in keys else keys[0]
    right_default = "charging" if "charging" in keys else keys[-1]
    st.session_state["compare_right"] = (
        params.get("right") if params.get("right") in keys else right_default
    )
    other = params.get("with")
    st.session_state["compare_with"] = (
        other if other in presets and other != view.preset.slug
        else next(s for s in presets if s != view.preset.slug)
    )  # fmt: skip
metric_names = {k: map_metric(k).label for k in keys}  # named in this run's language
mode = st.segmented_control(_("Compare"), list(MODES), key="compare_mode",
                            format_func=MODES.__getitem__) or "layers"  # fmt: skip
c1, c2 = st.columns(2)
if mode == "layers":
    left_metric = c1.selectbox(_("Left"), keys, key="compare_left",
                               format_func=metric_names.__getitem__)  # fmt: skip
    right_metric = c2.selectbox(_("Right"), keys, key="compare_right",
                                format_func=metric_names.__getitem__)  # fmt: skip
    sides = [(view.preset, left_metric), (view.preset, right_metric)]
    fields = CAMERA_FIELDS
else:
    left_metric = c1.selectbox(_("Map"), keys, key="compare_left",
                               format_func=metric_names.__getitem__)  # fmt: skip
    other_slug = c2.selectbox(
        _("Compared with"), [s for s in presets if s != view.preset.slug], key="compare_with",
        format_func=lambda s: shown_name(presets[s]),
    )  # fmt: skip
    sides = [(view.preset, left_metric), (presets[other_slug], left_metric)]
    fields = PLACE_FIELDS
params.update(pair=mode, left=left_metric, right=sides[1][1])
if mode == "districts":
    params["with"] = sides[1][0].slug
else:
    params.pop("with", None)


def draw_side(key: str, preset: DistrictPreset, metric_key: str) -> None:
    """One side: the report figure as its headline, its map, then its legend."""
    view_key = f"compare|{mode}|{preset.slug}"
    event = st.session_state.get(key)
    district = load(preset.slug)
    boundary = district.boundary
    first = view_of(boundary)
    resolution = resolution_for_zoom(first.zoom)
    if isinstance(event, dict) and event.get("view_key") == view_key:
        resolution = event["resolution"] if event.get("resolution") in RESOLUTIONS else resolution
    report = loaded_coverage(View(preset, resolution, view.elderly))[2]
    metric = map_metric(metric_key)
    fact = row_for(report, QUESTIONS[metric_key].key)
    headline = f"{shown_name(preset)} · " + share_text(
        fact, metric.label.split(":")[0].split("：")[0]
    )
    if fact is not None:
        headline += aside(_(fact["basis"]))
    st.markdown(f"**{headline}**")
    layers = [] if metric.sites_layer is None else site_layer_specs(preset.slug, metric.sites_layer)
    layers += context_layers(preset.slug)  # boundary, street names, metro stations: on top
    bounds = (
        event.get("bounds")
        if isinstance(event, dict) and event.get("view_key") == view_key
        else None
    )
    hexes = hex_columns_cached(preset.slug, resolution, view.elderly, inputs_token(preset.slug),
                               metric_key, False, tuple(bounds) if bounds else None)  # fmt: skip
    deck_map(key, layers=layers, view=first, view_key=view_key, hexes=hexes, metric=metric,
             resolution=resolution, follow_zoom=True, height=520, fit=boundary.bounds,
             sync=f"compare-{mode}", sync_fields=fields)  # fmt: skip
    st.markdown(legend_html(metric), unsafe_allow_html=True)  # under the map: the maps align


for column, key, (preset, metric_key) in zip(st.columns(2), ("compare_a", "compare_b"), sides,
                                             strict=True):  # fmt: skip
    with column:
        draw_side(key, preset, metric_key)
st.caption(_("Basemap: metro stations and the boundary drawn from the data, no web tiles. "
             "Sites counted per hexagon when zoomed out. Data {credit} (ODbL).").format(credit=osm_credit()))  # fmt: skip
