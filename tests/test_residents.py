"""Residents per hexagon: no spikes, no holes, whole people, the source total kept."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from twin.grid import hex_grid
from twin.residents import cap_density, distribute_residents, whole_people

CRS = 32651


@pytest.fixture(scope="module")
def grid(town):
    return hex_grid(town.boundary, 9, CRS)


def points(lon, lat, population, method="census share per address"):
    return gpd.GeoDataFrame({"population": population, "method": method},
                            geometry=gpd.points_from_xy(lon, lat), crs=4326)  # fmt: skip


def test_a_dense_cluster_of_addresses_is_no_spike(town, grid):
    centre = town.boundary.centroid
    lon = np.r_[np.full(300, centre.x), town.demand.geometry.x.to_numpy()]
    lat = np.r_[np.full(300, centre.y), town.demand.geometry.y.to_numpy()]
    demand = points(lon, lat, np.full(len(lon), 100.0))
    result = distribute_residents(grid, demand, town.boundary, CRS, 9)
    density = result.counts / grid["area_km2"].to_numpy()
    assert density.max() <= 80_000 * 1.001
    assert result.counts.sum() == round(demand["population"].sum())
    # summed on points, the cluster's hexagon alone would hold 30,000+ people
    assert result.counts.max() < 10_000


def test_an_unsampled_block_between_addresses_still_gets_residents(town, grid):
    b = town.boundary.bounds
    lon = np.array([b[0] + 0.3 * (b[2] - b[0]), b[0] + 0.36 * (b[2] - b[0])])
    lat = np.full(2, (b[1] + b[3]) / 2)
    demand = points(lon, lat, np.array([500.0, 500.0]))
    result = distribute_residents(grid, demand, town.boundary, CRS, 9)
    midpoint = shapely.Point(lon.mean(), lat[0])
    holder = grid.index[grid.geometry.contains(midpoint)][0]
    assert result.counts[grid.index.get_loc(holder)] > 0
    assert result.counts.sum() == 1000 and (result.counts > 0).sum() >= 3


def test_a_raster_keeps_its_densities(town, grid):
    centre = town.boundary.centroid
    demand = points([centre.x], [centre.y], [20_000.0], "raster pixel")
    result = distribute_residents(grid, demand, town.boundary, CRS, 9)
    assert result.counts.max() == 20_000  # above the ceiling: the raster says so
    assert "raster" in result.method


def test_township_totals_rescale_their_hexagons(town, grid):
    b = town.boundary.bounds
    west = shapely.box(b[0], b[1], (b[0] + b[2]) / 2, b[3])
    townships = gpd.GeoDataFrame({"name": ["西街道"], "population": [30_000]}, geometry=[west],
                                 crs=4326)  # fmt: skip
    result = distribute_residents(grid, town.demand, town.boundary, CRS, 9, townships=townships)
    inside = shapely.contains(west, gpd.points_from_xy(grid["lon"], grid["lat"]))
    assert result.counts[inside].sum() == pytest.approx(30_000, abs=len(grid))


def test_cap_and_round_keep_the_total():
    values = np.array([9000.0, 10.0, 20.0, 0.0])
    capped, n = cap_density(values, np.full(4, 0.1), 50_000)  # 5,000 per 0.1 km² cell at most
    assert n == 1 and capped[0] == pytest.approx(5000) and capped.sum() == pytest.approx(9030)
    assert capped[3] == 0  # nobody is moved where nobody lives
    people = whole_people(np.array([1.4, 1.4, 1.2]))
    assert people.sum() == 4 and people.dtype.kind == "i"


def test_the_standard_checklist_measures_each_facility_against_its_own_level(town, town_build):
    cells = town_build.coverage.cells
    measured = town_build.coverage.measured_facilities
    assert {"kindergarten", "primary_school", "middle_school", "bus_stop", "metro_station",
            "health_station", "health_centre"} <= set(measured)  # fmt: skip
    # a cell meets a facility exactly when its walk is within that facility's distance
    ok_kindergarten = cells["gb_kindergarten_m"] <= 300.0
    ok_middle = cells["gb_middle_school_m"] <= 1000.0
    missing = cells["gb_missing"]
    assert (missing.str.contains("Kindergarten") == ~ok_kindergarten).all()
    assert (missing.str.contains("Middle school") == ~ok_middle).all()
    assert (cells["gb_all_met"] == (cells["gb_met"] == len(measured))).all()
    figures = town_build.report["standard"]
    shares = {row["key"]: row["share_met"] for row in figures["facilities"]}
    residents = cells["residents"].to_numpy(dtype=float)
    assert shares["kindergarten"] == pytest.approx(
        residents[ok_kindergarten].sum() / residents.sum(), abs=1e-4)  # fmt: skip
    assert "Elderly home 养老院" in figures["unmeasured"]  # no such POIs in Testville
    # metro and bus apart: metro at 15 min (1 km), bus at 10 (500 m)
    assert {r["key"]: r["distance_m"] for r in figures["facilities"]}["bus_stop"] == 500.0


def test_the_elderly_profile_shortens_the_standard_distances(town, town_build):
    from twin.analysis.engine import CoverageParams, compute

    slow = compute(town, {}, CoverageParams(elderly=True))
    fast_share = {
        r["key"]: r["share_met"] for r in town_build.coverage.standard_figures()["facilities"]
    }
    slow_share = {r["key"]: r["share_met"] for r in slow.standard_figures()["facilities"]}
    assert all(slow_share[k] <= fast_share[k] + 1e-9 for k in slow_share)
    assert sum(slow_share.values()) < sum(fast_share.values())


def test_residential_buildings_carry_people_by_floor_area(town, grid, tmp_path):
    """An OSM file with two apartment blocks (6 and 12 floors) and a shop: floor area decides."""
    from twin.sources.demand import buildings_from_osm_file, demand_from_buildings

    b = town.boundary.bounds
    x0, y0, d = b[0] + 0.004, b[1] + 0.004, 0.0005
    nodes, ways = [], []
    for k, (dx, levels, kind) in enumerate([(0.0, 6, "apartments"), (0.004, 12, "apartments"),
                                            (0.008, 3, "retail")]):  # fmt: skip
        ids = [100 * k + i for i in range(4)]
        corners = [(0, 0), (d, 0), (d, d), (0, d)]
        for nid, (cx, cy) in zip(ids, corners, strict=True):
            nodes.append(
                f'<node id="{nid + 1}" version="1" lat="{y0 + cy:.7f}" lon="{x0 + dx + cx:.7f}"/>'
            )
        refs = "".join(f'<nd ref="{i + 1}"/>' for i in [*ids, ids[0]])
        ways.append(f'<way id="{k + 1}" version="1">{refs}<tag k="building" v="{kind}"/>'
                    f'<tag k="building:levels" v="{levels}"/></way>')  # fmt: skip
    path = tmp_path / "blocks.osm"
    path.write_text('<?xml version="1.0"?><osm version="0.6">' + "".join(nodes + ways) + "</osm>",
                    encoding="utf-8")  # fmt: skip
    features = buildings_from_osm_file(path, town.boundary)
    frame, record = demand_from_buildings(features, town.boundary, 9000.0, str(path))
    assert len(frame) == 2  # the shop is not a home
    assert sorted(frame["population"].round()) == [3000.0, 6000.0]  # 6 vs 12 floors
    assert (
        "building floor area" in set(frame["method"]) and "2 residential buildings" in record.note
    )
    result = distribute_residents(grid, frame, town.boundary, CRS, 9)
    assert result.counts.sum() == 9000 and "bandwidth 40 m" in result.method
