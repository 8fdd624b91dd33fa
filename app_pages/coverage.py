"""Coverage map: served / unserved by each layer's rule, with names, sites, a CIM view and a PNG."""

from __future__ import annotations

import pydeck as pdk
import streamlit as st

from app_pages._cached import (
    current_layers,
    hexagon_data,
    layers_token,
    place_namer,
    static_map_png,
)
from app_pages._state import current_view, loaded_coverage
from twin.analysis.places import largest_cluster
from twin.context import LayerContext
from twin.render.basemap import (
    CAMERAS,
    OSM_CREDIT,
    boundary_layer,
    deck,
    mast_layers,
    points_layer,
    street_labels_layer,
    streets_layer,
    view_of,
)
from twin.render.hexagons import METRICS, hexagon_layer, legend_html, outline_layer, unserved_mask
from twin.settings import Settings

ASSET_STYLE = {  # layer: (label, colour, tooltip columns, radius m)
    "base_stations": ("5G site", [30, 30, 30, 230], ["band", "height_m", "downtilt_deg"], 12),
    "charging": ("Charging station", [0, 140, 140, 230], ["piles", "fast_piles", "service_radius_m"], 25),
    "lockers": ("Locker group", [150, 60, 170, 220], ["site_type", "compartments", "status"], 10),
}  # fmt: skip

view = current_view()
loaded, cells, report, measured = loaded_coverage(view)
st.title(f"Coverage map · {view.preset.label}")
params = st.query_params
keys = [k for k in METRICS if METRICS[k].column in cells.columns]
if "metric" not in st.session_state and params.get("metric") in keys:
    st.session_state["metric"] = params["metric"]

left, mid, right = st.columns([2, 2, 1])
metric_key = left.selectbox(
    "Map", keys, format_func=lambda k: METRICS[k].label, key="metric",
    help="Each layer's rule is the colour break: blue served, orange and red not.",
)  # fmt: skip
metric = METRICS[metric_key]
own_layer = metric.sites_layer
shown = mid.multiselect(
    "Sites", list(ASSET_STYLE), default=[own_layer] if own_layer else [],
    format_func=lambda k: ASSET_STYLE[k][0] + "s", key=f"assets_{metric_key}",
)  # fmt: skip
unserved_only = right.toggle("Unserved residents only", key="unserved_only",
                             disabled=metric.unserved_flag is None)  # fmt: skip
three_d = right.toggle("3D CIM view", key="three_d",
                       help="hexagons raised by residents, 5G sites as masts with their sectors")  # fmt: skip
online = not Settings.from_env().offline
web_basemap = right.toggle("Web basemap", key="web_basemap", disabled=not online,
                           help="CARTO tiles, online only; offline the streets drawn from OSM are the basemap")  # fmt: skip
params["metric"] = metric_key

# headline: who is unserved, and where the largest cluster is
namer = place_namer(view.preset.slug)
ctx = LayerContext(loaded)
if metric.unserved_flag is not None:
    mask = unserved_mask(cells, metric)
    people = int(cells.loc[mask, "residents"].sum())
    total = max(int(cells["residents"].sum()), 1)
    cluster = largest_cluster(cells, mask, ctx)
    where = ""
    if cluster is not None:
        name = namer.near([cluster.lon], [cluster.lat])[0]
        where = (f"; the largest unserved cluster ({cluster.cells} hexagons, "
                 f"{cluster.residents:,} residents) lies near {name or 'no named place'}")  # fmt: skip
    headline = f"{people:,} residents unserved ({people / total:.0%}){where}."
else:
    headline = f"{int(cells['residents'].sum()):,} residents in {len(cells):,} hexagons."
st.markdown(legend_html(metric, headline), unsafe_allow_html=True)

search = st.text_input("Find a street or place", key="place_search",
                       placeholder="e.g. 四川北路, 虹口足球场, hospital name")  # fmt: skip
found_place = None
if search:
    matches = namer.find(search)
    if matches:
        label = st.selectbox("Matches", [m[0] for m in matches], key="place_match")
        found_place = next(m for m in matches if m[0] == label)
    else:
        st.caption(f"No street or POI named like “{search}” in {view.preset.name_en}.")
focus = st.session_state.get("focus_cell") or params.get("hex")
camera = "District"
if three_d:
    c1, c2, c3 = st.columns(3)
    camera = c1.selectbox("Camera", list(CAMERAS), key="camera")
    pitch = c2.slider("Pitch", 0, 60, 45, key="pitch")
    bearing = c3.slider("Bearing", -180, 180, -20, key="bearing")
else:
    pitch, bearing = 0.0, 0.0

layers_now = current_layers(view.preset.slug)
deck_layers = []
if loaded.has_streets:
    deck_layers.append(streets_layer(loaded.streets.lines))
