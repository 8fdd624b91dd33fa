"""Which layer a district uses: an imported real inventory when there is one, else the
generated one, kept on disk keyed by the district's content, the run's norms and twin's code
(an upgraded generator draws again)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd

from twin import layers
from twin._errors import TwinError
from twin.layers import validate_layer
from twin.model import District
from twin.settings import Settings
from twin.store.atomic import cache_write
from twin.store.digest import district_digest
from twin.store.geoparquet import read_geoparquet
from twin.store.inventories import read_imported
from twin.store.jsonfile import read_json
from twin.store.reports import code_fingerprint


def generated_path(district: District, layer: str, settings: Settings) -> Path:
    """Where the generated ``layer`` of ``district`` is kept, keyed by every input."""
    digest = hashlib.sha256(district_digest(district))
    digest.update(layer.encode())
    digest.update(repr(layers.params_for(layer, settings.norms)).encode())  # the run's norms
    digest.update(json.dumps(code_fingerprint()).encode())  # the generators and what they read
    return (
        settings.cache_dir / "layers" / f"{district.preset.slug}-{layer}-{digest.hexdigest()[:20]}"
    )


def layer_for(district: District, layer: str, settings: Settings) -> gpd.GeoDataFrame:
    """The imported inventory of ``layer`` for ``district`` if one was saved, else the
    generated one (from disk when the same inputs generated it before)."""
    imported = read_imported(district.preset.slug, layer, settings)
    if imported is not None:
        return imported
    stored = generated_path(district, layer, settings)
    try:
        frame = read_geoparquet(stored / "layer.parquet")
        frame.attrs = read_json(stored / "attrs.json")
        return validate_layer(frame, layer)
    except (OSError, ValueError, TwinError):
        pass  # missing or damaged: generate again
    frame = layers.generate(layer, district, norms=settings.norms)
    try:
        cache_write(stored / "layer.parquet", frame.to_parquet)
        text = json.dumps(frame.attrs, ensure_ascii=False, default=float)
        cache_write(stored / "attrs.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError:  # a read-only cache never stops a build
        pass
    return frame
