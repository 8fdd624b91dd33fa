"""The map component: one deck.gl canvas per map that stays across reruns.

Built from ``frontend/deckmap`` (deck.gl from npm, bundled into ``app_pages/deckmap/`` so it
works offline). pydeck still describes the layers; hexagons go as binary columns
(:mod:`twin.render.deckmap`). Heavy base layers (streets, buildings) and the hexagons are sent to
a canvas once and then only when they change: a canvas that lost them (a reloaded frame) asks
for them again. The
component's value (its last event) is returned: ``view``, ``bounds``, ``resolution`` wanted by the
zoom, ``clicked`` hexagon, ``need`` (what a reloaded frame lacks) and a sequence number ``seq``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

import pydeck as pdk
import streamlit as st
import streamlit.components.v1 as components

from twin.i18n import _
from twin.render.deckmap import (
    RESOLUTIONS,
    ZOOM_BREAKS,
    HexColumns,
    hex_style,
    layer_json,
    view_json,
)
from twin.render.hexagons import Metric

_component = components.declare_component(
    "twin_deckmap", path=str(Path(__file__).parent / "deckmap")
)
CAMERA_FIELDS = ("longitude", "latitude", "zoom", "pitch", "bearing")
RUN_KEY = "_script_run"  # counted in app.py: a map not drawn in the previous run was unmounted
SENT_KEY = "_deckmap_sent"


def _session_token() -> str:
    """A random name of this viewer session (the split view's channel is the session's own)."""
    return str(st.session_state.setdefault("_session_token", secrets.token_hex(6)))


def count_run() -> None:
    """Count this script run (app.py calls it first thing)."""
    st.session_state[RUN_KEY] = st.session_state.get(RUN_KEY, 0) + 1


def _spec(layer: pdk.Layer | dict) -> dict:
    return layer if isinstance(layer, dict) else layer_json(layer)


def deck_map(
    key: str,
    *,
    layers: Sequence[pdk.Layer | dict],
    view: pdk.ViewState,
    view_key: str,
    hexes: HexColumns | None = None,
    metric: Metric | None = None,
    extruded: bool = False,
    resolution: int = 9,
    follow_zoom: bool = False,
    once: dict[str, Callable[[], pdk.Layer | dict]] | None = None,
    height: int = 600,
    fit: tuple[float, float, float, float] | None = None,
    sync: str | None = None,
    sync_fields: tuple[str, ...] = CAMERA_FIELDS,
    report_view: bool = False,
) -> dict | None:
    """Draw (or update in place) the map ``key``; its last event, or None before any.

    ``once`` maps a content key (e.g. ``"hongkou-streets"``) to a builder of a heavy layer that
    sits under the others (streets, buildings): built and sent only when this canvas lacks it.
    ``fit`` (west, south, east, north): the first view of a new ``view_key`` frames these bounds
    in the canvas's real size. Maps drawn with the same ``sync`` name share ``sync_fields`` of
    their camera in the browser (a split view). ``report_view``: the camera is reported when it
    comes to rest (``settled``), so the page can keep it in the URL. A layer is a pydeck layer
    or its JSON already (:func:`twin.render.deckmap.layer_json`, cached by the caller)."""
    once = once or {}
    run = st.session_state.get(RUN_KEY, 0)
    sent = st.session_state.setdefault(SENT_KEY, {})
    record = sent.get(key)
    if record is None or record["run"] != run - 1:  # a new frame: it holds nothing yet
        record = {"once": [], "hexes": None, "seq": None}
    event = st.session_state.get(key)
    need: list[str] = []
    if isinstance(event, dict) and event.get("need") and event.get("seq") != record["seq"]:
        need = list(event["need"])
        record["seq"] = event.get("seq")
    hex_key = hashlib.blake2b(hexes.data, digest_size=8).hexdigest() if hexes else None
    resend = set(event.get("need_once") or []) if need else set()
    send_once = {k: build for k, build in once.items() if k not in record["once"] or k in resend}
    send_hexes = hexes is not None and (record["hexes"] != hex_key or "hexes" in need)
    count = hexes.count if hexes else 0
    badge = _("H3 res {res} · {{count}} hexagons").format(res=resolution) + (
        " · " + _("follows the zoom") if follow_zoom else "")  # fmt: skip
    value = _component(
        key=key,
        layers=[_spec(layer) for layer in layers],
        view=view_json(view, fit),
        view_key=view_key,
        once_keys=list(once),
        once_specs={k: _spec(build()) for k, build in send_once.items()},
        hexes=hexes.data if send_hexes and hexes is not None else None,
        hex_key=hex_key,
        hex_count=count,
        hex_style=hex_style(metric, extruded) if metric is not None else None,
        resolution=resolution,
        follow_zoom=follow_zoom,
        zoom_breaks=list(ZOOM_BREAKS),
        resolutions=list(RESOLUTIONS),
        loaded_bounds=list(hexes.bounds) if hexes is not None and hexes.bounds else None,
        height=height,
        badge=badge,
        sync={"channel": f"twin-{_session_token()}-{sync}", "fields": list(sync_fields)}
        if sync
        else None,  # one session's maps: another tab of the app keeps its own camera
        report_view=report_view,
        default=None,
    )
    record.update(run=run, once=list(once), hexes=hex_key)
    sent[key] = record
    return value if isinstance(value, dict) else None
