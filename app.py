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
st.sidebar.caption("Map data © OpenStreetMap contributors (ODbL)")

pages = [st.Page("app_pages/district.py", title="District", icon="🗺️", default=True)]
st.navigation(pages).run()
