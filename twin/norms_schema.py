"""The schema of ``data/norms.toml``: the type, the allowed range and the unit of every key.

:func:`validate` walks a parsed (and merged) norms document before :mod:`twin.norms` builds its
dataclasses, so a norms file that says ``speed_kmh = true``, a negative radius, a density of
1e9 or an unknown key is refused in one sentence that names the key, the value and what is
allowed. A key is named by its dotted path; ``*`` stands for any name (a place kind, a band, an
operator) and ``[]`` for each entry of an array of tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase
from itertools import pairwise
from typing import Any

from twin._errors import InvalidInputError


@dataclass(frozen=True)
class Rule:
    """What one key may hold: ``kind`` is ``number``, ``whole``, ``numbers`` (a list of
    numbers), ``text``, ``switch`` (true/false) or ``choice``; numbers lie in ``low``–``high``
    (``open_low``: strictly above ``low``)."""

    kind: str
    low: float = -math.inf
    high: float = math.inf
    unit: str = ""
    open_low: bool = False
    choices: tuple[str, ...] = ()
    length: tuple[int, int] = (1, 16)

    def allowed(self) -> str:
        """The allowed values in words, e.g. ``a number of km/h above 0 and at most 10``."""
        if self.kind == "text":
            return "a text"
        if self.kind == "switch":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        noun = {"number": "a number", "whole": "a whole number",
                "numbers": f"a list of {self.length[0]}–{self.length[1]} numbers"}[self.kind]  # fmt: skip
        unit = f" of {self.unit}" if self.unit else ""
        low = f"above {self.low:g}" if self.open_low else f"from {self.low:g}"
        if math.isinf(self.high):
            return f"{noun}{unit} {low}"
        joint = " and at most " if self.open_low else " to "
        return f"{noun}{unit} {low}{joint}{self.high:g}"


def _n(low: float, high: float = math.inf, unit: str = "", *, open_low: bool = False) -> Rule:
    return Rule("number", low, high, unit, open_low)


def _pos(high: float, unit: str = "") -> Rule:
    """A positive quantity at most ``high``."""
    return Rule("number", 0.0, high, unit, open_low=True)


SHARE = _n(0.0, 1.0)  # a share or fraction
WEIGHT = _n(0.0, 1000.0)  # a relative weight
DB = _n(0.0, 60.0, "dB")

RULES: dict[str, Rule] = {
    "walking.speed_kmh": _n(0.5, 10.0, "km/h"),
    "walking.elderly_speed_kmh": _n(0.5, 10.0, "km/h"),
    "walking.rings_min": Rule("numbers", 0.0, 120.0, "minutes", open_low=True),
    "walking.rings_m": Rule("numbers", 0.0, 10_000.0, "metres", open_low=True),
    "walking.life_circle_min": _pos(120.0, "minutes"),
    "life_circle.facility[].key": Rule("text"),
    "life_circle.facility[].label": Rule("text"),
    "life_circle.facility[].level_min": _pos(120.0, "minutes"),
    "life_circle.facility[].distance_m": _pos(10_000.0, "metres"),
    "reach.detour_factor": _n(1.0, 3.0, "walk per straight-line metre"),
    "reach.detour_factor_range": Rule(
        "numbers", 1.0, 3.0, "walk per straight-line metre", length=(2, 2)
    ),
    "reach.max_snap_m": _pos(5_000.0, "metres"),
    "reach.study_area_buffer_m": _n(0.0, 5_000.0, "metres"),
    "residents.bandwidth_addresses_m": _pos(5_000.0, "metres"),
    "residents.bandwidth_buildings_m": _pos(5_000.0, "metres"),
    "residents.pixel_m": _n(5.0, 500.0, "metres"),
    "residents.ceiling_per_km2": _pos(500_000.0, "residents per km²"),
    "charging.radius_inside_outer_ring_m": _pos(20_000.0, "metres"),
    "charging.radius_outside_outer_ring_m": _pos(20_000.0, "metres"),
    "charging.fast_share_min": SHARE,
    "charging.stations_per_km2_inside": _pos(1_000.0, "stations per km²"),
    "charging.stations_per_km2_outside": _pos(1_000.0, "stations per km²"),
    "charging.mean_piles": _n(1.0, 1_000.0, "piles"),
    "charging.fast_share_range": Rule("numbers", 0.0, 1.0, length=(2, 2)),
    "charging.street_reach_m": _pos(5_000.0, "metres"),
    "charging.piles_dispersion": _pos(1_000.0),
    "charging.hard_core_fraction": SHARE,
    "charging.site_preference.*": WEIGHT,
    "charging.piles_factor.*": _n(0.0, 100.0),
    "lockers.service_radius_m": _pos(20_000.0, "metres"),
    "lockers.residents_per_existing_group": _pos(1_000_000.0, "residents"),
    "lockers.street_reach_m": _pos(5_000.0, "metres"),
    "lockers.hard_core_fraction": SHARE,
    "lockers.compartments_low.*": _n(1.0, 10_000.0, "compartments"),
    "lockers.compartments_high.*": _n(1.0, 10_000.0, "compartments"),
    "lockers.site_preference.*": WEIGHT,
    "capacity.parcels_per_resident_per_day": _pos(100.0, "parcels a day"),
    "capacity.locker_share_of_parcels": SHARE,
    "capacity.compartment_turns_per_day": _pos(100.0, "parcels a day"),
    "capacity.evs_per_resident": _pos(10.0, "vehicles"),
    "capacity.public_charging_share": SHARE,
    "capacity.evs_per_public_pile": _pos(10_000.0, "vehicles"),
    "programme.*": _n(0.0, 100_000.0, "sites a year per 100,000 residents"),
    "fiveg.covered_rsrp_dbm": _n(-160.0, -30.0, "dBm"),
    "fiveg.classes_dbm": Rule("numbers", -160.0, -30.0, "dBm"),
    "fiveg.cell_reliability": _n(0.0, 1.0, open_low=True),
    "fiveg.model.ue_height_m": _n(0.5, 300.0, "metres"),
    "fiveg.model.los_model": Rule("choice", choices=("nlos", "los", "expected")),
    "fiveg.model.penetration": Rule(
        "choice", choices=("outdoor", "in_car", "indoor_low", "indoor_high")
    ),
    "fiveg.model.indoor_distance_m": _n(0.0, 100.0, "metres"),
    "fiveg.model.in_car_loss_db": DB,
    "fiveg.model.o2i_sigma_low_db": DB,
    "fiveg.model.o2i_sigma_high_db": DB,
    "fiveg.model.shadow_sigma_uma_los_db": DB,
    "fiveg.model.shadow_sigma_uma_nlos_db": DB,
    "fiveg.model.shadow_sigma_umi_los_db": DB,
    "fiveg.model.shadow_sigma_umi_nlos_db": DB,
    "fiveg.model.horizontal_beamwidth_deg": _n(1.0, 360.0, "degrees"),
    "fiveg.model.vertical_beamwidth_deg": _n(1.0, 180.0, "degrees"),
    "fiveg.model.vertical_side_lobe_db": DB,
    "fiveg.model.max_attenuation_db": DB,
    "fiveg.model.sector_pattern": Rule("switch"),
    "fiveg.model.default_downtilt_macro_deg": _n(-90.0, 90.0, "degrees"),
    "fiveg.model.default_downtilt_micro_deg": _n(-90.0, 90.0, "degrees"),
    "fiveg.model.ssb_gain_max_dbi": _n(-10.0, 40.0, "dBi"),
    "fiveg.model.feeder_loss_db": DB,
    "fiveg.model.body_loss_db": DB,
    "fiveg.model.noise_figure_db": DB,
    "fiveg.model.thermal_noise_dbm_hz": _n(-200.0, -150.0, "dBm/Hz"),
    "fiveg.model.neighbour_load": SHARE,
    "fiveg.model.shannon_alpha": _n(0.0, 1.0, open_low=True),
    "fiveg.model.sinr_min_db": _n(-30.0, 30.0, "dB"),
    "fiveg.model.se_max_bps_hz": _n(0.0, 30.0, "bit/s/Hz", open_low=True),
    "fiveg.model.calibration_offset_db": _n(-60.0, 60.0, "dB"),
    "fiveg.model.calibration_slope_db_per_decade": _n(-60.0, 60.0, "dB per decade"),
    "fiveg.model.neighbours": Rule("whole", 1.0, 64.0, "sites"),
    "fiveg.model.max_distance_m": _pos(50_000.0, "metres"),
    "fiveg.layer.city_sites_total": _pos(10_000_000.0, "sites"),
    "fiveg.layer.city_population": _pos(1e9, "residents"),
    "fiveg.layer.hard_core_fraction": SHARE,
    "fiveg.layer.rooftops_per_km2": _pos(10_000.0, "candidates per km²"),
    "fiveg.layer.street_preference": _pos(1_000.0),
    "fiveg.layer.weight_per_*": _n(0.0, 1e6),
    "fiveg.macro.height_m": _n(1.0, 300.0, "metres"),
    "fiveg.micro.height_m": _n(1.0, 300.0, "metres"),
    "fiveg.micro.tx_power_dbm": _n(0.0, 70.0, "dBm"),
    "fiveg.micro.antenna_gain_dbi": _n(-10.0, 40.0, "dBi"),
    "fiveg.bands.*.operator": Rule("text"),
    "fiveg.bands.*.frequency_ghz": _n(0.4, 100.0, "GHz"),
    "fiveg.bands.*.bandwidth_mhz": _pos(2_000.0, "MHz"),
    "fiveg.bands.*.tx_power_dbm": _n(0.0, 70.0, "dBm"),
    "fiveg.bands.*.antenna_gain_dbi": _n(-10.0, 40.0, "dBi"),
    "fiveg.bands.*.share": SHARE,
    "fiveg.subscriber_share.*": SHARE,
    "fiveg.site_spacing_m.*": _pos(20_000.0, "metres"),
    "fiveg.micro_share.*": SHARE,
    "transit.bus_stop_inner_ring_m": _pos(10_000.0, "metres"),
    "transit.bus_stop_elsewhere_m": _pos(10_000.0, "metres"),
}


def rule_for(path: str) -> Rule | None:
    """The rule of a dotted key path (exact names before ``*`` patterns)."""
    if path in RULES:
        return RULES[path]
    for pattern, rule in RULES.items():
        if "*" in pattern and fnmatchcase(path, pattern) and path.count(".") == pattern.count("."):
            return rule
    return None


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))  # fmt: skip


def _toml(value: Any) -> str:
    """``value`` as TOML writes it (``true``, ``"text"``, ``[1, 2]``), shortened."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        text = '"' + value.replace('"', '\\"') + '"'
    elif isinstance(value, list):
        text = (
            "[" + ", ".join(_toml(v) for v in value[:6]) + (", …" if len(value) > 6 else "") + "]"
        )
    elif isinstance(value, dict):
        text = "a table"
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _where(path: str, value: Any) -> str:
    section, _, key = path.rpartition(".")
    return f"[{section}] {key} = {_toml(value)}" if section else f"{key} = {_toml(value)}"


