"""The district cache and the cached loader :func:`load_district` (``twin.load_district``).

``twin fetch`` writes an entry; later loads read it back in a second.

Layout: ``<cache_dir>/districts/<slug>-<key>/`` with ``streets.parquet`` (the street edges) and
``network.npz`` (the CSR walk network: no networkx graph is converted or held again),
``pois.parquet``, ``demand.parquet``, ``buildings.parquet`` (OSM footprints with heights, when
the street file had buildings) and ``meta.json`` (with a SHA-256 of every file, verified on read: a damaged
entry is said in one sentence and rebuilt; no pickle, nothing executable); the key hashes every input, so changing a file or the
data directory never reuses a stale entry. The folder is written beside its final name and
renamed into place, so an interrupted fetch leaves no half-written entry.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from twin._errors import TwinError
from twin.districts import resolve
from twin.model import District, Progress, district_from_sources
from twin.settings import Settings
from twin.sources.record import SourceRecord
from twin.store.digest import file_sha256
from twin.store.district_key import (  # noqa: F401  (re-exported: the store's public names)
    FORMAT_VERSION,
    district_inputs,
    district_key,
    entry_dir,
    remember_street_file,
    remembered_street_file,
)
from twin.store.geoparquet import read_geoparquet
from twin.store.jsonfile import read_json
from twin.streets import Streets

BUILDINGS_FILE = "buildings.parquet"
STALE_AFTER_S = 3600.0  # temporary files older than this are left-overs of killed runs


def sweep_stale(parent: Path, older_than_s: float = STALE_AFTER_S) -> int:
    """Remove temporary folders and files that killed runs left behind; returns how many."""
    removed = 0
    if not parent.is_dir():
        return 0
    now = time.time()
    for leftover in parent.glob(".*"):
        try:
            if now - leftover.stat().st_mtime < older_than_s:
                continue
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
            removed += 1
        except OSError:
            continue
    return removed


def save_district(district: District, folder: Path) -> Path:
    """Write ``district`` to ``folder`` atomically (replacing an older entry), with checksums."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(folder.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        files = ["pois.parquet", "demand.parquet"]
        if district.streets is not None:
            files.extend(district.streets.save(tmp))
        if district.buildings is not None:
            district.buildings.to_parquet(tmp / BUILDINGS_FILE)
            files.append(BUILDINGS_FILE)
        district.pois.to_parquet(tmp / "pois.parquet")
        district.demand.to_parquet(tmp / "demand.parquet")
        meta = {
            "version": FORMAT_VERSION,
            "slug": district.preset.slug,
            "boundary_wkb": shapely.to_wkb(district.boundary, hex=True),
            "study_area_wkb": None
            if district.study_area is None
            else shapely.to_wkb(district.study_area, hex=True),
            "sources": [s.as_dict() for s in district.sources],
            "notes": district.notes,
            "poi_summary": district.poi_summary,
            "checksums": {name: file_sha256(tmp / name) for name in files},
        }
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


class DamagedEntryError(TwinError):
    """A cache entry that exists but cannot be trusted (internal: the loader rebuilds it)."""


def read_district(folder: Path) -> District | None:
    """The district cached in ``folder``; None when there is no entry; :class:`DamagedEntryError`
    when one exists but a file is missing, unreadable or fails its checksum."""
    meta_path = folder / "meta.json"
    if not folder.exists():
        return None
    try:
        meta = read_json(meta_path)
    except (OSError, ValueError) as exc:
        raise DamagedEntryError(f"meta.json unreadable ({type(exc).__name__})") from None
    if meta.get("version") != FORMAT_VERSION:
        return None
    try:
        for name, expected in meta["checksums"].items():
            if file_sha256(folder / name) != expected:
                raise DamagedEntryError(f"{name} fails its checksum")
        study = meta["study_area_wkb"]
        return District(
            preset=resolve(meta["slug"]),
            boundary=shapely.from_wkb(meta["boundary_wkb"]),
            streets=Streets.read(folder),
            study_area=None if study is None else shapely.from_wkb(study),
            pois=read_geoparquet(folder / "pois.parquet"),
            demand=read_geoparquet(folder / "demand.parquet"),
            sources=[SourceRecord(**s) for s in meta["sources"]],
            notes=list(meta["notes"]),
            poi_summary=meta["poi_summary"],
            buildings=read_geoparquet(folder / BUILDINGS_FILE)
            if (folder / BUILDINGS_FILE).exists()
            else None,
        )
    except DamagedEntryError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DamagedEntryError(f"{type(exc).__name__}: {str(exc)[:120]}") from None


# ``twin prepare``'s estimate of a district's cold load and two builds, seconds on this project's
# 2-core reference machine (fitted to round 3 session 9's tasks: Hongkou 2.8 s, Changning 4.3 s,
# Minhang 6.0 s, Jiading 5.5 s, Songjiang 7.0 s): only their ratios matter, to start the longest
# task first
PREPARE_S_PER_DISTRICT = 2.6  # reading the pack, the layers, the report: whatever its size
PREPARE_S_PER_KM2 = 0.0072  # hexagons, 5G and the seed spread grow with the area
PREPARE_S_PER_STREET_MB = 0.5  # a street file read (osm_reader) and the walks on its streets


