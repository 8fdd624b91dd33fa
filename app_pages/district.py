"""District page: what is loaded, where it came from, and a map drawn from the data itself."""

from __future__ import annotations

import streamlit as st

from app_pages._cached import load
from twin.districts import load_presets
from twin.render.basemap import (
    OSM_CREDIT,
    boundary_layer,
    deck,
    points_layer,
    street_labels_layer,
    streets_layer,
    view_of,
)

presets = {p.slug: p for p in load_presets()}
slug = st.session_state.get("district", "hongkou")

with st.status(f"Loading {presets[slug].label} …", expanded=False) as status:
    loaded = load(slug)
    status.update(label=f"{presets[slug].label} loaded", state="complete")

summary = loaded.summary()
st.title(f"{summary['name_en']} {summary['name_zh']}")
cols = st.columns(4)
cols[0].metric("Area", f"{summary['boundary_area_km2']:.1f} km²")
cols[1].metric("Street network", f"{summary['street_nodes']:,} nodes")
cols[2].metric("Study area", f"{summary['study_area_share']:.0%}")
cols[3].metric("Residents", f"{summary['residents']:,}")
for note in summary["notes"]:
    st.info(note)

layers = [boundary_layer(loaded.boundary)]
if loaded.has_streets:
    layers.insert(0, streets_layer(loaded.streets.lines))
pois = loaded.pois[loaded.pois["in_district"]]
layers.append(points_layer(pois.assign(feature_id=pois["name"]), "pois", [230, 120, 30, 200],
                           ["category", "facility"], 12, "POI"))  # fmt: skip
if loaded.has_streets:
    labels = street_labels_layer(loaded.streets.edges)
    if labels is not None:
        layers.append(labels)
st.pydeck_chart(deck(layers, view_of(loaded.boundary)), height=560)
st.caption(f"Streets {OSM_CREDIT} (ODbL). " + " · ".join(summary["attribution"]))
st.subheader("POIs by category")
st.bar_chart(summary["pois_by_category"])
st.subheader("Sources")
st.dataframe(summary["sources"], hide_index=True)
