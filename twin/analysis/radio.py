"""5G coverage and quality: link budget, 3D antenna pattern, shadowing, SINR and throughput.

Every default is in ``data/norms.toml`` ([fiveg] and [fiveg.model]) with its source.

**Path loss** (3GPP TR 38.901 Table 7.4.1-1, fc in GHz, distances in metres, ``d3D`` from the
antenna to the user at ``ue_height_m``):

* UMa LOS  ``PL = 28.0 + 22 log10(d3D) + 20 log10(fc)``
* UMa NLOS ``PL = max(PL_LOS, 13.54 + 39.08 log10(d3D) + 20 log10(fc) − 0.6 (hUT − 1.5))``
* UMi LOS  ``PL = 32.4 + 21 log10(d3D) + 20 log10(fc)``
* UMi NLOS ``PL = max(PL_LOS, 22.4 + 35.3 log10(d3D) + 21.3 log10(fc) − 0.3 (hUT − 1.5))``

``los_model`` picks ``"nlos"`` (default for Shanghai's dense fabric), ``"los"`` or ``"expected"``
(Pr_LOS-weighted, TR 38.901 Table 7.4.2-1).

**Antenna** (TR 38.901 Table 7.3-1 form, vertical beamwidth of a macro panel from TR 36.814
Table A.2.1.1-2): ``A_H(φ) = −min(12 (φ/φ3dB)², A_max)`` towards the nearest of the site's sector
azimuths, ``A_V(θ) = −min(12 ((θ − tilt)/θ3dB)², SLA_V)`` with θ the angle below the horizon,
``A = −min(−(A_H + A_V), A_max)``. RSRP is a *broadcast* measure, so the gain is the SSB beam's
(at most ``ssb_gain_max_dbi``), not the peak traffic beam's.

**RSRP** per resource element: ``P_tx − 10 log10(N_RE) + min(G, G_SSB) + A − L_feeder − L_body
− PL − L_penetration`` (median); penetration: none outdoors, ``in_car_loss_db``, or TR 38.901
7.4.3's low- or high-loss outdoor-to-indoor model plus 0.5 dB/m indoors.

**Coverage probability.** Shadow fading is log-normal (σ of TR 38.901's UMa scenario for every
point, so the probability stays a monotone function of RSRP and removing a site never raises it;
the O2I σ is added in quadrature indoors), so a point is covered with probability
``Φ((RSRP_median − threshold) / σ)``. A hexagon's covered share is the mean over its sample points
(its seven children one resolution finer), and it counts as covered when that share reaches the
norms' ``cell_reliability`` (90 %).

**SINR** at the best server: co-channel neighbours (same band) interfere at ``neighbour_load``,
over thermal noise ``−174 dBm/Hz + 10 log10(SCS) + NF``. **Throughput**: attenuated Shannon
(TR 36.942 Annex A) ``SE = α log2(1 + SINR)`` between ``sinr_min_db`` and ``se_max_bps_hz``,
times the carrier bandwidth: a single user's rate on an otherwise idle carrier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from scipy.special import ndtr

from twin._errors import InvalidInputError
from twin.norms import FiveGNorms, Norms, packaged_norms

QUALITY_CLASSES = ("excellent", "good", "fair", "poor", "very poor")
LOS_MODELS = ("nlos", "los", "expected")
PENETRATIONS = ("outdoor", "in_car", "indoor_low", "indoor_high")


def _n() -> FiveGNorms:
    return packaged_norms().fiveg


def _m(name: str):
    return field(default_factory=lambda: _n().model[name])


@dataclass(frozen=True)
class RadioParams:
    """Settings of the 5G model; defaults from ``data/norms.toml`` ([fiveg], [fiveg.model])."""

    covered_rsrp_dbm: float = field(default_factory=lambda: _n().covered_rsrp_dbm)
    quality_edges_dbm: tuple[float, ...] = field(default_factory=lambda: _n().classes_dbm)
    cell_reliability: float = field(default_factory=lambda: _n().cell_reliability)
    ue_height_m: float = _m("ue_height_m")
    los_model: str = _m("los_model")
    penetration: str = _m("penetration")
    indoor_distance_m: float = _m("indoor_distance_m")
    in_car_loss_db: float = _m("in_car_loss_db")
    o2i_sigma_low_db: float = _m("o2i_sigma_low_db")
    o2i_sigma_high_db: float = _m("o2i_sigma_high_db")
    shadow_sigma_uma_los_db: float = _m("shadow_sigma_uma_los_db")
    shadow_sigma_uma_nlos_db: float = _m("shadow_sigma_uma_nlos_db")
    shadow_sigma_umi_los_db: float = _m("shadow_sigma_umi_los_db")
    shadow_sigma_umi_nlos_db: float = _m("shadow_sigma_umi_nlos_db")
    horizontal_beamwidth_deg: float = _m("horizontal_beamwidth_deg")
    vertical_beamwidth_deg: float = _m("vertical_beamwidth_deg")
    vertical_side_lobe_db: float = _m("vertical_side_lobe_db")
    max_attenuation_db: float = _m("max_attenuation_db")
    sector_pattern: bool = _m("sector_pattern")
    default_downtilt_macro_deg: float = _m("default_downtilt_macro_deg")
    default_downtilt_micro_deg: float = _m("default_downtilt_micro_deg")
    ssb_gain_max_dbi: float = _m("ssb_gain_max_dbi")
    feeder_loss_db: float = _m("feeder_loss_db")
    body_loss_db: float = _m("body_loss_db")
    noise_figure_db: float = _m("noise_figure_db")
    thermal_noise_dbm_hz: float = _m("thermal_noise_dbm_hz")
    neighbour_load: float = _m("neighbour_load")
    shannon_alpha: float = _m("shannon_alpha")
    sinr_min_db: float = _m("sinr_min_db")
    se_max_bps_hz: float = _m("se_max_bps_hz")
    calibration_offset_db: float = _m("calibration_offset_db")
    calibration_slope_db_per_decade: float = _m("calibration_slope_db_per_decade")
    neighbours: int = _m("neighbours")
    max_distance_m: float = _m("max_distance_m")
    subscriber_share: tuple[tuple[str, float], ...] = field(
        default_factory=lambda: tuple(sorted(_n().subscriber_share.items()))
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if str(f.type) not in ("float", "int"):  # names, switches and tables
                if str(f.type) == "bool" and not isinstance(value, bool):
                    msg = f"[fiveg.model] {f.name} = {value!r} is not true or false."
                    raise InvalidInputError(msg)
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not np.isfinite(value)
            ):
                msg = f"[fiveg.model] {f.name} = {value!r} is not a number; fix the norms."
                raise InvalidInputError(msg)
        if not isinstance(self.neighbours, int) or self.neighbours < 1:
            msg = f"[fiveg.model] neighbours = {self.neighbours!r} must be a whole number ≥ 1."
            raise InvalidInputError(msg)
        if self.max_distance_m <= 0:
            raise InvalidInputError("[fiveg.model] max_distance_m must be positive.")
        if self.los_model not in LOS_MODELS:
            msg = f"unknown los_model {self.los_model!r}; use one of {', '.join(LOS_MODELS)}."
            raise InvalidInputError(msg)
        if self.penetration not in PENETRATIONS:
            msg = f"unknown penetration {self.penetration!r}; use one of {', '.join(PENETRATIONS)}."
            raise InvalidInputError(msg)
        if not 0 < self.cell_reliability < 1 or not 0 <= self.neighbour_load <= 1:
            msg = "cell_reliability must lie in (0, 1) and neighbour_load in [0, 1]; fix the norms."
            raise InvalidInputError(msg)

    @classmethod
    def from_norms(cls, norms: Norms, **overrides: object) -> RadioParams:
        """Params from ``norms`` (unknown keys in [fiveg.model] are an error naming the known)."""
        f = norms.fiveg
        known = {x.name for x in fields(cls)}
        unknown = sorted(set(f.model) - known)
        if unknown:
            msg = f"[fiveg.model] has unknown keys {unknown}; known keys are {sorted(known)}."
            raise InvalidInputError(msg)
        values: dict[str, object] = dict(f.model) | {
            "covered_rsrp_dbm": f.covered_rsrp_dbm,
            "quality_edges_dbm": f.classes_dbm,
            "cell_reliability": f.cell_reliability,
            "subscriber_share": tuple(sorted(f.subscriber_share.items())),
        }
        return cls(**(values | overrides))  # type: ignore[arg-type]

    def shadow_sigma_db(self, micro: NDArray[np.bool_] | bool) -> NDArray[np.float64]:
        """Shadow-fading σ of the scenario (UMa/UMi, LOS/NLOS), O2I σ added indoors."""
        if self.los_model == "los":
            sigma = np.where(micro, self.shadow_sigma_umi_los_db, self.shadow_sigma_uma_los_db)
        else:
            sigma = np.where(micro, self.shadow_sigma_umi_nlos_db, self.shadow_sigma_uma_nlos_db)
        extra = {"indoor_low": self.o2i_sigma_low_db, "indoor_high": self.o2i_sigma_high_db}
        return np.hypot(sigma, extra.get(self.penetration, 0.0))


def los_probability(d2d: NDArray, micro: NDArray[np.bool_] | bool = False) -> NDArray:
    """TR 38.901 LOS probability (UMa with hUT ≤ 13 m; UMi street canyon where ``micro``)."""
    d = np.maximum(np.asarray(d2d, dtype=float), 1e-9)
    scale = np.where(micro, 36.0, 63.0)
    p = 18.0 / d + np.exp(-d / scale) * (1.0 - 18.0 / d)
    return np.where(d <= 18.0, 1.0, p)


@dataclass(frozen=True)
class PathLossTerms:
    """TR 38.901's LOS and NLOS median path loss of a carrier as ``a + b·log10(d3D)`` (dB): the
    terms that depend on the carrier and the cell type only, so a site's are computed once."""

    los_a: NDArray[np.float64]
    los_b: NDArray[np.float64]
    nlos_a: NDArray[np.float64]
    nlos_b: NDArray[np.float64]

    @classmethod
    def of(
        cls, fc_ghz: NDArray, micro: NDArray[np.bool_] | bool, ue_height_m: float
    ) -> PathLossTerms:
        log_f = np.log10(np.asarray(fc_ghz, dtype=float))
        micro = np.asarray(micro, dtype=bool)
        return cls(
            los_a=np.where(micro, 32.4, 28.0) + 20 * log_f,
            los_b=np.where(micro, 21.0, 22.0),
            nlos_a=np.where(micro, 22.4 + 21.3 * log_f - 0.3 * (ue_height_m - 1.5),
                            13.54 + 20 * log_f - 0.6 * (ue_height_m - 1.5)),
            nlos_b=np.where(micro, 35.3, 39.08),
        )  # fmt: skip

    def loss_db(
        self,
        log_d: NDArray,
        los_model: str,
        d2d: NDArray | None = None,
        micro: NDArray[np.bool_] | bool = False,
    ) -> NDArray[np.float64]:
        """The path loss at ``log_d = log10(max(d3D, 1 m))`` (``d2d`` and ``micro`` for the
        LOS probability of ``"expected"``)."""
        los = self.los_a + self.los_b * log_d
        if los_model == "los":
            return los
        nlos = np.maximum(los, self.nlos_a + self.nlos_b * log_d)
        if los_model == "nlos":
            return nlos
        if los_model == "expected":
            p = los_probability(10**log_d if d2d is None else d2d, micro)
            return p * los + (1 - p) * nlos
        msg = f"unknown los_model {los_model!r}; use one of {', '.join(LOS_MODELS)}."
        raise InvalidInputError(msg)


