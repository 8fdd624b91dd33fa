"""Life circle: walking minutes per category, residents served, and one hexagon's 15 minutes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app_pages._cached import place_namer, run_settings, street_network
from app_pages._state import current_view, loaded_coverage
from twin.analysis.isochrone import reachable_pois
from twin.categories import CATEGORIES

view = current_view()
loaded, cells, report, measured = loaded_coverage(view)
lc = report["life_circle"]
st.title(f"15-minute life circle · {view.preset.label}")
speed = lc["speed_kmh"]
cols = st.columns(4)
cols[0].metric(
    "F15 (residents)",
    f"{lc['f15']:.1%}",
    help="share of residents within 15 min of every measured category",
)
cols[1].metric(
    "Mean walk",
    f"{lc['mean_time_min']:.1f} min",
    help="population-weighted mean of the cells' mean times",
)
cols[2].metric("Gini of access", f"{lc['gini']:.2f}", help="0 = everyone equally served")
cols[3].metric("Walking speed", f"{speed} km/h")

limit = lc["limit_min"]
within = f"residents within {limit:g} min"
rows = [  # the report's figures (base hexagons): the same at every hexagon size
    {"category": CATEGORIES[row["category"]],
     "mean walk (min)": "—" if row["mean_min"] is None else f"{row['mean_min']:.1f}",
     within: row["share_within"],
     "note": "" if row["mean_min"] is not None else "no POIs in the data: not measured"}
    for row in lc["categories"]
]  # fmt: skip
st.subheader("Per category")
st.dataframe(
    pd.DataFrame(rows), hide_index=True, width="stretch",
    column_config={within: st.column_config.ProgressColumn(
        format="percent", min_value=0.0, max_value=1.0)},
)  # fmt: skip

st.subheader("The national standard's checklist (GB 50180-2018)")
standard = report.get("standard") or {}
if standard.get("facilities"):
    st.caption(
        "Each facility type against its own level, as the Shanghai 15-minute community life "
        "circle guide applies GB 50180-2018: share of residents within the walking distance. "
        f"{standard['share_all_met']:.1%} of residents have every measured facility."
        + (" Most residents' distances are straight-line estimates here." if
           standard.get("basis") == "estimated" else "")
    )  # fmt: skip
    st.dataframe(
        pd.DataFrame(standard["facilities"])[["label", "level_min", "distance_m", "share_met",
                                              "residents_missing"]].rename(columns={
            "label": "facility", "level_min": "level (min)", "distance_m": "within (m)",
            "share_met": "residents served", "residents_missing": "residents not served"}),
        hide_index=True, width="stretch",
        column_config={"residents served": st.column_config.ProgressColumn(
            format="percent", min_value=0.0, max_value=1.0)},
    )  # fmt: skip
    if standard.get("unmeasured"):
        st.caption("Not measurable with the data loaded (no such POIs; OSM online or an "
                   "--osm-file brings them): " + ", ".join(standard["unmeasured"]))  # fmt: skip

st.subheader("What lies within 5, 10 and 15 minutes of a hexagon")
by_people = cells.sort_values("residents", ascending=False)["h3"].tolist()
focus = st.session_state.get("focus_cell")
top = by_people[:200]  # the most populous, named by their street
if focus in by_people and focus not in top:
    top = [focus, *top]
by_id = cells.set_index("h3").loc[top]
places = dict(zip(top, place_namer(view.preset.slug).near(by_id["lon"].to_numpy(),
                                                          by_id["lat"].to_numpy()), strict=True))  # fmt: skip
people = dict(zip(top, by_id["residents"].to_numpy(dtype=float), strict=True))
chosen = st.selectbox(
    "Hexagon (most residents first; a click on the map selects one too)", top,
    index=top.index(focus) if focus in top else 0, key="life_circle_cell",
    format_func=lambda h: f"{places.get(h) or 'unnamed'} · {people[h]:,.0f} residents",
)  # fmt: skip
row = cells.loc[cells["h3"] == chosen].iloc[0]
found = reachable_pois(loaded, street_network(view.preset.slug), row["lon"], row["lat"], speed,
                       norms=run_settings().norms)  # fmt: skip
rings = found.pivot_table(index="category", columns="ring", values="name", aggfunc="count",
                          fill_value=0)  # fmt: skip
rings = rings.reindex(columns=[c for c in ("≤ 5 min", "≤ 10 min", "≤ 15 min") if c in rings])
rings.index = [CATEGORIES.get(str(c), str(c)) for c in rings.index]  # labels, not codes
st.write(
    f"{row['residents']:,.0f} residents; {len(found):,} POIs within 15 minutes"
    + (" (some times estimated: no street data nearby)" if found["estimated"].any() else "")
)
st.dataframe(rings.cumsum(axis=1) if len(rings) else rings, width="stretch")
times = {CATEGORIES[c]: row[f"t_{c}"] for c in measured}
st.bar_chart(pd.Series(times, name="minutes to the nearest"), y_label="minutes", horizontal=True)
if row.get("gb_missing"):
    st.write(f"Missing here by the standard: {row['gb_missing']}")
elif row.get("gb_all_met"):
    st.write("Every measured facility of the standard lies within its distance here.")
if np.isfinite(row["lc_mean_min"]):
    st.caption(
        f"Categories within 5 / 10 / 15 min (residents' mean): {row['lc_5']:.1f} / "
        f"{row['lc_10']:.1f} / {row['lc_15']:.1f} of {len(measured)}"
    )
