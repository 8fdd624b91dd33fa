"""The key of a district cache entry, computed from its inputs without loading anything.

Light on purpose (no geopandas): the warm report (:mod:`twin.store.reports`) derives its key
from the same inputs before deciding whether any district must be loaded at all.
"""

from __future__ import annotations

import json
from pathlib import Path

from twin.districts import resolve
from twin.settings import Settings
from twin.store.atomic import cache_key, cache_write, file_fingerprint
from twin.store.jsonfile import read_json

FORMAT_VERSION = 4  # 2: POIs with GB 50180 types; 3: checksums; 4: edges + CSR arrays, no GraphML


def district_key(slug: str, settings: Settings, **inputs: Path | str | None) -> str:
    """A key over the district's inputs: the data directory and each input file's identity."""
    parts: dict[str, object] = {"v": FORMAT_VERSION, "slug": slug, "data": str(settings.data_dir)}
    for name, value in sorted(inputs.items()):
        if isinstance(value, Path) and value.exists():
            parts[name] = file_fingerprint(value)
        else:
            parts[name] = None if value is None else str(value)
    return cache_key(parts)


def entry_dir(slug: str, key: str, settings: Settings) -> Path:
    """The folder of district ``slug``'s cache entry under its key."""
    return settings.cache_dir / "districts" / f"{slug}-{key}"


def district_inputs(
    name: str,
    settings: Settings,
    osm_file: Path | None = None,
    boundary_file: Path | None = None,
    boundary_crs: str = "wgs84",
    demand_raster: Path | None = None,
) -> tuple[str, str, dict[str, Path | str | None]]:
    """The slug, the cache key and the inputs of a district load (the street file a previous
    ``twin fetch --osm-file`` chose stands in for a missing ``osm_file``)."""
    slug = resolve(name).slug
    if osm_file is None:
        osm_file = remembered_street_file(slug, settings)
    inputs: dict[str, Path | str | None] = {
        "osm_file": osm_file, "boundary_file": boundary_file,
        "boundary_crs": boundary_crs, "demand_raster": demand_raster}  # fmt: skip
    return slug, district_key(slug, settings, **inputs, offline=str(settings.offline)), inputs


def _choice_path(slug: str, settings: Settings) -> Path:
    return settings.cache_dir / "choices" / f"{slug}.json"


def remember_street_file(slug: str, osm_file: Path | None, settings: Settings) -> None:
    """Record the street file ``twin fetch`` chose (None: the default sources again)."""
    path = _choice_path(slug, settings)
    if osm_file is None:
        path.unlink(missing_ok=True)
        return
    text = json.dumps({"osm_file": str(Path(osm_file).resolve())})
    cache_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def remembered_street_file(slug: str, settings: Settings) -> Path | None:
    """The street file a previous ``twin fetch`` chose for ``slug``, if it still exists."""
    path = _choice_path(slug, settings)
    try:
        chosen = Path(read_json(path)["osm_file"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return chosen if chosen.exists() else None
