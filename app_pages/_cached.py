"""The only place with st.cache_*: loading districts once per session and input."""

from __future__ import annotations

import streamlit as st

from twin.model import District, district
from twin.settings import Settings


@st.cache_resource(show_spinner=False)
def load(slug: str) -> District:
    """The district ``slug`` from the cache or its sources (graphs are resources: not copied)."""
    return district(slug, Settings.from_env())
