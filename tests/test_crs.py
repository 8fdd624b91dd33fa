import numpy as np
import pytest
from pyproj import Geod

from twin.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geometry_to_wgs84,
    to_wgs84,
    utm_crs,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")


def _metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_known_reference_pairs():
    # published reference values (coordTransform / hutool test vectors)
    lon, lat = wgs84_to_gcj02(np.array([116.404]), np.array([39.915]))
    assert lon[0] == pytest.approx(116.41024449916938, abs=1e-12)
    assert lat[0] == pytest.approx(39.91640428150164, abs=1e-12)
    lon, lat = gcj02_to_bd09(np.array([116.404]), np.array([39.915]))
    assert lon[0] == pytest.approx(116.41036949371029, abs=1e-12)
    assert lat[0] == pytest.approx(39.92133699351021, abs=1e-12)
    # the references for the inverses use the one-step approximation (metre-level error)
    lon, lat = gcj02_to_wgs84(np.array([116.404]), np.array([39.915]))
    assert _metres(lon[0], lat[0], 116.39775550083061, 39.91359571849836) < 2.0
    lon, lat = bd09_to_gcj02(np.array([116.404]), np.array([39.915]))
    assert _metres(lon[0], lat[0], 116.39762729119315, 39.90865673957631) < 2.0


def test_shanghai_offset_magnitude():
    lon, lat = wgs84_to_gcj02(np.array([121.4737]), np.array([31.2304]))
    east = _metres(121.4737, 31.2304, lon[0], 31.2304)
    south = _metres(121.4737, 31.2304, 121.4737, lat[0])
    assert 400 < east < 500 and lon[0] > 121.4737
    assert 150 < south < 250 and lat[0] < 31.2304


def test_round_trips_below_half_a_metre_across_shanghai():
    lon, lat = np.meshgrid(np.linspace(120.85, 122.0, 60), np.linspace(30.68, 31.88, 60))
    lon, lat = lon.ravel(), lat.ravel()
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert _metres(lon, lat, back_lon, back_lat).max() < 0.5
    back_lon, back_lat = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert _metres(lon, lat, back_lon, back_lat).max() < 0.5
    back_lon, back_lat = gcj02_to_bd09(*bd09_to_gcj02(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-8 and np.abs(back_lat - lat).max() < 1e-8


def test_outside_china_is_unchanged():
    lon, lat = wgs84_to_gcj02(np.array([-122.4, 2.35]), np.array([37.8, 48.85]))
    np.testing.assert_array_equal(lon, [-122.4, 2.35])
    np.testing.assert_array_equal(lat, [37.8, 48.85])


def test_shapes_are_preserved_and_mismatch_rejected():
    lon = np.full((3, 4), 121.5)
    out_lon, out_lat = wgs84_to_gcj02(lon, np.full((3, 4), 31.2))
    assert out_lon.shape == (3, 4) and out_lat.shape == (3, 4)
    with pytest.raises(ValueError, match="shape"):
        wgs84_to_gcj02(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="unknown coordinate system"):
        to_wgs84([121.5], [31.2], "mars")  # type: ignore[arg-type]


def test_geometry_conversion_moves_every_vertex():
    from shapely.geometry import Polygon

    square = Polygon([(121.4, 31.2), (121.5, 31.2), (121.5, 31.3), (121.4, 31.3)])
    moved = geometry_to_wgs84(square, "gcj02")
    lon, lat = gcj02_to_wgs84(np.array([121.4]), np.array([31.2]))
    assert moved.exterior.coords[0] == pytest.approx((lon[0], lat[0]))


def test_metric_crs_choice():
    assert utm_crs(121.47, 31.23).to_epsg() == 32651
    assert utm_crs(2.35, 48.85).to_epsg() == 32631
    assert utm_crs(151.2, -33.9).to_epsg() == 32756
