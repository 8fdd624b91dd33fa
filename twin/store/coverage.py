"""Measured hexagons kept on disk, so a second run (and the viewer's first page) is instant.

An entry holds the base hexagons (GeoParquet) and a JSON of what else the measurement found
(measured categories and facilities, the residents' method), under a key the caller derives from
everything the result depends on (:func:`twin.analysis.build.coverage_key`: the district's
content, each layer's content, every engine parameter and norm, twin's code) and this module's
format. A changed input is a new key; a damaged entry is ignored and recomputed. The store knows nothing
of the analysis: it keeps frames and plain data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd

from twin.settings import Settings
from twin.store.atomic import cache_write
from twin.store.geoparquet import read_geoparquet
from twin.store.jsonfile import read_json

FORMAT = 2  # 2: base resolution 10, served_/unserved_ columns


def _folder(slug: str, key: str, settings: Settings) -> Path:
    return settings.cache_dir / "coverage" / f"{slug}-{key}"


def load_coverage(
    slug: str, key: str, settings: Settings
) -> tuple[gpd.GeoDataFrame, dict[str, Any]] | None:
    """The stored hexagons and their meta for ``key``, or None (missing or damaged)."""
    folder = _folder(slug, key, settings)
    try:
        meta = read_json(folder / "meta.json")
        cells = read_geoparquet(folder / "cells.parquet")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if meta.get("format") != FORMAT or len(cells) != meta.get("cells"):
        return None
    return cells, meta


def save_coverage(
    slug: str, key: str, cells: gpd.GeoDataFrame, meta: dict[str, Any], settings: Settings
) -> Path:
    """Write ``cells`` and ``meta`` under ``key`` (cells first, then the meta that marks the
    entry complete)."""
    folder = _folder(slug, key, settings)
    cache_write(folder / "cells.parquet", cells.to_parquet)
    text = json.dumps(meta | {"format": FORMAT, "cells": len(cells)}, ensure_ascii=False)
    return cache_write(folder / "meta.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))


def load_note(slug: str, key: str, name: str, settings: Settings) -> Any:
    """A plain-data note stored beside the entry ``key`` (a figure derived from it), or None."""
    try:
        return read_json(_folder(slug, key, settings) / f"{name}.json", object)
    except (OSError, ValueError):
        return None


def save_note(slug: str, key: str, name: str, value: Any, settings: Settings) -> Path:
    """Store ``value`` (plain data) beside the entry ``key`` under ``name``."""
    text = json.dumps(value, ensure_ascii=False)
    path = _folder(slug, key, settings) / f"{name}.json"
    return cache_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