def check_value(path: str, value: Any, rule: Rule) -> None:
    """Refuse ``value`` unless ``rule`` allows it, in one sentence naming key, value and range."""
    where = _where(path, value)
    fix = f"; it takes {rule.allowed()}."
    if rule.kind == "text":
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise InvalidInputError(f"{where} is not a text of at most 200 characters{fix}")
        return
    if rule.kind == "switch":
        if not isinstance(value, bool):
            raise InvalidInputError(f"{where} is not a switch{fix}")
        return
    if rule.kind == "choice":
        if value not in rule.choices:
            raise InvalidInputError(f"{where} is not allowed{fix}")
        return
    values = value if rule.kind == "numbers" else [value]
    if rule.kind == "numbers" and (
        not isinstance(value, list) or not rule.length[0] <= len(value) <= rule.length[1]
    ):
        raise InvalidInputError(f"{where} is not a list of the right length{fix}")
    for v in values:
        if not _is_number(v) or (rule.kind == "whole" and not isinstance(v, int)):
            raise InvalidInputError(f"{where} is not {'a whole number' if rule.kind == 'whole' else 'a number'}{fix}")  # fmt: skip
        below = v <= rule.low if rule.open_low else v < rule.low
        if below or v > rule.high:
            raise InvalidInputError(f"{where} is out of range{fix}")


