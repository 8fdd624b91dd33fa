"""Overview: the five plan districts side by side, each target next to its measured value."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages._cached import (
    district_report,
    district_report_pdf,
    inputs_token,
    run_settings,
)
from app_pages._state import current_view, said, shown_name
from twin.analysis.report import (
    percent_text,
    plan_text,
    range_text,
    row_for,
    share_text,
    standing_text,
    status_text,
    value_text,
)
from twin.districts import plan_districts
from twin.i18n import _, aside, language, p_

SHARES = {  # service question: chart column (the question's report row, as every face shows it)
    "base_stations": _("5G outdoors (share of area)"),
    "base_stations_deep": _("5G deep (residents indoors)"),
    "charging": _("Charging within radius (residents)"),
    "lockers": _("Lockers within radius (residents)"),
    "life_circle": _("F15 (residents)"),
}
QUESTION_COLOURS = ["#0068c9", "#83c9ff", "#29b09d", "#ff8700", "#ff2b2b"]  # same in both languages

view = current_view()
st.title(_("Plan districts at a glance"))
st.caption(_(
    "Each district's plan targets (2021–2025 digital-transformation plans) next to what twin "
    "measures (once, at H3 res 10; the same figures at every hexagon size, on every page and in "
    "`twin report`). Only figures measured on real data say "
    "met / not met; figures on generated layers say *calibrated, not measured* (they restate the "
    "plan: load a real inventory on the Data page to measure them), and figures resting mostly on "
    "straight-line estimates say *estimated*."
))  # fmt: skip

districts = plan_districts()
bar = st.progress(0.0, text=_("measuring the plan districts …"))
rows, chart, missing = [], {}, []
cards: dict[str, dict[str, dict]] = {}
for i, preset in enumerate(districts):
    bar.progress(
        i / len(districts), text=_("measuring {district} …").format(district=shown_name(preset))
    )
    report = district_report(preset.slug, view.elderly)  # stored: no district loaded
    by_key = {row["key"]: row for row in report["rows"]}
    cards[preset.name_en] = by_key
    chart[shown_name(preset)] = {
        label: ((row_for(report, key) or {}).get("measured") or 0.0)
        for key, label in SHARES.items()
    }
    for row in report["rows"]:  # the report's rows, worded as the text report and the PDF
        rows.append({
            p_("column", "district"): shown_name(preset), p_("column", "target"): _(row["label"]),
            p_("column", "measured"): value_text(row["measured"], row["unit"]),
            p_("column", "range"): range_text(row), p_("column", "plan"): plan_text(row),
            p_("column", "status"): status_text(row["status"]),
            p_("column", "basis"): _(row["basis"]), p_("column", "layer"): _(row["layer_source"]),
            p_("column", "to settle it"): said(row["settle"]),
        })  # fmt: skip
    if not report["has_streets"]:
        missing.append(preset)
bar.progress(1.0, text=_("done"))
bar.empty()

cols = st.columns(len(districts))
for col, preset in zip(cols, districts, strict=True):
    by_key = cards[preset.name_en]
    f15, fiveg = by_key.get("life_circle_f15"), by_key.get("coverage_5g")
    col.metric(f"{shown_name(preset)} · F15", percent_text(f15),
               help=_("share of residents with every measured category within 15 minutes' walk"))  # fmt: skip
    col.caption(_("F15 of residents") + aside(standing_text(f15))  # basis, then verdict
                + f"  \n{share_text(fiveg, '5G')}" + aside(standing_text(fiveg)))  # fmt: skip

st.subheader(_("Coverage shares"))
district_column, share_column, question_column = (
    p_("column", "district"),
    _("share (%)"),
    _("question"),
)  # the chart's tooltips name these
shares = (100 * pd.DataFrame(chart)).rename_axis(question_column).reset_index().melt(
    id_vars=question_column, var_name=district_column, value_name=share_column)  # fmt: skip
questions, names = list(SHARES.values()), [shown_name(p) for p in districts]
bars = alt.Chart(shares.round(1)).mark_bar().encode(  # the plan's order, one colour per question
    x=alt.X(f"{district_column}:N", sort=names, title=None, axis=alt.Axis(labelAngle=0)),
    xOffset=alt.XOffset(f"{question_column}:N", sort=questions),
    y=alt.Y(f"{share_column}:Q", title="%", scale=alt.Scale(domain=[0, 100])),
    color=alt.Color(f"{question_column}:N", sort=questions, title=None,
                    scale=alt.Scale(domain=questions, range=QUESTION_COLOURS),
                    legend=alt.Legend(orient="bottom", columns=3, labelLimit=320)),
    tooltip=[district_column, question_column, share_column],
)  # fmt: skip
st.altair_chart(bars, width="stretch")

st.subheader(_("Targets and measured values"))
table = pd.DataFrame(rows)
st.dataframe(table, hide_index=True, width="stretch")

for preset in missing:
    st.warning(_(
        "{district}: no street network in the offline data, so walking distances there are "
        "straight-line estimates (× {detour}). To measure them on real streets, run "
        "`twin fetch {slug}` with internet access (OpenStreetMap via Overpass), or "
        "`twin fetch {slug} --osm-file extract.osm.pbf` with a local OSM extract."
    ).format(district=shown_name(preset), slug=preset.slug,
             detour=f"{run_settings().norms.reach.detour_factor:g}"))  # fmt: skip

st.subheader(_("Take it away"))
slug = view.preset.slug
if st.button(_("Prepare the {district} report (PDF)").format(district=shown_name(view.preset)),
             key="prepare_pdf"):  # fmt: skip
    with st.spinner(_("drawing one map per layer …")):
        st.session_state["report_pdf"] = ((slug, language()), district_report_pdf(
            slug, view.resolution, view.elderly, inputs_token(slug), language()))  # fmt: skip
ready = st.session_state.get("report_pdf")
if ready is not None and ready[0] == (slug, language()):  # in the page's language
    st.download_button(
        _("Download the {district} report (PDF: targets vs measured, maps, gaps, sources)").format(
            district=shown_name(view.preset)),
        ready[1], file_name=f"twin_{slug}_report.pdf", mime="application/pdf", key="report_download",
    )  # fmt: skip
else:
    st.caption(_("A printable report of the district chosen in the sidebar: targets vs measured, "
                 "one map per layer, the worst gaps and the sources (also `twin report "
                 "{slug} --pdf report.pdf`).").format(slug=slug))  # fmt: skip