def path_loss_db(
    d3d: NDArray,
    fc_ghz: NDArray,
    ue_height_m: float = 1.5,
    micro: NDArray[np.bool_] | bool = False,
    los_model: str = "nlos",
    d2d: NDArray | None = None,
) -> NDArray[np.float64]:
    """Median path loss (dB) of TR 38.901 UMa, or UMi street canyon where ``micro``."""
    log_d = np.log10(np.maximum(np.asarray(d3d, dtype=float), 1.0))
    terms = PathLossTerms.of(fc_ghz, micro, ue_height_m)
    return terms.loss_db(log_d, los_model, d2d, micro)


# TS 38.101-1 Table 5.3.2-1: resource blocks per channel bandwidth (MHz) at 15 and 30 kHz SCS
N_RB = {
    15.0: {5: 25, 10: 52, 15: 79, 20: 106, 25: 133, 30: 160, 40: 216, 50: 270},
    30.0: {10: 24, 15: 38, 20: 51, 25: 65, 30: 78, 40: 106, 50: 133, 60: 162, 70: 189, 80: 217,
           90: 245, 100: 273},
}  # fmt: skip


def subcarrier_spacing_khz(fc_ghz: NDArray) -> NDArray[np.float64]:
    """30 kHz above 1 GHz (n41, n78), 15 kHz below (n28)."""
    return np.where(np.asarray(fc_ghz, dtype=float) > 1.0, 30.0, 15.0)