def _walk(node: Any, path: str) -> list[tuple[str, Any]]:
    """Every leaf of a TOML document as (dotted path, value); arrays of tables as ``[]``."""
    if isinstance(node, dict):
        return [leaf for key, value in node.items()
                for leaf in _walk(value, f"{path}.{key}" if path else str(key))]  # fmt: skip
    if isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
        return [leaf for entry in node for leaf in _walk(entry, f"{path}[]")]
    return [(path, node)]


def validate(doc: dict[str, Any]) -> None:
    """Check every key of a norms document against :data:`RULES` (unknown keys included)."""
    for path, value in _walk(doc, ""):
        rule = rule_for(path)
        if rule is None and path + "[]" in {p.partition("[]")[0] + "[]" for p in RULES}:
            msg = (f"{path.replace('.', '] ', 1) if '.' in path else path} = {_toml(value)} must "
                   f"be an array of tables, written [[{path}]] as data/norms.toml does.")  # fmt: skip
            raise InvalidInputError("[" + msg if "." in path else msg)
        if rule is None:
            section, _, key = path.rpartition(".")
            if not section:
                msg = (f"{key} = {_toml(value)} is not a table of norms; write [{key}] and "
                       "its keys as data/norms.toml does.")  # fmt: skip
                raise InvalidInputError(msg)
            known = sorted({p[len(section) + 1:].split(".")[0] for p in RULES
                            if p.startswith(section + ".")})  # fmt: skip
            if not known:
                sections = sorted({p.split(".")[0] for p in RULES})
                msg = (f"[{section}] is not a section of the norms; the sections are "
                       f"{', '.join(sections)}.")  # fmt: skip
                raise InvalidInputError(msg)
            msg = (
                f"[{section}] has an unknown key {key!r}; known keys there are {', '.join(known)}."
            )
            raise InvalidInputError(msg)
        check_value(path, value, rule)


