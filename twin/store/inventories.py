"""Real inventories a user imported (``twin import``), kept per district and layer: every later
build uses them in place of the generated layer."""

from __future__ import annotations

import json
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


def attrs_path(slug: str, layer: str, settings: Settings) -> Path:
    """The sidecar of an imported inventory: which attributes its file did not give."""
    return inventories_folder(slug, settings) / f"{layer}.attrs.json"


def save_imported(slug: str, layer: str, frame: gpd.GeoDataFrame, settings: Settings) -> Path:
    """Keep an imported inventory so that every later step uses it in place of the generator
    (its ``attrs``, e.g. the attributes filled by defaults, in a JSON sidecar)."""
    validate_layer(frame, layer)
    text = json.dumps(frame.attrs, ensure_ascii=False, default=str)
    atomic_write(attrs_path(slug, layer, settings), lambda tmp: tmp.write_text(text, "utf-8"))
    return atomic_write(imported_path(slug, layer, settings), frame.to_parquet)


def read_imported(slug: str, layer: str, settings: Settings) -> gpd.GeoDataFrame | None:
    """The imported inventory of ``layer`` with its ``attrs``, or None when there is none."""
    path = imported_path(slug, layer, settings)
    if not path.exists():
        return None
    frame = validate_layer(gpd.read_parquet(path), layer)
    try:
        frame.attrs = json.loads(attrs_path(slug, layer, settings).read_text("utf-8"))
    except (OSError, ValueError):
        frame.attrs = {}
    return frame


def forget_imported(slug: str, layer: str, settings: Settings) -> bool:
    path = imported_path(slug, layer, settings)
    existed = path.exists()
    path.unlink(missing_ok=True)
    attrs_path(slug, layer, settings).unlink(missing_ok=True)
    return existed