def resource_elements(bandwidth_mhz: NDArray, fc_ghz: NDArray) -> NDArray[np.float64]:
    """Resource elements across the carrier: 12 subcarriers per resource block.

    Standard bandwidths take TS 38.101-1's RB counts; others (e.g. 160 MHz aggregated) use
    ``⌊0.985 · BW / (12 · SCS)⌋``, which reproduces the table within a few RBs.
    """
    bw = np.asarray(bandwidth_mhz, dtype=float)
    scs = subcarrier_spacing_khz(fc_ghz)
    n_rb = np.floor(0.985 * bw * 1e3 / (12 * scs))
    for spacing, table in N_RB.items():
        for width, rbs in table.items():
            n_rb = np.where((scs == spacing) & (bw == width), rbs, n_rb)
    return 12.0 * np.maximum(n_rb, 1)


def horizontal_gain_db(
    bearing_deg: NDArray, azimuths_deg: NDArray, params: RadioParams
) -> NDArray[np.float64]:
    """TR 38.901 horizontal pattern towards ``bearing`` for the best of the site's sectors.

    The pattern falls with the angle off boresight, so the best sector is the nearest one: the
    pattern is evaluated once, at the smallest angle (the same value as the maximum over
    sectors)."""
    bearing, azimuths = np.mod(bearing_deg, 360.0), np.mod(azimuths_deg, 360.0)
    return _horizontal_pattern(_off_boresight(bearing, list(np.moveaxis(azimuths, -1, 0))), params)


