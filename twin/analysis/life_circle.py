"""The 15-minute life circle: per-category walking times and the district figures of Bruno et al.

Bruno, Monteiro Melo, Campanelli, Loreto, "A universal framework for inclusive 15-minute
cities", Nature Cities 1, 633–641 (2024): per hexagon the walking time to the nearest POI of each
category; the cell's time is the mean over categories; the city score is the population-weighted
mean of cell times; F15 is the share of residents whose cell has every category within 15 minutes;
inequality is the Gini index of cell times across residents.

Only categories with at least one POI are measured; the others are listed as unmeasured instead
of counting as infinitely far.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def minutes(metres: NDArray, speed_kmh: float) -> NDArray[np.float64]:
    """Walking minutes for distances in metres at ``speed_kmh``."""
    return np.asarray(metres, dtype=float) / (speed_kmh * 1000.0 / 60.0)


def counts_within(times: NDArray[np.float64], limit_min: float) -> NDArray[np.int64]:
    """Number of categories (columns) reachable within ``limit_min`` per cell (row)."""
    return (times <= limit_min).sum(axis=1)


def weighted_mean(values: NDArray, weights: NDArray) -> float:
    total = float(np.sum(weights))
    return float(np.sum(values * weights) / total) if total > 0 else float("nan")


def weighted_gini(values: NDArray, weights: NDArray) -> float:
    """Gini index of ``values`` over a population given by ``weights`` (0 = all equal)."""
    v, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    keep = (w > 0) & np.isfinite(v)
    v, w = v[keep], w[keep]
    if not len(v) or v.sum() == 0:
        return float("nan") if not len(v) else 0.0
    order = np.argsort(v)
    v, w = v[order], w[order]
    cum_w = np.cumsum(w) / w.sum()
    cum_vw = np.cumsum(v * w) / (v * w).sum()
    # area under the Lorenz curve by trapezoids
    lorenz_area = np.sum((cum_w - np.concatenate([[0.0], cum_w[:-1]]))
                         * (cum_vw + np.concatenate([[0.0], cum_vw[:-1]]))) / 2.0  # fmt: skip
    return float(1.0 - 2.0 * lorenz_area)


def district_figures(
    times: NDArray[np.float64], residents: NDArray[np.float64], limit_min: float = 15.0
) -> dict[str, float]:
    """Population-weighted mean time, F15 and Gini from a cells × categories time matrix."""
    if times.shape[1] == 0:
        return {"mean_time_min": float("nan"), "f15": float("nan"), "gini": float("nan")}
    cell_time = times.mean(axis=1)
    served = (times <= limit_min).all(axis=1)
    return {
        "mean_time_min": weighted_mean(cell_time, residents),
        "f15": weighted_mean(served.astype(float), residents),
        "gini": weighted_gini(cell_time, residents),
    }


def checklist(
    distances_m: NDArray[np.float64],
    limits_m: NDArray[np.float64],
    residents: NDArray[np.float64],
    keys: list[str],
    labels: list[str],
    levels: list[float],
    unmeasured: list[str],
) -> dict[str, object]:
    """District figures of the GB 50180 checklist from a cells × facilities distance matrix.

    Per facility the share of residents within its distance; the share meeting every measured
    facility; the facilities most often missing (by residents); and what could not be measured.
    """
    ok = distances_m <= limits_m
    total = float(np.sum(residents)) or 1.0
    rows: list[dict[str, Any]] = [
        {"key": k, "label": label, "level_min": level, "distance_m": float(limit),
         "share_met": float(residents[ok[:, j]].sum() / total),
         "residents_missing": round(float(residents[~ok[:, j]].sum()))}
        for j, (k, label, level, limit) in enumerate(zip(keys, labels, levels, limits_m, strict=True))
    ]  # fmt: skip
    all_met = ok.all(axis=1) if keys else np.zeros(len(residents), dtype=bool)
    missing = sorted(rows, key=lambda r: -r["residents_missing"])
    return {
        "facilities": rows,
        "share_all_met": float(residents[all_met].sum() / total) if keys else float("nan"),
        "most_often_missing": [r["label"] for r in missing[:3] if r["residents_missing"] > 0],
        "unmeasured": unmeasured,
    }
