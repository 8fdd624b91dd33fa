"""5G best-server RSRP: 3GPP TR 38.901 path loss, sector pattern, optional O2I loss.

Path loss (TR 38.901 Table 7.4.1-1, fc in GHz, distances in metres, ``d3D`` from the antenna to
the user at ``ue_height_m``):

* UMa LOS  ``PL = 28.0 + 22 log10(d3D) + 20 log10(fc)``
* UMa NLOS ``PL = max(PL_LOS, 13.54 + 39.08 log10(d3D) + 20 log10(fc) − 0.6 (hUT − 1.5))``
* UMi LOS  ``PL = 32.4 + 21 log10(d3D) + 20 log10(fc)``
* UMi NLOS ``PL = max(PL_LOS, 22.4 + 35.3 log10(d3D) + 21.3 log10(fc) − 0.3 (hUT − 1.5))``

The LOS formula is the standard's PL1 (below the breakpoint distance, which at these heights and
frequencies lies beyond a kilometre). ``los_model`` picks ``"nlos"`` (conservative, default for
Shanghai's dense fabric), ``"los"``, or ``"expected"``: the LOS-probability-weighted mean in dB
with TR 38.901 Table 7.4.2-1's ``Pr_LOS`` (UMa, hUT ≤ 13 m: ``18/d + exp(−d/63)(1 − 18/d)``;
UMi: ``18/d + exp(−d/36)(1 − 18/d)``, 1 within 18 m). Figures are medians: shadow fading
(σ 4 dB LOS / 6 dB NLOS) is not drawn.

RSRP per resource element: ``P_tx − 10 log10(N_RE) + G_ant + A(φ) − PL − L_O2I``, where
``N_RE = 12 N_RB`` with TS 38.101-1's RB counts (SCS 30 kHz above 1 GHz, 15 kHz below; 273 RBs
for 100 MHz at 30 kHz). The horizontal sector pattern is TR 38.901
Table 7.3-1: ``A(φ) = −min(12 (φ/65°)², 30 dB)`` for the nearest of the site's three azimuths.
Outdoor-to-indoor, when asked for, is TR 38.901's low-loss model (glass and concrete) plus
0.5 dB/m over ``indoor_distance_m``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from twin._errors import InvalidInputError
from twin.norms import FiveGNorms, Norms, default_norms

QUALITY_CLASSES = ("excellent", "good", "fair", "poor", "very poor")
LOS_MODELS = ("nlos", "los", "expected")


def _n() -> FiveGNorms:
    return default_norms().fiveg


@dataclass(frozen=True)
class RadioParams:
    """Settings of the 5G coverage model; defaults from ``data/norms.toml`` ([fiveg])."""

    covered_rsrp_dbm: float = field(default_factory=lambda: _n().covered_rsrp_dbm)
    quality_edges_dbm: tuple[float, ...] = field(default_factory=lambda: _n().classes_dbm)
    ue_height_m: float = field(default_factory=lambda: _n().ue_height_m)
    los_model: str = field(default_factory=lambda: _n().los_model)
    sector_pattern: bool = field(default_factory=lambda: _n().sector_pattern)
    outdoor_to_indoor: bool = field(default_factory=lambda: _n().outdoor_to_indoor)
    indoor_distance_m: float = field(default_factory=lambda: _n().indoor_distance_m)
    neighbours: int = field(default_factory=lambda: _n().neighbours)
    max_distance_m: float = field(default_factory=lambda: _n().max_distance_m)

    def __post_init__(self) -> None:
        if self.los_model not in LOS_MODELS:
            msg = f"unknown los_model {self.los_model!r}; use one of {', '.join(LOS_MODELS)}."
            raise InvalidInputError(msg)

    @classmethod
    def from_norms(cls, norms: Norms, **overrides: object) -> RadioParams:
        f = norms.fiveg
        values: dict[str, object] = {
            "covered_rsrp_dbm": f.covered_rsrp_dbm, "quality_edges_dbm": f.classes_dbm,
            "ue_height_m": f.ue_height_m, "los_model": f.los_model,
            "sector_pattern": f.sector_pattern, "outdoor_to_indoor": f.outdoor_to_indoor,
            "indoor_distance_m": f.indoor_distance_m, "neighbours": f.neighbours,
            "max_distance_m": f.max_distance_m,
        }  # fmt: skip
        return cls(**(values | overrides))  # type: ignore[arg-type]


def los_probability(d2d: NDArray, micro: NDArray[np.bool_] | bool = False) -> NDArray:
    """TR 38.901 LOS probability (UMa with hUT ≤ 13 m; UMi street canyon where ``micro``)."""
    d = np.maximum(np.asarray(d2d, dtype=float), 1e-9)
    scale = np.where(micro, 36.0, 63.0)
    p = 18.0 / d + np.exp(-d / scale) * (1.0 - 18.0 / d)
    return np.where(d <= 18.0, 1.0, p)


def path_loss_db(
    d3d: NDArray,
    fc_ghz: NDArray,
    ue_height_m: float = 1.5,
    micro: NDArray[np.bool_] | bool = False,
    los_model: str = "nlos",
    d2d: NDArray | None = None,
) -> NDArray[np.float64]:
    """Median path loss (dB) of TR 38.901 UMa, or UMi street canyon where ``micro``."""
    d = np.maximum(np.asarray(d3d, dtype=float), 1.0)
    f = np.asarray(fc_ghz, dtype=float)
    los = np.where(micro, 32.4 + 21.0 * np.log10(d), 28.0 + 22.0 * np.log10(d)) + 20 * np.log10(f)
    nlos_uma = 13.54 + 39.08 * np.log10(d) + 20 * np.log10(f) - 0.6 * (ue_height_m - 1.5)
    nlos_umi = 22.4 + 35.3 * np.log10(d) + 21.3 * np.log10(f) - 0.3 * (ue_height_m - 1.5)
    nlos = np.maximum(los, np.where(micro, nlos_umi, nlos_uma))
    if los_model == "los":
        return los
    if los_model == "nlos":
        return nlos
    if los_model == "expected":
        p = los_probability(d if d2d is None else d2d, micro)
        return p * los + (1 - p) * nlos
    msg = f"unknown los_model {los_model!r}; use one of {', '.join(LOS_MODELS)}."
    raise InvalidInputError(msg)


# TS 38.101-1 Table 5.3.2-1: resource blocks per channel bandwidth (MHz) at 15 and 30 kHz SCS
N_RB = {
    15.0: {5: 25, 10: 52, 15: 79, 20: 106, 25: 133, 30: 160, 40: 216, 50: 270},
    30.0: {10: 24, 15: 38, 20: 51, 25: 65, 30: 78, 40: 106, 50: 133, 60: 162, 70: 189, 80: 217,
           90: 245, 100: 273},
}  # fmt: skip


def resource_elements(bandwidth_mhz: NDArray, fc_ghz: NDArray) -> NDArray[np.float64]:
    """Resource elements across the carrier: 12 subcarriers per resource block.

    Standard bandwidths take TS 38.101-1's RB counts; others (e.g. 160 MHz aggregated) use
    ``⌊0.985 · BW / (12 · SCS)⌋``, which reproduces the table within a few RBs.
    """
    bw = np.asarray(bandwidth_mhz, dtype=float)
    scs = np.where(np.asarray(fc_ghz, dtype=float) > 1.0, 30.0, 15.0)
    n_rb = np.floor(0.985 * bw * 1e3 / (12 * scs))
    for spacing, table in N_RB.items():
        for width, rbs in table.items():
            n_rb = np.where((scs == spacing) & (bw == width), rbs, n_rb)
    return 12.0 * np.maximum(n_rb, 1)


def sector_gain_db(bearing_deg: NDArray, azimuths_deg: NDArray) -> NDArray[np.float64]:
    """TR 38.901 horizontal pattern towards ``bearing`` for the best of the site's sectors."""
    diff = (np.asarray(bearing_deg)[..., None] - azimuths_deg + 180.0) % 360.0 - 180.0
    return np.max(-np.minimum(12.0 * (diff / 65.0) ** 2, 30.0), axis=-1)