def _off_boresight(bearing_deg: NDArray, sectors: Sequence[NDArray]) -> NDArray[np.float64]:
    """The angle between ``bearing`` and its nearest sector (one azimuth array per sector),
    both in [0°, 360°): ``min(d, 360 − d)`` with ``d = |bearing − azimuth|``, sector by sector
    (a reduction over an axis of three is ten times slower than three elementwise passes)."""
    bearing = np.asarray(bearing_deg, dtype=float)
    best = np.full(np.broadcast_shapes(bearing.shape, np.shape(sectors[0])), 180.0)
    for azimuth in sectors:
        d = np.abs(bearing - azimuth)
        np.minimum(best, np.minimum(d, 360.0 - d), out=best)
    return best


def _horizontal_pattern(off_deg: NDArray, params: RadioParams) -> NDArray[np.float64]:
    return -np.minimum(12.0 * (off_deg / params.horizontal_beamwidth_deg) ** 2,
                       params.max_attenuation_db)  # fmt: skip


def vertical_gain_db(
    depression_deg: NDArray, tilt_deg: NDArray, params: RadioParams
) -> NDArray[np.float64]:
    """Vertical pattern: ``−min(12 ((θ − tilt)/θ3dB)², SLA_V)``, θ the angle below the horizon."""
    off = (np.asarray(depression_deg) - np.asarray(tilt_deg)) / params.vertical_beamwidth_deg
    return -np.minimum(12.0 * off**2, params.vertical_side_lobe_db)


def antenna_gain_db(
    bearing_deg: NDArray,
    depression_deg: NDArray,
    azimuths_deg: NDArray,
    tilt_deg: NDArray,
    params: RadioParams,
    wrapped: bool = False,
) -> NDArray[np.float64]:
    """Combined 3D pattern (0 at boresight), floored at ``−A_max``; ``wrapped``: the bearings
    and azimuths already lie in [0°, 360°) (the best-server search's)."""
    if not params.sector_pattern:
        return np.zeros(np.shape(bearing_deg))
    if not wrapped:
        bearing_deg, azimuths_deg = np.mod(bearing_deg, 360.0), np.mod(azimuths_deg, 360.0)
    sectors = list(np.moveaxis(np.asarray(azimuths_deg, dtype=float), -1, 0))
    return _pattern_db(bearing_deg, depression_deg, sectors, tilt_deg, params)


def _pattern_db(
    bearing_deg: NDArray,
    depression_deg: NDArray,
    sectors: Sequence[NDArray],
    tilt_deg: NDArray,
    params: RadioParams,
) -> NDArray[np.float64]:
    """:func:`antenna_gain_db` of bearings and sector azimuths already in [0°, 360°)."""
    total = _horizontal_pattern(_off_boresight(bearing_deg, sectors), params)
    total += vertical_gain_db(depression_deg, tilt_deg, params)
    return np.maximum(total, -params.max_attenuation_db)


