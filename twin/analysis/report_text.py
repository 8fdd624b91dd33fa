"""A report's words: every face (terminal, viewer, PDF) prints a row's figure, plan, range and
share through these functions, so the same row reads the same everywhere. Plain data in, text
out: no geopandas, so a warm ``twin report`` prints without loading the analysis stack."""

from __future__ import annotations

import math
from typing import Any

from twin.i18n import N_, _

UNITS = (  # every unit a report row carries (data/districts.toml, the measures): translated
    N_("sites"), N_("stations"), N_("locker groups"), N_("IoT devices"), N_("IoT terminals"),
    N_("cameras"), N_("centres"), N_("digital homes"), N_("sensing nodes"), N_("min"),
    N_("share of area"), N_("share of residents"), N_("share of residents indoors"),
    N_("share of parking spaces"), N_("area"), N_("residents"), N_("residents indoors"),
    N_("parking spaces"),
)  # fmt: skip


ONE = {  # a count unit for exactly one (English says "1 locker group", Chinese the same word)
    "sites": N_("site"), "stations": N_("station"), "locker groups": N_("locker group"),
    "IoT devices": N_("IoT device"), "IoT terminals": N_("IoT terminal"),
    "cameras": N_("camera"), "centres": N_("centre"), "digital homes": N_("digital home"),
    "sensing nodes": N_("sensing node"), "residents": N_("resident"),
    "residents indoors": N_("resident indoors"),
    "parking spaces": N_("parking space"),
}  # fmt: skip


STATUSES = {  # a row's status: its mark and its words, as every table in the viewer shows it
    "met": ("✓", N_("met")), "not met": ("✗", N_("not met")), "no number": ("–", N_("no number")),
    "baseline": ("◦", N_("baseline (no verdict)")), "no target": ("·", N_("no target")),
    "not measured": ("·", N_("not measured")),
    "calibrated, not measured": ("~", N_("calibrated, not measured")),
    "estimated": ("≈", N_("estimated")),
}  # fmt: skip


def status_text(status: str) -> str:
    """A row's status with its mark, in the run's language (``✓ met``; an unknown status as is).

    >>> status_text("calibrated, not measured"), status_text("odd")
    ('~ calibrated, not measured', 'odd')
    """
    if status not in STATUSES:
        return status
    mark, words = STATUSES[status]
    return f"{mark} {_(words)}"


BASIS_IN_STATUS = {"estimated", "calibrated, not measured", "not measured"}  # say their basis


def standing_text(row: dict[str, Any] | None) -> str:
    """Where a row stands, its basis first and then its verdict, in the run's language: the basis
    once when the status already is one ("estimated"), never a status in the basis's place.

    >>> standing_text({"basis": "measured", "status": "no target"})
    'measured · no target'
    >>> standing_text({"basis": "estimated", "status": "estimated"})
    'estimated'
    """
    if row is None:
        return _(STATUSES["not measured"][1])
    status = str(row["status"])
    words = _(STATUSES[status][1]) if status in STATUSES else status
    if status in BASIS_IN_STATUS:
        return words
    return f"{_(str(row['basis']))} · {words}"


def standing_and_range(row: dict[str, Any]) -> str:
    """A row's basis and verdict, then its range: "calibrated, not measured · range 82.1% –
    84.5%" (what a figure quoted anywhere carries with it)."""
    parts = [standing_text(row)]
    if row.get("range"):
        parts.append(_("range {range}").format(range=range_text(row)))
    return " · ".join(parts)


def figure_line(row: dict[str, Any] | None) -> str:
    """A row's figure with its basis, verdict and range on one line (a map's title says what
    it shows): "84.0% of area · calibrated, not measured · range …"; "" for no row.

    >>> figure_line({"measured": 0.84, "unit": "share of area", "basis": "measured",
    ...              "status": "no target", "range": None})
    '84.0% of area · measured · no target'
    >>> figure_line({"measured": None, "unit": "share of area", "basis": "not measurable",
    ...              "status": "not measured"})
    'not measured'
    """
    if row is None:
        return ""
    if row.get("measured") is None:  # the standing says "not measured"
        return standing_and_range(row)
    return f"{share_text(row, '').strip()} · {standing_and_range(row)}"


def share_text(row: dict[str, Any] | None, name: str) -> str:
    """A report row's share as every face words it.

    >>> share_text({"measured": 0.8394, "unit": "share of area"}, "5G")
    '5G 83.9% of area'
    >>> share_text(None, "F15")
    'F15: not measured'
    """
    if row is None or row.get("measured") is None:
        return _("{name}: not measured").format(name=name)
    unit = str(row["unit"]).removeprefix("share of ")
    return _("{name} {share} of {unit}").format(name=name, share=percent_text(row), unit=_(unit))


def percent_text(row: dict[str, Any] | None) -> str:
    """A report row's share as a short percentage (``42.8%``; ``—`` when not measured)."""
    return percent(None if row is None else row.get("measured"))


def percent(share: float | None) -> str:
    """A share as every face prints it: one decimal (two just below 100 %, so 99.95 % is not
    read as all), ``—`` for none.

    >>> percent(0.4282), percent(0.9996), percent(0.99996), percent(None)
    ('42.8%', '99.96%', '99.99%', '—')
    """
    return value_text(share, "share")


