"""The online download path, against a local server standing in for Overpass."""

import pytest
from shapely.geometry import box

from tests.conftest import INPUT
from tests.overpass_stub import OverpassStub
from twin import NetworkAccessError, Settings
from twin.sources import graph_from_osm, pois_from_osm

AREA = box(121.4945, 31.2835, 121.4985, 31.2875)


def test_download_builds_the_same_walk_graph_as_the_file(tmp_path):
    from twin.sources import graph_from_file

    settings = Settings(cache_dir=tmp_path, offline=False)
    with OverpassStub(INPUT / "tiny.osm") as stub:
        settings = settings.replace(overpass_url=stub.url)
        graph = graph_from_osm(AREA, settings)
        assert len(stub.queries) == 1 and "highway" in stub.queries[0]
        again = graph_from_osm(AREA, settings)  # from the cache: no second request
        assert len(stub.queries) == 1
    from_file = graph_from_file(INPUT / "tiny.osm", settings)
    assert graph.number_of_edges() == again.number_of_edges() == from_file.number_of_edges()
    assert {d["highway"] for *_, d in graph.edges(data=True)} == {
        "residential",
        "tertiary",
        "footway",
    }


def test_osm_pois_download(tmp_path):
    with OverpassStub(INPUT / "tiny.osm") as stub:
        settings = Settings(cache_dir=tmp_path, offline=False, overpass_url=stub.url)
        pois, summary = pois_from_osm(AREA, settings)
    assert sorted(pois["category"]) == ["learning", "outdoor", "parking", "parking", "supplies"]
    assert sorted(pois["subtype"]) == ["fuel", "park", "parking", "school", "supermarket"]
    assert summary["kept"] == 5


def test_offline_mode_never_downloads(tmp_path):
    settings = Settings(cache_dir=tmp_path, offline=True)
    with pytest.raises(NetworkAccessError, match="offline"):
        graph_from_osm(AREA, settings)


def test_unreachable_server_is_a_network_error(tmp_path):
    settings = Settings(cache_dir=tmp_path, offline=False, overpass_url="http://127.0.0.1:9/api")
    with pytest.raises(NetworkAccessError, match="cannot reach"):
        graph_from_osm(AREA, settings)