def prepare_tasks(names: list[str], settings: Settings, workers: int = 1) -> list[list[str]]:
    """``names`` as tasks for ``twin prepare``'s ``workers``, the longest first (by an estimate
    from the district's area and the street files it parses, the ``PREPARE_S_*`` constants: the
    longest tasks start first, so no worker is left with a long task at the end).

    When there are more districts than workers, two districts a cold offline load would read
    the same data-pack street file for (Hongkou and Changning share the pack's) form one task:
    one worker loads them one after another and parses the file once
    (:func:`twin.sources.osm.shared_graph_from_file` remembers it) while the others take the remaining
    districts. With a worker for each district, every district is a task of its own (in
    parallel they finish sooner than one after another). Districts already in the store, or
    with a street file of their own, are tasks of their own."""
    from twin.sources import boundary as boundary_source
    from twin.sources.pack import pack_osm_files_covering

    pair = settings.offline and len(names) > workers  # online, streets come from the download
    cost: dict[str, float] = {}
    tasks: list[list[str]] = []
    open_task: dict[Path, list[str]] = {}  # a file → the task of its first reader, until paired
    parses: dict[int, set[Path]] = {}  # id of a task → the street files it parses
    for name in names:
        try:
            boundary, _ = boundary_source.boundary_from_pack(resolve(name), settings)
        except TwinError:  # no pack boundary: the load itself will say what is missing
            cost[name] = 0.0
            tasks.append([name])
            continue
        slug, key, inputs = district_inputs(name, settings)
        cold = inputs["osm_file"] is None and not entry_dir(slug, key, settings).exists()
        files = pack_osm_files_covering(boundary, settings) if settings.offline and cold else []
        shared = next((open_task.pop(f) for f in files if f in open_task), None) if pair else None
        task = shared if shared is not None else []
        new_files = set(files) - parses.setdefault(id(task), set())
        parses[id(task)] |= new_files
        cost[name] = (PREPARE_S_PER_DISTRICT + PREPARE_S_PER_KM2 * _area_km2(boundary)
                      + sum(PREPARE_S_PER_STREET_MB * f.stat().st_size / 1e6 for f in new_files))  # fmt: skip
        task.append(name)
        if shared is not None:  # paired: the task is closed for every file it reads
            for f in [f for f, other in open_task.items() if other is shared]:
                del open_task[f]
            continue
        tasks.append(task)
        for f in files if pair else []:
            open_task.setdefault(f, task)
    return sorted(tasks, key=lambda task: -sum(cost[n] for n in task))


def _area_km2(boundary: BaseGeometry) -> float:
    """The area of a WGS-84 polygon in km² (equirectangular at its centre: an estimate)."""
    scale = 111.32 * np.cos(np.radians(boundary.centroid.y))
    return float(boundary.area * 111.32 * scale)


def _quiet(_: str) -> None:
    return None


def load_district(
    name: str,
    settings: Settings,
    *,
    cache: bool = True,
    refresh: bool = False,
    osm_file: Path | None = None,
    boundary_file: Path | None = None,
    boundary_crs: str = "wgs84",
    demand_raster: Path | None = None,
    progress: Progress = _quiet,
) -> District:
    """Load a district (name, slug, Chinese name or adcode) from the best available sources.

    With ``cache`` (the default) the result is read from and written to the district cache
    (``TWIN_CACHE_DIR``), keyed by every input; ``refresh`` rebuilds the entry. Without it the
    sources are read every time and nothing is written. Without ``osm_file``, the street file a
    previous ``twin fetch --osm-file`` chose for the district is used (see
    :func:`remember_street_file`).

    >>> hongkou = load_district("虹口")  # doctest: +SKIP
    >>> hongkou.summary()["study_area_share"]  # doctest: +SKIP
    0.53
    """
    slug, key, inputs = district_inputs(name, settings, osm_file, boundary_file, boundary_crs,
                                        demand_raster)  # fmt: skip
    if inputs["osm_file"] is not None and osm_file is None:
        progress(f"streets: {inputs['osm_file']} (chosen by an earlier 'twin fetch --osm-file')")
    if not cache:
        return district_from_sources(name, settings, progress=progress, **inputs)  # type: ignore[arg-type]
    folder = entry_dir(slug, key, settings)
    if not refresh:
        try:
            cached = read_district(folder)
        except DamagedEntryError as exc:
            progress(f"cache: the entry {folder.name} is damaged ({exc}); rebuilding it")
            cached = None
        if cached is not None:
            progress(f"cache: {folder}")
            return cached
    loaded = district_from_sources(name, settings, progress=progress, **inputs)  # type: ignore[arg-type]
    progress(f"cache: writing {folder}")
    save_district(loaded, folder)
    return loaded