def _fail(message: str) -> None:
    raise InvalidInputError(message)


def check_consistency(doc: dict[str, Any]) -> None:
    """What no single key's range can say: orders, pairs and sums across keys (run after
    :func:`validate`, on the merged document)."""
    from twin.categories import AMAP_FACILITY_RULES, OSM_FACILITY_RULES

    walking = doc.get("walking", {})
    rings, rings_m = list(walking.get("rings_min", [])), list(walking.get("rings_m", []))
    limit = walking.get("life_circle_min")
    if rings != [5, 10, 15] or limit != 15:
        _fail(f"[walking] rings_min = {_toml(rings)} and life_circle_min = {_toml(limit)}: the "
              "15-minute life circle is defined by its 5-, 10- and 15-minute rings (the plans' "
              "and GB 50180's), which every face names; keep rings_min = [5, 10, 15] and "
              "life_circle_min = 15.")  # fmt: skip
    if len(rings_m) != len(rings) or any(b <= a for a, b in pairwise(rings_m)):
        _fail(f"[walking] rings_m = {_toml(rings_m)} must give one distance per ring of "
              "rings_min, each longer than the one before.")  # fmt: skip
    speed, elderly = walking.get("speed_kmh"), walking.get("elderly_speed_kmh")
    if speed is not None and elderly is not None and elderly > speed:
        _fail(f"[walking] elderly_speed_kmh = {elderly:g} is faster than speed_kmh = {speed:g}; "
              "the elderly profile walks at most as fast as the default.")  # fmt: skip
    for section, key in (("charging", "fast_share_range"), ("reach", "detour_factor_range")):
        pair = doc.get(section, {}).get(key)
        if isinstance(pair, list) and len(pair) == 2 and pair[0] > pair[1]:
            _fail(f"[{section}] {key} = {_toml(pair)} must run from low to high.")
    lockers = doc.get("lockers", {})
    low, high = lockers.get("compartments_low", {}), lockers.get("compartments_high", {})
    for kind, least in low.items():
        if least > high.get(kind, least):
            _fail(f"[lockers] compartments_low {kind!r} = {least:g} exceeds compartments_high "
                  f"{high[kind]:g}; low must not exceed high.")  # fmt: skip
    fiveg = doc.get("fiveg", {})
    classes = list(fiveg.get("classes_dbm", []))
    if any(b >= a for a, b in pairwise(classes)):
        _fail(f"[fiveg] classes_dbm = {_toml(classes)} must fall from the best class's edge to "
              "the worst (e.g. [-85.0, -95.0, -105.0, -115.0]).")  # fmt: skip
    shares = fiveg.get("subscriber_share", {})
    if shares and not 0 < sum(shares.values()) <= 1 + 1e-6:
        _fail(f"[fiveg.subscriber_share] shares add up to {sum(shares.values()):g}; they are "
              "shares of all subscribers, so at most 1.")  # fmt: skip
    known = {str(r[3]) for r in AMAP_FACILITY_RULES} | {str(r[2]) for r in OSM_FACILITY_RULES}
    for facility in doc.get("life_circle", {}).get("facility", []):
        named = facility.get("key") if isinstance(facility, dict) else None
        if named not in known:
            _fail(f"[[life_circle.facility]] key = {_toml(named)} is no facility type twin can "
                  f"find in POIs; use one of {', '.join(sorted(known))}.")  # fmt: skip
