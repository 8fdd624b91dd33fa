"""Coverage map: served / unserved by each layer's rule, with names, sites, a CIM view and a PNG.

The map is twin's deck.gl component: its hexagons' resolution follows the zoom (res 7 for the
whole district to res 10 at street level), the canvas is updated in place on every rerun.
"""

from __future__ import annotations

import h3
import pydeck as pdk
import streamlit as st

from app_pages._cached import (
    context_layers,
    current_layers,
    district_coverage,
    hex_columns_cached,
    inputs_token,
    load,
    map_metric,
    map_png_maker,
    place_namer,
    site_layer_specs,
    streets_spec,
    unserved_cluster,
)
from app_pages._deckmap import deck_map
from app_pages._state import (
    View,
    current_view,
    district_title,
    facility_list,
    loaded_coverage,
    osm_credit,
    other_credits,
    shown_name,
)
from twin.analysis.report import percent, row_for, row_of, share_text
from twin.analysis.served import QUESTIONS, district_share, unserved_residents
from twin.i18n import _, aside, joined, place_text, sentences
from twin.layers import REGISTRY
from twin.render.basemap import (
    CAMERA_NAMES,
    CAMERAS,
    DENSE_SITES,
    MAST_EXAGGERATION,
    SITES_ZOOM,
    buildings_layer,
    view_of,
)
from twin.render.camera import camera_from_text, camera_text, three_d_from_text, three_d_text
from twin.render.deckmap import RESOLUTIONS, resolution_for_zoom
from twin.render.facts import hexagon_facts
from twin.render.hexagons import METRICS, legend_html, outline_layer

view = current_view()
loaded = load(view.preset.slug)
params = st.query_params
st.title(_("Coverage map") + f" · {district_title(view.preset)}")

# the camera: the district, a shared link's, a gap picked on the Gaps page, a place, a preset
if "focus_jump" not in st.session_state:  # a shared link's view: its hexagon, camera and 3D
    st.session_state["focus_jump"] = params.get("hex")
    st.session_state["url_camera"] = (view.preset.slug, params.get("hex"),
                                      camera_from_text(params.get("cam")))  # fmt: skip
    three_d_link = three_d_from_text(params.get("3d"))
    if three_d_link is not None:
        st.session_state.update(three_d=True, camera=three_d_link[0], pitch=three_d_link[1],
                                bearing=three_d_link[2])  # fmt: skip
jump = st.session_state.get("focus_jump")
three_d = bool(st.session_state.get("three_d", False))
camera = st.session_state.get("camera", "District") if three_d else "District"
pitch = float(st.session_state.setdefault("pitch", 45)) if three_d else 0.0
bearing = float(st.session_state.setdefault("bearing", -20)) if three_d else 0.0
state = view_of(loaded.boundary, pitch=pitch)
state.bearing = bearing
fit = loaded.boundary.bounds if camera == "District" else None  # framed in the real canvas
if jump is not None and h3.is_valid_cell(jump):
    lat, lon = h3.cell_to_latlng(jump)
    state = pdk.ViewState(latitude=lat, longitude=lon, zoom=15, pitch=pitch, bearing=bearing)
    fit = None
# a shared link's camera, while the view is still the link's (its district, hexagon, camera)
link_slug, link_hex, link_camera = st.session_state.get("url_camera", (None, None, None))
from_link = (link_camera is not None and link_slug == view.preset.slug and link_hex == jump
             and camera == "District")  # fmt: skip
if from_link:
    state, fit = link_camera, None
    state.pitch, state.bearing = pitch, bearing  # tilted as the link's 3D
found_place = st.session_state.get("found_place")
if found_place is not None:
    state = pdk.ViewState(longitude=found_place[1], latitude=found_place[2], zoom=16,
                          pitch=pitch, bearing=bearing)  # fmt: skip
    fit = None
