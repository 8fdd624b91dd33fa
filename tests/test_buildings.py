"""OSM buildings for the 3D view: footprints with heights from tags, kept through the cache."""

from __future__ import annotations

import json

import numpy as np
import shapely

from twin.render.basemap import buildings_layer
from twin.sources.demand import building_footprints, buildings_from_osm_file

LON0, LAT0, STEP = 121.4780, 31.2680, 0.001  # beside Hongkou Football Stadium, inside Hongkou
BUILDINGS = [  # (tags, expected height m, where it came from)
    ({"building": "office", "height": "24 m"}, 24.0, "height"),
    ({"building": "apartments", "building:levels": "10"}, 30.0, "levels"),
    ({"building": "apartments"}, 18.0, "assumed"),  # a Shanghai walk-up: 6 floors × 3 m
]


def write_osm(folder):  # type: ignore[no-untyped-def]
    """A 4 × 4 street grid with three buildings between its streets."""
    nodes, ways = [], []
    node = lambda i, j: 1000 + 10 * i + j  # noqa: E731
    for i in range(4):
        for j in range(4):
            nodes.append(f'<node id="{node(i, j)}" version="1" lat="{LAT0 + i * STEP:.7f}" '
                         f'lon="{LON0 + j * STEP:.7f}"/>')  # fmt: skip
    for i in range(4):
        refs = "".join(f'<nd ref="{node(i, j)}"/>' for j in range(4))
        ways.append(f'<way id="{i + 1}" version="1">{refs}<tag k="highway" v="residential"/></way>')
        refs = "".join(f'<nd ref="{node(j, i)}"/>' for j in range(4))
        ways.append(
            f'<way id="{i + 11}" version="1">{refs}<tag k="highway" v="residential"/></way>'
        )
    for k, (tags, _, _) in enumerate(BUILDINGS):
        x, y, d = LON0 + (k + 0.3) * STEP, LAT0 + 0.3 * STEP, 0.0003
        ids = [5000 + 10 * k + c for c in range(4)]
        for nid, (cx, cy) in zip(ids, [(0, 0), (d, 0), (d, d), (0, d)], strict=True):
            nodes.append(f'<node id="{nid}" version="1" lat="{y + cy:.7f}" lon="{x + cx:.7f}"/>')
        refs = "".join(f'<nd ref="{i}"/>' for i in [*ids, ids[0]])
        text = "".join(f'<tag k="{key}" v="{value}"/>' for key, value in tags.items())
        ways.append(f'<way id="{100 + k}" version="1">{refs}{text}</way>')
    path = folder / "stadium.osm"
    path.write_text('<?xml version="1.0"?><osm version="0.6">' + "".join(nodes + ways) + "</osm>",
                    encoding="utf-8")  # fmt: skip
    return path


def test_heights_come_from_height_then_levels_then_the_type(tmp_path):
    area = shapely.box(121.47, 31.26, 121.49, 31.28)
    found = building_footprints(buildings_from_osm_file(write_osm(tmp_path), area), area)
    assert sorted(found["height_m"]) == sorted(h for _, h, _ in BUILDINGS)
    by_height = dict(zip(found["height_m"], found["height_from"], strict=True))
    assert by_height == {h: source for _, h, source in BUILDINGS}
    outside = shapely.box(121.60, 31.10, 121.61, 31.11)
    assert building_footprints(buildings_from_osm_file(write_osm(tmp_path), outside), outside).empty


def test_buildings_load_with_the_district_and_survive_the_cache(settings, tmp_path):
    from twin.store.district import load_district

    own = settings.replace(cache_dir=tmp_path / "cache")
    path = write_osm(tmp_path)
    first = load_district("hongkou", own, osm_file=path)
    again = load_district("hongkou", own, osm_file=path)  # read back from the cache
    assert first.summary()["buildings"] == again.summary()["buildings"] == 3
    assert np.array_equal(
        np.sort(first.buildings["height_m"]), np.sort(again.buildings["height_m"])
    )
    assert any(s.kind == "buildings" and "3 building footprints" in s.note for s in again.sources)
    layer = json.loads(buildings_layer(again.buildings).to_json())
    assert layer["@@type"] == "PolygonLayer" and layer["extruded"]
    assert sorted(row["height"] for row in layer["data"]) == [18.0, 24.0, 30.0]
    assert all("m (" in row["tip"] for row in layer["data"])  # height and where it came from


def test_buildings_are_downloaded_online(settings, tmp_path):
    """Online (a local server standing in for Overpass), the district gets its buildings: in 3D
    and, where residential, carrying the residents by floor area."""
    from tests.overpass_stub import OverpassStub
    from twin.model import district_from_sources

    with OverpassStub(write_osm(tmp_path)) as stub:
        online = settings.replace(
            cache_dir=tmp_path / "cache", offline=False, overpass_url=stub.url
        )
        district = district_from_sources("hongkou", online)
    assert any('"building"' in query or "building" in query for query in stub.queries)
    assert district.buildings is not None and len(district.buildings) == 3
    assert any(
        s.kind == "buildings" and s.origin == "OpenStreetMap Overpass" for s in district.sources
    )
    assert "building floor area" in set(district.demand["method"])  # the two apartment blocks


def test_offline_districts_say_they_have_no_buildings(hongkou):
    assert hongkou.buildings is None and hongkou.summary()["buildings"] == 0
