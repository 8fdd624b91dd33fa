"""District presets: names, adcodes, plan targets and ring class, read from ``data/districts.toml``."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from twin._errors import InvalidInputError, UnknownDistrictError
from twin.i18n import N_, _, joined, language
from twin.settings import PROJECT_ROOT

PRESETS_FILE = PROJECT_ROOT / "data" / "districts.toml"
NORMS_FILE = PROJECT_ROOT / "data" / "norms.toml"
PLAN_DISTRICTS = ("changning", "hongkou", "songjiang", "minhang", "jiading")

RingClass = Literal["inside", "straddling", "outside"]
AreaClass = Literal["core", "urban", "suburban"]

TARGET_KEYS = {
    "base_stations_5g": N_("5G base stations"),
    "coverage_5g": N_("5G coverage"),
    "coverage_5g_outdoor": N_("5G outdoor coverage"),
    "coverage_5g_deep": N_("5G deep (indoor) coverage"),
    "charging_pile_share_of_spaces": N_("charging piles per parking space"),
    "fast_charging_share": N_("fast chargers per parking space"),
    "taxi_charging_stations": N_("taxi charging stations"),
    "charging_coverage": N_("EV charging coverage"),
    "lockers_new": N_("new smart locker groups"),
    "lockers_coverage": N_("smart locker coverage"),
    "lockers_capacity": N_("smart lockers within capacity"),
    "charging_capacity": N_("EV charging within capacity"),
    "life_circle_f15": N_("15-minute life circle (F15)"),
    "iot_nodes": N_("IoT sensing nodes"),
    "digital_homes": N_("digital homes"),
    "video_cameras": N_("video cameras"),
    "neighbourhood_centres": N_("neighbourhood centres"),
}


@dataclass(frozen=True)
class PlanTarget:
    """One quantified (or qualitative, ``value is None``) target of a district plan."""

    key: str
    value: float | None
    unit: str
    year: int
    kind: Literal["target", "baseline", "norm"]
    text: str
    measure: str = ""  # coverage_5g: "outdoor" (share of area) or "deep" (residents indoors)
    scope: str = ""  # the part of the district the plan asks it of ("" the whole district)

    @property
    def label(self) -> str:
        """The target's name; the plan's 5G coverage names what it is measured as (outdoor share
        of area, or deep: residents indoors), so a table of districts never mixes two bases
        under one name."""
        if self.key == "coverage_5g":
            return TARGET_KEYS[f"coverage_5g_{fiveg_measure(self)}"]
        return TARGET_KEYS.get(self.key, self.key)


@dataclass(frozen=True)
class DistrictPreset:
    """A Shanghai district as twin knows it before any data is loaded."""

    slug: str
    name_zh: str
    name_en: str
    adcode: str
    ring: RingClass
    area_class: AreaClass
    population: int
    plan: str | None
    targets: tuple[PlanTarget, ...]
    plan_start: int | None = None  # the plan period's first year
    plan_zh: str | None = None  # the plan's title in Chinese

    @property
    def has_plan(self) -> bool:
        return bool(self.targets)

    def target(self, key: str) -> PlanTarget | None:
        """The target with ``key``, or None when the plan names none."""
        return next((t for t in self.targets if t.key == key), None)

    def target_value(self, key: str) -> float | None:
        found = self.target(key)
        return None if found is None else found.value

    @property
    def label(self) -> str:
        return f"{self.name_en} {self.name_zh}"


def district_title(preset: DistrictPreset) -> str:
    """The district as a title names it in the run's language: 虹口区 in Chinese, "Hongkou
    虹口区" in English."""
    return preset.name_zh if language() == "zh" else preset.label


def target_names(keys: Iterable[str]) -> str:
    """Plan targets (their keys) by name, listed in the run's language ("5G coverage, new smart
    locker groups"; "5G 覆盖率、新增智能快递柜组"): what a programme's year meets."""
    return joined((_(TARGET_KEYS.get(key, key)) for key in keys), ", ")


