"""What every page reads from the sidebar, and the district it names, loaded with progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from app_pages._cached import district_coverage, load
from twin.analysis.report_text import standing_and_range
from twin.districts import (
    DistrictPreset,
    chinese_names,
    district_title,
    load_presets,
)
from twin.i18n import _, bilingual, joined, language, sentence
from twin.model import District
from twin.render.basemap import OSM_CREDIT


@dataclass(frozen=True)
class View:
    preset: DistrictPreset
    resolution: int
    elderly: bool


def shown_name(preset: DistrictPreset) -> str:
    """The district's name in the viewer's language (虹口区 / Hongkou)."""
    return preset.name_zh if language() == "zh" else preset.name_en


def facility_list(labels: str | Iterable[str]) -> str:
    """GB 50180 facility types (their labels, or the core's "; "-joined text of them) as the
    viewer's language lists them: "幼儿园、小学" in Chinese."""
    items = labels.split("; ") if isinstance(labels, str) else list(labels)
    return joined([bilingual(item) for item in items if item], ", ")


def osm_credit() -> str:
    """OpenStreetMap's credit in the page's language ("© OpenStreetMap 贡献者" in Chinese)."""
    return _("© OpenStreetMap contributors")


def streets_credit(has_streets: bool) -> str:
    """The streets' credit where a map draws OSM streets; "" where the district has none."""
    return _("Streets {credit} (ODbL). ").format(credit=osm_credit()) if has_streets else ""


def other_credits(attributions: Iterable[str]) -> str:
    """The data's own attributions after the streets' OSM credit, which the caption says once,
    in the page's language."""
    return " · ".join(_(a) for a in dict.fromkeys(attributions) if not a.startswith(OSM_CREDIT))


def said(text: str) -> str:
    """A sentence the core wrote in English (a row's detail or what would settle it, a note, a
    gap's shortfall) in the viewer's language, district names included."""
    if language() == "en":
        return text
    return sentence(text, chinese_names())


PERCENT_BAR = st.column_config.ProgressColumn(format="%.1f%%", min_value=0.0, max_value=100.0)
"""A table's share column, given in percent: one decimal, as every other face prints a share."""


def row_caption(row: dict[str, Any]) -> str:
    """A report row's basis and verdict, its range and what would settle it, in one line: what
    the Overview's table says of the same row."""
    parts = [standing_and_range(row)]
    if row.get("settle"):
        parts.append(_("to settle it: {what}").format(what=said(str(row["settle"]))))
    return " · ".join(parts)


def current_view() -> View:
    presets = {p.slug: p for p in load_presets()}
    slug = st.session_state.get("district", "hongkou")
    return View(
        presets[slug],
        int(st.session_state.get("resolution", 9)),
        bool(st.session_state.get("elderly", False)),
    )


def view_params(**page: str) -> dict[str, str]:
    """The view's URL (language, district, hexagon size, walking profile) with ``page``'s own
    keys, for ``st.switch_page`` to carry: a switch starts from an empty URL, and app.py
    fills what the session lost from it."""
    return {
        "lang": str(st.session_state.get("lang", "en")),
        "district": str(st.session_state.get("district", "hongkou")),
        "res": str(st.session_state.get("resolution", 9)),
        "elderly": "1" if st.session_state.get("elderly") else "0",
    } | page


def loaded_coverage(view: View):  # type: ignore[no-untyped-def]
    """(district, cells, report, measured categories) with a status box while computing."""
    with st.status(_("Preparing {district} …").format(district=district_title(view.preset)),
                   expanded=False) as status:  # fmt: skip
        status.write(_("district: boundary, streets, POIs, residents"))
        loaded: District = load(view.preset.slug)
        status.write(_("layers and H3 resolution {res} metrics").format(res=view.resolution))
        cells, report, measured = district_coverage(view.preset.slug, view.resolution, view.elderly)
        # the count names its hexagons' size: the coverage map follows the zoom, so its count
        # is of another resolution than the sidebar's (the figures are the same at every size)
        status.update(label=_("{district}: {cells} hexagons at res {res}").format(
            district=district_title(view.preset), cells=f"{len(cells):,}", res=view.resolution),
            state="complete")  # fmt: skip
    return loaded, cells, report, measured
