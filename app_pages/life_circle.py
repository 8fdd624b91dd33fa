"""Life circle: walking minutes per category, residents served, and one hexagon's 15 minutes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app_pages._cached import place_namer, run_settings, street_network
from app_pages._state import (
    PERCENT_BAR,
    current_view,
    district_title,
    facility_list,
    loaded_coverage,
    row_caption,
)
from twin.analysis.isochrone import reachable_pois
from twin.analysis.report_text import percent, percent_text, row_for
from twin.categories import CATEGORIES
from twin.i18n import _, bilingual, p_, place_text

view = current_view()
st.title(_("15-minute life circle") + f" · {district_title(view.preset)}")
loaded, cells, report, measured = loaded_coverage(view)
lc = report["life_circle"]
speed = lc["speed_kmh"]
f15 = row_for(report, "life_circle")  # the report's row: the Overview's figure, basis and range
cols = st.columns(4)
cols[0].metric(
    _("F15 (residents)"),
    percent_text(f15),
    help=_("share of residents within 15 min of every measured category"),
)
cols[1].metric(
    _("Mean walk"),
    _("{minutes} min").format(minutes=f"{lc['mean_time_min']:.1f}"),
    help=_("population-weighted mean of the cells' mean times"),
)
cols[2].metric(_("Gini of access"), f"{lc['gini']:.2f}", help=_("0 = everyone equally served"))
cols[3].metric(_("Walking speed"), _("{speed} km/h").format(speed=speed))
if f15 is not None:
    st.caption(row_caption(f15))

limit = lc["limit_min"]
within = _("residents within {limit} min").format(limit=f"{limit:g}")
rows = [  # the report's figures (base hexagons): the same at every hexagon size
    {p_("column", "category"): _(CATEGORIES[row["category"]]),
     _("mean walk (min)"): "—" if row["mean_min"] is None else f"{row['mean_min']:.1f}",
     within: None if row["share_within"] is None else 100 * row["share_within"],
     p_("column", "note"): "" if row["mean_min"] is not None else _("no POIs in the data: not measured")}
    for row in lc["categories"]
]  # fmt: skip
st.subheader(_("Per category"))
st.dataframe(
    pd.DataFrame(rows), hide_index=True, width="stretch",
    column_config={within: PERCENT_BAR},
)  # fmt: skip

st.subheader(_("The national standard's checklist (GB 50180-2018)"))
standard = report.get("standard") or {}
if standard.get("facilities"):
    st.caption(
        _("Each facility type against its own level, as the Shanghai 15-minute community life "
          "circle guide applies GB 50180-2018: share of residents within the walking distance. "
          "{share} of residents have every measured facility.").format(
            share=percent(standard["share_all_met"]))
        + (" " + _("Most residents' distances are straight-line estimates here.") if
           standard.get("basis") == "estimated" else "")
        + " " + _("F15 above asks for one POI of each of its {categories} categories within "
                  "{limit} minutes' walk; this checklist asks for each of its {facilities} "
                  "facility types within its own level's distance ({levels} min): another "
                  "question, so its share with every facility is another figure.").format(
            categories=len(measured), limit=f"{limit:g}",
            facilities=len(standard["facilities"]),  # the measured ones
            levels=" / ".join(f"{m:g}" for m in sorted({float(f["level_min"])
                                                        for f in standard["facilities"]})))
    )  # fmt: skip
    st.dataframe(
        pd.DataFrame(standard["facilities"])[["label", "level_min", "distance_m", "share_met",
                                              "residents_missing"]]
        .assign(label=lambda t: t["label"].map(bilingual),  # 幼儿园 in Chinese
                share_met=lambda t: 100 * t["share_met"])
        .rename(columns={
            "label": p_("column", "facility"), "level_min": _("level (min)"),
            "distance_m": _("within (m)"), "share_met": _("residents served"),
            "residents_missing": _("residents not served")}),
        hide_index=True, width="stretch",
        column_config={_("residents served"): PERCENT_BAR,
            _("residents not served"): st.column_config.NumberColumn(format="localized")},
    )  # fmt: skip
    if standard.get("unmeasured"):
        st.caption(_("Not measurable with the data loaded (no such POIs; OSM online or an "
                     "--osm-file brings them): {facilities}").format(
            facilities=facility_list(standard["unmeasured"])))  # fmt: skip

ring_list = [float(r) for r in report["parameters"]["rings_min"]]  # the build's rings and limit
ring_names = {r: _("{minutes} min").format(minutes=f"{r:g}") for r in ring_list}
st.subheader(
    _("What lies within {rings} of a hexagon").format(rings=" / ".join(ring_names.values()))
)
by_people = cells.sort_values("residents", ascending=False)["h3"].tolist()
focus = st.session_state.get("focus_cell")
top = by_people[:200]  # the most populous, named by their street
if focus in by_people and focus not in top:
    top = [focus, *top]
by_id = cells.set_index("h3").loc[top]
named = place_namer(view.preset.slug).near(by_id["lon"].to_numpy(), by_id["lat"].to_numpy())
places = dict(zip(top, map(place_text, named), strict=True))
people = dict(zip(top, by_id["residents"].to_numpy(dtype=float), strict=True))
chosen = st.selectbox(
    _("Hexagon (most residents first; a click on the map selects one too)"), top,
    index=top.index(focus) if focus in top else 0, key="life_circle_cell",
    format_func={h: _("{place} · {people} residents").format(
        place=places.get(h) or _("unnamed"), people=f"{people[h]:,.0f}") for h in top}.__getitem__,
)  # fmt: skip
row = cells.loc[cells["h3"] == chosen].iloc[0]
found = reachable_pois(loaded, street_network(view.preset.slug), row["lon"], row["lat"], speed,
                       limit, norms=run_settings().norms, rings_min=ring_list)  # fmt: skip
rings = found.pivot_table(index="category", columns="ring_min", values="name", aggfunc="count",
                          fill_value=0)  # fmt: skip
rings = rings.reindex(columns=ring_list, fill_value=0)  # every ring, even empty
rings.columns = ["≤ " + ring_names[r] for r in rings.columns]
rings.index = [_(CATEGORIES.get(str(c), str(c))) for c in rings.index]  # labels, not codes
st.write(
    _("{residents} residents; from the hexagon's centre, {pois} POIs within {minutes} minutes").format(
        residents=f"{row['residents']:,.0f}", pois=f"{len(found):,}",
        minutes=f"{limit:g}")
    + (" " + _("(some times estimated: no street data nearby)") if found["estimated"].any() else "")
)  # fmt: skip
st.dataframe(rings.cumsum(axis=1) if len(rings) else rings, width="stretch")
category_column, minutes_column = (
    p_("column", "category"),
    _("mean minutes to the nearest (residents)"),  # no apostrophe: a chart's field name
)
times = pd.DataFrame({category_column: [_(CATEGORIES[c]) for c in measured],
                      minutes_column: [row[f"t_{c}"] for c in measured]})  # fmt: skip
st.bar_chart(times, x=category_column, y=minutes_column, x_label="", y_label=_("minutes"), sort=False,
             horizontal=True)  # fmt: skip
if row.get("gb_missing"):
    st.write(
        _("Missing here by the standard: {facilities}").format(
            facilities=facility_list(row["gb_missing"])
        )
    )
elif row.get("gb_all_met"):
    st.write(_("Every measured facility of the standard lies within its distance here."))
if np.isfinite(row["lc_mean_min"]):
    st.caption(
        _("Categories within {rings} (residents' mean): {counts} of {n}").format(
            rings=" / ".join(ring_names.values()),
            counts=" / ".join(f"{row[f'lc_{r:g}']:.1f}" for r in ring_list), n=len(measured))
    )  # fmt: skip