preset = CAMERAS.get(camera)
if preset is not None:
    lon, lat, zoom, pitch_p, bearing_p = preset
    if lon == "focus":
        lon, lat = state.longitude, state.latitude
    state = pdk.ViewState(longitude=lon, latitude=lat, zoom=zoom, pitch=pitch_p, bearing=bearing_p)
    fit = None
# what moves the camera on purpose; where it rests (the link's, then the user's) is not in it,
# so keeping the resting camera never pulls the map back while the user moves it
view_key = "|".join(map(str, (view.preset.slug, jump, found_place, camera, pitch, bearing)))

# the resolution follows the zoom: the map's last report, else the camera's zoom
follow = bool(st.session_state.get("follow_zoom", True))
event = st.session_state.get("coverage_map")
resolution = view.resolution
if follow:
    resolution = resolution_for_zoom(state.zoom)
    if (
        isinstance(event, dict)
        and event.get("view_key") == view_key
        and event.get("resolution") in RESOLUTIONS
    ):
        resolution = int(event["resolution"])
loaded, cells, report, measured = loaded_coverage(View(view.preset, resolution, view.elderly))
keys = [k for k in METRICS if METRICS[k].column in cells.columns]
if "metric" not in st.session_state:  # the URL's map, else the plan's own 5G question
    plan_5g = (row_of(report, "coverage_5g") or {}).get("question")  # (the Overview's card)
    first = params.get("metric") if params.get("metric") in keys else plan_5g
    if first in keys:
        st.session_state["metric"] = first

left, mid, right = st.columns([5, 3, 2])  # the map's name is the longest (Chinese: ≈ 30 characters)
# the widgets' names as a dict of this run's language (a test re-reads them outside the run)
metric_names = {k: map_metric(k).label for k in keys}
layer_names = {k: _(spec.label) for k, spec in REGISTRY.items()}
metric_key = left.selectbox(
    _("Map"), keys, format_func=metric_names.__getitem__, key="metric",
    help=_("Each layer's rule is the colour break: blue served, orange and red not."),
)  # fmt: skip
metric = map_metric(metric_key)
own_layer = metric.sites_layer
layers_shown = current_layers(view.preset.slug)
shown = mid.multiselect(
    _("Sites"), list(REGISTRY), default=[own_layer] if own_layer is not None else [],
    help=_("more than {count} sites are counted per hexagon when zoomed out (a disc with the "
           "count) and drawn one by one from zoom {zoom}").format(
        count=f"{DENSE_SITES:,}", zoom=f"{SITES_ZOOM:g}"),
    format_func=layer_names.__getitem__, key=f"assets_{metric_key}",
)  # fmt: skip
unserved_only = right.toggle(_("Unserved residents only"), key="unserved_only",
                             disabled=metric.unserved_flag is None)  # fmt: skip
right.toggle(_("3D CIM view"), key="three_d",
             help=_("hexagons raised by residents, 5G sites as masts with their sectors"))  # fmt: skip
right.toggle(_("Resolution follows the zoom"), value=True, key="follow_zoom",
             help=_("res 7 zoomed out to res 10 at street level; off: the sidebar's resolution"))  # fmt: skip
params["metric"] = metric_key

# headline: the report row of this map's question (the figure of every page), who is unserved
# (summed from the base hexagons: the same at every resolution) and the largest unserved cluster
namer = place_namer(view.preset.slug)
question = QUESTIONS.get(metric_key)
if question is not None and question.served in cells:
    fact = row_for(report, question.key)
    figure = share_text(fact, metric.label.split(":")[0].split("：")[0]) if fact is not None else (
        _("{share} served").format(share=percent(district_share(cells, metric_key))))  # fmt: skip
    basis = aside(_(fact["basis"])) if fact is not None else ""
    people = unserved_residents(cells, metric_key)
    # a cluster: touching base hexagons where most are not served, weighed by residents not
    # served (measured at the base resolution: it does not move with the zoom)
    cluster = unserved_cluster(view.preset.slug, metric_key, view.elderly)
    where = ""
    if cluster is not None and cluster.residents > 0:
        name = place_text(namer.near([cluster.lon], [cluster.lat])[0])
        where = _("; the largest cluster of res-{res} hexagons mostly unserved ({cells} hexagons, "
                  "{residents} residents not served) lies near {place}").format(
            res=report["base_resolution"], cells=cluster.cells,
            residents=f"{cluster.residents:,}", place=name or _("no named place"))  # fmt: skip
    headline = sentences(figure + basis + _("; {people} residents not served").format(
        people=f"{people:,.0f}") + where)  # fmt: skip
