"""Real inventories a user imported (``twin import``), kept per district and layer: every later
build uses them in place of the generated layer."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from twin.layers import validate_layer
from twin.settings import Settings
from twin.store.atomic import atomic_write


def inventories_folder(slug: str, settings: Settings) -> Path:
    """Where the imported inventories of ``slug`` are kept."""
    return settings.cache_dir / "inventories" / slug


def imported_path(slug: str, layer: str, settings: Settings) -> Path:
    return inventories_folder(slug, settings) / f"{layer}.parquet"


def save_imported(slug: str, layer: str, frame: gpd.GeoDataFrame, settings: Settings) -> Path:
    """Keep an imported inventory so that every later step uses it in place of the generator."""
    validate_layer(frame, layer)
    return atomic_write(imported_path(slug, layer, settings), frame.to_parquet)


def forget_imported(slug: str, layer: str, settings: Settings) -> bool:
    path = imported_path(slug, layer, settings)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed
