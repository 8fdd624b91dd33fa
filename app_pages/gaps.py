"""Gaps: the hexagons with the most residents left unserved, per layer, one click from the map."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._state import current_view, loaded_coverage

LABELS = {
    "base_stations": "5G (RSRP below the threshold)",
    "charging": "Charging (beyond the radius rule)",
    "lockers": "Lockers (beyond 300 m walk)",
    "life_circle": "Life circle (some category beyond 15 min)",
}

view = current_view()
loaded, cells, report, measured = loaded_coverage(view)
st.title(f"Gaps · {view.preset.label}")
st.caption("Unserved hexagons ranked by residents. Pick one to open it on the coverage map.")

for key, label in LABELS.items():
    gaps = report["gaps"].get(key, [])
    unserved_people = sum(g["residents"] for g in gaps)
    st.subheader(label)
    if not gaps:
        st.success("No populated hexagon is unserved.")
        continue
    table = pd.DataFrame(gaps)[["h3", "residents", "value", "unit", "lon", "lat"]]
    st.caption(f"Top {len(gaps)} gaps hold {unserved_people:,.0f} residents.")
    event = st.dataframe(
        table, hide_index=True, width="stretch", on_select="rerun",
        selection_mode="single-row", key=f"gaps_{key}",
    )  # fmt: skip
    selected = event.selection.rows if event else []
    if selected:
        st.session_state["focus_cell"] = table.iloc[selected[0]]["h3"]
        st.switch_page("app_pages/coverage.py")
