"""twin viewer: page config, the shared sidebar and routing. Logic lives in twin/ and app_pages/.

The view lives in the URL (district, resolution, elderly profile, map metric, hexagon), so a
view can be shared and reopened.
"""

from __future__ import annotations

import streamlit as st

from app_pages._cached import run_settings
from app_pages._chrome import speak_chrome
from app_pages._deckmap import count_run
from app_pages._state import district_title, view_params
from twin.districts import load_presets
from twin.i18n import LANGUAGES, _, set_language

count_run()  # the map component resends what a remounted canvas lost

presets = load_presets()
params = st.query_params
if "lang" not in st.session_state:  # the URL sets the language of the first view
    st.session_state["lang"] = params.get("lang") if params.get("lang") in LANGUAGES else "en"
st.sidebar.radio("语言 · Language", list(LANGUAGES), format_func=LANGUAGES.__getitem__,
                 key="lang", horizontal=True)  # fmt: skip
set_language(st.session_state["lang"])  # every message of this run, in the language chosen
# no page_icon: a Material icon would be fetched from Google's font server as the favicon
st.set_page_config(page_title=_("twin · Shanghai district twin"), layout="wide")
speak_chrome()  # Streamlit's own menu, toolbars and hints in that language too
labels = {p.slug: district_title(p) for p in presets}
# the URL sets the first view, and any part of it a page switch left unset
if "district" not in st.session_state:
    st.session_state["district"] = (
        params.get("district") if params.get("district") in labels else "hongkou"
    )
if "resolution" not in st.session_state:
    resolution = params.get("res", "9")
    st.session_state["resolution"] = int(resolution) if resolution in {"7", "8", "9", "10"} else 9
if "elderly" not in st.session_state:
    st.session_state["elderly"] = params.get("elderly") == "1"
st.sidebar.selectbox(_("District"), list(labels), format_func=labels.__getitem__, key="district")
st.sidebar.select_slider(
    _("Hexagon size shown (H3 resolution)"), options=[7, 8, 9, 10], key="resolution",
    help=_("A display choice: districts are measured once at res 10 (≈ 0.015 km²) and coarser "
           "hexagons sum their residents served, so every figure is the same at every size. "
           "9 ≈ 0.1 km², 8 ≈ 0.7 km², 7 ≈ 5 km²."),
)  # fmt: skip
walking = run_settings().norms.walking
st.sidebar.toggle(_("Elderly walking profile ({speed} km/h)").format(
    speed=f"{walking.elderly_speed_kmh:g}"), key="elderly")  # fmt: skip
st.sidebar.caption(_("Map data © OpenStreetMap contributors (ODbL)"))
params.update(view_params())  # the view in the URL, as a page's jump carries it

# no page icons: a Material icon becomes the tab's favicon, fetched from Google's font server
pages = [
    st.Page("app_pages/overview.py", title=_("Overview"), default=True),
    st.Page("app_pages/city.py", title=_("Whole city"), url_path="city"),
    st.Page("app_pages/coverage.py", title=_("Coverage map"), url_path="coverage"),
    st.Page("app_pages/compare.py", title=_("Side by side"), url_path="compare"),
    st.Page("app_pages/life_circle.py", title=_("Life circle"),
            url_path="life-circle"),
    st.Page("app_pages/gaps.py", title=_("Gaps"), url_path="gaps"),
    st.Page("app_pages/whatif.py", title=_("What-if"), url_path="what-if"),
    st.Page("app_pages/programme.py", title=_("Programme"), url_path="programme"),
    st.Page("app_pages/data.py", title=_("Data"), url_path="data"),
    st.Page("app_pages/export.py", title=_("Export"), url_path="export"),
    st.Page("app_pages/district.py", title=_("Sources"), url_path="sources"),
]  # fmt: skip
st.navigation(pages).run()
