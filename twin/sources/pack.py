"""Which data-pack OSM extracts cover a district (bounds read once and cached per file)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from twin.settings import Settings
from twin.store.atomic import cache_key, cache_write_bytes, file_fingerprint

_LATLON = re.compile(rb'<node[^>]*?lat="([-0-9.]+)"\s+lon="([-0-9.]+)"')


def osm_file_bounds(path: Path, settings: Settings) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the nodes of an OSM XML file."""
    cached = settings.cache_dir / "bounds" / f"{cache_key(file_fingerprint(path))}.json"
    try:
        bounds = tuple(float(v) for v in json.loads(cached.read_text()))
        if len(bounds) == 4:
            return bounds
    except (OSError, ValueError, TypeError):
        pass  # missing or damaged: measured again and rewritten below
    coords = np.array(_LATLON.findall(path.read_bytes()), dtype=float)
    if coords.size == 0:
        return (0.0, 0.0, 0.0, 0.0)
    bounds = (
        float(coords[:, 1].min()),
        float(coords[:, 0].min()),
        float(coords[:, 1].max()),
        float(coords[:, 0].max()),
    )
    cache_write_bytes(cached, json.dumps(bounds).encode())
    return bounds


def pack_osm_files_covering(boundary: BaseGeometry, settings: Settings) -> list[Path]:
    """The data pack's ``osm/*.osm`` files whose extent overlaps ``boundary`` by > 1 %."""
    if settings.data_dir is None or not (settings.data_dir / "osm").is_dir():
        return []
    found = []
    for path in sorted((settings.data_dir / "osm").glob("*.osm")):
        extent = box(*osm_file_bounds(path, settings))
        overlap = shapely.intersection(extent, boundary).area
        if boundary.area and overlap / boundary.area > 0.01:
            found.append(path)
    return found
