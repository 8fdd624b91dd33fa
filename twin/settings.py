"""The run configuration: resolved once at the edge, passed down explicitly.

The edges are the command line (:mod:`twin.cli`), the Python API (:mod:`twin.api`), the viewer
(``app.py``, ``app_pages/``) and :meth:`Settings.from_env`, the one reader of ``TWIN_*``
variables. Everything below receives a :class:`Settings` (or the :class:`~twin.norms.Norms` and
params derived from it) as an argument; no module below the edge reads the environment or a
global default (``tests/test_structure.py`` holds that).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from twin._errors import InvalidInputError
from twin.norms import PROJECT_ROOT, Norms, load_norms
from twin.norms_schema import RULES

DEFAULT_OVERPASS_URL = "https://overpass-api.de/api"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _as_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    msg = f"{name}={value!r} is not a yes/no value; use 1/0, true/false, yes/no or on/off."
    raise InvalidInputError(msg)


def _as_number(name: str, value: str, kind: type[int] | type[float]) -> float:
    try:
        return kind(value)
    except ValueError:
        msg = f"{name}={value!r} is not a number; set it to e.g. {kind(9)}."
        raise InvalidInputError(msg) from None


@dataclass(frozen=True)
class Settings:
    """Where data lives and the defaults of the analysis.

    Attributes:
        data_dir: the sample data pack (``osm/``, ``poi/``, ``boundaries/``, ``residential/``),
            or None when there is none.
        cache_dir: where derived results are cached (created on first write).
        offline: never touch the network when True.
        h3_resolution: the base H3 resolution districts are measured at (7-10, default 10);
            every coarser view aggregates it.
        walk_speed_kmh: walking speed of the 15-minute analysis; None takes the norms' value.
        overpass_url: base URL of the Overpass API used for online downloads.
        norms_file: a TOML file overriding ``data/norms.toml`` (None: the packaged norms).
        workers: processes for the walking measures on large street networks (None: one per
            core; 1 keeps them in one process).
    """

    data_dir: Path | None = None
    cache_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "data" / "cache")
    offline: bool = False
    h3_resolution: int = 10
    walk_speed_kmh: float | None = None
    overpass_url: str = DEFAULT_OVERPASS_URL
    norms_file: Path | None = None
    workers: int | None = None

    def __post_init__(self) -> None:
        if self.walk_speed_kmh is None:
            object.__setattr__(self, "walk_speed_kmh", self.norms.walking.speed_kmh)
        if not 7 <= self.h3_resolution <= 10:
            msg = f"H3 resolution {self.h3_resolution} is outside 7-10; choose 10 (~0.015 km²)."
            raise InvalidInputError(msg)
        if not 0.5 <= float(self.walk_speed_kmh) <= 10:  # type: ignore[arg-type]
            msg = (f"walking speed {self.walk_speed_kmh} km/h is out of range; it takes "
                   f"{RULES['walking.speed_kmh'].allowed()} (3.6–4.5 km/h is usual).")  # fmt: skip
            raise InvalidInputError(msg)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``TWIN_DATA_DIR``, ``TWIN_CACHE_DIR``, ``TWIN_OFFLINE``, ``TWIN_H3_RES``,
        ``TWIN_WALK_SPEED_KMH``, ``TWIN_OVERPASS_URL``, ``TWIN_NORMS_FILE`` and ``TWIN_WORKERS``; unset ones keep
        their defaults."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, object] = {}
        if env.get("TWIN_DATA_DIR"):
            kwargs["data_dir"] = Path(env["TWIN_DATA_DIR"]).expanduser()
        if env.get("TWIN_CACHE_DIR"):
            kwargs["cache_dir"] = Path(env["TWIN_CACHE_DIR"]).expanduser()
        if "TWIN_OFFLINE" in env:
            kwargs["offline"] = _as_bool("TWIN_OFFLINE", env["TWIN_OFFLINE"])
        if env.get("TWIN_H3_RES"):
            res = env["TWIN_H3_RES"].strip()
            if not res.isdigit():
                msg = (f"TWIN_H3_RES={env['TWIN_H3_RES']!r} is not a whole number; set it to a "
                       "resolution from 7 to 10 (10 is the default).")  # fmt: skip
                raise InvalidInputError(msg)
            kwargs["h3_resolution"] = int(res)
        if env.get("TWIN_WALK_SPEED_KMH"):
            kwargs["walk_speed_kmh"] = _as_number(
                "TWIN_WALK_SPEED_KMH", env["TWIN_WALK_SPEED_KMH"], float
            )
        if env.get("TWIN_OVERPASS_URL"):
            kwargs["overpass_url"] = env["TWIN_OVERPASS_URL"].rstrip("/")
        if env.get("TWIN_NORMS_FILE"):
            kwargs["norms_file"] = Path(env["TWIN_NORMS_FILE"]).expanduser()
        if "TWIN_WORKERS" in env:
            workers = env["TWIN_WORKERS"].strip()
            if not workers.isdigit() or int(workers) < 1:
                msg = (f"TWIN_WORKERS={env['TWIN_WORKERS']!r} is not a positive whole number; "
                       "set it to 1 (one process) or the number of cores, or unset it.")  # fmt: skip
                raise InvalidInputError(msg)
            kwargs["workers"] = int(workers)
        return cls(**kwargs)  # type: ignore[arg-type]

    @property
    def norms(self) -> Norms:
        """The norms in force: ``norms_file`` merged over ``data/norms.toml``."""
        return load_norms(self.norms_file)

    @property
    def speed_kmh(self) -> float:
        """The walking speed in force (``walk_speed_kmh`` or the norms' default)."""
        return float(self.walk_speed_kmh)  # type: ignore[arg-type]

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS reports it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
