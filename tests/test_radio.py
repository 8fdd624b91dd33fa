"""The 5G model by its physics: hand-computed link budgets, patterns, shadowing, SINR, and
figures that fall when sites go."""

import math

import numpy as np
import pandas as pd
import pytest

from twin.analysis import radio
from twin.analysis.engine import CoverageParams, compute
from twin.analysis.report import fiveg_figures
from twin.layers import generate

NOISE_RE_DBM = -174 + 10 * math.log10(30e3) + 9  # 30 kHz SCS, 9 dB UE noise figure
PER_RE_DBM = 53 - 10 * math.log10(12 * 273)  # 200 W over 273 RBs of 100 MHz


def sites_frame(n: int, band: str = "n78", operator: str = "X") -> pd.DataFrame:
    return pd.DataFrame({
        "height_m": [25.0] * n, "frequency_ghz": [3.5] * n, "cell_type": ["UMa"] * n,
        "tx_power_dbm": [53.0] * n, "bandwidth_mhz": [100.0] * n,
        "antenna_gain_dbi": [24.0] * n, "azimuth_1": [0] * n, "azimuth_2": [120] * n,
        "azimuth_3": [240] * n, "downtilt_deg": [8.0] * n, "band": [band] * n,
        "operator": [operator] * n,
    })  # fmt: skip


def test_resource_elements_and_quality_classes():
    assert radio.resource_elements(100, 3.5) == 12 * 273  # TS 38.101-1
    assert radio.resource_elements(30, 0.7) == 12 * 160
    classes = radio.quality_class(np.array([-80, -85, -90, -100, -110, -120]))
    assert classes.tolist() == ["excellent", "good", "good", "fair", "poor", "very poor"]


def test_the_3d_antenna_pattern():
    p = radio.RadioParams()
    h = radio.horizontal_gain_db(
        np.array([0.0, 65.0, 60.0]), np.array([[0.0, 120.0, 240.0]] * 3), p
    )
    assert h[0] == 0.0 and h[1] == pytest.approx(-12 * (55 / 65) ** 2)
    assert h[2] == pytest.approx(-12 * (60 / 65) ** 2)
    # vertical: 20° below the horizon against an 8° tilt is 12° off a 10° beam: −17.28 dB
    assert radio.vertical_gain_db(20.0, 8.0, p) == pytest.approx(-17.28)
    assert radio.vertical_gain_db(60.0, 8.0, p) == -20.0  # the side-lobe floor SLA_V
    both = radio.antenna_gain_db(np.array([180.0]), np.array([60.0]), np.array([[0.0] * 3]),
                                 np.array([8.0]), p)  # fmt: skip
    assert both[0] == -30.0  # A_max caps the sum of −30 and −20


def test_penetration_losses():
    assert radio.o2i_loss_db(3.5, 8.3) == pytest.approx(16.85, abs=0.01)  # low loss, TR 38.901
    assert radio.o2i_loss_db(3.5, 8.3, high_loss=True) == pytest.approx(31.00, abs=0.01)
    car = radio.RadioParams(penetration="in_car")
    assert radio.penetration_loss_db(np.array([3.5]), car)[0] == 9.0


def test_an_isolated_macro_reaches_the_hand_computed_radius():
    """n78 macro, pattern off: 17.85 dBm/RE + min(24, 18) dBi − 1 − 3 dB − PL = −105 dBm when
    PL = 136.85 dB, i.e. d3D = 10^((136.85 − 13.54 − 20·log10 3.5)/39.08) = 753.0 m."""
    params = radio.RadioParams(sector_pattern=False)
    d2d = math.sqrt(753.0023**2 - 23.5**2)
    points = np.array([[0.0, d2d], [0.0, 400.0], [0.0, 1500.0]])
    best = radio.best_server(points, np.array([[0.0, 0.0]]), sites_frame(1), params)
    assert best.rsrp_dbm[0] == pytest.approx(-105.0, abs=0.01)
    assert best.p_covered[0] == pytest.approx(0.5, abs=0.01)  # the median sits on the threshold
    far = PER_RE_DBM + 18 - 4 - float(radio.path_loss_db(math.hypot(1500, 23.5), 3.5))
    assert best.rsrp_dbm[2] == pytest.approx(far)
    assert best.p_covered[2] == pytest.approx(0.5 * math.erfc(-(far + 105) / (6 * math.sqrt(2))))
    assert best.p_covered[1] > 0.95 and best.p_covered[2] < 0.05
    # alone, SINR is the signal over thermal noise
    assert best.sinr_db[0] == pytest.approx(-105.0 - NOISE_RE_DBM, abs=0.01)
    # indoors (low-loss O2I, σ = √(6² + 4.4²)) the same point is covered far less often
    sigma = math.hypot(6.0, 4.4)
    expected = 0.5 * math.erfc(16.8475 / (sigma * math.sqrt(2)))
    assert best.p_covered_deep[0] == pytest.approx(expected, abs=1e-3)