else:
    headline = _("{residents} residents in {cells} hexagons.").format(
        residents=f"{int(cells['residents'].sum()):,}", cells=f"{len(cells):,}")  # fmt: skip
st.markdown(legend_html(metric, headline), unsafe_allow_html=True)

examples = list(namer.examples)  # the district's own names, not another district's
search = st.text_input(_("Find a street or place"), key="place_search",
                       placeholder=_("e.g. {names}, a hospital's name").format(
                           names=joined(examples, ", ")) if examples else None)  # fmt: skip
st.session_state["found_place"] = None
if search:
    matches = namer.find(search)
    if matches:
        label = st.selectbox(_("Matches"), [m[0] for m in matches], key="place_match")
        st.session_state["found_place"] = next(m for m in matches if m[0] == label)
    else:
        st.caption(_("No street or POI named like “{search}” in {district}.").format(
            search=search, district=shown_name(view.preset)))  # fmt: skip
if st.session_state["found_place"] != found_place:
    st.rerun()  # the camera moves to the place found
if three_d:
    c1, c2, c3 = st.columns(3)
    c1.selectbox(_("Camera"), list(CAMERAS), key="camera",
                 format_func={k: _(CAMERA_NAMES.get(k, k)) for k in CAMERAS}.__getitem__)  # fmt: skip
    c2.slider(_("Pitch"), 0, 60, key="pitch")  # defaults set above (45°, -20°), or the link's
    c3.slider(_("Bearing"), -180, 180, key="bearing")

layers_now = current_layers(view.preset.slug)
focus = st.session_state.get("focus_cell") or params.get("hex")
deck_layers: list[pdk.Layer | dict] = []
for name in shown:
    deck_layers += site_layer_specs(view.preset.slug, name, three_d and name == "base_stations")
# boundary, street names and metro stations over the sites: a count's disc never hides a name
deck_layers += context_layers(view.preset.slug)
if focus is not None and h3.is_valid_cell(focus):
    deck_layers.append(outline_layer(focus))
if found_place is not None:
    deck_layers.append(pdk.Layer(
        "ScatterplotLayer", [{"lon": found_place[1], "lat": found_place[2], "tip": found_place[0]}],
        id="found", get_position=["lon", "lat"], get_fill_color=[255, 0, 120, 255],
        get_radius=7, radius_units='"pixels"', stroked=True, get_line_color=[255, 255, 255, 255],
        line_width_min_pixels=2, pickable=True,  # a pin in pixels: the same size at every zoom
    ))  # fmt: skip
# the area sent (districts too large to send whole): moved by the zoom's reports, not by the
# camera coming to rest (that only keeps the view in the URL)
if isinstance(event, dict) and event.get("view_key") == view_key and not event.get("settled"):
    st.session_state["coverage_bounds"] = (view_key, event.get("bounds"))
bounds_key, bounds = st.session_state.get("coverage_bounds", (None, None))
bounds = bounds if bounds_key == view_key else None
hexes = hex_columns_cached(view.preset.slug, resolution, view.elderly,
                           inputs_token(view.preset.slug), metric_key, unserved_only,
                           tuple(bounds) if bounds else None)  # fmt: skip
base = {}  # heavy layers, sent once per canvas
if loaded.has_streets:
    base[f"{view.preset.slug}-streets"] = lambda: streets_spec(
        view.preset.slug, inputs_token(view.preset.slug)
    )