FIVEG_MEASURES = ("outdoor", "deep")  # the plan's wording: "full coverage" or "deep/high-quality"


def fiveg_measure(target: PlanTarget | None) -> str:
    """What a plan's 5G coverage target is measured as: "deep" (residents indoors) where the plan
    asks for deep / high-quality coverage, else "outdoor" (share of area)."""
    return "deep" if target is not None and target.measure == "deep" else "outdoor"


def _measure(raw: dict, where: str) -> str:
    measure = str(raw.get("measure", ""))
    if measure and measure not in FIVEG_MEASURES:
        msg = (f"{where}: measure {measure!r} of target {raw.get('key')!r} is not one of "
               f"{', '.join(FIVEG_MEASURES)}.")  # fmt: skip
        raise InvalidInputError(msg)
    return measure


def _parse_target(raw: dict, where: str) -> PlanTarget:
    try:
        return PlanTarget(
            key=str(raw["key"]),
            value=None if raw.get("value") is None else float(raw["value"]),
            unit=str(raw["unit"]),
            year=int(raw["year"]),
            kind=raw.get("kind", "target"),
            text=str(raw.get("text", "")),
            measure=_measure(raw, where),
            scope=str(raw.get("scope", "")),
        )
    except KeyError as missing:
        msg = f"{where}: a target lacks the field {missing}; every target needs key, unit, year."
        raise InvalidInputError(msg) from None


@cache
def load_presets(path: Path = PRESETS_FILE) -> tuple[DistrictPreset, ...]:
    """All presets in file order (the five plan districts first)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"district presets not found at {path}; is the repository's data/ folder present?"
        raise InvalidInputError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path} is not valid TOML ({exc}); fix the file."
        raise InvalidInputError(msg) from None
    presets = []
    for raw in doc.get("district", []):
        where = f"{path.name} [{raw.get('slug', '?')}]"
        presets.append(
            DistrictPreset(
                slug=raw["slug"],
                name_zh=raw["name_zh"],
                name_en=raw["name_en"],
                adcode=str(raw["adcode"]),
                ring=raw["ring"],
                area_class=raw["area_class"],
                population=int(raw["population"]),
                plan=raw.get("plan"),
                targets=tuple(_parse_target(t, where) for t in raw.get("target", [])),
                plan_start=int(raw["plan_start"]) if "plan_start" in raw else None,
                plan_zh=raw.get("plan_zh"),
            )
        )
    return tuple(presets)


def chinese_names() -> dict[str, str]:
    """Every district's English name → its Chinese name: the proper nouns of a document read in
    Chinese (:func:`twin.i18n.sentence`)."""
    return {p.name_en: p.name_zh for p in load_presets()}


@cache
def load_norms(path: Path = NORMS_FILE) -> dict:
    """Planning norms (thresholds) as a nested dict."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _keys(preset: DistrictPreset) -> set[str]:
    zh_short = preset.name_zh.removesuffix("区").removesuffix("新")
    return {
        preset.slug,
        preset.adcode,
        preset.name_zh,
        zh_short,
        preset.name_en.lower(),
        preset.name_en.lower().replace("'", ""),
        f"{preset.slug} district",
    }


def resolve(name: str | int) -> DistrictPreset:
    """Find a preset by slug, English or Chinese name (``区`` optional) or adcode.

    >>> resolve("长宁").adcode
    '310105'
    >>> resolve("Hongkou").slug
    'hongkou'
    """
    wanted = str(name).strip().lower()
    for preset in load_presets():
        if wanted in _keys(preset):
            return preset
    valid = ", ".join(f"{p.slug} ({p.name_zh})" for p in load_presets())
    msg = f"unknown district {name!r}; valid districts are: {valid}."
    raise UnknownDistrictError(msg)


def plan_districts() -> tuple[DistrictPreset, ...]:
    """The five districts with a digital-transformation plan."""
    return tuple(resolve(slug) for slug in PLAN_DISTRICTS)
