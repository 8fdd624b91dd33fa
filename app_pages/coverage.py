"""Coverage map: hexagons coloured by a metric, assets, boundary and streets; 2D or 3D CIM view."""

from __future__ import annotations

import pydeck as pdk
import streamlit as st

from app_pages._cached import current_layers
from app_pages._state import current_view, loaded_coverage
from twin.render.basemap import OSM_CREDIT, boundary_layer, points_layer, streets_layer, view_of
from twin.render.hexagons import METRICS, hexagon_layer, legend_html, metric_for
from twin.settings import Settings

ASSET_STYLE = {  # layer: (label, colour, tooltip columns, radius m)
    "base_stations": ("5G base stations", [40, 90, 200, 220], ["feature_id", "band", "height_m"], 12),
    "charging": ("Charging stations", [0, 140, 140, 230], ["feature_id", "piles", "fast_piles"], 25),
    "lockers": ("Locker groups", [150, 60, 170, 220], ["feature_id", "site_type", "compartments"], 10),
}  # fmt: skip
METRIC_LABELS = {key: m.label for key, m in METRICS.items()}
TOOLTIP = {
    "html": "<b>{h3}</b><br/>value: {value}<br/>residents: {residents}"
    "<br/>{feature_id} {band}{piles}{site_type}",
    "style": {"fontSize": "12px"},
}

view = current_view()
loaded, cells, report, measured = loaded_coverage(view)
st.title(f"Coverage map · {view.preset.label}")

left, mid, right = st.columns([2, 2, 1])
metric_key = left.selectbox(
    "Colour hexagons by", list(METRIC_LABELS), format_func=METRIC_LABELS.__getitem__, key="metric"
)
shown = mid.multiselect(
    "Assets", list(ASSET_STYLE), default=["charging"],
    format_func=lambda k: ASSET_STYLE[k][0], key="assets",
)  # fmt: skip
three_d = right.toggle("3D CIM view", key="three_d")
online = not Settings.from_env().offline
web_basemap = right.toggle("Web basemap", key="web_basemap", disabled=not online,
                           help="CARTO tiles, online only; offline the streets drawn from OSM are the basemap")  # fmt: skip
pitch, bearing = 0.0, 0.0
if three_d:
    c1, c2 = st.columns(2)
    pitch = c1.slider("Pitch", 0, 60, 45, key="pitch")
    bearing = c2.slider("Bearing", -180, 180, -20, key="bearing")

metric = metric_for(metric_key, cells)
if metric.column not in cells.columns:
    st.warning(f"{metric.label} is not available: its layer is missing.")
    st.stop()

deck_layers = []
if loaded.has_streets:
    deck_layers.append(streets_layer(loaded.graph))
try:
    deck_layers.append(hexagon_layer(cells, metric, ["residents"], extruded=three_d))
except ValueError as exc:  # too many hexagons for one view
    st.warning(str(exc))
    st.stop()
deck_layers.append(boundary_layer(loaded.boundary))
layers = current_layers(view.preset.slug)
for name in shown:
    label, colour, columns, radius = ASSET_STYLE[name]
    frame = layers[name]
    deck_layers.append(
        points_layer(frame, name, colour, [c for c in columns if c in frame], radius)
    )

state = view_of(loaded.boundary, pitch=pitch)
state.bearing = bearing
focus = st.session_state.get("focus_cell")
if focus is not None and focus in set(cells["h3"]):
    row = cells.loc[cells["h3"] == focus].iloc[0]
    state = pdk.ViewState(latitude=row["lat"], longitude=row["lon"], zoom=15, pitch=pitch,
                          bearing=bearing)  # fmt: skip
deck = pdk.Deck(
    layers=deck_layers, initial_view_state=state, tooltip=TOOLTIP,
    map_style="light" if web_basemap and online else None,
)  # fmt: skip
event = st.pydeck_chart(
    deck, height=600, on_select="rerun", selection_mode="single-object", key="coverage_map"
)
st.markdown(legend_html(metric), unsafe_allow_html=True)
st.caption(
    f"Basemap: streets and boundary drawn from the data, no web tiles. Streets {OSM_CREDIT} "
    "(ODbL). " + " · ".join(report["attribution"])
)

picked = (event.selection.objects or {}).get("hexagons", []) if event else []
chosen = picked[0]["h3"] if picked else focus
if chosen is not None and chosen in set(cells["h3"]):
    st.session_state["focus_cell"] = chosen
    row = cells.loc[cells["h3"] == chosen].iloc[0]
    st.subheader(f"Hexagon {chosen}")
    figures = st.columns(5)
    figures[0].metric("Residents", f"{row['residents']:,.0f}")
    if "rsrp_dbm" in row:
        figures[1].metric("5G RSRP", f"{row['rsrp_dbm']:.0f} dBm", row["quality_5g"],
                          delta_color="off")  # fmt: skip
    if "charging_m" in row:
        figures[2].metric("Charging walk", f"{row['charging_m']:,.0f} m",
                          "estimated" if row["charging_estimated"] else "street network",
                          delta_color="off")  # fmt: skip
    if "locker_m" in row:
        figures[3].metric("Locker walk", f"{row['locker_m']:,.0f} m",
                          "covered" if row["covered_lockers"] else "not covered",
                          delta_color="off")  # fmt: skip
    figures[4].metric("Within 15 min", f"{row['lc_15']} / {len(measured)} categories")
else:
    st.caption("Click a hexagon to see its figures.")
