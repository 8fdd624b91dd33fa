"""Programme: the sites to add year by year to the plan's deadline (twin.programme), on a map."""

from __future__ import annotations

import pandas as pd
import pydeck as pdk
import streamlit as st

from app_pages._cached import district_programme, load, programme_pdf_bytes
from app_pages._state import current_view, district_title, said, streets_credit
from twin.analysis.report_text import percent
from twin.districts import target_names
from twin.exports import metadata, to_geojson
from twin.i18n import _, joined, p_, sentences
from twin.layers import REGISTRY
from twin.programme import PROGRAMME_LAYERS, programme_sites
from twin.render.basemap import boundary_layer, streets_layer, view_of
from twin.render.basemap import deck as offline_deck

view = current_view()
slug = view.preset.slug
st.title(_("Programme") + f" · {district_title(view.preset)}")
st.caption(_(
    "Which sites to add, of which layer, where and in which year, to reach the plan by its "
    "deadline, with the sites that stand kept. Each year opens the places that serve the most "
    "demand still unserved within reach *and* capacity (a car park, a hospital or a compound "
    "can host a charging station and a locker group at once: a shared site). The figures are "
    "those `twin programme` prints."
))  # fmt: skip
left, mid, right = st.columns([2, 1, 1])
chosen = left.multiselect(_("Layers"), list(PROGRAMME_LAYERS), default=["lockers"],
                          format_func={k: _(REGISTRY[k].label) for k in PROGRAMME_LAYERS}.__getitem__,
                          key="programme_layers")  # fmt: skip
budget = mid.number_input(_("Sites a year (0: the plan's pace)"), 0, 2000, 0,
                          key="programme_budget")  # fmt: skip
until = right.number_input(_("Until (0: the plan's deadline)"), 0, 2100, 0, key="programme_until")
if not chosen:
    st.info(_("Pick at least one layer."))
    st.stop()
try:
    with st.spinner(_("phasing the sites …")):
        plan = district_programme(slug, tuple(chosen), int(budget) or None, int(until) or None,
                                  view.elderly)  # fmt: skip
except Exception as exc:  # a district without a plan period says so, not a traceback
    from twin._errors import TwinError

    if not isinstance(exc, TwinError):
        raise
    st.error(said(str(exc)))  # the core's sentence, in the viewer's language
    st.stop()

years = [y["year"] for y in plan["years"]]
year = st.select_slider(_("Year"), options=years, value=years[-1], key="programme_year")
rows = []
year_column = p_("column", "year")
for layer, start in plan["start"].items():  # where the district stands: the report's figures
    rows.append({
        year_column: _("now"), p_("column", "layer"): _(REGISTRY[layer].label),
        _("sites added"): "", _("residents within reach"): percent(start["covered_share"]),
        _("demand served within capacity"): percent(start["capacity_share"]),
        _("residents newly served"): "", _("plan targets met"): "",
    })  # fmt: skip
for entry in plan["years"]:
    for layer, figures in entry["by_layer"].items():
        rows.append({
            year_column: str(entry["year"]), p_("column", "layer"): _(REGISTRY[layer].label),
            _("sites added"): f"{figures['sites_added']:,}",
            _("residents within reach"): percent(figures["covered_share"]),
            _("demand served within capacity"): percent(figures["capacity_share"]),
            _("residents newly served"): f"{figures['newly_served']:,}",
            _("plan targets met"): target_names(entry["targets_met"])
            if layer == chosen[0] else "",
        })  # fmt: skip
table = pd.DataFrame(rows)
shown_years = [y == _("now") or int(y) <= year for y in table[year_column]]
st.dataframe(table[shown_years], hide_index=True, width="stretch")
shared = plan["shared_sites"]
st.caption(sentences(
    _("{count} sites by {year}").format(
        count=f"{sum(len(y['sites']) for y in plan['years'] if y['year'] <= year):,}", year=year)
    + (_("; {shared} shared sites host two layers").format(shared=shared) if shared else ""),
    _("Budgets: {budgets}").format(budgets=joined(
        _("{layer}: {count} a year ({basis})").format(
            layer=_(REGISTRY[k].label), count=v, basis=said(plan["budget_basis"][k]))
        for k, v in plan["budget_per_year"].items()))),
)  # fmt: skip
for layer, bound in plan["bound"].items():
    st.caption(_("{layer}: the programme serves {served} {units}; no choice of as many sites "
                 "serves more than {bound} ({kind} bound; gap {gap}).").format(
        layer=_(REGISTRY[layer].label), served=f"{bound['served']:,.0f}", units=_(bound["units"]),
        bound=f"{bound['upper_bound']:,.0f}", kind=_(bound["bound_kind"]),
        gap=percent(bound["gap"])))  # fmt: skip
st.caption(sentences(*(said(note) for note in plan["basis"] + plan["assumptions"])))

sites = programme_sites(plan)
shown = sites[sites["year"] <= year]
district = load(slug)
colours = {k: list(REGISTRY[k].colour) for k in PROGRAMME_LAYERS}
points = shown.assign(
    lon=shown.geometry.x, lat=shown.geometry.y,
    colour=[colours[k] for k in shown["layer"]],
    tip=[f"{_(REGISTRY[k].site_label)}, {y}" + (" " + _("(shared)") if s else "")
           for k, y, s in zip(shown["layer"], shown["year"], shown["shared"], strict=True)],
).drop(columns="geometry")  # fmt: skip
drawn = [streets_layer(district.streets.edges)] if district.has_streets else []  # by class
drawn += [
    boundary_layer(district.boundary),
    pdk.Layer("ScatterplotLayer", points, get_position=["lon", "lat"], get_fill_color="colour",
              get_radius=60, radius_min_pixels=3, pickable=True),
]  # fmt: skip
deck = offline_deck(drawn, view_of(district.boundary))
st.pydeck_chart(deck, height=520)
st.caption(
    " · ".join(filter(None, (_("Sites to add by the year chosen, coloured by layer"),
                             streets_credit(district.has_streets).strip())))
)  # fmt: skip
meta = metadata(
    plan["attribution"],
    {
        "district": slug,
        "programme": {k: v for k, v in plan.items() if k not in ("years", "attribution")},
    },
)
c1, c2 = st.columns(2)
c1.download_button(_("Download the programme (GeoJSON)"), to_geojson(sites, meta),
                   file_name=f"twin_{slug}_programme.geojson", mime="application/geo+json")  # fmt: skip
c2.download_button(_("Download the programme (PDF)"),
                   programme_pdf_bytes(slug, tuple(chosen), int(budget) or None, int(until) or None,
                                       view.elderly),
                   file_name=f"twin_{slug}_programme.pdf", mime="application/pdf")  # fmt: skip