def o2i_loss_db(fc_ghz: NDArray, indoor_distance_m: float) -> NDArray[np.float64]:
    """TR 38.901 low-loss outdoor-to-indoor penetration plus the indoor part."""
    f = np.asarray(fc_ghz, dtype=float)
    glass, concrete = 2 + 0.2 * f, 5 + 4 * f
    wall = 5 - 10 * np.log10(0.3 * 10 ** (-glass / 10) + 0.7 * 10 ** (-concrete / 10))
    return wall + 0.5 * indoor_distance_m


def quality_class(
    rsrp_dbm: NDArray, edges_dbm: tuple[float, ...] | None = None
) -> NDArray[np.object_]:
    """China Mobile's field-test classes of RSRP (edges from the norms unless given)."""
    edges = -np.asarray(edges_dbm or _n().classes_dbm)  # ascending for digitize
    index = np.digitize(-np.asarray(rsrp_dbm, dtype=float), edges, right=False)
    return np.asarray(QUALITY_CLASSES, dtype=object)[index]


def link_rsrp_dbm(
    d2d: NDArray,
    height_m: NDArray | float,
    fc_ghz: NDArray | float,
    tx_power_dbm: NDArray | float,
    bandwidth_mhz: NDArray | float,
    gain_dbi: NDArray | float,
    micro: NDArray[np.bool_] | bool,
    params: RadioParams,
) -> NDArray[np.float64]:
    """Median RSRP per RE of one link: P_tx − 10 log10(N_RE) + G − PL (− O2I when asked)."""
    d3d = np.hypot(d2d, np.asarray(height_m) - params.ue_height_m)
    loss = path_loss_db(d3d, fc_ghz, params.ue_height_m, micro, params.los_model, d2d)
    per_re = np.asarray(tx_power_dbm) - 10 * np.log10(resource_elements(bandwidth_mhz, fc_ghz))
    rsrp = per_re + gain_dbi - loss
    if params.outdoor_to_indoor:
        rsrp = rsrp - o2i_loss_db(fc_ghz, params.indoor_distance_m)
    return rsrp