def row_of(report: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The report row ``key`` (None when the report has none)."""
    return next((r for r in report["rows"] if r["key"] == key), None)


def row_for(report: dict[str, Any], question: str) -> dict[str, Any] | None:
    """The report row stating question ``question``'s district figure (the plan's row where the
    plan words its target in that measure): the figure the question's map and card show."""
    return next((r for r in report["rows"] if r.get("question") == question), None)


def value_text(value: Any, unit: str) -> str:
    """A figure with its unit as every face prints it (shares as percentages, "—" for none).

    >>> value_text(0.9054, "share of residents"), value_text(1500.0, "sites"), value_text(None, "x")
    ('90.5%', '1,500 sites', '—')
    >>> value_text(1.0, "locker groups")
    '1 locker group'
    """
    if value is None or not math.isfinite(float(value)):
        return "—"
    if "share" in unit:  # just below all: two decimals, rounded down (never "100.00%")
        if 0.999 <= value < 1:
            return f"{math.floor(value * 1e4) / 100:.2f}%"
        return f"{value:.1%}"
    if float(value) == 1.0:
        unit = ONE.get(unit, unit)
    integral = abs(value) >= 10 or float(value).is_integer()
    return f"{value:,.0f} {_(unit)}" if integral else f"{value:.2f} {_(unit)}"


def plan_text(row: dict[str, Any]) -> str:
    """The plan column of a row: its number, marked when it is a baseline, not a target."""
    text = value_text(row["target"], row["unit"])
    return (
        _("{value} (baseline)").format(value=text)
        if row.get("plan_kind") == "baseline" and row["target"] is not None
        else text
    )


def range_text(row: dict[str, Any]) -> str:
    """The row's range, or "" when it has none."""
    if not row.get("range"):
        return ""
    low, high = row["range"]
    if low == high:
        return _("{value} (no spread)").format(value=value_text(low, row["unit"]))
    return f"{value_text(low, row['unit'])} – {value_text(high, row['unit'])}"


def format_report(report: dict[str, Any]) -> str:
    """The report as aligned text for the terminal."""
    show = value_text

    lines = [
        f"{report['name']} — {report['plan']}",
        f"measured at H3 res {report['base_resolution']}: {report['cells']:,} cells, {report['area_km2']} km², "
        f"{report['residents']:,.0f} residents; street study area {report['study_area_share']:.0%}",
        "",
        f"{'target':34} {'measured':>16} {'plan':>16}  status",
    ]
    for row in report["rows"]:
        plan = plan_text(row)
        lines.append(
            f"{row['label'][:34]:34} {show(row['measured'], row['unit']):>16} {plan:>16}  "
            f"{row['status']}"
        )
        if row["detail"]:
            lines.append(f"{'':36}{row['detail']}")
        if row.get("range"):
            lines.append(f"{'':36}range {range_text(row)}")
        if row.get("settle"):
            lines.append(f"{'':36}to settle it: {row['settle']}")
    generated = sorted(
        {r["key"] for r in report["rows"] if r["status"] == "calibrated, not measured"}
    )
    if generated:
        lines += ["", "calibrated, not measured: these figures stand on generated layers that "
                  "restate the plan; load real inventories with 'twin import' to measure them: "
                  + ", ".join(generated)]  # fmt: skip
    fiveg = report.get("fiveg")
    if fiveg:
        lines += ["", f"5G: {fiveg['covered_share_residents']:.1%} of residents covered outdoors, "
                  f"{fiveg['deep_share_residents']:.1%} indoors; median RSRP "
                  f"{fiveg['median_rsrp_dbm']:.0f} dBm, SINR {fiveg['median_sinr_db']:.1f} dB"]  # fmt: skip
    lc = report["life_circle"]
    lines += ["", f"15-minute life circle: F15 {lc['f15']:.1%}, mean {lc['mean_time_min']:.1f} min, "
              f"Gini {lc['gini']:.2f} at {lc['speed_kmh']} km/h"]  # fmt: skip
    standard = report.get("standard")
    if standard and standard["facilities"]:
        basis = " (estimated: most residents on straight-line distances)" if (
            standard["basis"] == "estimated") else ""  # fmt: skip
        lines += ["", f"GB 50180 checklist{basis}: "
                  f"{standard['share_all_met']:.1%} of residents have every measured facility"]  # fmt: skip
        for row in standard["facilities"]:
            lines.append(f"  {row['level_min']:>2.0f} min ≤ {row['distance_m']:>5,.0f} m  "
                         f"{row['share_met']:>6.1%}  {row['label']}")  # fmt: skip
        if standard["unmeasured"]:
            lines.append(
                "  not measurable with the data loaded: " + ", ".join(standard["unmeasured"])
            )
    for key, cells in report["gaps"].items():
        if cells:
            worst = cells[0]
            near = f" near {worst['near']}" if worst.get("near") else ""
            near += f", {worst['township']}" if worst.get("township") else ""
            lines.append(f"worst {key} gap{near}: {worst['unserved']:,.0f} of "
                         f"{worst['residents']:,.0f} residents unserved; {worst['shortfall']} "
                         f"({worst['h3']})")  # fmt: skip
    if report.get("notes"):  # the same notes as the JSON and the PDF
        lines += ["", "notes:"] + [f"  - {note}" for note in report["notes"]]
    return "\n".join(lines)