def o2i_loss_db(fc_ghz: NDArray, indoor_distance_m: float, high_loss: bool = False) -> NDArray:
    """TR 38.901 7.4.3 outdoor-to-indoor penetration (low- or high-loss) plus the indoor part."""
    f = np.asarray(fc_ghz, dtype=float)
    concrete = 5 + 4 * f
    if high_loss:  # IRR glass and concrete
        wall = 5 - 10 * np.log10(0.7 * 10 ** (-(23 + 0.3 * f) / 10) + 0.3 * 10 ** (-concrete / 10))
    else:  # standard glass and concrete
        wall = 5 - 10 * np.log10(0.3 * 10 ** (-(2 + 0.2 * f) / 10) + 0.7 * 10 ** (-concrete / 10))
    return wall + 0.5 * indoor_distance_m


def penetration_loss_db(fc_ghz: NDArray, params: RadioParams) -> NDArray[np.float64]:
    """The loss of ``params.penetration`` (0 outdoors)."""
    f = np.asarray(fc_ghz, dtype=float)
    if params.penetration == "in_car":
        return np.full(f.shape, params.in_car_loss_db)
    if params.penetration in ("indoor_low", "indoor_high"):
        return o2i_loss_db(f, params.indoor_distance_m, params.penetration == "indoor_high")
    return np.zeros(f.shape)


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
    pattern_db: NDArray | float = 0.0,
    n_re: NDArray | None = None,
) -> NDArray[np.float64]:
    """Median RSRP per RE of one link (see the module docstring); ``pattern_db`` is ``A``;
    ``n_re`` the carrier's resource elements when already known (one per site, gathered)."""
    d3d = np.hypot(d2d, np.asarray(height_m) - params.ue_height_m)
    fc = np.asarray(fc_ghz, dtype=float)
    loss = path_loss_db(d3d, fc, params.ue_height_m, micro, params.los_model, d2d)
    if n_re is None:
        n_re = resource_elements(np.asarray(bandwidth_mhz, dtype=float), fc)
    per_re = np.asarray(tx_power_dbm) - 10 * np.log10(n_re)
    gain = np.minimum(np.asarray(gain_dbi, dtype=float), params.ssb_gain_max_dbi) + pattern_db
    rsrp = per_re + gain - params.feeder_loss_db - params.body_loss_db - loss
    if params.calibration_offset_db or params.calibration_slope_db_per_decade:  # twin calibrate
        decades = np.log10(np.maximum(np.asarray(d2d, dtype=float), 1.0) / 100.0)
        rsrp = (
            rsrp + params.calibration_offset_db + params.calibration_slope_db_per_decade * decades
        )
    return rsrp - penetration_loss_db(np.broadcast_to(np.asarray(fc_ghz), np.shape(rsrp)), params)


def coverage_probability(
    rsrp_dbm: NDArray, threshold_dbm: float, sigma_db: NDArray | float
) -> NDArray[np.float64]:
    """P(RSRP ≥ threshold) under log-normal shadowing around the median."""
    return ndtr((np.asarray(rsrp_dbm, dtype=float) - threshold_dbm) / np.asarray(sigma_db))


def noise_per_re_dbm(fc_ghz: NDArray, params: RadioParams) -> NDArray[np.float64]:
    """Thermal noise plus the UE noise figure in one resource element."""
    scs_hz = subcarrier_spacing_khz(fc_ghz) * 1e3
    return params.thermal_noise_dbm_hz + 10 * np.log10(scs_hz) + params.noise_figure_db


def spectral_efficiency(sinr_db: NDArray, params: RadioParams) -> NDArray[np.float64]:
    """Attenuated Shannon bound (TR 36.942 Annex A), bps/Hz."""
    sinr_db = np.asarray(sinr_db, dtype=float)
    se = params.shannon_alpha * np.log2(1.0 + 10 ** (sinr_db / 10))
    return np.where(sinr_db < params.sinr_min_db, 0.0, np.minimum(se, params.se_max_bps_hz))


@dataclass(frozen=True)
class BestServer:
    rsrp_dbm: NDArray[np.float64]
    site_index: NDArray[np.int64]  # -1 where no site is within reach
    distance_m: NDArray[np.float64]
    sinr_db: NDArray[np.float64]
    p_covered: NDArray[np.float64]  # P(RSRP ≥ threshold) with shadowing
    throughput_mbps: NDArray[np.float64]
    p_covered_deep: NDArray[np.float64]  # the same indoors (low-loss O2I): "deep coverage"


