"""Data: upload a real inventory, see the validation report, use it in place of a generated layer."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import streamlit as st

from app_pages._cached import load, run_settings, session_imports, use_import
from app_pages._state import current_view, district_title, said
from twin._errors import TwinError
from twin.exports import csv_bytes
from twin.i18n import _, p_
from twin.inventory import import_inventory
from twin.layers import REGISTRY
from twin.sources.tables import gpkg_layers

MAX_UPLOAD_MB = int(st.get_option("server.maxUploadSize"))  # .streamlit/config.toml: one limit
LAYER_LABELS = {name: _(spec.label) for name, spec in REGISTRY.items()}
CRS_LABELS = {
    "wgs84": _("WGS-84 (GPS, OSM)"),
    "gcj02": _("GCJ-02 (Amap, Tencent)"),
    "bd09": _("BD-09 (Baidu)"),
    "auto": _("Detect (best fit to streets and POIs)"),
}

UPLOADER_TYPES = ["csv", "txt", "geojson", "json", "gpkg", "parquet", "geoparquet"]  # one file each
DROPZONE = '[data-testid="stFileUploaderDropzone"]'


def uploader_words(limit_mb: int, types: list[str]) -> str:
    """A stylesheet that states the uploader's own words in the page's language: Streamlit draws
    "Upload", "20MB per file • CSV" and, while a file is dragged over, "Drag and drop a file
    here" in English whatever the language (no API to change them), so each is hidden and
    restated from the catalogue in its place. The selectors are
    Streamlit 1.67's uploader (pyproject's lower bound; a browser test reads the words)."""
    words = {
        f"{DROPZONE} button [data-testid='stMarkdownContainer'] p": (p_("button", "Upload"),
                                                                     "0.875rem"),
        f"{DROPZONE} [data-testid='stFileUploaderDropzoneInstructions'] span": (
            _("at most {limit} MB per file · {types}").format(
                limit=limit_mb, types=", ".join(t.upper() for t in types)), "0.875rem"),
        # shown only while a file is dragged over: the dropzone's overlay after its input
        f"{DROPZONE} > input + div > span": (_("Drop the file here"), "1rem"),
    }  # fmt: skip
    rules = [
        f"{target} {{font-size: 0 !important;}} "
        f"{target}::after {{content: {json.dumps(text, ensure_ascii=False)}; font-size: {size};}}"
        for target, (text, size) in words.items()
    ]
    return "<style>" + "\n".join(rules) + "</style>"


MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:"})


def plain(text: str) -> str:
    """User-supplied text (file and column names) escaped so Markdown shows it literally."""
    return str(text).translate(MARKDOWN)


view = current_view()
slug = view.preset.slug
st.title(_("Data") + f" · {district_title(view.preset)}")
st.write(_(
    "Load a real inventory (CSV with latitude/longitude columns — lat/lng/lon/纬度/经度 are found "
    "by name — GeoJSON, GeoPackage or GeoParquet), at most {limit} MB. It replaces the generated "
    "layer for this session; the coverage map, gaps and report use it at once. Nothing is stored "
    "on the server."
).format(limit=MAX_UPLOAD_MB))  # fmt: skip

active = session_imports(slug)
if active:
    st.info(
        _("In use this session: {layers}").format(layers=", ".join(
            _("{layer} ({count} sites from {source})").format(
                layer=LAYER_LABELS[k], count=f"{len(v):,}", source=v["source"].iloc[0])
            for k, v in active.items()))
    )  # fmt: skip
    for layer in list(active):
        if st.button(
            _("Restore the generated {layer}").format(layer=LAYER_LABELS[layer].lower()),
            key=f"restore_{layer}",
        ):
            use_import(slug, layer, None)
            st.rerun()

c1, c2 = st.columns(2)
layer = c1.selectbox(
    _("Layer"), list(LAYER_LABELS), format_func=LAYER_LABELS.__getitem__, key="upload_layer"
)
crs = c2.radio(_("Coordinates"), list(CRS_LABELS), format_func=CRS_LABELS.__getitem__, key="upload_crs",
               horizontal=True)  # fmt: skip
st.html(uploader_words(MAX_UPLOAD_MB, UPLOADER_TYPES))
upload = st.file_uploader(_("Inventory file"), type=UPLOADER_TYPES, key="upload_file")

if upload is not None:
    name = plain(upload.name[:120])  # shown as text: a file name is never Markdown
    size_mb = upload.size / 2**20
    if size_mb > MAX_UPLOAD_MB:
        st.error(_("{name} is {size} MB, over the {limit} MB limit; split it or use twin import on "
                   "the command line.").format(name=name, size=f"{size_mb:.0f}",
                                               limit=MAX_UPLOAD_MB))  # fmt: skip
        st.stop()
    suffix = Path(upload.name).suffix.lower()[:12]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"  # any name length: the user's name is only shown
        path.write_bytes(upload.getvalue())
        try:
            names = gpkg_layers(path) if suffix == ".gpkg" else []
            chosen = st.selectbox(_("GeoPackage layer"), names, key="upload_gpkg_layer") if (
                len(names) > 1) else None  # fmt: skip
            frame, report = import_inventory(load(slug), layer, path, crs, gpkg_layer=chosen,
                                             norms=run_settings().norms)  # fmt: skip
        except TwinError as exc:
            st.error(_("{name} cannot be used: {reason}").format(
                name=name, reason=plain(said(str(exc).replace(path.name, upload.name)))))  # fmt: skip
            st.stop()
        except Exception as exc:  # an unreadable file must never take the app down
            st.error(_("{name} could not be read ({reason}).").format(
                name=name, reason=f"{type(exc).__name__}: {plain(str(exc)[:300])}"))  # fmt: skip
            st.stop()
    report.file = upload.name
    st.subheader(_("Validation report"))
    counts = report.counts()
    cols = st.columns(3)
    cols[0].metric(_("Accepted"), f"{report.accepted:,}")
    cols[1].metric(_("Rejected"), f"{len(report.rejected):,}")
    cols[2].metric(_("Defaults filled"), f"{len(report.filled_defaults)}")
    for warning in report.warnings:
        st.warning(plain(said(warning.replace(path.name, upload.name))))
    confirmed = True
    if report.datum_unconfirmed is not None:  # no opinion from the check: said, not blocking
        st.warning(
            plain(
                report.datum_unconfirmed.message(
                    _("the sites of {name}").format(name=upload.name), page=True
                )
            )
        )
    if report.datum_doubt is not None:  # the page's words, and nothing used until confirmed
        st.warning(
            plain(
                report.datum_doubt.message(
                    _("the sites of {name}").format(name=upload.name), page=True
                )
            )
        )
        confirmed = st.checkbox(_("Use them as {datum} all the same").format(datum=CRS_LABELS[crs]),
                                key="datum_confirm")  # fmt: skip
    if report.filled_defaults:
        st.caption(plain(_("Filled with defaults: {defaults}").format(
            defaults=", ".join(f"{k} = {v}" for k, v in report.filled_defaults.items()))))  # fmt: skip
    if len(report.rejected):  # reasons and details in the page's language; the CSV as written
        shown = report.rejected.assign(**{c: report.rejected[c].astype(str).map(said)
                                          for c in ("reason", "detail") if c in report.rejected})  # fmt: skip
        st.dataframe(shown, hide_index=True, width="stretch")
        st.download_button(_("Download the rejected rows (CSV)"), csv_bytes(report.rejected_table(), bom=True),
                           file_name=f"rejected_{upload.name}.csv", mime="text/csv")  # fmt: skip
    if report.accepted and confirmed and st.button(
            _("Use these {count} sites as the {layer}").format(
                count=f"{report.accepted:,}", layer=LAYER_LABELS[layer].lower()),
            type="primary", key="use_upload"):  # fmt: skip
        use_import(slug, layer, frame.assign(source=upload.name[:120]))  # its own name
        st.success(_("{layer} of {district} now come from {name}.").format(
            layer=LAYER_LABELS[layer], district=district_title(view.preset), name=name))  # fmt: skip
        st.rerun()
    if counts:
        st.caption(plain(_("Rejected by reason: {reasons}").format(reasons="; ".join(
            said(line.strip().removeprefix("rejected, ")) for line in report.reason_lines()))))  # fmt: skip
