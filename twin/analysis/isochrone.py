"""What lies within 5, 10 and 15 minutes' walk of one point: POIs with their walking times."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from twin.analysis.life_circle import minutes
from twin.context import LayerContext
from twin.model import District
from twin.network import ReachRule, StreetNetwork, from_origin
from twin.norms import Norms, packaged_norms


def reachable_pois(
    district: District,
    network: StreetNetwork | None,
    lon: float,
    lat: float,
    speed_kmh: float | None = None,
    limit_min: float | None = None,
    rule: ReachRule | None = None,
    norms: Norms | None = None,
    rings_min: Sequence[float] | None = None,
) -> pd.DataFrame:
    """POIs within ``limit_min`` of (lon, lat) under the reach rule of :mod:`twin.network`:
    name, category, minutes, ring_min (the first of the norms' rings that holds it),
    estimated. Defaults (speed, limit, rings) come from the run's ``norms``; a page passes the
    build's own."""
    norms = norms or packaged_norms()
    walking = norms.walking
    speed_kmh = speed_kmh or walking.speed_kmh
    limit_min = walking.life_circle_min if limit_min is None else limit_min
    ctx = LayerContext(district, norms)
    pois = district.pois
    limit_m = limit_min * speed_kmh * 1000 / 60
    found = from_origin(network, ctx.xy_of(np.array([lon]), np.array([lat])), ctx.xy(pois),
                        limit_m, rule)  # fmt: skip
    times = minutes(found.metres, speed_kmh)
    keep = times <= limit_min
    rings = list(walking.rings_min if rings_min is None else rings_min)
    ring_min = np.select([times <= r for r in rings], rings, np.nan)
    return pd.DataFrame({
        "name": pois["name"].to_numpy()[keep], "category": pois["category"].to_numpy()[keep],
        "minutes": np.round(times[keep], 1), "ring_min": ring_min[keep], "estimated": found.estimated[keep],
    }).sort_values("minutes", ignore_index=True)  # fmt: skip