try:
    payload = hexagon_data(view.preset.slug, view.resolution, view.elderly,
                           layers_token(view.preset.slug), metric_key, unserved_only)  # fmt: skip
    deck_layers.append(hexagon_layer(cells, metric, extruded=three_d, data=payload))
except ValueError as exc:  # too many hexagons for one view
    st.warning(str(exc))
    st.stop()
deck_layers.append(boundary_layer(loaded.boundary))
if loaded.has_streets:
    labels = street_labels_layer(loaded.streets.edges)
    if labels is not None:
        deck_layers.append(labels)
for name in shown:
    label, colour, columns, radius = ASSET_STYLE[name]
    if three_d and name == "base_stations":
        deck_layers.extend(mast_layers(layers_now[name]))
    else:
        deck_layers.append(points_layer(layers_now[name], name, colour, columns, radius, label))
if focus is not None and focus in set(cells["h3"]):
    deck_layers.append(outline_layer(focus))

state = view_of(loaded.boundary, pitch=pitch)
state.bearing = bearing
preset = CAMERAS.get(camera)
if focus is not None and focus in set(cells["h3"]):
    row = cells.loc[cells["h3"] == focus].iloc[0]
    state = pdk.ViewState(latitude=row["lat"], longitude=row["lon"], zoom=15, pitch=pitch,
                          bearing=bearing)  # fmt: skip
if found_place is not None:
    state = pdk.ViewState(longitude=found_place[1], latitude=found_place[2], zoom=16,
                          pitch=pitch, bearing=bearing)  # fmt: skip
    deck_layers.append(pdk.Layer(
        "ScatterplotLayer", [{"lon": found_place[1], "lat": found_place[2], "tip": found_place[0]}],
        id="found", get_position=["lon", "lat"], get_fill_color=[255, 0, 120, 255],
        get_radius=20, radius_min_pixels=6, pickable=True,
    ))  # fmt: skip
if preset is not None:
    lon, lat, zoom, pitch_p, bearing_p = preset
    if lon == "focus":
        lon, lat = state.longitude, state.latitude
    state = pdk.ViewState(longitude=lon, latitude=lat, zoom=zoom, pitch=pitch_p, bearing=bearing_p)
event = st.pydeck_chart(
    deck(deck_layers, state, web_basemap and online), height=600, on_select="rerun",
    selection_mode="single-object", key="coverage_map",
)  # fmt: skip
st.caption(
    f"Basemap: streets and boundary drawn from the data, no web tiles. Streets {OSM_CREDIT} "
    "(ODbL). " + " · ".join(dict.fromkeys(report["attribution"]))
)
if three_d and not any("building" in str(s.get("note", "")) for s in loaded.summary()["sources"]):
    st.caption("No OSM buildings are loaded (the offline data pack has none): the 3D view raises "
               "hexagons by residents; `twin fetch --osm-file` with buildings adds them.")  # fmt: skip
st.download_button(
    "Download this map (PNG, with legend, scale bar and north arrow)",
    static_map_png(view.preset.slug, view.resolution, view.elderly, metric_key, unserved_only),
    file_name=f"twin_{view.preset.slug}_{metric_key}.png", mime="image/png",
)  # fmt: skip

picked = (event.selection.objects or {}).get("hexagons", []) if event else []
chosen = picked[0]["h3"] if picked else focus
if chosen is not None and chosen in set(cells["h3"]):
    st.session_state["focus_cell"] = chosen
    params["hex"] = chosen
    row = cells.loc[cells["h3"] == chosen].iloc[0]
    near = namer.near([row["lon"]], [row["lat"]])[0]
    st.subheader(f"Hexagon {chosen}" + (f" · near {near}" if near else ""))
    figures = st.columns(5)
    figures[0].metric("Residents", f"{int(row['residents']):,}")
    if "p_covered_5g" in row:
        figures[1].metric("5G covered", f"{row['p_covered_5g']:.0%} of locations",
                          f"RSRP {row['rsrp_dbm']:.0f} dBm, SINR {row['sinr_db']:.0f} dB",
                          delta_color="off")  # fmt: skip
    if "charging_m" in row:
        figures[2].metric("Charging walk", f"{row['charging_m']:,.0f} m",
                          f"radius {row['charging_radius_m']:,.0f} m"
                          + (", estimated" if row["charging_estimated"] else ""),
                          delta_color="off")  # fmt: skip
    if "locker_m" in row:
        figures[3].metric("Locker walk", f"{row['locker_m']:,.0f} m",
                          "served" if row["covered_lockers"] else "not served",
                          delta_color="off")  # fmt: skip
    figures[4].metric("Within 15 min", f"{row['lc_15']} of {len(measured)} categories")
    if row.get("gb_missing"):
        st.caption(f"Missing here by GB 50180: {row['gb_missing']}")
else:
    st.caption("Click a hexagon to see its figures.")
