"""Gaps: the hexagons with the most residents left unserved, per layer, named by their streets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app_pages._cached import district_gap_list, map_metric
from app_pages._state import current_view, district_title, loaded_coverage, said, view_params
from twin.i18n import _, p_, place_text, sentences

GAP_KEYS = (
    "base_stations",
    "base_stations_deep",
    "charging",
    "lockers",
    "life_circle",
)  # each a question and a map

view = current_view()
st.title(_("Gaps") + f" · {district_title(view.preset)}")
loaded, cells, report, measured = loaded_coverage(view)
st.caption(_("Res-{res} hexagons ranked by the residents they leave unserved (a hexagon sums its "
             "res-10 parts), named by the nearest street or POI and its township. Pick one to "
             "open it on the coverage map, outlined, with that layer's sites.").format(
    res=report["gap_resolution"]))  # fmt: skip

# filters planners ask for, kept in the URL: residents left unserved, township, shortfall
params = st.query_params
listed = district_gap_list(view.preset.slug, report["gap_resolution"], view.elderly)
townships = sorted({str(g.get("township") or "") for k in GAP_KEYS for g in listed.get(k, [])}
                   - {""})  # fmt: skip
if "gaps_min" not in st.session_state:
    floor = str(params.get("min_unserved", "0"))
    st.session_state["gaps_min"] = int(floor) if floor.isdigit() else 0
    st.session_state["gaps_townships"] = [t for t in params.get("townships", "").split(",")
                                          if t in townships]  # fmt: skip
    st.session_state["gaps_shortfall"] = params.get("shortfall", "")
f1, f2, f3 = st.columns([1, 2, 2])
least = f1.number_input(_("At least this many residents unserved"), 0, 1_000_000, step=50,
                        key="gaps_min")  # fmt: skip
chosen_townships = f2.multiselect(_("Townships (街道 / 镇)"), townships, key="gaps_townships",
                                  placeholder=_("all"))  # fmt: skip
words = f3.text_input(_("Shortfall contains"), key="gaps_shortfall",
                      placeholder=_("e.g. Culture, 1,000 m, dBm"))  # fmt: skip
params["min_unserved"] = str(int(least))
params["townships"] = ",".join(chosen_townships)
params["shortfall"] = words


filtering = bool(least or chosen_townships or words.strip())


def kept(gaps: pd.DataFrame, question: str) -> pd.Series:
    """The gaps of ``question`` the filters keep (without a filter: the report's own ten)."""
    if not filtering:
        return pd.Series(gaps.index < len(report["gaps"].get(question, [])), index=gaps.index)
    keep = gaps["unserved"] >= least
    if chosen_townships:
        keep &= gaps["township"].isin(chosen_townships)
    if words.strip():  # the words as read, or as written (a link shared from English)
        found = [gaps[c].astype(str).str.contains(words.strip(), case=False, regex=False)
                 for c in ("shortfall", "shortfall_written") if c in gaps]  # fmt: skip
        keep &= np.logical_or.reduce(found)
    return keep


for metric in GAP_KEYS:
    key = metric
    gaps = report["gaps"].get(key, [])
    rule = map_metric(metric)
    st.subheader(rule.label.split(":")[0].split("：")[0])
    st.caption(sentences(_("Rule: {rule}").format(rule=rule.rule)))
    if not gaps:
        st.success(_("No populated hexagon is unserved."))
        continue
    table = pd.DataFrame(listed.get(key, gaps))
    table["near"] = [place_text(str(p or "")) for p in table.get("near", [""] * len(table))]
    table["township"] = table["township"].fillna("") if "township" in table else ""
    # by how much each misses its rule, in the rule's terms (dB, metres, categories)
    table["shortfall_written"] = table["shortfall"].astype(str)
    table["shortfall"] = table["shortfall_written"].map(said)  # shown and filtered as read
    table = table[kept(table, key)]
    shown = table[["near", "township", "unserved", "residents", "shortfall", "h3"]]
    st.caption(_("The top {count} gaps leave {residents} residents unserved.").format(
        count=len(gaps), residents=f"{int(pd.DataFrame(gaps)['unserved'].sum()):,}")
        + (" " + _("Of the {listed} worst, {shown} match the filters.").format(
            listed=len(listed.get(key, [])), shown=len(shown)) if filtering else ""))  # fmt: skip
    if not len(shown):
        continue
    event = st.dataframe(
        shown, hide_index=True, width="stretch", on_select="rerun",
        selection_mode="single-row", key=f"gaps_{key}",
        column_order=["near", "township", "unserved", "residents", "shortfall"],  # id: the jump
        column_config={"near": st.column_config.TextColumn(p_("column", "near")),
                       "township": st.column_config.TextColumn(p_("column", "subdistrict / town"), help=_(
                           "the township of the nearest community health service centre named "
                           "after one (one per township in Shanghai)")),
                       "shortfall": st.column_config.TextColumn(_("by how much it misses the rule")),
                       "residents": st.column_config.NumberColumn(p_("column", "residents"),
                                                                  format="localized"),
                       "unserved": st.column_config.NumberColumn(_("residents unserved"),
                                                                 format="localized")},
    )  # fmt: skip
    selected = event.selection.rows if event else []
    if selected:
        st.session_state["focus_cell"] = shown.iloc[selected[0]]["h3"]
        st.session_state["focus_jump"] = shown.iloc[selected[0]]["h3"]  # the map flies there
        st.session_state["metric"] = metric  # keep the layer of the gap
        st.switch_page("app_pages/coverage.py",
                       query_params=view_params(hex=shown.iloc[selected[0]]["h3"], metric=metric))  # fmt: skip
