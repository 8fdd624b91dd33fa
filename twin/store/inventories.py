"""Real inventories a user imported (``twin import``), kept per district and layer: every later
build uses them in place of the generated layer.

Each is checksummed like the district cache (``<layer>.sha256.json``: its size and SHA-256):
a stored inventory that was damaged, truncated or replaced (by a link, say) is refused with a
message, never read as garbage or streamed without end. It cannot heal itself (the user's file
is its only source): the message says to import it again or forget it."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd

from twin._errors import InvalidInputError, TwinError
from twin.layers import validate_layer
from twin.settings import Settings
from twin.store.atomic import cache_write
from twin.store.digest import file_sha256
from twin.store.geoparquet import read_geoparquet
from twin.store.jsonfile import read_json


def inventories_folder(slug: str, settings: Settings) -> Path:
    """Where the imported inventories of ``slug`` are kept."""
    return settings.cache_dir / "inventories" / slug


def imported_path(slug: str, layer: str, settings: Settings) -> Path:
    return inventories_folder(slug, settings) / f"{layer}.parquet"


def attrs_path(slug: str, layer: str, settings: Settings) -> Path:
    """The sidecar of an imported inventory: which attributes its file did not give."""
    return inventories_folder(slug, settings) / f"{layer}.attrs.json"


def checksum_path(slug: str, layer: str, settings: Settings) -> Path:
    return inventories_folder(slug, settings) / f"{layer}.sha256.json"


def save_imported(slug: str, layer: str, frame: gpd.GeoDataFrame, settings: Settings) -> Path:
    """Keep an imported inventory so that every later step uses it in place of the generator
    (its ``attrs``, e.g. the attributes filled by defaults, in a JSON sidecar)."""
    validate_layer(frame, layer)
    text = json.dumps(frame.attrs, ensure_ascii=False, default=str)
    cache_write(attrs_path(slug, layer, settings), lambda tmp: tmp.write_text(text, "utf-8"))
    saved = cache_write(imported_path(slug, layer, settings), frame.to_parquet)
    stamp = json.dumps({"bytes": saved.stat().st_size, "sha256": file_sha256(saved)})
    cache_write(checksum_path(slug, layer, settings), lambda tmp: tmp.write_text(stamp, "utf-8"))
    return saved


def read_imported(slug: str, layer: str, settings: Settings) -> gpd.GeoDataFrame | None:
    """The imported inventory of ``layer`` with its ``attrs``, or None when there is none."""
    path = imported_path(slug, layer, settings)
    if not path.exists() and not path.is_symlink():
        return None
    _check(slug, layer, path, settings)
    try:
        frame = validate_layer(read_geoparquet(path), layer)
    except (OSError, ValueError, TwinError) as exc:
        raise _damaged(slug, layer, f"it cannot be read ({type(exc).__name__})") from None
    try:
        frame.attrs = read_json(attrs_path(slug, layer, settings))
    except (OSError, ValueError):
        frame.attrs = {}
    return frame


def _damaged(slug: str, layer: str, why: str) -> InvalidInputError:
    return InvalidInputError(
        f"the stored {layer} inventory of {slug} is damaged ({why}); import it again with "
        f"'twin import {slug} --layer {layer} FILE', or remove it on the Data page."
    )


def _check(slug: str, layer: str, path: Path, settings: Settings) -> None:
    """Refuse a stored inventory that is not the regular file of the size and digest saved."""
    if path.is_symlink() or not path.is_file():
        raise _damaged(slug, layer, "it is no longer a regular file")
    try:
        stamp = read_json(checksum_path(slug, layer, settings))
        size, digest = int(stamp["bytes"]), str(stamp["sha256"])
    except FileNotFoundError:
        raise _damaged(slug, layer, "its checksum record is missing") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise _damaged(slug, layer, "its checksum record is unreadable") from None
    if path.stat().st_size != size:
        raise _damaged(slug, layer, f"{path.stat().st_size:,} bytes where {size:,} were stored")
    if file_sha256(path) != digest:
        raise _damaged(slug, layer, "it fails its checksum")


def forget_imported(slug: str, layer: str, settings: Settings) -> bool:
    path = imported_path(slug, layer, settings)
    existed = path.exists()
    path.unlink(missing_ok=True)
    attrs_path(slug, layer, settings).unlink(missing_ok=True)
    checksum_path(slug, layer, settings).unlink(missing_ok=True)
    return existed
