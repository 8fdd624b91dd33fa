"""Gaps: the hexagons with the most residents left unserved, per layer, named by their streets."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._cached import map_metric
from app_pages._state import current_view, loaded_coverage

GAP_KEYS = (
    "base_stations",
    "base_stations_deep",
    "charging",
    "lockers",
    "life_circle",
)  # each a question and a map

view = current_view()
st.title(f"Gaps · {view.preset.label}")
loaded, cells, report, measured = loaded_coverage(view)
st.caption(f"Res-{report['gap_resolution']} hexagons ranked by the residents they leave unserved "
           "(a hexagon sums its res-10 parts), named by the nearest street or POI and its township. Pick one to "
           "open it on the coverage map, outlined, with that layer's sites.")  # fmt: skip

for metric in GAP_KEYS:
    key = metric
    gaps = report["gaps"].get(key, [])
    rule = map_metric(metric)
    st.subheader(rule.label.split(":")[0])
    st.caption(f"Rule: {rule.rule}.")
    if not gaps:
        st.success("No populated hexagon is unserved.")
        continue
    table = pd.DataFrame(gaps)
    table["near"] = table.get("near", "")
    table["township"] = table.get("township", "")
    # by how much each misses its rule, in the rule's terms (dB, metres, categories)
    shown = table[["near", "township", "unserved", "residents", "shortfall", "h3"]]
    st.caption(f"The top {len(gaps)} gaps leave {int(table['unserved'].sum()):,} residents "
               "unserved.")  # fmt: skip
    event = st.dataframe(
        shown, hide_index=True, width="stretch", on_select="rerun",
        selection_mode="single-row", key=f"gaps_{key}",
        column_order=["near", "township", "unserved", "residents", "shortfall"],  # id: the jump
        column_config={"township": st.column_config.TextColumn("街道 / 镇", help=(
                           "the township of the nearest community health service centre named "
                           "after one (one per township in Shanghai)")),
                       "shortfall": st.column_config.TextColumn("by how much it misses the rule"),
                       "residents": st.column_config.NumberColumn(format="localized"),
                       "unserved": st.column_config.NumberColumn("residents unserved",
                                                                 format="localized")},
    )  # fmt: skip
    selected = event.selection.rows if event else []
    if selected:
        st.session_state["focus_cell"] = shown.iloc[selected[0]]["h3"]
        st.session_state["focus_jump"] = shown.iloc[selected[0]]["h3"]  # the map flies there
        st.session_state["metric"] = metric  # keep the layer of the gap
        st.query_params["hex"] = shown.iloc[selected[0]]["h3"]
        st.query_params["metric"] = metric
        st.switch_page("app_pages/coverage.py")