def site_tilts(sites: pd.DataFrame, params: RadioParams) -> NDArray[np.float64]:
    """Each site's downtilt: its ``downtilt_deg`` where set, else the norms' default by type."""
    micro = sites["cell_type"].astype(str).to_numpy() == "UMi"
    default = np.where(micro, params.default_downtilt_micro_deg, params.default_downtilt_macro_deg)
    if "downtilt_deg" not in sites.columns:
        return default
    own = pd.to_numeric(sites["downtilt_deg"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(own), own, default)


def network_weights(operators: NDArray, shares: dict[str, float] | None = None) -> dict[str, float]:
    """Each operator's share of subscribers among those present (normalised to 1).

    Operators the norms do not know (an imported file's own names) share equally with the rest.
    """
    shares = dict(_n().subscriber_share if shares is None else shares)
    present = sorted(set(np.asarray(operators).astype(str)))
    if not present:
        return {}
    known = [o for o in present if o in shares and shares[o] > 0]
    if len(known) != len(present):
        return {o: 1.0 / len(present) for o in present}
    total = sum(shares[o] for o in known)
    return {o: shares[o] / total for o in known}


def subscriber_view(
    points_xy: NDArray[np.float64],
    sites_xy: NDArray[np.float64],
    sites: pd.DataFrame,
    params: RadioParams | None = None,
) -> BestServer:
    """What a subscriber sees at each point: each operator's network on its own (a phone camps
    on its own network), combined by subscriber share. RSRP and SINR are share-weighted means
    in dB, coverage probability and throughput share-weighted means; the serving site is that
    of the largest network."""
    operators = sites["operator"].astype(str).to_numpy() if len(sites) else np.empty(0, str)
    shares = dict((params or RadioParams()).subscriber_share)
    weights = network_weights(operators, shares)
    if len(weights) <= 1:
        return best_server(points_xy, sites_xy, sites, params)
    n = len(points_xy)
    rsrp, sinr, p, rate, deep = (np.zeros(n) for _ in range(5))
    lead = max(weights, key=weights.__getitem__)
    lead_view: BestServer | None = None
    for operator, weight in weights.items():
        mask = operators == operator
        view = best_server(points_xy, sites_xy[mask], sites[mask], params)
        floor = (params or RadioParams()).covered_rsrp_dbm - 40.0  # no signal counts as very weak
        rsrp += weight * np.maximum(view.rsrp_dbm, floor)
        sinr += weight * np.maximum(view.sinr_db, -20.0)
        p += weight * view.p_covered
        rate += weight * view.throughput_mbps
        deep += weight * view.p_covered_deep
        if operator == lead:
            index = np.flatnonzero(mask)
            lead_view = replace(view, site_index=np.where(
                view.site_index >= 0, index[view.site_index.clip(0)], -1))  # fmt: skip
    if lead_view is None:  # pragma: no cover - weights always name the lead operator
        lead_view = best_server(points_xy, sites_xy, sites, params)
    return BestServer(rsrp, lead_view.site_index, lead_view.distance_m, sinr, p, rate, deep)


BLOCK_POINTS = 8192  # points per block: a block's (points × neighbours) arrays stay in cache
LN10 = float(np.log(10.0))
_LINK_TERMS = ("x", "y", "rise", "azimuth_1", "azimuth_2", "azimuth_3", "tilt", "budget",
               "los_a", "los_b", "nlos_a", "nlos_b", "band")  # fmt: skip


@dataclass(frozen=True)
class _SiteArrays:
    """One network's sites as the terms a link needs, computed once per site (a block gathers
    them by site index): ``table`` holds :data:`_LINK_TERMS` row by row, where ``rise`` is the
    antenna's height above the user, azimuths lie in [0°, 360°), ``budget`` is everything of
    :func:`link_rsrp_dbm` but the path loss, the pattern and the calibration (power per RE, SSB
    gain, feeder and body loss, penetration) and ``los_*``/``nlos_*`` are the
    :class:`PathLossTerms`. ``fc``, ``bandwidth``, ``micro`` and ``deep_shift`` (the low-loss
    indoor RSRP's offset from the norms' penetration) are read per site at the best server."""

    xy: NDArray[np.float64]
    table: NDArray[np.float64]
    fc: NDArray[np.float64]
    bandwidth: NDArray[np.float64]
    micro: NDArray[np.bool_]
    deep_shift: NDArray[np.float64]

    @classmethod
    def of(cls, sites_xy: NDArray[np.float64], sites: pd.DataFrame, params: RadioParams):
        fc = sites["frequency_ghz"].to_numpy(dtype=float)
        bandwidth = sites["bandwidth_mhz"].to_numpy(dtype=float)
        micro = sites["cell_type"].astype(str).to_numpy() == "UMi"
        gain = sites["antenna_gain_dbi"].to_numpy(dtype=float)
        budget = (
            sites["tx_power_dbm"].to_numpy(dtype=float)
            - 10 * np.log10(resource_elements(bandwidth, fc))
            + np.minimum(gain, params.ssb_gain_max_dbi)
            - params.feeder_loss_db - params.body_loss_db
            - penetration_loss_db(fc, params)
        )  # fmt: skip
        deep = replace(params, penetration="indoor_low")
        terms = PathLossTerms.of(fc, micro, params.ue_height_m)
        xy = np.asarray(sites_xy, dtype=float).reshape(-1, 2)
        azimuths = np.mod(
            sites[["azimuth_1", "azimuth_2", "azimuth_3"]].to_numpy(dtype=float), 360.0
        )
        columns = {
            "x": xy[:, 0], "y": xy[:, 1],
            "rise": sites["height_m"].to_numpy(dtype=float) - params.ue_height_m,
            "azimuth_1": azimuths[:, 0], "azimuth_2": azimuths[:, 1], "azimuth_3": azimuths[:, 2],
            "tilt": site_tilts(sites, params), "budget": budget,
            "los_a": terms.los_a, "los_b": terms.los_b,
            "nlos_a": terms.nlos_a, "nlos_b": terms.nlos_b,
            "band": pd.factorize(sites["band"].astype(str))[0].astype(float),
        }  # fmt: skip
        return cls(
            xy=xy,
            table=np.vstack([np.broadcast_to(columns[name], len(xy)) for name in _LINK_TERMS]),
            fc=fc, bandwidth=bandwidth, micro=micro,
            deep_shift=penetration_loss_db(fc, params) - penetration_loss_db(fc, deep),
        )  # fmt: skip


def best_server(
    points_xy: NDArray[np.float64],
    sites_xy: NDArray[np.float64],
    sites: pd.DataFrame,
    params: RadioParams | None = None,
) -> BestServer:
    """Best server, RSRP, SINR, coverage probability and throughput at each point (metres),
    among all ``sites`` (one network): each point's ``params.neighbours`` nearest sites within
    ``max_distance_m`` serve or interfere. Evaluated in blocks of points (each point is
    independent), so the arrays of a block stay in the processor's cache."""
    params = params or RadioParams()
    n = len(points_xy)
    if not len(sites_xy):
        empty = np.full(n, -np.inf)
        return BestServer(empty, np.full(n, -1), np.full(n, np.inf), empty.copy(),
                          np.zeros(n), np.zeros(n), np.zeros(n))  # fmt: skip
    site = _SiteArrays.of(sites_xy, sites, params)
    tree = cKDTree(site.xy)
    blocks = [_best_server_block(points_xy[lo : lo + BLOCK_POINTS], tree, site, params)
              for lo in range(0, n, BLOCK_POINTS)]  # fmt: skip
    return BestServer(*(np.concatenate([getattr(b, f.name) for b in blocks])
                        for f in fields(BestServer)))  # fmt: skip


def _link_rsrp_block(
    points_xy: NDArray[np.float64],
    d2d: NDArray[np.float64],
    site_of: NDArray[np.int64],
    terms: dict[str, NDArray[np.float64]],
    site: _SiteArrays,
    params: RadioParams,
) -> NDArray[np.float64]:
    """:func:`link_rsrp_dbm` of every (point, neighbour) link of a block from the sites'
    gathered ``terms`` (the same formulas, with the per-site parts computed once)."""
    rise = terms["rise"]
    log_d = np.log(np.maximum(np.sqrt(d2d * d2d + rise * rise), 1.0))
    log_d *= 1.0 / LN10  # log10(max(d3D, 1 m)), from the cheaper natural logarithm
    loss = PathLossTerms(terms["los_a"], terms["los_b"], terms["nlos_a"], terms["nlos_b"])
    micro = site.micro[site_of] if params.los_model == "expected" else False
    rsrp = terms["budget"] - loss.loss_db(log_d, params.los_model, d2d, micro)
    if params.sector_pattern:
        dx = points_xy[:, None, 0] - terms["x"]
        dy = points_xy[:, None, 1] - terms["y"]
        bearing = np.degrees(np.arctan2(dx, dy))  # from north, in (−180°, 180°] ...
        bearing += 360.0 * (bearing < 0.0)  # ... then [0°, 360°), without a modulo per link
        depression = np.degrees(np.arctan2(rise, d2d))
        sectors = (terms["azimuth_1"], terms["azimuth_2"], terms["azimuth_3"])
        rsrp += _pattern_db(bearing, depression, sectors, terms["tilt"], params)
    if params.calibration_offset_db or params.calibration_slope_db_per_decade:  # twin calibrate
        decades = np.log10(d2d / 100.0)
        rsrp += params.calibration_offset_db + params.calibration_slope_db_per_decade * decades
    return rsrp


def _best_server_block(
    points_xy: NDArray[np.float64], tree: cKDTree, site: _SiteArrays, params: RadioParams
) -> BestServer:
    n = len(points_xy)
    k = min(params.neighbours, len(site.xy))
    d2d, idx = tree.query(points_xy, k=k, distance_upper_bound=params.max_distance_m)
    d2d, idx = d2d.reshape(n, k), idx.reshape(n, k)
    valid = np.isfinite(d2d)
    site_of = np.where(valid, idx, 0)
    terms = dict(zip(_LINK_TERMS, np.take(site.table, site_of, axis=1), strict=True))
    d2d_safe = np.maximum(np.where(valid, d2d, 1.0), 1.0)
    rsrp = _link_rsrp_block(points_xy, d2d_safe, site_of, terms, site, params)
    rsrp[~valid] = -np.inf
    best = np.argmax(rsrp, axis=1)
    rows = np.arange(n)
    found = valid[rows, best]
    server = site_of[rows, best]
    best_rsrp = np.where(found, rsrp[rows, best], -np.inf)
    band = terms["band"]
    co_channel = valid & (band == band[rows, best][:, None])
    co_channel[rows, best] = False
    power_mw = np.exp(rsrp * (LN10 / 10.0), where=co_channel, out=np.zeros_like(rsrp))
    interference_mw = params.neighbour_load * power_mw.sum(1)
    noise_mw = 10 ** (noise_per_re_dbm(site.fc[server], params) / 10)
    sinr = np.where(found, best_rsrp - 10 * np.log10(interference_mw + noise_mw), -np.inf)
    sigma = params.shadow_sigma_db(False)  # the district's (UMa) σ: p stays monotone in RSRP
    p = np.where(found, coverage_probability(best_rsrp, params.covered_rsrp_dbm, sigma), 0.0)
    deep_sigma = replace(params, penetration="indoor_low").shadow_sigma_db(False)
    deep_rsrp = best_rsrp + site.deep_shift[server]
    p_deep = np.where(
        found, coverage_probability(deep_rsrp, params.covered_rsrp_dbm, deep_sigma), 0.0
    )
    return BestServer(
        rsrp_dbm=best_rsrp,
        site_index=np.where(found, idx[rows, best], -1).astype(np.int64),
        distance_m=np.where(found, d2d[rows, best], np.inf),
        sinr_db=sinr,
        p_covered=p,
        throughput_mbps=np.where(
            found, spectral_efficiency(sinr, params) * site.bandwidth[server], 0.0
        ),
        p_covered_deep=p_deep,
    )


def within_kth_neighbour(
    cells_xy: NDArray[np.float64],
    sites_xy: NDArray[np.float64],
    changed_xy: NDArray[np.float64],
    k: int,
    margin_m: float,
) -> NDArray[np.bool_]:
    """Cells for which a changed site lies within their k-th nearest site of ``sites_xy``
    (plus ``margin_m``, a hexagon's size): the sites a point's best server is chosen among."""
    if not len(changed_xy):
        return np.zeros(len(cells_xy), dtype=bool)
    if len(sites_xy) <= k:  # every site is among every cell's k nearest
        return np.ones(len(cells_xy), dtype=bool)
    kth = np.asarray(cKDTree(sites_xy).query(cells_xy, k=k)[0]).reshape(len(cells_xy), k)[:, -1]
    return np.asarray(cKDTree(changed_xy).query(cells_xy)[0]) <= kth + margin_m
