"""The one source of norms: ``data/norms.toml`` read once into a frozen :class:`Norms`.

Every threshold twin applies (walking speed, service radii, the 5G threshold, the reach rule,
the layer generators' densities and radio specs) is a field here, and every params dataclass
derives its defaults from it. ``TWIN_NORMS_FILE`` (or :func:`load_norms` with a path) points at a
user copy; keys it leaves out keep the packaged defaults.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from twin._errors import InvalidInputError
from twin.norms_schema import check_consistency, validate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NORMS_FILE = PROJECT_ROOT / "data" / "norms.toml"


@dataclass(frozen=True)
class WalkingNorms:
    speed_kmh: float
    elderly_speed_kmh: float
    rings_min: tuple[float, ...]
    rings_m: tuple[float, ...]
    life_circle_min: float
    facilities: tuple[Facility, ...] = ()


@dataclass(frozen=True)
class Facility:
    """One facility type of the GB 50180 checklist and the walk it must lie within."""

    key: str
    label: str
    level_min: float
    distance_m: float


@dataclass(frozen=True)
class ResidentNorms:
    bandwidth_addresses_m: float
    bandwidth_buildings_m: float
    pixel_m: float
    ceiling_per_km2: float


@dataclass(frozen=True)
class ReachNorms:
    detour_factor: float
    detour_factor_range: tuple[float, float]
    max_snap_m: float
    study_area_buffer_m: float


@dataclass(frozen=True)
class ChargingNorms:
    radius_inside_outer_ring_m: float
    radius_outside_outer_ring_m: float
    fast_share_min: float
    stations_per_km2_inside: float
    stations_per_km2_outside: float
    mean_piles: float
    fast_share_range: tuple[float, float]
    street_reach_m: float
    piles_dispersion: float
    hard_core_fraction: float
    site_preference: MappingProxyType[str, float]
    piles_factor: MappingProxyType[str, float]


@dataclass(frozen=True)
class LockerNorms:
    service_radius_m: float
    residents_per_existing_group: float
    street_reach_m: float
    hard_core_fraction: float
    site_preference: MappingProxyType[str, float]
    compartments_low: MappingProxyType[str, float]
    compartments_high: MappingProxyType[str, float]


@dataclass(frozen=True)
class CapacityNorms:
    """Demand per resident and what one site serves ([capacity], :mod:`twin.capacity`)."""

    parcels_per_resident_per_day: float
    locker_share_of_parcels: float
    compartment_turns_per_day: float
    evs_per_resident: float
    public_charging_share: float
    evs_per_public_pile: float


@dataclass(frozen=True)
class BandSpec:
    operator: str
    frequency_ghz: float
    bandwidth_mhz: float
    tx_power_dbm: float
    antenna_gain_dbi: float
    share: float


@dataclass(frozen=True)
class FiveGNorms:
    covered_rsrp_dbm: float
    classes_dbm: tuple[float, ...]
    cell_reliability: float
    model: MappingProxyType[str, Any]  # the fields of twin.analysis.radio.RadioParams
    subscriber_share: MappingProxyType[str, float]  # by operator name
    layer: MappingProxyType[str, float]  # how generated 5G layers are drawn
    macro_height_m: float
    micro_height_m: float
    micro_tx_power_dbm: float
    micro_antenna_gain_dbi: float
    bands: MappingProxyType[str, BandSpec]
    site_spacing_m: MappingProxyType[str, float]
    micro_share: MappingProxyType[str, float]


@dataclass(frozen=True)
class TransitNorms:
    bus_stop_inner_ring_m: float
    bus_stop_elsewhere_m: float


@dataclass(frozen=True)
class Norms:
    """All norms, by theme; ``source`` is the file they were read from."""

    walking: WalkingNorms
    reach: ReachNorms
    residents: ResidentNorms
    charging: ChargingNorms
    lockers: LockerNorms
    fiveg: FiveGNorms
    transit: TransitNorms
    capacity: CapacityNorms
    programme: MappingProxyType[str, float]  # sites a year per 100,000 residents, by layer
    source: str


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


MAX_NORMS_BYTES = 1 << 20  # a norms file is a page of TOML, never a stream


def _read(path: Path) -> dict[str, Any]:
    try:
        if path.exists() and (not path.is_file() or path.stat().st_size > MAX_NORMS_BYTES):
            msg = (f"norms file {path} is not a regular file of at most 1 MiB; point "
                   "TWIN_NORMS_FILE at a TOML file.")  # fmt: skip
            raise InvalidInputError(msg)
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"norms file {path} does not exist; point TWIN_NORMS_FILE at an existing TOML file."
        raise InvalidInputError(msg) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"norms file {path} is not valid UTF-8 TOML ({exc}); fix the file."
        raise InvalidInputError(msg) from None


def _section(cls: type, raw: dict[str, Any], name: str) -> Any:
    fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        msg = f"[{name}] has unknown keys {unknown}; known keys are {sorted(fields)}."
        raise InvalidInputError(msg)
    try:
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items() if k in fields}
        return cls(**values)
    except TypeError as exc:
        msg = f"[{name}] is incomplete or malformed ({exc}); compare with data/norms.toml."
        raise InvalidInputError(msg) from None


def _numbers(table: dict[str, Any]) -> dict[str, float]:
    """A table of numbers (already checked by :func:`twin.norms_schema.validate`) as floats."""
    return {k: float(v) for k, v in table.items()}


def _fiveg(raw: dict[str, Any]) -> FiveGNorms:
    raw = dict(raw)
    macro, micro = raw.pop("macro", {}), raw.pop("micro", {})
    model = MappingProxyType(dict(raw.pop("model", {})))
    layer = MappingProxyType(_numbers(raw.pop("layer", {})))
    subscribers = MappingProxyType(_numbers(raw.pop("subscriber_share", {})))
    bands = {
        name: _section(BandSpec, spec, f"fiveg.bands.{name}")
        for name, spec in raw.pop("bands", {}).items()
    }
    total = sum(b.share for b in bands.values())
    if not bands or abs(total - 1.0) > 1e-6:
        msg = f"[fiveg.bands] shares add up to {total:g}, not 1; fix the band shares."
        raise InvalidInputError(msg)
    spacing = MappingProxyType(_numbers(raw.pop("site_spacing_m", {})))
    micro_share = MappingProxyType(_numbers(raw.pop("micro_share", {})))
    raw |= {
        "macro_height_m": macro.get("height_m"),
        "micro_height_m": micro.get("height_m"),
        "micro_tx_power_dbm": micro.get("tx_power_dbm"),
        "micro_antenna_gain_dbi": micro.get("antenna_gain_dbi"),
        "model": model,
        "layer": layer,
        "subscriber_share": subscribers,
        "bands": MappingProxyType(bands),
        "site_spacing_m": spacing,
        "micro_share": micro_share,
    }
    return _section(FiveGNorms, raw, "fiveg")


def _tables(raw: dict[str, Any]) -> dict[str, Any]:
    """Nested tables as read-only mappings of floats."""
    return {
        k: MappingProxyType({n: float(x) for n, x in v.items()}) if isinstance(v, dict) else v
        for k, v in raw.items()
    }


def _walking(doc: dict[str, Any]) -> WalkingNorms:
    walking = _section(WalkingNorms, doc["walking"], "walking")
    raw = doc.get("life_circle", {}).get("facility", [])
    facilities = tuple(_section(Facility, f, "life_circle.facility") for f in raw)
    keys = [f.key for f in facilities]
    if len(set(keys)) != len(keys):
        msg = "[[life_circle.facility]] names a facility key twice; give each its own key."
        raise InvalidInputError(msg)
    return replace(walking, facilities=facilities)


def norms_from_dict(doc: dict[str, Any], source: str = "<dict>") -> Norms:
    """Norms from a parsed TOML document (complete, i.e. merged over the defaults), every key
    checked against :mod:`twin.norms_schema` first."""
    validate(doc)
    check_consistency(doc)
    reach: ReachNorms = _section(ReachNorms, doc["reach"], "reach")
    low, high = reach.detour_factor_range
    if not low <= reach.detour_factor <= high or low >= high:
        msg = (f"[reach] detour_factor_range {[low, high]} must run from low to high around "
               f"detour_factor {reach.detour_factor:g}; fix the norms.")  # fmt: skip
        raise InvalidInputError(msg)
    return Norms(
        walking=_walking(doc),
        reach=reach,
        residents=_section(ResidentNorms, doc["residents"], "residents"),
        charging=_section(ChargingNorms, _tables(doc["charging"]), "charging"),
        lockers=_section(LockerNorms, _tables(doc["lockers"]), "lockers"),
        fiveg=_fiveg(doc["fiveg"]),
        transit=_section(TransitNorms, doc["transit"], "transit"),
        capacity=_section(CapacityNorms, doc["capacity"], "capacity"),
        programme=MappingProxyType(_numbers(doc["programme"])),
        source=source,
    )


@cache
def load_norms(path: Path | None = None) -> Norms:
    """The packaged norms, or those of ``path`` merged over them (read once per path)."""
    doc = _read(NORMS_FILE)
    if path is not None and Path(path).resolve() != NORMS_FILE.resolve():
        doc = _merge(doc, _read(Path(path)))
    return norms_from_dict(doc, str(path or NORMS_FILE))


def packaged_norms() -> Norms:
    """The packaged ``data/norms.toml``: the defaults of every params class. A run's own norms
    (``TWIN_NORMS_FILE``, ``Settings(norms_file=...)``) travel in :class:`twin.settings.Settings`
    and reach each step explicitly; nothing below the edge reads the environment."""
    return load_norms(None)
