"""twin viewer: page config, the shared sidebar and routing. Logic lives in twin/ and app_pages/."""

from __future__ import annotations

import streamlit as st

from twin.districts import load_presets

st.set_page_config(page_title="twin · Shanghai district twin", page_icon="🏙️", layout="wide")

presets = load_presets()
labels = {p.slug: f"{p.name_en} {p.name_zh}" for p in presets}
st.sidebar.selectbox(
    "District", list(labels), format_func=labels.__getitem__, key="district", index=1
)
st.sidebar.select_slider(
    "H3 resolution", options=[7, 8, 9, 10], value=9, key="resolution",
    help="9 ≈ 0.1 km² hexagons (the Nature Cities 15-minute grid); 7 ≈ 5 km², 10 ≈ 0.015 km²",
)  # fmt: skip
st.sidebar.toggle("Elderly walking profile (3.6 km/h)", key="elderly")
st.sidebar.caption("Map data © OpenStreetMap contributors (ODbL)")

pages = [
    st.Page("app_pages/overview.py", title="Overview", icon="📊", default=True),
    st.Page("app_pages/coverage.py", title="Coverage map", icon="🗺️", url_path="coverage"),
    st.Page("app_pages/life_circle.py", title="Life circle", icon="🚶", url_path="life-circle"),
    st.Page("app_pages/gaps.py", title="Gaps", icon="🎯", url_path="gaps"),
    st.Page("app_pages/whatif.py", title="What-if", icon="🧪", url_path="what-if"),
    st.Page("app_pages/data.py", title="Data", icon="📥", url_path="data"),
    st.Page("app_pages/export.py", title="Export", icon="📤", url_path="export"),
    st.Page("app_pages/district.py", title="Sources", icon="📚", url_path="sources"),
]
st.navigation(pages).run()
