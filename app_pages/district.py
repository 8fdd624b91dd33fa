"""District page: what is loaded, where it came from, and a map drawn from the data itself."""

from __future__ import annotations

import streamlit as st

from app_pages._cached import load
from app_pages._state import said
from twin.districts import load_presets
from twin.i18n import _
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

with st.status(_("Loading {district} …").format(district=presets[slug].label),
               expanded=False) as status:  # fmt: skip
    loaded = load(slug)
    status.update(label=_("{district} loaded").format(district=presets[slug].label),
                  state="complete")  # fmt: skip

summary = loaded.summary()
st.title(f"{summary['name_en']} {summary['name_zh']}")
cols = st.columns(4)
cols[0].metric(_("Area"), _("{area} km²").format(area=f"{summary['boundary_area_km2']:.1f}"))
cols[1].metric(_("Street network"), _("{nodes} nodes").format(nodes=f"{summary['street_nodes']:,}"))
cols[2].metric(_("Study area"), f"{summary['study_area_share']:.0%}")
cols[3].metric(_("Residents"), f"{summary['residents']:,}")
for note in summary["notes"]:
    st.info(said(note))

layers = [boundary_layer(loaded.boundary)]
if loaded.has_streets:
    layers.insert(0, streets_layer(loaded.streets.edges))
pois = loaded.pois[loaded.pois["in_district"]]
layers.append(points_layer(pois.assign(feature_id=pois["name"]), "pois", [230, 120, 30, 200],
                           ["category", "facility"], 12, "POI"))  # fmt: skip
if loaded.has_streets:
    labels = street_labels_layer(loaded.streets.edges)
    if labels is not None:
        layers.append(labels)
st.pydeck_chart(deck(layers, view_of(loaded.boundary)), height=560)
st.caption(_("Streets {credit} (ODbL). ").format(credit=OSM_CREDIT)
           + " · ".join(summary["attribution"]))  # fmt: skip
st.subheader(_("POIs by category"))
st.bar_chart(summary["pois_by_category"])
st.subheader(_("Sources"))
st.dataframe(summary["sources"], hide_index=True)