has_buildings = loaded.buildings is not None and len(loaded.buildings) > 0
if three_d and has_buildings:
    base[f"{view.preset.slug}-buildings"] = lambda: buildings_layer(loaded.buildings)
event = deck_map(
    "coverage_map", layers=deck_layers, view=state, view_key=view_key, hexes=hexes,
    metric=metric, extruded=three_d, resolution=resolution, follow_zoom=follow, once=base,
    height=600, fit=fit, report_view=True,
)  # fmt: skip
if isinstance(event, dict) and event.get("view_key") == view_key and event.get("view"):
    params["cam"] = camera_text(event["view"])  # the URL holds where the camera rests ...
    if event.get("settled"):  # ... and so does the session: a 3D toggle or slider keeps it
        st.session_state["url_camera"] = (view.preset.slug, jump, camera_from_text(params["cam"]))
if three_d:
    params["3d"] = three_d_text(camera, pitch, bearing)
else:
    params.pop("3d", None)
st.caption(
    (_("Basemap: streets by class, metro stations and the boundary drawn from the data, no "
       "web tiles. Streets {credit} (ODbL). ").format(credit=osm_credit()) if loaded.has_streets
     else _("Basemap: metro stations and the boundary drawn from the data (no street data "
            "loaded), no web tiles. "))
    + other_credits(report["attribution"])
)  # fmt: skip
if three_d and has_buildings:
    tagged = int((loaded.buildings["height_from"] != "assumed").sum())
    st.caption(_("{buildings} OSM buildings extruded to their height ({tagged} tagged with a "
                 "height or levels; the others at their type's usual floors × 3 m). Masts drawn "
                 "{times}× their height.").format(buildings=f"{len(loaded.buildings):,}",
                                                  tagged=f"{tagged:,}",
                                                  times=f"{MAST_EXAGGERATION:g}"))  # fmt: skip
elif three_d:
    st.caption(_("No OSM buildings are loaded (the offline data pack has none): the 3D view "
                 "raises hexagons by residents and draws the 5G masts ({times}× their height). "
                 "Buildings come with `twin fetch` online or an `--osm-file` extract that has "
                 "them, extruded to their height.").format(times=f"{MAST_EXAGGERATION:g}"))  # fmt: skip
st.download_button(
    _("Download this map (PNG, with legend, scale bar and north arrow)"),
    map_png_maker(view.preset.slug, resolution, view.elderly, metric_key, unserved_only),
    file_name=f"twin_{view.preset.slug}_{metric_key}.png", mime="image/png",
)  # fmt: skip

clicked = event.get("clicked") if event and event.get("view_key") == view_key else None
chosen = clicked or focus
if clicked and clicked != st.session_state.get("focus_cell"):
    st.session_state["focus_cell"] = clicked
    params["hex"] = clicked
    st.rerun()  # outline the hexagon clicked
chosen_cells = cells
if chosen is not None and h3.is_valid_cell(chosen) and h3.get_resolution(chosen) != resolution:
    chosen_cells = district_coverage(view.preset.slug, h3.get_resolution(chosen), view.elderly)[0]
if chosen is not None and chosen in set(chosen_cells["h3"]):
    params["hex"] = chosen
    row = chosen_cells.loc[chosen_cells["h3"] == chosen].iloc[0]
    near = place_text(namer.near([row["lon"]], [row["lat"]])[0])
    st.subheader(_("Hexagon {cell}").format(cell=chosen)
                 + (" · " + _("near {place}").format(place=near) if near else ""))  # fmt: skip
    st.markdown(hexagon_facts(row, len(measured)))  # whole figures, never cut off
    if row.get("gb_missing"):
        st.caption(
            _("Missing here by GB 50180: {facilities}").format(
                facilities=facility_list(row["gb_missing"])
            )
        )
else:
    st.caption(_("Click a hexagon to see its figures."))
