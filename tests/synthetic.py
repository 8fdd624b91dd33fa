"""A small synthetic district written by the tests: no data pack needed.

"Testville" is a 2 km × 2 km square in Hongkou's UTM zone (inside the Outer Ring) with a 100 m
street grid whose eastern quarter is missing (so part of the district is off the network),
POIs of five categories, car parks, and residents concentrated in the west. Everything is seeded.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from pyproj import CRS, Transformer

from twin.districts import DistrictPreset, PlanTarget
from twin.model import District, study_area_of
from twin.sources.record import OSM_ATTRIBUTION, SourceRecord
from twin.streets import Streets

ORIGIN_LON, ORIGIN_LAT = 121.47, 31.25
SIDE_M = 2000.0
STREET_STEP_M = 100.0
STREETS_EAST_OF_M = 1500.0  # no streets east of this (an unsurveyed quarter)
TO_WGS = Transformer.from_crs(32651, 4326, always_xy=True)
TO_UTM = Transformer.from_crs(4326, 32651, always_xy=True)
X0, Y0 = TO_UTM.transform(ORIGIN_LON, ORIGIN_LAT)

PRESET = DistrictPreset(
    slug="testville", name_zh="测试区", name_en="Testville", adcode="310999", ring="inside",
    area_class="core", population=40_000, plan="a test plan",
    targets=(
        PlanTarget("base_stations_5g", 60.0, "sites", 2025, "target", "60 sites"),
        PlanTarget("lockers_new", 5.0, "locker groups", 2025, "target", "5 new groups"),
        PlanTarget("life_circle_f15", None, "share of residents", 2025, "target", "basically all"),
    ),
)  # fmt: skip


def lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres (from the south-west corner) to WGS-84."""
    lon, lat = TO_WGS.transform(X0 + np.asarray(x, float), Y0 + np.asarray(y, float))
    return np.asarray(lon), np.asarray(lat)


def street_graph() -> nx.MultiDiGraph:
    """An osmnx-style walk graph: a 100 m grid west of x = 1,500 m, both directions."""
    graph = nx.MultiDiGraph(crs="epsg:4326")
    steps = np.arange(0.0, SIDE_M + 1, STREET_STEP_M)
    xs = steps[steps <= STREETS_EAST_OF_M]
    ids = {}
    for i, x in enumerate(xs):
        for j, y in enumerate(steps):
            node = 1_000_000 + i * 100 + j
            lon, lat = lonlat(np.array([x]), np.array([y]))
            graph.add_node(node, x=float(lon[0]), y=float(lat[0]), street_count=4)
            ids[(i, j)] = node
    for (i, j), node in ids.items():
        for di, dj in ((1, 0), (0, 1)):
            other = ids.get((i + di, j + dj))
            if other is not None:
                for a, b in ((node, other), (other, node)):
                    graph.add_edge(a, b, length=STREET_STEP_M, highway="residential",
                                   name=f"Test Road {i}-{j}", oneway=False, reversed=False,
                                   osmid=node)  # fmt: skip
    return graph


def boundary() -> shapely.Polygon:
    lon, lat = lonlat(np.array([0, SIDE_M, SIDE_M, 0]), np.array([0, 0, SIDE_M, SIDE_M]))
    return shapely.Polygon(np.column_stack([lon, lat]))


def pois(rng: np.random.Generator) -> gpd.GeoDataFrame:
    rows = []
    plan = {"eating": 25, "healthcare": 6, "learning": 5, "moving": 10, "cultural": 3, "parking": 8}
    for category, n in plan.items():
        x, y = rng.uniform(50, SIDE_M - 50, n), rng.uniform(50, SIDE_M - 50, n)
        subtype = {"healthcare": "hospital", "moving": "bus_stop", "parking": "parking"}
        for k in range(n):
            rows.append((f"{category} {k}", category, subtype.get(category, category), x[k], y[k]))
    x = np.array([r[3] for r in rows])
    y = np.array([r[4] for r in rows])
    lon, lat = lonlat(x, y)
    frame = gpd.GeoDataFrame(
        {"name": [r[0] for r in rows], "category": [r[1] for r in rows],
         "subtype": [r[2] for r in rows], "source": "synthetic"},
        geometry=gpd.points_from_xy(lon, lat), crs=4326,
    )  # fmt: skip
    frame["in_district"] = True
    facility = {  # the GB 50180 facility type, cycling through each category's kinds
        "eating": ["food"], "healthcare": ["health_station", "health_centre", "hospital"],
        "learning": ["kindergarten", "primary_school", "middle_school"],
        "moving": ["bus_stop", "bus_stop", "bus_stop", "metro_station"],
    }  # fmt: skip
    rank = frame.groupby("category").cumcount()
    frame["facility"] = [
        facility[c][k % len(facility[c])] if c in facility else None
        for c, k in zip(frame["category"], rank, strict=True)
    ]
    return frame


def demand(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """400 residential points, denser in the west, 40,000 residents in all."""
    x = np.clip(rng.gamma(2.0, 400.0, 400), 20, SIDE_M - 20)
    y = rng.uniform(20, SIDE_M - 20, 400)
    lon, lat = lonlat(x, y)
    return gpd.GeoDataFrame(
        {"population": np.full(400, PRESET.population / 400), "method": "synthetic"},
        geometry=gpd.points_from_xy(lon, lat), crs=4326,
    )  # fmt: skip


def testville(seed: int = 7) -> District:
    """The synthetic district, assembled like a loaded one (study area from its streets)."""
    rng = np.random.default_rng(seed)
    streets = Streets.from_graph(street_graph(), CRS.from_epsg(32651))
    outline = boundary()
    return District(
        preset=PRESET,
        boundary=outline,
        streets=streets,
        study_area=study_area_of(streets, outline, 32651, 250.0),
        pois=pois(rng),
        demand=demand(rng),
        sources=[SourceRecord("streets", "synthetic grid", "WGS-84", OSM_ATTRIBUTION)],
        notes=[],
        poi_summary={},
    )
