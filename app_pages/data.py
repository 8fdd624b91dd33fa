"""Data: upload a real inventory, see the validation report, use it in place of a generated layer."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from app_pages._cached import load, run_settings, session_imports, use_import
from app_pages._state import current_view
from twin._errors import TwinError
from twin.exports import csv_bytes
from twin.inventory import import_inventory
from twin.layers import REGISTRY

MAX_UPLOAD_MB = 20
LAYER_LABELS = {name: spec.label for name, spec in REGISTRY.items()}
CRS_LABELS = {
    "wgs84": "WGS-84 (GPS, OSM)",
    "gcj02": "GCJ-02 (Amap, Tencent)",
    "bd09": "BD-09 (Baidu)",
    "auto": "Detect (best fit to streets and POIs)",
}

MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:"})


def plain(text: str) -> str:
    """User-supplied text (file and column names) escaped so Markdown shows it literally."""
    return str(text).translate(MARKDOWN)


view = current_view()
slug = view.preset.slug
st.title(f"Data · {view.preset.label}")
st.write(
    "Load a real inventory (CSV with latitude/longitude columns — lat/lng/lon/纬度/经度 are found "
    f"by name — or GeoJSON), at most {MAX_UPLOAD_MB} MB. It replaces the generated layer for this "
    "session; the coverage map, gaps and report use it at once. Nothing is stored on the server."
)

active = session_imports(slug)
if active:
    st.info(
        "In use this session: "
        + ", ".join(
            f"{LAYER_LABELS[k]} ({len(v):,} sites from {v['source'].iloc[0]})"
            for k, v in active.items()
        )
    )
    for layer in list(active):
        if st.button(
            f"Restore the generated {LAYER_LABELS[layer].lower()}", key=f"restore_{layer}"
        ):
            use_import(slug, layer, None)
            st.rerun()

c1, c2 = st.columns(2)
layer = c1.selectbox(
    "Layer", list(LAYER_LABELS), format_func=LAYER_LABELS.__getitem__, key="upload_layer"
)
crs = c2.radio("Coordinates", list(CRS_LABELS), format_func=CRS_LABELS.__getitem__, key="upload_crs",
               horizontal=True)  # fmt: skip
upload = st.file_uploader("Inventory file", type=["csv", "geojson", "json"], key="upload_file")

if upload is not None:
    name = plain(upload.name[:120])  # shown as text: a file name is never Markdown
    size_mb = upload.size / 2**20
    if size_mb > MAX_UPLOAD_MB:
        st.error(f"{name} is {size_mb:.0f} MB, over the {MAX_UPLOAD_MB} MB limit; split it or use "
                 "twin import on the command line.")  # fmt: skip
        st.stop()
    suffix = Path(upload.name).suffix.lower()[:12]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"  # any name length: the user's name is only shown
        path.write_bytes(upload.getvalue())
        try:
            frame, report = import_inventory(load(slug), layer, path, crs,
                                             norms=run_settings().norms)  # fmt: skip
        except TwinError as exc:
            st.error(f"{name} cannot be used: {plain(str(exc).replace(path.name, upload.name))}")
            st.stop()
        except Exception as exc:  # an unreadable file must never take the app down
            st.error(f"{name} could not be read ({type(exc).__name__}: {plain(str(exc)[:300])}).")
            st.stop()
    report.file = upload.name
    st.subheader("Validation report")
    counts = report.counts()
    cols = st.columns(3)
    cols[0].metric("Accepted", f"{report.accepted:,}")
    cols[1].metric("Rejected", f"{len(report.rejected):,}")
    cols[2].metric("Defaults filled", f"{len(report.filled_defaults)}")
    for warning in report.warnings:
        st.warning(plain(warning.replace(path.name, upload.name)))
    confirmed = True
    if report.datum_unconfirmed is not None:  # no opinion from the check: said, not blocking
        st.warning(
            plain(report.datum_unconfirmed.message(f"the sites of {upload.name}", page=True))
        )
    if report.datum_doubt is not None:  # the page's words, and nothing used until confirmed
        st.warning(plain(report.datum_doubt.message(f"the sites of {upload.name}", page=True)))
        confirmed = st.checkbox(f"Use them as {CRS_LABELS[crs]} all the same", key="datum_confirm")
    if report.filled_defaults:
        st.caption(plain(
            "Filled with defaults: "
            + ", ".join(f"{k} = {v}" for k, v in report.filled_defaults.items())
        ))  # fmt: skip
    if len(report.rejected):
        st.dataframe(report.rejected, hide_index=True, width="stretch")
        st.download_button("Download the rejected rows (CSV)", csv_bytes(report.rejected_table(), bom=True),
                           file_name=f"rejected_{upload.name}.csv", mime="text/csv")  # fmt: skip
    if report.accepted and confirmed and st.button(f"Use these {report.accepted:,} sites as the {LAYER_LABELS[layer].lower()}",
                                     type="primary", key="use_upload"):  # fmt: skip
        use_import(slug, layer, frame.assign(source=upload.name[:120]))  # its own name
        st.success(f"{LAYER_LABELS[layer]} of {view.preset.label} now come from {name}.")
        st.rerun()
    if counts:
        st.caption(plain("Rejected by reason: " + "; ".join(
            line.strip().removeprefix("rejected, ") for line in report.reason_lines())))  # fmt: skip
