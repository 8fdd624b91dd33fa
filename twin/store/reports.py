"""Stored reports: a warm ``twin report`` answers from disk without loading a district.

The report is the one pipeline's output (:func:`twin.analysis.build.build`); this store only
remembers it under a key over everything it depends on, computed from file identities alone
(no geopandas, no scipy): the district's cache key, the run's settings and norms, the
district's imported inventories, measurements and calibration, the data pack's files and
twin's own code. Any change is a new key; an entry whose checksum does not match is ignored
and the report is computed again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from twin._errors import TwinError
from twin.norms import PROJECT_ROOT
from twin.settings import Settings
from twin.store.atomic import cache_key, cache_write_bytes
from twin.store.district_key import entry_dir
from twin.store.jsonfile import read_json

MAX_REPORT_BYTES = 64 << 20  # a report is tens of kB; a larger entry is not read


def _tree_fingerprint(root: Path, suffixes: tuple[str, ...] = ()) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime) of every file under ``root`` (with one of ``suffixes``)."""
    found: list[tuple[str, int, int]] = []
    if not root.is_dir():
        return found
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__", "cache")))
        for name in sorted(files):
            if suffixes and not name.endswith(suffixes):
                continue
            path = Path(folder) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            found.append((str(path.relative_to(root)), stat.st_size, stat.st_mtime_ns))
    return found


_DIGESTS: dict[tuple[str, int, int], str] = {}  # a file's identity → its content's digest


def _content_fingerprint(root: Path, suffixes: tuple[str, ...]) -> list[tuple[str, str]]:
    """(relative path, SHA-256 of the content) of every file under ``root`` with one of
    ``suffixes``: a checkout or a touch that leaves a file's bytes alone leaves it the same (a
    file is read again only when its size or time changed)."""
    found = []
    for relative, size, mtime in _tree_fingerprint(root, suffixes):
        identity = (str(root / relative), size, mtime)
        digest = _DIGESTS.get(identity)
        if digest is None:
            try:
                digest = hashlib.sha256((root / relative).read_bytes()).hexdigest()[:16]
            except OSError:
                continue
            _DIGESTS[identity] = digest
        found.append((relative, digest))
    return found


def code_fingerprint() -> list[tuple[str, str]]:
    """twin's code and packaged tables and shapes (the Outer Ring), by content: a change to any
    is a new report, new stored hexagons and newly drawn layers."""
    return (_content_fingerprint(PROJECT_ROOT / "twin", (".py",))
            + _content_fingerprint(PROJECT_ROOT / "layers", (".py",))
            + _content_fingerprint(PROJECT_ROOT / "data", (".toml", "outer_ring.geojson")))  # fmt: skip


def report_key(slug: str, district_key: str, settings: Settings, **options: object) -> str:
    """A key over every input of ``slug``'s report (``options``: the command's own, such as the
    walking profile and the resolution gaps are listed at)."""
    cache = settings.cache_dir
    parts = {
        "district": district_key,
        # the stored district itself: a later `twin fetch` rewriting it is a new report
        "entry": _tree_fingerprint(entry_dir(slug, district_key, settings), ("meta.json",)),
        "settings": [settings.h3_resolution, settings.speed_kmh, str(settings.data_dir)],
        "norms": repr(settings.norms),
        "options": options,
        "own": [_tree_fingerprint(cache / kind / slug) for kind in ("inventories", "measurements")],
        "pack": _tree_fingerprint(settings.data_dir) if settings.data_dir else None,
        "code": code_fingerprint(),
    }
    return cache_key(parts)


def plan_report_key(
    name: str,
    settings: Settings,
    elderly: bool = False,
    res: int | None = None,
    *,
    osm_file: Path | None = None,
    boundary_file: Path | None = None,
    boundary_crs: str = "wgs84",
    demand_raster: Path | None = None,
) -> tuple[str, str]:
    """The slug of district ``name`` and the key of its report under ``settings`` for the
    walking profile (``elderly``) and the gap resolution ``res`` (None: the base), given the
    district's own sources (as :func:`twin.store.district_key.district_inputs` takes them).
    ``twin report``, ``twin prepare`` and the viewer's Overview all store or read under it."""
    from twin.store.district_key import district_inputs

    slug, district_key, _ = district_inputs(name, settings, osm_file, boundary_file,
                                            boundary_crs, demand_raster)  # fmt: skip
    return slug, report_key(slug, district_key, settings, res=res, elderly=bool(elderly))


def _path(slug: str, key: str, settings: Settings) -> Path:
    return settings.cache_dir / "reports" / f"{slug}-{key}.json"


def load_report(slug: str, key: str, settings: Settings) -> dict[str, Any] | None:
    """The stored report for ``key``, or None (missing, oversized or damaged)."""
    try:
        stored = read_json(_path(slug, key, settings), max_bytes=MAX_REPORT_BYTES)
        text = stored["report"]
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != stored["sha256"]:
            return None
        report = json.loads(text)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return report if isinstance(report, dict) else None


def save_report(slug: str, key: str, report: dict[str, Any], settings: Settings) -> None:
    """Store ``report`` under ``key`` with its checksum (a read-only cache is no error)."""
    text = json.dumps(report, ensure_ascii=False, allow_nan=False)
    document = {"sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "report": text}
    try:
        cache_write_bytes(_path(slug, key, settings), json.dumps(document).encode("utf-8"))
    except (OSError, TwinError):  # read-only, or something else where the file belongs
        return
