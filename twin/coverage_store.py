"""Computed coverage kept on disk, so a second run (and the viewer's first page) is instant.

An entry holds the hexagon metrics (GeoParquet), the measured categories and facilities and the
residents' method (JSON), under a key that hashes everything the result depends on: the
district's content (boundary, streets, POIs, demand), each layer's content, every engine
parameter (norms included) and this module's format version. A changed input is a new key; a
damaged entry is ignored and recomputed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd

from twin.analysis.engine import Coverage, CoverageParams
from twin.digest import district_digest, frame_digest
from twin.model import District
from twin.settings import Settings
from twin.sources.cache import atomic_write

FORMAT = 2  # 2: base resolution 10, served_/unserved_ columns


def coverage_key(
    district: District, layers: dict[str, gpd.GeoDataFrame], params: CoverageParams
) -> str:
    """A key over every input of :func:`twin.analysis.engine.compute`."""
    digest = hashlib.sha256(f"coverage-v{FORMAT}".encode())
    digest.update(district_digest(district))
    digest.update(json.dumps(params.describe(), sort_keys=True, default=str).encode())
    digest.update(repr(params.norms).encode())  # every norm's value, not just the file name
    for name in sorted(layers):
        digest.update(name.encode())
        digest.update(frame_digest(layers[name]))
    return digest.hexdigest()[:24]


def _folder(slug: str, key: str, settings: Settings) -> Path:
    return settings.cache_dir / "coverage" / f"{slug}-{key}"


def load_coverage(
    slug: str, key: str, params: CoverageParams, settings: Settings
) -> Coverage | None:
    """The stored coverage for ``key``, or None (missing or damaged: the caller recomputes)."""
    folder = _folder(slug, key, settings)
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        cells = gpd.read_parquet(folder / "cells.parquet")
    except (OSError, ValueError, KeyError):
        return None
    if meta.get("format") != FORMAT or len(cells) != meta.get("cells"):
        return None
    return Coverage(cells, params, meta["measured_categories"], meta["unassigned_population"],
                    meta["residents_method"], meta["measured_facilities"])  # fmt: skip


def save_coverage(slug: str, key: str, coverage: Coverage, settings: Settings) -> Path:
    """Write ``coverage`` under ``key`` (cells first, then the meta that marks it complete)."""
    folder = _folder(slug, key, settings)
    atomic_write(folder / "cells.parquet", coverage.cells.to_parquet)
    meta = {
        "format": FORMAT, "cells": len(coverage.cells),
        "measured_categories": coverage.measured_categories,
        "measured_facilities": coverage.measured_facilities,
        "unassigned_population": coverage.unassigned_population,
        "residents_method": coverage.residents_method,
    }  # fmt: skip
    text = json.dumps(meta, ensure_ascii=False)
    return atomic_write(folder / "meta.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
