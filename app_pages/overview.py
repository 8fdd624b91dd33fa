"""Overview: the five plan districts side by side, each target next to its measured value."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._cached import (
    district_build,
    district_report_pdf,
    inputs_token,
    load,
    run_settings,
)
from app_pages._state import current_view
from twin.analysis.report import (
    percent_text,
    plan_text,
    range_text,
    row_for,
    share_text,
    value_text,
)
from twin.districts import plan_districts

SHARES = {  # service question: chart column (the question's report row, as every face shows it)
    "base_stations": "5G outdoors (share of area)",
    "base_stations_deep": "5G deep (residents indoors)",
    "charging": "Charging within radius (residents)",
    "lockers": "Lockers within radius (residents)",
    "life_circle": "F15 (residents)",
}
STATUS_ICON = {"met": "✓ met", "not met": "✗ not met", "no number": "– no number",
               "baseline": "◦ baseline (no verdict)",
               "no target": "· no target", "not measured": "· not measured",
               "calibrated, not measured": "~ calibrated, not measured",
               "estimated": "≈ estimated"}  # fmt: skip

view = current_view()
st.title("Plan districts at a glance")
st.caption(
    "Each district's plan targets (2021–2025 digital-transformation plans) next to what twin "
    "measures (once, at H3 res 10; the same figures at every hexagon size, on every page and in "
    "`twin report`). Only figures measured on real data say "
    "met / not met; figures on generated layers say *calibrated, not measured* (they restate the "
    "plan: load a real inventory on the Data page to measure them), and figures resting mostly on "
    "straight-line estimates say *estimated*."
)

districts = plan_districts()
bar = st.progress(0.0, text="measuring the plan districts …")
rows, chart, missing = [], {}, []
cards: dict[str, dict[str, dict]] = {}
for i, preset in enumerate(districts):
    bar.progress(i / len(districts), text=f"measuring {preset.label} …")
    loaded = load(preset.slug)
    report = district_build(preset.slug, view.elderly).report
    by_key = {row["key"]: row for row in report["rows"]}
    cards[preset.name_en] = by_key
    chart[preset.name_en] = {
        label: ((row_for(report, key) or {}).get("measured") or 0.0)
        for key, label in SHARES.items()
    }
    for row in report["rows"]:  # the report's rows, worded as the text report and the PDF
        rows.append({
            "district": preset.name_en, "target": row["label"],
            "measured": value_text(row["measured"], row["unit"]), "range": range_text(row),
            "plan": plan_text(row), "status": STATUS_ICON[row["status"]],
            "basis": row["basis"], "layer": row["layer_source"], "to settle it": row["settle"],
        })  # fmt: skip
    if not loaded.has_streets:
        missing.append(preset)
bar.progress(1.0, text="done")
bar.empty()

cols = st.columns(len(districts))
for col, preset in zip(cols, districts, strict=True):
    by_key = cards[preset.name_en]
    f15, fiveg = by_key.get("life_circle_f15"), by_key.get("coverage_5g")
    col.metric(f"{preset.name_en} · F15", percent_text(f15),
               help="share of residents with every measured category within 15 minutes' walk")  # fmt: skip
    basis = f" ({f15['status']})" if f15 is not None else ""
    col.caption(f"F15 of residents{basis}  \n{share_text(fiveg, '5G')}"
                + (f" ({fiveg['status']})" if fiveg is not None else ""))  # fmt: skip

st.subheader("Coverage shares")
st.bar_chart(100 * pd.DataFrame(chart).T, stack=False, y_label="%")

st.subheader("Targets and measured values")
table = pd.DataFrame(rows)
st.dataframe(table, hide_index=True, width="stretch")

for preset in missing:
    st.warning(
        f"{preset.label}: no street network in the offline data, so walking distances there are "
        f"straight-line estimates (× {run_settings().norms.reach.detour_factor:g}). To measure "
        "them on real streets, run "
        f"`twin fetch {preset.slug}` with internet access (OpenStreetMap via Overpass), or "
        f"`twin fetch {preset.slug} --osm-file extract.osm.pbf` with a local OSM extract."
    )

st.subheader("Take it away")
slug = view.preset.slug
if st.button(f"Prepare the {view.preset.name_en} report (PDF)", key="prepare_pdf"):
    with st.spinner("drawing one map per layer …"):
        st.session_state["report_pdf"] = (slug, district_report_pdf(
            slug, view.resolution, view.elderly, inputs_token(slug)))  # fmt: skip
ready = st.session_state.get("report_pdf")
if ready is not None and ready[0] == slug:
    st.download_button(
        f"Download the {view.preset.name_en} report (PDF: targets vs measured, maps, gaps, sources)",
        ready[1], file_name=f"twin_{slug}_report.pdf", mime="application/pdf", key="report_download",
    )  # fmt: skip
else:
    st.caption("A printable report of the district chosen in the sidebar: targets vs measured, "
               "one map per layer, the worst gaps and the sources (also `twin report "
               f"{slug} --pdf report.pdf`).")  # fmt: skip
