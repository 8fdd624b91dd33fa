"""Gaps: the hexagons with the most residents left unserved, per layer, named by their streets."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._state import current_view, loaded_coverage

LABELS = {  # report gap key: (title, map metric that shows it)
    "base_stations": ("5G (below 90 % of locations covered)", "base_stations"),
    "charging": ("Charging (no station within its radius)", "charging"),
    "lockers": ("Lockers (no group within its 300 m walk)", "lockers"),
    "life_circle": ("Life circle (some category beyond 15 min)", "life_circle"),
}

view = current_view()
loaded, cells, report, measured = loaded_coverage(view)
st.title(f"Gaps · {view.preset.label}")
st.caption("Unserved hexagons ranked by residents, named by the nearest street or POI. Pick one "
           "to open it on the coverage map, outlined, with that layer's sites.")  # fmt: skip

for key, (label, metric) in LABELS.items():
    gaps = report["gaps"].get(key, [])
    st.subheader(label)
    if not gaps:
        st.success("No populated hexagon is unserved.")
        continue
    table = pd.DataFrame(gaps)
    table["near"] = table.get("near", "")
    table["shortfall"] = [f"{v} {u}" for v, u in zip(table["value"], table["unit"], strict=True)]
    shown = table[["near", "residents", "shortfall", "h3"]]
    st.caption(f"Top {len(gaps)} gaps hold {int(table['residents'].sum()):,} residents.")
    event = st.dataframe(
        shown, hide_index=True, width="stretch", on_select="rerun",
        selection_mode="single-row", key=f"gaps_{key}",
        column_config={"residents": st.column_config.NumberColumn(format="%d")},
    )  # fmt: skip
    selected = event.selection.rows if event else []
    if selected:
        st.session_state["focus_cell"] = shown.iloc[selected[0]]["h3"]
        st.session_state["focus_jump"] = shown.iloc[selected[0]]["h3"]  # the map flies there
        st.session_state["metric"] = metric  # keep the layer of the gap
        st.query_params["hex"] = shown.iloc[selected[0]]["h3"]
        st.query_params["metric"] = metric
        st.switch_page("app_pages/coverage.py")
