"""What-if: add, move or remove sites, accept recommendations, compare before and after.

The page draws a :class:`twin.analysis.whatif.Scenario`; every computation lives there.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._cached import (
    current_layers,
    district_build,
    inputs_token,
    map_metric,
    place_namer,
    street_network,
)
from app_pages._deckmap import deck_map
from app_pages._state import (
    current_view,
    district_title,
    loaded_coverage,
    osm_credit,
    row_caption,
    said,
)
from twin._errors import TwinError
from twin.analysis.report import percent, plan_text, row_for, status_text, value_text
from twin.analysis.whatif import Scenario
from twin.exports import metadata, to_geojson
from twin.i18n import _, joined, p_, place_text
from twin.layers import REGISTRY
from twin.render.basemap import boundary_layer, points_layer, view_of
from twin.render.deckmap import hex_columns
from twin.render.hexagons import CHANGE, change_classes, legend_html

LAYERS = {name: _(REGISTRY[name].label) for name in ("charging", "lockers", "base_stations")}

view = current_view()
slug = view.preset.slug
st.title(_("What-if") + f" · {district_title(view.preset)}")
loaded, cells, report, measured = loaded_coverage(view)
layer = st.selectbox(_("Layer"), list(LAYERS), format_func=LAYERS.get, key="whatif_layer")

label, metric_key = LAYERS[layer], layer
layers_now = current_layers(slug)
original = layers_now[layer]
scenarios = st.session_state.setdefault("scenarios", {})
# everything the "before" state depends on: district, layer, resolution, profile, uploads
# the scenario edits the base hexagons of the whole build; the map shows them at the sidebar's size
key = (slug, layer, view.elderly, inputs_token(slug))
if key not in scenarios:
    scenarios[key] = Scenario.of(district_build(slug, view.elderly), layer, street_network(slug))
scenario: Scenario = scenarios[key]
metric_key = scenario.question  # 5G: the plan's wording (deep or outdoor), as siting scores it


def run(action, *args) -> bool:  # type: ignore[no-untyped-def]
    """Apply one scenario action, showing a bad input as a message, not a traceback; applied?"""
    try:
        action(*args)
    except TwinError as exc:
        st.error(said(str(exc)))  # the core's sentence, in the viewer's language
        return False
    return True


focus = st.session_state.get("focus_cell")
fallback = cells.loc[cells["residents"].idxmax()]  # a populated cell, inside the district
row = cells.loc[cells["h3"] == focus].iloc[0] if focus in set(cells["h3"]) else fallback
add_tab, move_tab, remove_tab, rec_tab = st.tabs([_("Add"), _("Move"), _("Remove"),
                                                  _("Recommended")])  # fmt: skip
with add_tab:
    c1, c2 = st.columns(2)
    lon = c1.number_input(
        _("Longitude (WGS-84)"), value=float(row["lon"]), format="%.6f", key="add_lon"
    )
    lat = c2.number_input(
        _("Latitude (WGS-84)"), value=float(row["lat"]), format="%.6f", key="add_lat"
    )
    st.caption(_("Defaults to the hexagon last clicked on the coverage map."))
    if st.button(_("Add a site here"), key="add_site"):
        run(scenario.add, lon, lat)
ids = scenario.frame["feature_id"].astype(str).tolist()
with move_tab:
    mover = st.selectbox(_("Site"), ids, key="move_id")
    c1, c2 = st.columns(2)
    dx = c1.number_input(_("Move east (m)"), value=200.0, step=50.0, key="move_dx")
    dy = c2.number_input(_("Move north (m)"), value=0.0, step=50.0, key="move_dy")
    if st.button(_("Move"), key="move_site") and mover:
        run(scenario.move, mover, dx, dy)
with remove_tab:
    gone = st.multiselect(_("Sites to remove"), ids, key="remove_ids")
    if st.button(_("Remove"), key="remove_sites") and gone:
        run(scenario.remove, gone)
with rec_tab:
    k = st.number_input(_("How many new sites"), 1, 200, 5, key="rec_k")
    if st.button(_("Recommend"), key="recommend"):
        with st.spinner(_("maximal covering (lazy greedy) …")):
            recommended_now, summary_now = scenario.recommend(int(k))
        st.session_state["recommended"] = recommended_now
        st.session_state["recommended_summary"] = summary_now
    recommended = st.session_state.get("recommended")
    if recommended is not None and len(recommended):
        gain = "new_km2" if "new_km2" in recommended else "new_residents"
        st.dataframe(
            pd.DataFrame({
                p_("column", "rank"): recommended["rank"],
                p_("column", "place"): [_(str(k)) for k in recommended["candidate_kind"]],
                (_("area newly covered (km²)") if gain == "new_km2" else _("residents newly served")):
                    recommended[gain].round(3) if gain == "new_km2"
                    else recommended[gain].round(0).astype(int),
                _("share after"): [percent(s) for s in recommended["covered_share"]],
                "lon": recommended.geometry.x.round(5), "lat": recommended.geometry.y.round(5),
            }),
            hide_index=True,
        )  # fmt: skip
        gains = recommended[gain].to_numpy(dtype=float)
        if (gains[1:] > gains[:-1] + 1e-9).any():  # 5G: a site's signal also interferes
            st.caption(_("Each site's gain counts the sites ranked before it: a 5G site adds "
                         "signal and interference, so a later site can gain more than an "
                         "earlier one."))  # fmt: skip
        accept = st.button(_("Accept these {count} sites into the scenario").format(
            count=len(recommended)), key="accept")  # fmt: skip
        if accept and run(scenario.accept, recommended):
            st.session_state["recommended"] = None
            st.rerun()  # the accepted list and its button go at once, not on the next click
    elif recommended is not None:
        st.info(st.session_state["recommended_summary"].get("note", _("No site adds residents.")))

for line in scenario.log[-5:]:
    st.caption(said(line))

metric = map_metric(metric_key)
before_share, after_share = scenario.share_before(), scenario.share_after()
after_cells = scenario.coverage_after().at(view.resolution)
delta_pts = (after_share - before_share) * 100
c1, c2, c3 = st.columns(3)
served_what = {  # the question the scenario scores, as the report's row states it
    "base_stations": _("Area covered"), "base_stations_deep": _("Residents covered indoors"),
}.get(scenario.question, _("Residents served"))  # fmt: skip
shown_label = label[0].lower() + label[1:] if label[1:2].islower() else label
c1.metric(_("{what} ({layer}), before").format(what=served_what, layer=shown_label),
          percent(before_share))  # fmt: skip
c2.metric(
    _("After"), percent(after_share),
    _("{delta} pts").format(delta=f"{delta_pts:+.1f}") if abs(delta_pts) >= 0.05 else None,
)  # fmt: skip
before_row = row_for(report, scenario.question)  # the report's figure: its basis and range
if before_row is not None:
    st.caption(_("Before: {row}. After: the same basis, with this scenario's sites.").format(
        row=row_caption(before_row)))  # fmt: skip
changes = change_classes(cells, after_cells, metric)
c3.metric(_("Hexagons changed"), f"{int((changes != 0).sum()):,}",
          _("{better} better, {worse} worse").format(better=f"{int((changes > 0).sum()):,}",
                                                     worse=f"{int((changes < 0).sum()):,}")
          if (changes != 0).any() else None, delta_color="off")  # fmt: skip
added = scenario.frame[scenario.frame["source"].astype(str) == "what-if"]
pending = st.session_state.get("recommended")
extra_layers = [points_layer(scenario.frame, f"{layer}_sites", [20, 20, 20, 200], ["source"], 12,
                             label)]  # fmt: skip
if len(added):
    extra_layers.append(points_layer(added, "added", [255, 140, 0, 255], ["source"], 35,
                                     _("Added in this scenario")))  # fmt: skip
if pending is not None and len(pending):
    proposed = points_layer(pending.assign(feature_id=pending["rank"].astype(str)), "recommended",
                            [255, 255, 255, 230], ["new_residents", "covered_share"], 35,
                            _("Recommended"))  # fmt: skip
    # proposed, not built: a hollow ring (no layer's colour: lockers are purple)
    proposed.stroked, proposed.get_line_color, proposed.line_width_min_pixels = (
        True,
        [20, 20, 20, 255],
        3,
    )
    extra_layers.append(proposed)
VIEWS = {"After": _("After"), "Before": _("Before"), "Difference": _("Difference"),
         "Side by side": _("Side by side")}  # fmt: skip
shown = st.segmented_control(
    _("Map"), list(VIEWS), default="After", key="whatif_view", format_func=VIEWS.__getitem__,
    help=_("one map, updated in place: after the change, before it, or only what it changed; "
           "or before and after side by side, their cameras moving together"),
) or "After"  # fmt: skip
before_sites = points_layer(original, f"{layer}_before", [20, 20, 20, 200], ["source"], 12, label)
if shown == "Before":
    hexes, shown_metric, on_top = hex_columns(cells, metric), metric, [before_sites]
    legend = legend_html(metric)
elif shown == "Difference":
    diff_cells = after_cells.assign(change=changes)
    hexes, shown_metric, on_top = (
        hex_columns(diff_cells[changes != 0], CHANGE),
        CHANGE,
        extra_layers[1:],
    )
    legend = legend_html(CHANGE, _("Only the hexagons the change touched are drawn"))
else:
    hexes, shown_metric, on_top = hex_columns(after_cells, metric), metric, extra_layers
    legend = legend_html(
        metric, _("Orange: added sites · white rings: recommended, not yet accepted")
    )
st.markdown(legend, unsafe_allow_html=True)
map_view, map_key = view_of(loaded.boundary), f"{slug}|{layer}|{view.resolution}"
if shown == "Side by side":  # two canvases, one camera (synchronised in the browser)
    sides = {
        "before": (_("Before"), hex_columns(cells, metric), [before_sites]),
        "after": (_("After"), hex_columns(after_cells, metric), extra_layers),
    }
    for column, (name, (title, side_hexes, side_layers)) in zip(st.columns(2), sides.items(),
                                                                strict=True):  # fmt: skip
        with column:
            st.markdown(f"**{title}**")
            deck_map(f"whatif_{name}", layers=[boundary_layer(loaded.boundary), *side_layers],
                     hexes=side_hexes, metric=metric, view=map_view, view_key=map_key,
                     resolution=view.resolution, height=480, fit=loaded.boundary.bounds,
                     sync=f"whatif-{slug}")  # fmt: skip
else:  # one canvas for the three views: an add or a switch sends only the new hexagons and sites
    deck_map("whatif_map", layers=[boundary_layer(loaded.boundary), *on_top], hexes=hexes,
             metric=shown_metric, view=map_view, view_key=map_key, resolution=view.resolution,
             height=560, fit=loaded.boundary.bounds)  # fmt: skip
st.caption(_("Streets and POIs {credit} (ODbL).").format(credit=osm_credit()))
if pending is not None and len(pending):
    names = [
        place_text(n)
        for n in place_namer(slug).near(
            pending.geometry.x.to_numpy(), pending.geometry.y.to_numpy()
        )
    ]
    st.caption(_("Recommended: {sites}").format(sites=joined(
        _("#{rank} at {lon}, {lat} near {place}").format(rank=r, lon=f"{x:.5f}", lat=f"{y:.5f}",
                                                        place=n or "—")
        for r, x, y, n in zip(pending["rank"], pending.geometry.x, pending.geometry.y, names, strict=True))))  # fmt: skip

st.subheader(_("Plan report, before and after"))
rows = scenario.report_rows()
if len(rows):  # worded as the report and the Overview: percentages with units, marked statuses
    rows = pd.DataFrame({
        p_("column", "target"): [_(t) for t in rows["target"]],
        p_("column", "before"): [value_text(v, u) for v, u in zip(rows["before"], rows["unit"], strict=True)],
        p_("column", "after"): [value_text(v, u) for v, u in zip(rows["after"], rows["unit"], strict=True)],
        p_("column", "plan"): [plan_text({"target": v, "unit": u, "plan_kind": k}) for v, u, k
                               in zip(rows["plan"], rows["unit"], rows["plan_kind"], strict=True)],
        p_("column", "status before"): [status_text(s) for s in rows["status before"]],
        p_("column", "status after"): [status_text(s) for s in rows["status after"]],
    })  # fmt: skip
st.dataframe(rows, hide_index=True, width="stretch")

meta = metadata(report["attribution"], {"district": slug, "layer": layer, "scenario": scenario.log})
c1, c2 = st.columns(2)
c1.download_button(_("Download the scenario layer (GeoJSON)"), to_geojson(scenario.frame, meta),
                   file_name=f"twin_{slug}_{layer}_scenario.geojson", mime="application/geo+json")  # fmt: skip
if c2.button(_("Reset the scenario"), key="reset_scenario"):
    scenarios.pop(key, None)
    st.rerun()
