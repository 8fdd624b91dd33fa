"""The district cache and the cached loader :func:`load_district` (``twin.load_district``).

``twin fetch`` writes an entry; later loads read it back in a second.

Layout: ``<cache_dir>/districts/<slug>-<key>/`` with ``graph.pickle``, ``pois.parquet``,
``demand.parquet`` and ``meta.json``; the key hashes every input, so changing a file or the
data directory never reuses a stale entry. The folder is written beside its final name and
renamed into place, so an interrupted fetch leaves no half-written entry.
"""

from __future__ import annotations

import json
import pickle
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import shapely

from twin.districts import resolve
from twin.model import District, Progress, district_from_sources
from twin.settings import Settings
from twin.sources.cache import atomic_write, cache_key, file_fingerprint
from twin.sources.record import SourceRecord

FORMAT_VERSION = 2  # 2: POIs carry their GB 50180 facility type


def district_key(slug: str, settings: Settings, **inputs: Path | str | None) -> str:
    parts: dict[str, object] = {"v": FORMAT_VERSION, "slug": slug, "data": str(settings.data_dir)}
    for name, value in sorted(inputs.items()):
        if isinstance(value, Path) and value.exists():
            parts[name] = file_fingerprint(value)
        else:
            parts[name] = None if value is None else str(value)
    return cache_key(parts)


def entry_dir(slug: str, key: str, settings: Settings) -> Path:
    return settings.cache_dir / "districts" / f"{slug}-{key}"


def save_district(district: District, folder: Path) -> Path:
    """Write ``district`` to ``folder`` atomically (replacing an older entry)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        with (tmp / "graph.pickle").open("wb") as fh:
            pickle.dump(district.graph, fh, protocol=pickle.HIGHEST_PROTOCOL)
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
        }
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def read_district(folder: Path) -> District | None:
    """The district cached in ``folder``, or None when there is no complete entry."""
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text("utf-8"))
    if meta.get("version") != FORMAT_VERSION:
        return None
    with (folder / "graph.pickle").open("rb") as fh:
        graph = pickle.load(fh)
    study = meta["study_area_wkb"]
    return District(
        preset=resolve(meta["slug"]),
        boundary=shapely.from_wkb(meta["boundary_wkb"]),
        graph=graph,
        study_area=None if study is None else shapely.from_wkb(study),
        pois=gpd.read_parquet(folder / "pois.parquet"),
        demand=gpd.read_parquet(folder / "demand.parquet"),
        sources=[SourceRecord(**s) for s in meta["sources"]],
        notes=list(meta["notes"]),
        poi_summary=meta["poi_summary"],
    )


def _quiet(_: str) -> None:
    return None


def _choice_path(slug: str, settings: Settings) -> Path:
    return settings.cache_dir / "choices" / f"{slug}.json"


def remember_street_file(slug: str, osm_file: Path | None, settings: Settings) -> None:
    """Record the street file ``twin fetch`` chose (None: the default sources again)."""
    path = _choice_path(slug, settings)
    if osm_file is None:
        path.unlink(missing_ok=True)
        return
    text = json.dumps({"osm_file": str(Path(osm_file).resolve())})
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def remembered_street_file(slug: str, settings: Settings) -> Path | None:
    """The street file a previous ``twin fetch`` chose for ``slug``, if it still exists."""
    path = _choice_path(slug, settings)
    try:
        chosen = Path(json.loads(path.read_text(encoding="utf-8"))["osm_file"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return chosen if chosen.exists() else None


def load_district(
    name: str,
    settings: Settings | None = None,
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
    settings = settings or Settings.from_env()
    slug = resolve(name).slug
    if osm_file is None:
        osm_file = remembered_street_file(slug, settings)
        if osm_file is not None:
            progress(f"streets: {osm_file} (chosen by an earlier 'twin fetch --osm-file')")
    inputs = {"osm_file": osm_file, "boundary_file": boundary_file,
              "boundary_crs": boundary_crs, "demand_raster": demand_raster}  # fmt: skip
    if not cache:
        return district_from_sources(name, settings, progress=progress, **inputs)  # type: ignore[arg-type]
    key = district_key(slug, settings, **inputs, offline=str(settings.offline))  # type: ignore[arg-type]
    folder = entry_dir(slug, key, settings)
    if not refresh:
        cached = read_district(folder)
        if cached is not None:
            progress(f"cache: {folder}")
            return cached
    loaded = district_from_sources(name, settings, progress=progress, **inputs)  # type: ignore[arg-type]
    progress(f"cache: writing {folder}")
    save_district(loaded, folder)
    return loaded