def test_a_co_channel_neighbour_sets_the_sinr():
    params = radio.RadioParams(sector_pattern=False)
    sites = sites_frame(2)
    point = np.array([[0.0, 300.0]])
    xy = np.array([[0.0, 0.0], [0.0, 600.0]])  # equidistant: SINR ≈ −10·log10(load) = 3 dB
    best = radio.best_server(point, xy, sites, params)
    assert best.sinr_db[0] == pytest.approx(10 * math.log10(1 / 0.5), abs=0.05)
    other_band = sites.assign(band=["n78", "n41"])  # another network does not interfere
    clean = radio.best_server(point, xy, other_band, params)
    assert clean.sinr_db[0] > 30
    se = radio.spectral_efficiency(np.array([-20.0, 3.0, 60.0]), params)
    assert se[0] == 0.0 and se[1] == pytest.approx(0.6 * math.log2(1 + 10**0.3))
    assert se[2] == 7.4
    assert best.throughput_mbps[0] == pytest.approx(se[1] * 100.0, rel=1e-3)


def test_subscriber_view_weights_each_network():
    weights = radio.network_weights(np.array(["China Mobile", "China Telecom / China Unicom"]))
    assert weights == pytest.approx({"China Mobile": 0.57 / 0.99,
                                     "China Telecom / China Unicom": 0.42 / 0.99})  # fmt: skip
    assert radio.network_weights(np.array(["A", "B", "A"])) == {"A": 0.5, "B": 0.5}
    # a point covered by one network of two equal ones is covered for half its subscribers
    sites = pd.concat([sites_frame(1, operator="A"), sites_frame(1, operator="B")])
    xy = np.array([[0.0, 0.0], [0.0, 5000.0]])
    view = radio.subscriber_view(np.array([[0.0, 100.0]]), xy, sites, radio.RadioParams())
    assert view.p_covered[0] == pytest.approx(0.5, abs=0.01)


