"""A hexagon's figures in words, as the coverage map's click panel and tooltips show them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from twin.analysis.report_text import percent
from twin.i18n import N_, _


def _finite(row: Mapping[str, Any], key: str) -> bool:
    value = row.get(key)
    return value is not None and np.isfinite(float(value))


def hexagon_facts(row: Mapping[str, Any], categories: int) -> str:
    """A Markdown table of one hexagon's figures (whole sentences, percentages with units).

    >>> print(hexagon_facts({"residents": 1234, "served_lockers": 0.5, "locker_m": 320.0,
    ...                      "locker_radius_m": 300.0, "lockers_estimated": False}, 5))
    | figure | this hexagon |
    | --- | --- |
    | Residents | 1,234 |
    | Smart lockers | 50.0% of residents within a group's radius; walk 320 m (radius 300 m) |
    """
    figure, here, residents = _("figure"), _("this hexagon"), _("Residents")
    lines = [f"| {figure} | {here} |", "| --- | --- |",
             f"| {residents} | {int(row.get('residents', 0)):,} |"]  # fmt: skip
    if _finite(row, "served_base_stations"):
        text = _("{share} of its area covered; median RSRP {rsrp} dBm, SINR {sinr} dB").format(
            share=percent(float(row["served_base_stations"])),
            rsrp=f"{float(row['rsrp_dbm']):.0f}",
            sinr=f"{float(row['sinr_db']):.0f}",
        )
        lines.append("| " + _("5G outdoors") + f" | {text} |")
    if _finite(row, "served_base_stations_deep"):
        text = _("{share} of residents covered inside buildings").format(
            share=percent(float(row["served_base_stations_deep"]))
        )
        lines.append("| " + _("5G indoors (deep)") + f" | {text} |")
    for key, name, walk, radius, estimated in (
        ("charging", N_("EV charging"), "charging_m", "charging_radius_m", "charging_estimated"),
        ("lockers", N_("Smart lockers"), "locker_m", "locker_radius_m", "lockers_estimated"),
    ):  # fmt: skip
        if _finite(row, f"served_{key}") and _finite(row, walk):
            how = _(", straight-line estimate") if row.get(estimated) else ""
            within = (_("{share} of residents within a station's radius") if key == "charging"
                      else _("{share} of residents within a group's radius"))  # fmt: skip
            text = within.format(share=percent(float(row[f"served_{key}"]))) + _(
                "; walk {walk} m (radius {radius} m{how})"
            ).format(walk=f"{float(row[walk]):,.0f}", radius=f"{float(row[radius]):,.0f}", how=how)
            lines.append(f"| {_(name)} | {text} |")
    if _finite(row, "served_life_circle"):
        within = (
            _("{count} of {categories} categories within 15 min; ").format(
                count=f"{float(row['lc_15']):.1f}", categories=categories
            )
            if _finite(row, "lc_15")
            else ""
        )
        text = within + _("{share} of residents have them all").format(
            share=percent(float(row["served_life_circle"]))
        )
        lines.append("| " + _("15-minute life circle") + f" | {text} |")
    return "\n".join(lines)
