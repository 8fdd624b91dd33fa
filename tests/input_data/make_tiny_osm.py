"""Write ``tiny.osm``: a 4 x 4 street grid near Tongji (Yangpu) with one way of each kind the
walk filter must drop (motorway, cycleway, foot=no, building). Run to regenerate."""

from pathlib import Path

LON0, LAT0, STEP = 121.4950, 31.2840, 0.001  # ~95 m east-west, ~111 m north-south


def build() -> str:
    nodes, ways = [], []
    node_id = lambda i, j: 1000 + 10 * i + j  # noqa: E731
    for i in range(4):
        for j in range(4):
            nodes.append(
                f'  <node id="{node_id(i, j)}" version="1" lat="{LAT0 + i * STEP:.7f}" '
                f'lon="{LON0 + j * STEP:.7f}"/>'
            )
    way = 1
    for i in range(4):  # east-west residential streets
        refs = "".join(f'<nd ref="{node_id(i, j)}"/>' for j in range(4))
        ways.append(f'  <way id="{way}" version="1">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    for j in range(4):  # north-south streets: footway, tertiary, tertiary, footway
        kind = "footway" if j in (0, 3) else "tertiary"
        refs = "".join(f'<nd ref="{node_id(i, j)}"/>' for i in range(4))
        ways.append(f'  <way id="{way}" version="1">{refs}<tag k="highway" v="{kind}"/></way>')
        way += 1
    extra = [
        (900, [(0, 0), (3, 3)], [("highway", "motorway")]),
        (901, [(0, 3), (3, 0)], [("highway", "cycleway")]),
        (902, [(1, 0), (2, 3)], [("highway", "service"), ("foot", "no")]),
        (903, [(1, 1), (1, 2), (2, 2), (2, 1), (1, 1)], [("building", "yes")]),
    ]
    for wid, refs, tags in extra:
        nds = "".join(f'<nd ref="{node_id(i, j)}"/>' for i, j in refs)
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags)
        ways.append(f'  <way id="{wid}" version="1">{nds}{tag_xml}</way>')
    pois = [
        (5001, 0.5, 0.5, [("amenity", "school"), ("name", "Grid School")]),
        (5002, 2.5, 2.5, [("shop", "supermarket"), ("name", "Grid Market")]),
        (5003, 1.5, 2.5, [("leisure", "park"), ("name", "Grid Park")]),
        (5004, 2.5, 0.5, [("amenity", "bench")]),
        (5005, 0.5, 2.5, [("amenity", "parking"), ("name", "Grid Car Park")]),
        (5006, 1.5, 0.5, [("amenity", "fuel"), ("name", "Grid Fuel")]),
    ]
    for pid, i, j, tags in pois:
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags)
        nodes.append(
            f'  <node id="{pid}" version="1" lat="{LAT0 + i * STEP:.7f}" '
            f'lon="{LON0 + j * STEP:.7f}">{tag_xml}</node>'
        )
    body = "\n".join(nodes + ways)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="twin tests">\n{body}\n</osm>\n'


if __name__ == "__main__":
    Path(__file__).with_name("tiny.osm").write_text(build(), encoding="utf-8")