def test_removing_sites_never_raises_any_rsrp(town):
    sites = generate("base_stations", town).query("operator == 'China Mobile'")
    rng = np.random.default_rng(5)
    fewer = sites.iloc[np.sort(rng.choice(len(sites), len(sites) // 2, replace=False))]
    # res 9: at res 10 one point far below the threshold (−118 dBm) gains 0.6 dB, because each
    # point weighs only its k nearest sites (RadioParams.neighbours); see the What-if update
    params = CoverageParams(resolution=9)
    full = compute(town, {"base_stations": sites}, params).cells
    thinned = compute(town, {"base_stations": fewer}, params).cells
    assert (thinned["rsrp_dbm"] <= full["rsrp_dbm"] + 1e-9).all()
    assert (thinned["p_covered_5g"] <= full["p_covered_5g"] + 1e-9).all()


def check_tenth(district):
    sites = generate("base_stations", district)
    full = compute(district, {"base_stations": sites})
    tenth = compute(district, {"base_stations": sites.iloc[::10]})
    a, b = fiveg_figures(full), fiveg_figures(tenth)
    assert a["covered_share_residents"] - b["covered_share_residents"] > 0.1
    assert a["median_rsrp_dbm"] - b["median_rsrp_dbm"] >= 10.0
    assert b["deep_share_residents"] < a["deep_share_residents"] - 0.2
    return a, b


def test_a_tenth_of_the_sites_shows_a_clear_gap(town):
    check_tenth(town)


def test_hongkou_plan_layer_lands_in_the_drive_test_range(hongkou):
    """Published dense-urban 3.5 GHz drive tests: median RSRP −75 to −95 dBm."""
    full, _ = check_tenth(hongkou)
    assert -95.0 <= full["median_rsrp_dbm"] <= -75.0
    assert full["covered_share_area"] < 1.0 and full["deep_share_residents"] < 0.95


def test_the_nearest_sector_angle_equals_the_wrapped_difference():
    """The pattern's angle off the nearest sector, computed sector by sector without a modulo,
    equals the textbook ((bearing − azimuth + 180) mod 360) − 180 for any angles (wrapped first
    by the public function; the best-server search passes them wrapped)."""
    rng = np.random.default_rng(7)
    bearing = rng.uniform(-720, 720, (500, 16))
    azimuths = rng.uniform(-720, 720, (500, 16, 3))
    textbook = np.min(np.abs((bearing[..., None] - azimuths + 180.0) % 360.0 - 180.0), axis=-1)
    p = radio.RadioParams()
    expected = -np.minimum(
        12.0 * (textbook / p.horizontal_beamwidth_deg) ** 2, p.max_attenuation_db
    )
    assert np.allclose(radio.horizontal_gain_db(bearing, azimuths, p), expected, rtol=0, atol=1e-9)
    wrapped = radio.antenna_gain_db(np.mod(bearing, 360), np.full(bearing.shape, 10.0),
                                    np.mod(azimuths, 360), np.full(bearing.shape, 8.0), p, wrapped=True)  # fmt: skip
    assert np.allclose(wrapped, radio.antenna_gain_db(bearing, np.full(bearing.shape, 10.0), azimuths,
                                                      np.full(bearing.shape, 8.0), p), atol=1e-9)  # fmt: skip


@pytest.mark.parametrize(
    "overrides",
    [{}, {"los_model": "los"}, {"los_model": "expected", "penetration": "indoor_high"},
     {"sector_pattern": False, "penetration": "in_car"},
     {"calibration_offset_db": -3.0, "calibration_slope_db_per_decade": 2.5}],
)  # fmt: skip
def test_the_best_server_search_is_the_link_budget_of_its_nearest_sites(overrides):
    """The search computes each site's terms once and gathers them per link; the best server's
    RSRP must be the largest :func:`radio.link_rsrp_dbm` over the sites, link by link, and the
    SINR that over its co-channel neighbours, for every model the norms may choose."""
    params = radio.RadioParams(neighbours=12, **overrides)
    rng = np.random.default_rng(7)
    n = 12
    sites = sites_frame(n).assign(
        height_m=rng.uniform(8, 45, n), frequency_ghz=rng.choice([0.7, 2.6, 3.5], n),
        cell_type=rng.choice(["UMa", "UMi"], n), tx_power_dbm=rng.uniform(30, 53, n),
        antenna_gain_dbi=rng.uniform(8, 25, n), azimuth_1=rng.uniform(-90, 400, n),
        downtilt_deg=rng.uniform(2, 12, n), band=rng.choice(["n28", "n41", "n78"], n),
    )  # fmt: skip
    sites_xy = rng.uniform(0, 3000, (n, 2))
    points = rng.uniform(-500, 3500, (300, 2))
    best = radio.best_server(points, sites_xy, sites, params)
    dx = points[:, None, 0] - sites_xy[None, :, 0]
    dy = points[:, None, 1] - sites_xy[None, :, 1]
    d2d = np.maximum(np.hypot(dx, dy), 1.0)
    height = sites["height_m"].to_numpy()
    pattern = radio.antenna_gain_db(
        np.degrees(np.arctan2(dx, dy)), np.degrees(np.arctan2(height - 1.5, d2d)),
        sites[["azimuth_1", "azimuth_2", "azimuth_3"]].to_numpy(float)[None].repeat(300, 0),
        sites["downtilt_deg"].to_numpy(), params,
    )  # fmt: skip
    fc = sites["frequency_ghz"].to_numpy()
    links = radio.link_rsrp_dbm(
        d2d, height, fc, sites["tx_power_dbm"].to_numpy(), sites["bandwidth_mhz"].to_numpy(),
        sites["antenna_gain_dbi"].to_numpy(), sites["cell_type"].to_numpy() == "UMi", params,
        pattern,
    )  # fmt: skip
    server = links.argmax(1)
    rows = np.arange(len(points))
    np.testing.assert_allclose(best.rsrp_dbm, links[rows, server], rtol=0, atol=1e-9)
    assert (best.site_index == server).all()
    band = sites["band"].to_numpy()
    co = (band[None, :] == band[server][:, None]) & (np.arange(n)[None, :] != server[:, None])
    interference = params.neighbour_load * np.where(co, 10 ** (links / 10), 0.0).sum(1)
    noise = 10 ** (radio.noise_per_re_dbm(fc[server], params) / 10)
    sinr = links[rows, server] - 10 * np.log10(interference + noise)
    np.testing.assert_allclose(best.sinr_db, sinr, rtol=0, atol=1e-9)
