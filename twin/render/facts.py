"""A hexagon's figures in words, as the coverage map's click panel and tooltips show them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


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
    | Smart lockers | 50 % of residents within a group's radius; walk 320 m (radius 300 m) |
    """
    lines = ["| figure | this hexagon |", "| --- | --- |",
             f"| Residents | {int(row.get('residents', 0)):,} |"]  # fmt: skip
    if _finite(row, "served_base_stations"):
        lines.append(
            f"| 5G outdoors | {100 * float(row['served_base_stations']):.0f} % of its area covered; "
            f"median RSRP {float(row['rsrp_dbm']):.0f} dBm, SINR {float(row['sinr_db']):.0f} dB |"
        )
    if _finite(row, "served_base_stations_deep"):
        lines.append(f"| 5G indoors (deep) | {100 * float(row['served_base_stations_deep']):.0f} % "
                     "of residents covered inside buildings |")  # fmt: skip
    for key, name, site, walk, radius, estimated in (
        ("charging", "EV charging", "station", "charging_m", "charging_radius_m", "charging_estimated"),
        ("lockers", "Smart lockers", "group", "locker_m", "locker_radius_m", "lockers_estimated"),
    ):  # fmt: skip
        if _finite(row, f"served_{key}") and _finite(row, walk):
            how = ", straight-line estimate" if row.get(estimated) else ""
            lines.append(f"| {name} | {100 * float(row[f'served_{key}']):.0f} % of residents within a "
                         f"{site}'s radius; walk {float(row[walk]):,.0f} m (radius "
                         f"{float(row[radius]):,.0f} m{how}) |")  # fmt: skip
    if _finite(row, "served_life_circle"):
        within = f"{float(row['lc_15']):.1f} of {categories} categories within 15 min; " if (
            _finite(row, "lc_15")) else ""  # fmt: skip
        lines.append(f"| 15-minute life circle | {within}{100 * float(row['served_life_circle']):.0f} % "
                     "of residents have them all |")  # fmt: skip
    return "\n".join(lines)
