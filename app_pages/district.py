"""District page: what is loaded, where it came from, and a map drawn from the data itself."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._cached import load, run_settings
from app_pages._state import district_title, other_credits, said, streets_credit
from twin.categories import CATEGORIES
from twin.districts import load_presets
from twin.i18n import _, bilingual, p_
from twin.render.basemap import (
    boundary_layer,
    deck,
    points_layer,
    street_labels_layer,
    streets_layer,
    view_of,
)

presets = {p.slug: p for p in load_presets()}
slug = st.session_state.get("district", "hongkou")

with st.status(_("Loading {district} …").format(district=district_title(presets[slug])),
               expanded=False) as status:  # fmt: skip
    loaded = load(slug)
    status.update(label=_("{district} loaded").format(district=district_title(presets[slug])),
                  state="complete")  # fmt: skip

summary = loaded.summary()
st.title(district_title(presets[slug]))
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
facilities = {f.key: bilingual(f.label) for f in run_settings().norms.walking.facilities}
shown_pois = pois.assign(  # tooltips name a POI's category and facility type, not their codes
    feature_id=pois["name"],
    category=pois["category"].map(lambda c: _(CATEGORIES.get(c, c))),
    facility=pois["facility"].map(lambda f: facilities.get(f, _(f)) if isinstance(f, str) else ""),
)  # fmt: skip
layers.append(points_layer(shown_pois, "pois", [230, 120, 30, 200], ["category", "facility"], 12,
                           _("POI")))  # fmt: skip
if loaded.has_streets:
    labels = street_labels_layer(loaded.streets.edges)
    if labels is not None:
        layers.append(labels)
st.pydeck_chart(deck(layers, view_of(loaded.boundary)), height=560)
st.caption(streets_credit(loaded.has_streets)
           + other_credits(summary["attribution"]))  # fmt: skip
st.subheader(_("POIs by category"))
category_column, count_column = p_("column", "category"), _("POIs")
by_category = pd.DataFrame({
    category_column: [_(CATEGORIES.get(c, c)) for c in summary["pois_by_category"]],
    count_column: list(summary["pois_by_category"].values()),
})  # fmt: skip
st.bar_chart(
    by_category, x=category_column, y=count_column, x_label="", y_label=count_column, sort=False
)  # in the scheme's order
st.subheader(_("Sources"))
sources = pd.DataFrame(summary["sources"], columns=["kind", "origin", "crs", "attribution", "note"])
st.dataframe(
    pd.DataFrame({  # the record's words in the viewer's language; paths and licences as written
        p_("column", "kind"): [_(k) for k in sources["kind"]],
        p_("column", "origin"): [_(o) for o in sources["origin"]],
        p_("column", "CRS"): [_(c) for c in sources["crs"]],
        p_("column", "attribution"): [_(a) for a in sources["attribution"]],
        p_("column", "note"): [said(n) for n in sources["note"]],
    }),
    hide_index=True,
)  # fmt: skip
