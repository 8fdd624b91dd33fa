"""What-if: add, move or remove sites, accept recommendations, compare before and after."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import streamlit as st

from app_pages._cached import current_layers, street_network
from app_pages._state import current_view, loaded_coverage
from layers._context import LayerContext
from twin.analysis.engine import Coverage, CoverageParams
from twin.analysis.report import plan_report
from twin.analysis.whatif import diff_layers, update
from twin.export import metadata, to_geojson
from twin.render.basemap import OSM_CREDIT, boundary_layer, points_layer, view_of
from twin.render.hexagons import hexagon_layer, legend_html, metric_for

LAYERS = {  # layer: (label, metric key, covered flag)
    "charging": ("Charging stations", "charging", "covered_charging"),
    "lockers": ("Locker groups", "lockers", "covered_lockers"),
    "base_stations": ("5G base stations", "rsrp", "covered_5g"),
}

view = current_view()
slug = view.preset.slug
loaded, cells, report, measured = loaded_coverage(view)
st.title(f"What-if · {view.preset.label}")
layer = st.selectbox("Layer", list(LAYERS), format_func=lambda k: LAYERS[k][0], key="whatif_layer")
label, metric_key, flag = LAYERS[layer]

original = current_layers(slug)[layer]
scenarios = st.session_state.setdefault("scenarios", {})
key = (slug, layer, view.resolution)
if key not in scenarios:
    scenarios[key] = {"frame": original.copy(), "cells": cells, "log": []}
scenario = scenarios[key]
ctx = LayerContext(loaded)
cells_xy = np.column_stack(ctx.to_metric.transform(cells["lon"], cells["lat"]))
params = CoverageParams(resolution=view.resolution, elderly=view.elderly)


def apply(new_frame: gpd.GeoDataFrame, what: str) -> None:
    """Update the scenario incrementally and log how long it took."""
    start = time.perf_counter()
    change = diff_layers(scenario["frame"], new_frame, ctx.xy)
    updated, touched = update(scenario["cells"], cells_xy, layer, new_frame, ctx.xy(new_frame),
                              change, street_network(slug), params)  # fmt: skip
    elapsed = (time.perf_counter() - start) * 1000
    scenario.update(frame=new_frame, cells=updated)
    scenario["log"].append(
        f"{what}: {touched:,} of {len(cells):,} hexagons recomputed in {elapsed:.0f} ms"
    )


def new_site(lon: float, lat: float, number: int) -> gpd.GeoDataFrame:
    template = (
        scenario["frame"].iloc[[0]].copy() if len(scenario["frame"]) else original.iloc[[0]].copy()
    )
    template["feature_id"] = f"WHATIF-{number:04d}"
    template["source"] = "what-if"
    if "status" in template:
        template["status"] = "new"  # a planned locker group counts towards the plan's new groups
    return template.set_geometry(gpd.points_from_xy([lon], [lat]), crs=4326)


focus = st.session_state.get("focus_cell")
fallback = cells.loc[cells["residents"].idxmax()]  # a populated cell, inside the district
row = cells.loc[cells["h3"] == focus].iloc[0] if focus in set(cells["h3"]) else fallback
add_tab, move_tab, remove_tab, rec_tab = st.tabs(["Add", "Move", "Remove", "Recommended"])
with add_tab:
    c1, c2 = st.columns(2)
    lon = c1.number_input(
        "Longitude (WGS-84)", value=float(row["lon"]), format="%.6f", key="add_lon"
    )
    lat = c2.number_input(
        "Latitude (WGS-84)", value=float(row["lat"]), format="%.6f", key="add_lat"
    )
    st.caption("Defaults to the hexagon last clicked on the coverage map.")
    if st.button("Add a site here", key="add_site"):
        if not loaded.boundary.contains(gpd.points_from_xy([lon], [lat])[0]):
            st.error("That point is outside the district; pick a point inside the boundary.")
        else:
            number = len(scenario["log"]) + 1
            apply(
                pd.concat([scenario["frame"], new_site(lon, lat, number)], ignore_index=True),
                "added a site",
            )
ids = scenario["frame"]["feature_id"].astype(str).tolist()
with move_tab:
    mover = st.selectbox("Site", ids, key="move_id")
    c1, c2 = st.columns(2)
    dx = c1.number_input("Move east (m)", value=200.0, step=50.0, key="move_dx")
    dy = c2.number_input("Move north (m)", value=0.0, step=50.0, key="move_dy")
    if st.button("Move", key="move_site") and mover:
        frame = scenario["frame"].copy()
        index = frame.index[frame["feature_id"].astype(str) == mover]
        xy = ctx.xy(frame.loc[index]) + np.array([dx, dy])
        mlon, mlat = ctx.lonlat(xy)
        frame.loc[index, "geometry"] = gpd.points_from_xy(mlon, mlat)
        apply(frame.set_crs(4326, allow_override=True), f"moved {mover}")
with remove_tab:
    gone = st.multiselect("Sites to remove", ids, key="remove_ids")
    if st.button("Remove", key="remove_sites") and gone:
        frame = scenario["frame"]
        apply(
            frame[~frame["feature_id"].astype(str).isin(gone)].copy(), f"removed {len(gone)} sites"
        )
with rec_tab:
    k = st.number_input("How many new sites", 1, 200, 5, key="rec_k")
    if st.button("Recommend", key="recommend"):
        from twin.siting import recommend

        with st.spinner("maximal covering (lazy greedy) …"):
            st.session_state["recommended"], st.session_state["recommended_summary"] = recommend(
                loaded, layer, scenario["cells"], add=int(k), params=params)  # fmt: skip
    recommended = st.session_state.get("recommended")
    if recommended is not None and len(recommended):
        st.dataframe(recommended.drop(columns="geometry"), hide_index=True)
        if st.button(f"Accept these {len(recommended)} sites into the scenario", key="accept"):
            start = len(scenario["log"]) + 1
            added = [new_site(p.x, p.y, start + i) for i, p in enumerate(recommended.geometry)]
            apply(
                pd.concat([scenario["frame"], *added], ignore_index=True),
                f"accepted {len(added)} recommended sites",
            )
            st.session_state["recommended"] = None
    elif recommended is not None:
        st.info(st.session_state["recommended_summary"].get("note", "No site adds residents."))

for line in scenario["log"][-5:]:
    st.caption(line)

metric = metric_for(metric_key, cells)
before_share = float(cells.loc[cells[flag], "residents"].sum() / max(cells["residents"].sum(), 1))
after_cells = scenario["cells"]
after_share = float(
    after_cells.loc[after_cells[flag], "residents"].sum() / max(after_cells["residents"].sum(), 1)
)
left, right = st.columns(2)
for column, title, frame, these, share in [
    (left, "Before", original, cells, before_share),
    (right, "After", scenario["frame"], after_cells, after_share),
]:
    column.subheader(title)
    column.metric(f"Residents served ({label.lower()})", f"{share:.1%}",
                  None if title == "Before" else f"{(after_share - before_share) * 100:+.1f} pts")  # fmt: skip
    column.caption(f"{len(frame):,} sites · service index {these['service_index'].mean():.1f}")
    deck = pdk.Deck(
        layers=[hexagon_layer(these, metric, ["residents"]), boundary_layer(loaded.boundary),
                points_layer(frame, f"{layer}_{title}", [20, 20, 20, 220], ["feature_id"], 15)],
        initial_view_state=view_of(loaded.boundary), map_style=None,
        tooltip={"text": "{h3}: {value}"},
    )  # fmt: skip
    column.pydeck_chart(deck, height=380, key=f"whatif_map_{title}")
st.markdown(legend_html(metric), unsafe_allow_html=True)
st.caption(f"Streets and POIs {OSM_CREDIT} (ODbL).")

st.subheader("Plan report, before and after")
layers_after = current_layers(slug) | {layer: scenario["frame"]}
after_report = plan_report(loaded, Coverage(after_cells, params, measured, 0.0), layers_after)
before_rows = {r["key"]: r for r in report["rows"] if r["measured"] is not None}
after_rows = {r["key"]: r for r in after_report["rows"]}
st.dataframe(
    pd.DataFrame([
        {"target": r["label"], "before": r["measured"], "after": after_rows[k]["measured"],
         "plan": r["target"], "status before": r["status"], "status after": after_rows[k]["status"]}
        for k, r in before_rows.items() if k in after_rows
    ]),
    hide_index=True, width="stretch",
)  # fmt: skip

meta = metadata(
    report["attribution"], {"district": slug, "layer": layer, "scenario": scenario["log"]}
)
c1, c2 = st.columns(2)
c1.download_button("Download the scenario layer (GeoJSON)", to_geojson(scenario["frame"], meta),
                   file_name=f"twin_{slug}_{layer}_scenario.geojson", mime="application/geo+json")  # fmt: skip
if c2.button("Reset the scenario", key="reset_scenario"):
    scenarios.pop(key, None)
    st.rerun()
