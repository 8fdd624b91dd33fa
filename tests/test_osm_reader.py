"""The street file reader: osmnx's graph, node for node and edge for edge, built from arrays.

The rule (osm_reader's docstring) is checked exactly on a hand-built file, then against
``osmnx.graph_from_xml`` itself on a file built to hold every pattern the rule names and on the
data pack's two extracts: the same nodes with the same attributes, and the same multiset of
edges with every attribute (a list compared as a set: osmnx lists a set) and geometry.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from twin import InvalidInputError
from twin.sources import osm as osm_source
from twin.sources.osm_reader import WAY_TAGS, graph_from_osm_file, great_circle_m

# node id: (lon, lat); 1-2-3-4 a street bent at 2 and 3; 4-5-6 another with a side way 5-7,
# continued at 6 by a third way to 30; 8-9-10-8 a ring touching nothing (dropped); 11 a node in
# no way; 4-20-21-4 a loop off node 4; 30-31 walked by two ways (parallel edges); way 107
# repeats node 12
NODES = {
    1: (121.000, 31.000), 2: (121.001, 31.000), 3: (121.002, 31.001), 4: (121.003, 31.001),
    5: (121.004, 31.001), 6: (121.005, 31.002), 7: (121.004, 31.003),
    8: (121.010, 31.010), 9: (121.011, 31.010), 10: (121.011, 31.011), 11: (121.02, 31.02),
    20: (121.003, 30.999), 21: (121.004, 30.999), 30: (121.006, 31.002), 31: (121.007, 31.002),
    12: (121.03, 31.03), 13: (121.031, 31.03),
}  # fmt: skip
WAYS = {
    100: ([1, 2, 3, 4], {"highway": "residential", "name": "甲路"}),
    101: ([4, 5, 6], {"highway": "footway"}),
    102: ([5, 7], {"highway": "service", "service": "driveway"}),
    103: ([8, 9, 10, 8], {"highway": "path"}),
    104: ([4, 20, 21, 4], {"highway": "path", "name": "环"}),
    105: ([6, 30, 31], {"highway": "residential", "oneway": "yes"}),
    106: ([31, 30], {"highway": "footway"}),
    107: ([12, 12, 13], {"building": "yes"}),
}


def osm_xml(nodes: dict[int, tuple[float, float]], ways: dict, path: Path) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    lines += [f'<node id="{i}" lon="{lon}" lat="{lat}"/>' for i, (lon, lat) in nodes.items()]
    for way, (refs, tags) in ways.items():
        lines.append(f'<way id="{way}">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    path.write_text("\n".join([*lines, "</osm>"]), encoding="utf-8")
    return path


def test_the_rule_on_a_hand_built_file(tmp_path):
    graph = graph_from_osm_file(osm_xml(NODES, WAYS, tmp_path / "town.osm"))
    # endpoints only: 1, 7, 12, 13 (ends), 4 and 5 (more than two neighbours), 30 and 31 (two
    # ways on one segment); 2, 3, 6, 20, 21 lie inside chains (6 where two ways meet end to
    # end), the ring 8-9-10 has no endpoint, 11 is in no way
    assert sorted(graph.nodes) == [1, 4, 5, 7, 12, 13, 30, 31]
    seg = {
        (a, b): float(great_circle_m(*(_latlon(a) + _latlon(b)))[0])
        for a, b in [(1, 2), (2, 3), (3, 4), (4, 20), (20, 21), (21, 4)]
    }
    street = graph.get_edge_data(1, 4)[0]
    assert street["length"] == pytest.approx(seg[1, 2] + seg[2, 3] + seg[3, 4], rel=1e-12)
    assert list(street["geometry"].coords) == [NODES[i] for i in (1, 2, 3, 4)]
    assert street["name"] == "甲路" and street["osmid"] == 100 and street["reversed"] is False
    back = graph.get_edge_data(4, 1)[0]
    assert back["reversed"] is True and back["geometry"].coords[0] == NODES[4]
    assert graph.get_edge_data(12, 12) is None  # way 107's repeated node: merged, not a loop
    assert len(graph.get_edge_data(12, 13)) == 1
    joined = graph.get_edge_data(5, 30)[0]  # two ways through 6: one edge, both listed in order
    assert joined["highway"] == ["footway", "residential"] and joined["osmid"] == [101, 105]
    loops = graph.get_edge_data(4, 4)  # the loop off 4, once each way round
    assert len(loops) == 2 and {len(e["geometry"].coords) for e in loops.values()} == {4}
    assert loops[0]["length"] == pytest.approx(seg[4, 20] + seg[20, 21] + seg[21, 4], rel=1e-12)
    parallel = graph.get_edge_data(30, 31)  # two ways on one segment: two edges, no geometry
    assert sorted(e["osmid"] for e in parallel.values()) == [105, 106]
    assert all("geometry" not in e for e in parallel.values())
    assert all(e["oneway"] is False for _, _, e in graph.edges(data=True))  # walking: both ways
    assert graph.graph["crs"] == "epsg:4326" and graph.graph["simplified"]


def _latlon(node: int) -> tuple[list[float], list[float]]:
    import numpy as np

    lon, lat = NODES[node]
    return np.array([lat]), np.array([lon])  # type: ignore[return-value]


def test_a_chain_whose_ways_differ_lists_them_in_order(tmp_path):
    ways = {200: ([1, 2, 3], {"highway": "residential", "name": "甲路"}),
            201: ([3, 4], {"highway": "footway", "name": "甲路"})}  # fmt: skip
    graph = graph_from_osm_file(osm_xml(NODES, ways, tmp_path / "chain.osm"))
    edge = graph.get_edge_data(1, 4)[0]
    assert edge["highway"] == ["residential", "footway"] and edge["osmid"] == [200, 201]
    assert edge["name"] == "甲路"  # the chain agrees: one value


def _edges(graph) -> Counter:  # type: ignore[no-untyped-def]
    def plain(value):  # type: ignore[no-untyped-def]
        if isinstance(value, list):
            return frozenset(value)
        return tuple(value.coords) if hasattr(value, "coords") else value

    return Counter((a, b, frozenset((k, plain(v)) for k, v in d.items()))
                   for a, b, d in graph.edges(data=True))  # fmt: skip


def _osmnx_graph(path: Path):  # type: ignore[no-untyped-def]
    graph = osm_source._osmnx_graph_from_xml(path)  # the parser it replaces, kept as a fallback
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    return graph


def _same_graph(path: Path) -> None:
    ours, theirs = graph_from_osm_file(path), _osmnx_graph(path)
    assert dict(ours.nodes(data=True)) == dict(theirs.nodes(data=True))
    assert _edges(ours) == _edges(theirs)  # lengths bit for bit, geometry vertex for vertex
    # every length measured, finite and ≥ 0: why a street file's parse skips the repair pass
    assert osm_source.repair_lengths(ours) == 0


def test_the_same_graph_as_osmnx_on_every_pattern(tmp_path):
    _same_graph(osm_xml(NODES, WAYS, tmp_path / "town.osm"))


@pytest.mark.parametrize("name", ["shanghai_center.osm", "tongji_campus.osm"])
def test_the_same_graph_as_osmnx_on_the_data_pack(data_dir, name):
    _same_graph(data_dir / "osm" / name)


def test_it_reads_the_tags_osmnx_keeps_and_twins_walk_filter_reads():
    import osmnx as ox

    assert set(WAY_TAGS) == {*ox.settings.useful_tags_way, *osm_source.EXTRA_WAY_TAGS}
    assert set(WAY_TAGS) == set(osm_source._osmnx_way_tags())  # the osmnx paths' own list


def test_an_id_given_twice_keeps_its_last_element_as_osmnx_does(tmp_path):
    """Overlapping extracts joined repeat ids: the last node and the last way of an id count."""
    ways = {**WAYS, 100: ([1, 2, 3], {"highway": "footway"})}  # way 100 again, shorter
    path = osm_xml(NODES, ways, tmp_path / "twice.osm")
    text = path.read_text(encoding="utf-8").replace(
        "</osm>", '<node id="2" lon="121.0015" lat="31.0005"/><way id="101"><nd ref="4"/>'
        '<nd ref="5"/><nd ref="6"/><tag k="highway" v="path"/></way></osm>')  # fmt: skip
    path.write_text(text, encoding="utf-8")
    _same_graph(path)
    graph = graph_from_osm_file(path)
    assert graph.get_edge_data(1, 3)[0]["highway"] == "footway" and not graph.has_edge(3, 4)
    assert list(graph.get_edge_data(1, 3)[0]["geometry"].coords)[1] == (121.0015, 31.0005)


def test_a_file_osmium_refuses_is_read_by_osmnx(tmp_path, settings):
    """A coordinate written "+31.000" passes the file's checks (Python reads it) but not
    osmium: the street file is read by osmnx's own parser instead, to the same graph."""
    from twin.sources.osm_reader import OsmiumRefusedError

    grid = {10 * i + j: (121.0 + 0.001 * j, 31.0 + 0.001 * i) for i in range(4) for j in range(4)}
    rows = {100 + i: ([10 * i + j for j in range(4)], {"highway": "residential"}) for i in range(4)}
    cols = {200 + j: ([10 * i + j for i in range(4)], {"highway": "footway"}) for j in range(4)}
    path = osm_xml(grid, rows | cols, tmp_path / "plus.osm")
    path.write_text(path.read_text(encoding="utf-8").replace('lat="31.0"', 'lat="+31.0"'),
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(OsmiumRefusedError, match="not a file osmium reads"):
        graph_from_osm_file(path)
    read = osm_source.graph_from_file(path, settings)
    corners = {0, 3, 30, 33}  # two neighbours each: inside a chain, not endpoints
    assert set(read.nodes) == set(grid) - corners
    assert _edges(read) == _edges(osm_source.walkable_graph(_osmnx_graph(path)))


def test_a_file_that_is_not_osm_is_refused(tmp_path):
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1' lon='121' lat='31'>", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not a file osmium reads"):
        graph_from_osm_file(broken)