@dataclass(frozen=True)
class BestServer:
    rsrp_dbm: NDArray[np.float64]
    site_index: NDArray[np.int64]  # -1 where no site is within reach
    distance_m: NDArray[np.float64]


def best_server(
    cells_xy: NDArray[np.float64],
    sites_xy: NDArray[np.float64],
    sites: pd.DataFrame,
    params: RadioParams | None = None,
) -> BestServer:
    """Best-server RSRP at each point among its ``neighbours`` nearest sites (metric CRS)."""
    params = params or RadioParams()
    n = len(cells_xy)
    if not len(sites_xy):
        return BestServer(np.full(n, -np.inf), np.full(n, -1), np.full(n, np.inf))
    k = min(params.neighbours, len(sites_xy))
    d2d, idx = cKDTree(sites_xy).query(cells_xy, k=k, distance_upper_bound=params.max_distance_m)
    d2d, idx = d2d.reshape(n, k), idx.reshape(n, k)
    valid = np.isfinite(d2d)
    idx_safe = np.where(valid, idx, 0)
    height = sites["height_m"].to_numpy(dtype=float)[idx_safe]
    fc = sites["frequency_ghz"].to_numpy(dtype=float)[idx_safe]
    micro = (sites["cell_type"].astype(str).to_numpy() == "UMi")[idx_safe]
    d2d_safe = np.where(valid, d2d, 1.0)
    gain = sites["antenna_gain_dbi"].to_numpy(dtype=float)[idx_safe]
    if params.sector_pattern:
        delta = cells_xy[:, None, :] - sites_xy[idx_safe]
        bearing = np.degrees(np.arctan2(delta[..., 0], delta[..., 1])) % 360.0  # from north
        azimuths = sites[["azimuth_1", "azimuth_2", "azimuth_3"]].to_numpy(dtype=float)[idx_safe]
        gain = gain + sector_gain_db(bearing, azimuths)
    rsrp = link_rsrp_dbm(
        d2d_safe, height, fc, sites["tx_power_dbm"].to_numpy(dtype=float)[idx_safe],
        sites["bandwidth_mhz"].to_numpy(dtype=float)[idx_safe], gain, micro, params,
    )  # fmt: skip
    rsrp = np.where(valid, rsrp, -np.inf)
    best = np.argmax(rsrp, axis=1)
    rows = np.arange(n)
    found = valid[rows, best]
    return BestServer(
        rsrp_dbm=np.where(found, rsrp[rows, best], -np.inf),
        site_index=np.where(found, idx[rows, best], -1).astype(np.int64),
        distance_m=np.where(found, d2d[rows, best], np.inf),
    )
