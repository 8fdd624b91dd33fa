"""Export: each layer and the hexagon metrics as GeoJSON, GeoParquet and CSV, with attribution."""

from __future__ import annotations

import streamlit as st

from app_pages._cached import current_layers, export_file
from app_pages._state import current_view, district_title, loaded_coverage
from twin.exports import EXTENSIONS
from twin.i18n import _, aside
from twin.layers import REGISTRY

FORMATS = {"geojson": ("GeoJSON (RFC 7946)", "application/geo+json"),
           "parquet": ("GeoParquet", "application/vnd.apache.parquet"),
           "csv": ("CSV", "text/csv")}  # fmt: skip

view = current_view()
st.title(_("Export") + f" · {district_title(view.preset)}")
loaded, cells, report, measured = loaded_coverage(view)
st.caption(_(
    "Every file carries the attribution of its sources (© OpenStreetMap contributors, ODbL, and "
    "the data pack's licences) and the parameters that produced it. GeoJSON is WGS-84 lon/lat; "
    "CSV has a plain header (pandas and kepler.gl read it as it is; hexagons by `hex_id`) and its "
    "attribution and parameters in a CSVW sidecar (`…csv-metadata.json`), offered beside it. "
    "Text cells a spreadsheet would run as a formula are quoted with '."
))  # fmt: skip
items = {"hexagons": (_("Hexagon metrics (res {res}, summed from the res-{base} measurement)").format(
    res=view.resolution, base=report["base_resolution"]), cells)}  # fmt: skip
for name, frame in current_layers(view.preset.slug).items():
    source = frame["source"].iloc[0] if len(frame) else "empty"
    items[name] = (_(REGISTRY[name].label) + aside(_(source)), frame)

fmt = st.radio(
    _("Format"),
    list(FORMATS),
    format_func=lambda f: FORMATS[f][0],
    horizontal=True,
    key="export_format",
)
for key, (label, frame) in items.items():
    c1, c2 = st.columns([3, 1])
    c1.write(f"**{label}** · " + _("{count} features").format(count=f"{len(frame):,}"))
    data, sidecar = export_file(view.preset.slug, key, fmt, view.resolution, view.elderly)
    name = f"twin_{view.preset.slug}_{key}{EXTENSIONS[fmt]}"
    c2.download_button(
        _("Download {format}").format(format=FORMATS[fmt][0]), data, file_name=name,
        mime=FORMATS[fmt][1],
        key=f"download_{key}_{fmt}",
    )  # fmt: skip
    if sidecar is not None:  # the attribution travels in the CSVW sidecar
        c2.download_button(
            _("Its metadata (CSVW)"), sidecar,
            file_name=f"{name}-metadata.json", mime="application/json", key=f"csvw_{key}",
        )  # fmt: skip
