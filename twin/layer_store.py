"""Which layer a district uses: an imported real inventory when there is one, else generated."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from twin import layers
from twin.layers import validate_layer
from twin.model import District
from twin.settings import Settings
from twin.sources.cache import atomic_write


def imported_path(slug: str, layer: str, settings: Settings) -> Path:
    return settings.cache_dir / "inventories" / slug / f"{layer}.parquet"


def save_imported(slug: str, layer: str, frame: gpd.GeoDataFrame, settings: Settings) -> Path:
    """Keep an imported inventory so that every later step uses it in place of the generator."""
    validate_layer(frame, layer)
    return atomic_write(imported_path(slug, layer, settings), frame.to_parquet)


def forget_imported(slug: str, layer: str, settings: Settings) -> bool:
    path = imported_path(slug, layer, settings)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def layer_for(district: District, layer: str, settings: Settings) -> gpd.GeoDataFrame:
    """The imported inventory of ``layer`` for ``district`` if one was saved, else generated."""
    path = imported_path(district.preset.slug, layer, settings)
    if path.exists():
        return validate_layer(gpd.read_parquet(path), layer)
    return layers.generate(layer, district)
