"""Nothing bad gets in, nothing good gets lost: a generated bad-input corpus over every reader,
corrupt caches, a full disk, killed runs. Every case ends in an accounted report or one
readable sentence: never a traceback, a hang or a silent drop."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from twin import TwinError
from twin.cli import main
from twin.context import LayerContext
from twin.inventory import import_inventory

LAYER_OF = ("charging", "lockers", "base_stations")


@pytest.fixture(scope="module")
def spots(town):
    """Ten street points well inside Testville, WGS-84."""
    ctx = LayerContext(town)
    inner = ctx.street_xy[shapely.contains_xy(ctx.region.buffer(-50), *ctx.street_xy.T)]
    lon, lat = ctx.lonlat(inner[:: max(1, len(inner) // 10)][:10])
    return lon, lat


def outcome(town, layer, path):
    """Import and check the invariants: a report that accounts for every row, or a sentence."""
    try:
        frame, report = import_inventory(town, layer, path)
    except TwinError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) < 400, message
        assert "Traceback" not in message
        return "error", message
    assert report.accepted + len(report.rejected) == report.rows
    assert len(frame) == report.accepted
    return "report", report


def csv_text(header, rows):
    return header + "\n" + "\n".join(rows) + "\n"


VALUES = [
    "",
    "abc",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-200",
    "200",
    "3500000",
    "121,48",
    "  ",
    "NULL",
]
ATTRIBUTES = {
    "charging": [("piles", v) for v in ("abc", "-1", "1.5", "0", "1e9", "")] + [("fast_piles", "99")],
    "lockers": [("compartments", v) for v in ("0", "-5", "x", "3000")] + [("status", "maybe")],
    "base_stations": [(c, v) for c, v in (("bandwidth_mhz", "0"), ("bandwidth_mhz", "33"),
                      ("tx_power_dbm", "1e6"), ("antenna_gain_dbi", "nan"), ("height_m", "-3"),
                      ("frequency_ghz", "28"), ("cell_type", "tower"), ("downtilt_deg", "90"))],
}  # fmt: skip


@pytest.mark.parametrize("layer", LAYER_OF)
@pytest.mark.parametrize("bad", VALUES)
def test_bad_coordinates_are_rejected_by_row(town, spots, tmp_path, layer, bad):
    lon, lat = spots
    rows = [f"{x:.7f},{y:.7f}" for x, y in zip(lon, lat, strict=True)]
    rows[3] = f"{bad},{lat[3]:.7f}" if "," not in bad else f'"{bad}",{lat[3]:.7f}'
    path = tmp_path / "sites.csv"
    path.write_text(csv_text("lon,lat", rows), encoding="utf-8")
    kind, result = outcome(town, layer, path)
    assert kind == "report" and result.rows == 10
    if bad not in ("121,48",):
        assert 4 in set(result.rejected["row"]), result.rejected


@pytest.mark.parametrize("layer", LAYER_OF)
def test_bad_attributes_are_rejected_never_coerced(town, spots, tmp_path, layer):
    lon, lat = spots
    for column, value in ATTRIBUTES[layer]:
        extra = {"piles": "10", "fast_piles": "2"} if layer == "charging" else {}
        extra[column] = "5"
        header = "lon,lat," + ",".join(extra)
        rows = []
        for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
            values = dict(extra)
            if i == 2:
                values[column] = value
            rows.append(f"{x:.7f},{y:.7f}," + ",".join(values.values()))
        path = tmp_path / f"{layer}_{column}.csv"
        path.write_text(csv_text(header, rows), encoding="utf-8")
        kind, result = outcome(town, layer, path)
        if kind == "report" and value not in ("",) and not (column == "status" and value == "5"):
            reasons = dict(zip(result.rejected["row"], result.rejected["reason"], strict=True))
            assert reasons.get(3) == "attribute out of range", (column, value, reasons)


ENCODED = {
    "utf-8": ("名称,经度,纬度", "utf-8"), "utf-8-sig": ("名称,经度,纬度", "utf-8-sig"),
    "gbk": ("名称,经度,纬度", "gbk"), "utf-16": ("名称,经度,纬度", "utf-16"),
    "utf-16-le": ("名称,经度,纬度", "utf-16-le"), "big5": ("名稱,經度,緯度", "big5"),
    "shift_jis": ("名前,経度,緯度", "shift_jis"),
}  # fmt: skip


@pytest.mark.parametrize("encoding", list(ENCODED))
def test_encodings_are_read_or_named(town, spots, tmp_path, encoding):
    header, codec = ENCODED[encoding]
    lon, lat = spots
    names = {"big5": "臺北充電站", "shift_jis": "東京駐車場"}.get(encoding, "虹口充电站")
    rows = [f"{names}{i},{x:.7f},{y:.7f}" for i, (x, y) in enumerate(zip(lon, lat, strict=True))]
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(csv_text(header, rows).encode(codec))
    kind, result = outcome(town, "charging", path)
    if encoding in ("big5", "shift_jis"):
        assert kind == "error" and ("Big5" in result or "Shift-JIS" in result)
    else:
        assert kind == "report" and result.accepted == 10


BROKEN_FILES = {
    "empty.csv": b"",
    "header_only.csv": b"lon,lat\n",
    "no_coordinates.csv": b"name,colour\na,red\n",
    "random.csv": bytes(range(256)) * 40,
    "many_columns.csv": (",".join(f"c{i}" for i in range(20_000)) + "\n").encode(),
    "repeated_names.csv": (",".join(["x"] * 5000) + "\n1\n").encode(),
    "long_line.csv": b"lon,lat," + b"a" * (2 * 1024 * 1024) + b"\n",
    "quote.csv": b'lon,lat\n"121.48,31.26\n',
    "bad.geojson": b"{not json",
    "empty.geojson": b'{"type": "FeatureCollection", "features": []}',
    "text.json": b'["just", "a", "list"]',
    "image.parquet": b"PAR1" + b"\x00" * 100,
    "unknown.xlsx": b"PK\x03\x04",
}  # fmt: skip


@pytest.mark.parametrize("name", list(BROKEN_FILES))
def test_broken_files_end_in_one_sentence(town, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BROKEN_FILES[name])
    start = time.perf_counter()
    kind, _ = outcome(town, "lockers", path)
    assert time.perf_counter() - start < 20  # no quadratic parser on a small file
    assert kind == "error"


def geojson(features):
    return json.dumps({"type": "FeatureCollection", "features": features})


def test_multi_geometries_become_one_row_per_point(town, spots, tmp_path):
    lon, lat = spots
    coords = [[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]
    features = [
        {"type": "Feature", "properties": {"name": "multi", "info": {"a": 1}},
         "geometry": {"type": "MultiPoint", "coordinates": coords}},
        {"type": "Feature", "properties": {"name": "collection"},
         "geometry": {"type": "GeometryCollection",
                      "geometries": [{"type": "Point", "coordinates": c} for c in coords[:4]]}},
        {"type": "Feature", "properties": {"name": "none"}, "geometry": None},
    ]  # fmt: skip
    path = tmp_path / "multi.geojson"
    path.write_text(geojson(features), encoding="utf-8")
    kind, report = outcome(town, "lockers", path)
    assert kind == "report"
    assert report.rows == 10 + 4 + 1  # every point, and the feature without one, accounted for
    assert report.accepted == 10  # the collection's points duplicate the multipoint's


def test_a_geopackage_with_two_layers_asks_which(town, spots, tmp_path):
    lon, lat = spots
    frame = gpd.GeoDataFrame({"n": range(10)}, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    path = tmp_path / "two.gpkg"
    frame.to_file(path, layer="chargers")
    frame.head(3).to_file(path, layer="lockers")
    kind, message = outcome(town, "lockers", path)
    assert kind == "error" and "chargers, lockers" in message
    _, report = import_inventory(town, "lockers", path, gpkg_layer="lockers")
    assert report.accepted == 3


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["info", "atlantis"], {}),
        (["build", "hongkou", "--res", "12"], {}),
        (["import", "hongkou", "x.csv", "--layer", "trams"], {}),
        (["info", "hongkou"], {"TWIN_H3_RES": "abc"}),
        (["info", "hongkou"], {"TWIN_OFFLINE": "maybe"}),
        (["info", "hongkou"], {"TWIN_WALK_SPEED_KMH": "99"}),
        (["report", "hongkou"], {"TWIN_NORMS_FILE": "/nonexistent/norms.toml"}),
    ],
)
def test_bad_names_options_and_environment(monkeypatch, capsys, argv, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith(("twin: error:", "usage:")) and "Traceback" not in err


def test_a_cache_dir_that_is_a_file(monkeypatch, capsys, tmp_path, settings):
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(blocker))
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    assert main(["fetch", "hongkou"]) == 1
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err or "not a folder" in err
    assert "Traceback" not in err


def test_a_full_disk_is_one_sentence(monkeypatch, capsys, tmp_path, settings):
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("TWIN_OFFLINE", "1")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out"))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", full)
    assert main(["build", "hongkou", "--res", "8", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "disk is full" in err and str(tmp_path / "out") in err
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_damaged_cache_entries_heal(settings, tmp_path):
    from twin.store.district import entry_dir, load_district

    own = settings.replace(cache_dir=tmp_path / "cache")
    first = load_district("hongkou", own)
    folder = next((own.cache_dir / "districts").iterdir())
    for victim, damage in (("pois.parquet", b"PAR1broken"), ("network.npz", b"PK\x03\x04"),
                           ("streets.parquet", b"PAR1"), ("meta.json", b'{"version": 4,')):  # fmt: skip
        (folder / victim).write_bytes(damage)
        said = []
        healed = load_district("hongkou", own, progress=said.append)
        assert healed.summary() == first.summary()
        assert any("damaged" in s and "rebuilding" in s for s in said), said
    assert entry_dir  # the folder naming stays the store's


def test_killed_fetches_leave_nothing_that_breaks_the_next_run(settings, tmp_path):
    env = os.environ | {"TWIN_DATA_DIR": str(settings.data_dir), "TWIN_OFFLINE": "1",
                        "TWIN_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
    twin = [sys.executable, "-c", "import sys; from twin.cli import main; sys.exit(main())"]
    out = tmp_path / "build"
    for command, delay in ((["fetch", "hongkou"], 1.0), (["fetch", "hongkou"], 2.5),
                           (["build", "hongkou", "--res", "8", "--out", str(out)], 4.0)):  # fmt: skip
        proc = subprocess.Popen([*twin, *command], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not out.exists() or (out / "report.json").exists()  # a build folder is whole or absent
    rebuilt = subprocess.run([*twin, "build", "hongkou", "--res", "8", "--out", str(out)], env=env,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (out / "report.json").exists() and (out / "hexagons_r8.parquet").exists()
    done = subprocess.run([*twin, "info", "hongkou", "--json"], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["district"] == "hongkou"
    assert np.isfinite(json.loads(done.stdout)["residents"])


def test_a_large_csv_is_read_in_chunks_with_every_row_counted(town, spots, tmp_path, monkeypatch):
    import twin.inventory as inventory
    import twin.sources.tables as source

    monkeypatch.setattr(inventory, "CHUNK_BYTES", 10_000)  # a small file stands for a big one
    monkeypatch.setattr(source, "CHUNK_ROWS", 400)
    monkeypatch.setattr(inventory, "KEEP_REJECTED", 50)
    lon, lat = spots
    rng = np.random.default_rng(4)
    n = 3000
    pick = rng.integers(0, len(lon), n)
    x = lon[pick] + rng.normal(0, 0.002, n)
    y = lat[pick] + rng.normal(0, 0.002, n)
    rows = [f"{a:.6f},{b:.6f}" for a, b in zip(x, y, strict=True)]
    for i in range(0, n, 7):
        rows[i] = "abc,31.2"  # a bad row every seventh
    rows[1500] = rows[1]  # a duplicate across chunks
    path = tmp_path / "big.csv"
    path.write_text(csv_text("lon,lat", rows), encoding="utf-8")
    frame, report = import_inventory(town, "lockers", path)
    assert report.rows == n and report.accepted == len(frame)
    assert report.accepted + report.rejected_count == n
    assert report.counts()["coordinate is not a number"] == len(range(0, n, 7))
    assert report.counts().get("duplicate of an earlier row", 0) >= 1
    assert len(report.rejected) <= 50 + 10  # a sample is kept, every row is counted
    assert f"{report.counts()['coordinate is not a number']:,}" in report.text()


def test_the_cli_picks_a_geopackage_layer(settings, monkeypatch, tmp_path, capsys):
    from twin.store.district import load_district

    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    hongkou = load_district("hongkou", settings.replace(cache_dir=tmp_path / "cache"))
    from twin.layers import generate

    sites = generate("lockers", hongkou).head(8)
    path = tmp_path / "two.gpkg"
    sites.to_file(path, layer="a")
    sites.head(3).to_file(path, layer="b")
    assert main(["import", "hongkou", str(path), "--layer", "lockers"]) == 2
    assert "--gpkg-layer" in capsys.readouterr().err
    assert main(["import", "hongkou", str(path), "--layer", "lockers", "--gpkg-layer", "b"]) == 0
    assert "3 accepted" in capsys.readouterr().out


def test_old_mac_line_endings_are_read(town, spots, tmp_path):
    lon, lat = spots
    path = tmp_path / "cr.csv"
    rows = [f"s{i},{x:.6f},{y:.6f},4" for i, (x, y) in enumerate(zip(lon, lat, strict=True))]
    path.write_bytes(("name,lon,lat,piles\r" + "\r".join(rows) + "\r").encode())
    kind, report = outcome(town, "charging", path)
    assert kind == "report" and report.rows == len(rows) and report.accepted == len(rows)


def test_a_workbook_named_csv_is_named_as_such(town, tmp_path):
    import zipfile

    path = tmp_path / "sites.csv"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("xl/workbook.xml", "<workbook/>")
    kind, message = outcome(town, "charging", path)
    assert kind == "error" and "Excel workbook" in message and "CSV UTF-8" in message


def test_malformed_geojson_features_are_counted_not_dropped(town, spots, tmp_path):
    lon, lat = spots
    good = {"type": "Feature", "properties": {"piles": 4},
            "geometry": {"type": "Point", "coordinates": [lon[0], lat[0]]}}  # fmt: skip
    features = [
        {"type": "Feature", "properties": {"piles": 3}, "geometry": None},
        {"type": "Feature", "properties": {"piles": 3},
         "geometry": {"type": "Point", "coordinates": [lon[1]]}},
        good,
        {},
        {"type": "Point", "coordinates": [lon[2], lat[2]]},
    ]  # fmt: skip
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    kind, report = outcome(town, "charging", path)
    assert kind == "report" and report.rows == 5 and report.accepted == 1
    assert report.counts()["not a GeoJSON Feature"] == 2
    assert sorted(report.rejected["row"]) == [1, 2, 4, 5]  # numbered by feature in the file
    assert all(line.startswith("  rejected") for line in report.reason_lines())


@pytest.mark.parametrize("damage", ["garble", "truncate", "link"])
def test_a_damaged_stored_inventory_is_refused_with_a_message(town, town_build, tmp_path, damage):
    from twin.settings import Settings
    from twin.store.inventories import imported_path, read_imported, save_imported

    settings = Settings(data_dir=None, cache_dir=tmp_path / "cache", offline=True)
    frame = town_build.layers["lockers"].assign(source="operator.csv")
    save_imported("testville", "lockers", frame, settings)
    assert len(read_imported("testville", "lockers", settings)) == len(frame)
    path = imported_path("testville", "lockers", settings)
    data = path.read_bytes()
    if damage == "garble":
        path.write_bytes(data[:100] + bytes(b ^ 0xFF for b in data[100:140]) + data[140:])
    elif damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.unlink()
        path.symlink_to("/dev/zero")
    with pytest.raises(TwinError, match=r"damaged.*import it again") as caught:
        read_imported("testville", "lockers", settings)
    assert "\n" not in str(caught.value)


def test_places_at_equal_distance_are_named_the_same_whatever_the_order():
    """A rerun after a kill may read the data in another order: ties are broken by the name."""
    from scipy.spatial import cKDTree

    from twin.analysis.places import nearest_named

    xy = np.array([[10.0, 0.0], [-10.0, 0.0], [0.0, 50.0]])
    names = np.array(["横浜路", "丹徒路", "欧阳路"], dtype=object)
    point = np.array([[0.0, 0.0]])
    first = nearest_named(cKDTree(xy), names, point)[1][0]
    flipped = nearest_named(cKDTree(xy[::-1]), names[::-1], point)[1][0]
    assert names[first] == names[::-1][flipped] == min("横浜路", "丹徒路")


def _grid_osm(first_id: int = 1, extra_tags: int = 0, doctype: str = "") -> str:
    """A 4 × 4 street grid in Testville's frame of reference (WGS-84 near 121.48, 31.265)."""
    nodes, ways = [], []
    ids = {}
    for i in range(4):
        for j in range(4):
            ids[i, j] = first_id + 4 * i + j
            nodes.append(
                f'<node id="{ids[i, j]}" lat="{31.265 + 0.002 * j}" lon="{121.48 + 0.002 * i}"/>'
            )
    tags = "".join(f'<tag k="k{t}" v="v"/>' for t in range(extra_tags))
    for i in range(4):
        refs = "".join(f'<nd ref="{ids[i, j]}"/>' for j in range(4))
        ways.append(f'<way id="{100 + i}">{refs}<tag k="highway" v="residential"/>{tags}</way>')
        refs = "".join(f'<nd ref="{ids[j, i]}"/>' for j in range(4))
        ways.append(f'<way id="{200 + i}">{refs}<tag k="highway" v="residential"/></way>')
    return f'<?xml version="1.0"?>{doctype}<osm version="0.6">{"".join(nodes + ways)}</osm>'


@pytest.mark.parametrize(
    ("case", "expect"),
    [("huge ids", None), ("clipped", None), ("many tags", "more than 1,000 tags"),
     ("dtd", "declares a DTD"), ("cut off", "not well-formed XML")],
)  # fmt: skip
def test_hostile_street_files_are_bounded(tmp_path, settings, case, expect):
    from twin import InvalidInputError
    from twin.sources.osm import graph_from_file

    text = {
        "huge ids": _grid_osm(first_id=2**70),
        "clipped": _grid_osm().replace(
            "</osm>",
            '<way id="9"><nd ref="1"/><nd ref="777"/><tag k="highway" v="primary"/></way></osm>',
        ),
        "many tags": _grid_osm(extra_tags=1_500),
        "dtd": _grid_osm(doctype='<!DOCTYPE osm [<!ENTITY a "aaaa">]>'),
        "cut off": _grid_osm()[:-200],
    }[case]
    path = tmp_path / "streets.osm"
    path.write_text(text, encoding="utf-8")
    if expect is None:  # ids beyond 64 bits only join edges to nodes: read as any other
        from pyproj import CRS

        from twin.streets import Streets

        graph = graph_from_file(path, settings)
        streets = Streets.from_graph(graph, CRS.from_epsg(32651))
        assert streets.n_nodes >= 9 and (streets.edges[["u", "v"]].to_numpy() >= 0).all()
        if case == "clipped":  # the valid streets stay, the broken way is counted
            assert "1 way(s) refer to nodes the file does not hold" in graph.graph["twin_note"]
        return
    with pytest.raises(InvalidInputError, match=expect) as caught:
        graph_from_file(path, settings)
    assert "\n" not in str(caught.value)


def test_a_street_file_is_parsed_once_until_it_changes(tmp_path, settings):
    """Districts that clip the same file share one parse; a file written again is read again."""
    import os

    from twin.sources.osm import graph_from_file, shared_graph_from_file

    path = tmp_path / "streets.osm"
    path.write_text(_grid_osm(), encoding="utf-8")
    first = shared_graph_from_file(path, settings)
    assert shared_graph_from_file(path, settings) is first  # the same parse, not a second one
    mine = graph_from_file(path, settings)  # the public reader hands out a copy to change
    mine.remove_nodes_from(list(mine.nodes))
    assert shared_graph_from_file(path, settings).number_of_nodes() > 0
    stamp = path.stat()
    # the same length, written in place: only the modification time tells it changed
    path.write_text(_grid_osm().replace('v="residential"', 'v="secondary  "'), encoding="utf-8")
    assert path.stat().st_size == stamp.st_size
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 10**9))
    again = shared_graph_from_file(path, settings)
    assert again is not first
    assert {d.get("highway") for *_, d in again.edges(data=True)} != {
        d.get("highway") for *_, d in first.edges(data=True)
    }


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["export", "hongkou", "--layer", "charging", "--format", "csv", "-o", "/dev/null"],
         "device or special file"),
        (["map", "hongkou", "--metric", "base_stations", "-o", "{tmp}"], "is a folder"),
        (["report", "hongkou", "--pdf", "{tmp}/missing/r.pdf"], "does not exist"),
        (["export", "hongkou", "--layer", "charging", "--format", "csv", "-o", "{tmp}/link.csv"],
         "is a link"),
        (["import", "hongkou", "--layer", "lockers", "{tmp}/in.csv", "--rejected-out",
          "{tmp}/../{name}/in.csv"], "one of this command's inputs"),
        (["build", "hongkou", "--out", "{tmp}/in.csv"], "not a folder"),
        (["report", "hongkou", "--pdf", "-"], "standard output"),
    ],
)  # fmt: skip
def test_outputs_are_checked_before_any_work(monkeypatch, capsys, tmp_path, argv, complaint):
    """Nothing is written and no device, folder, link or input is replaced: one sentence."""
    source = tmp_path / "in.csv"
    source.write_text("lon,lat\n121.49,31.26\n", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(source)
    before = {
        p.name: (p.lstat().st_mtime_ns, p.read_bytes()) for p in (source, tmp_path / "link.csv")
    }
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    monkeypatch.setenv("TWIN_DATA_DIR", str(tmp_path / "no-pack"))  # no work may start
    argv = [a.format(tmp=tmp_path, name=tmp_path.name) for a in argv]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and complaint in err and err.count("\n") == 1, err
    assert {p.name: (p.lstat().st_mtime_ns, p.read_bytes())
            for p in (source, tmp_path / "link.csv")} == before  # fmt: skip
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "link.csv"]


def test_an_export_may_go_to_standard_output(monkeypatch, capsysbinary, settings):
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    assert main(["export", "hongkou", "--layer", "lockers", "--format", "geojson", "-o", "-"]) == 0
    document = json.loads(capsysbinary.readouterr().out)
    assert document["type"] == "FeatureCollection" and len(document["features"]) > 10


def test_cache_json_must_be_a_small_regular_file_of_the_right_shape(tmp_path):
    from twin.store.jsonfile import read_json

    (tmp_path / "zero.json").symlink_to("/dev/zero")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "ok.json").write_text('{"a": 1}', encoding="utf-8")
    start = time.perf_counter()
    for name in ("zero.json", "list.json"):
        with pytest.raises(ValueError):
            read_json(tmp_path / name)
    assert time.perf_counter() - start < 5
    assert read_json(tmp_path / "ok.json") == {"a": 1}


@pytest.mark.parametrize("damage", ["[]", '{"version": 4, "checksums": []}', "/dev/zero"])
def test_a_district_entry_with_a_garbled_meta_is_rebuilt_not_a_traceback(tmp_path, damage):
    from twin.store.district import DamagedEntryError, read_district

    folder = tmp_path / "entry"
    folder.mkdir()
    meta = folder / "meta.json"
    if damage.startswith("/"):
        meta.symlink_to(damage)
    else:
        meta.write_text(damage, encoding="utf-8")
    with pytest.raises(DamagedEntryError):
        read_district(folder)


def test_csv_cells_and_headers_cannot_run_or_split_rows():
    import csv
    import io

    from twin.exports import csv_bytes

    table = pd.DataFrame({'=HYPERLINK("http://x","y")': ["\r=1+1", "@SUM(1)"],
                          "name": ["a\rb", "+cmd|' /C calc'!A0"], "piles": [3, 4]})  # fmt: skip
    rows = list(csv.reader(io.StringIO(csv_bytes(table).decode("utf-8"), newline="")))
    assert len(rows) == 3 and all(len(r) == 3 for r in rows)
    cells = [c for r in rows for c in r]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert rows[1][1] == "a\rb"  # the text itself is kept, quoted


def test_an_output_inside_the_cache_is_refused(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("TWIN_DATA_DIR", str(tmp_path / "no-pack"))
    (tmp_path / "inventories").mkdir()
    argv = ["export", "hongkou", "--layer", "charging", "--format", "parquet", "-o",
            str(tmp_path / "inventories" / "charging.parquet")]  # fmt: skip
    assert main(argv) == 2
    assert "inside twin's cache folder" in capsys.readouterr().err


def _graphml(tmp_path, settings, edit):
    """A small GraphML street file (the 4 × 4 grid through osmnx), edited as text."""
    import osmnx as ox

    from twin.sources.osm import graph_from_file

    xml = tmp_path / "grid.osm"
    xml.write_text(_grid_osm(), encoding="utf-8")
    path = tmp_path / "grid.graphml"
    ox.save_graphml(graph_from_file(xml, settings), path)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "expect"),
    [
        (lambda t: t.replace("LINESTRING (", "LINESTRING ((", 1), "not a valid street file"),
        (lambda t: t.replace("epsg:4326", "EPSG:99999"), "unknown coordinate system"),
        (lambda t: t.replace("epsg:4326", "EPSG:32651"), "projected"),
    ],
)
def test_malformed_graphml_is_one_sentence(tmp_path, settings, edit, expect):
    from twin import InvalidInputError
    from twin.sources.osm import graph_from_file

    path = _graphml(tmp_path, settings, edit)
    with pytest.raises(InvalidInputError, match=expect) as caught:
        graph_from_file(path, settings)
    assert "\n" not in str(caught.value)


def test_graphml_lengths_that_are_negative_are_measured_again(tmp_path, settings):
    import re

    from twin.sources.osm import graph_from_file

    path = _graphml(tmp_path, settings, lambda t: re.sub(
        r'(<data key="d\d+">)(\d+\.\d+)(</data>)', r"\1-\2\3", t))  # fmt: skip
    graph = graph_from_file(path, settings)
    lengths = [d["length"] for _, _, d in graph.edges(data=True)]
    assert min(lengths) > 0 and "straight length was used" in graph.graph["twin_note"]


def test_nodes_with_impossible_coordinates_leave_the_other_streets(tmp_path, settings):
    from twin.sources.osm import graph_from_file, readable_xml
    from twin.sources.pois import pois_from_osm_file

    text = _grid_osm().replace('lat="31.265"', 'lat="nan"', 1)
    path = tmp_path / "nan.osm"
    path.write_text(text, encoding="utf-8")
    graph = graph_from_file(path, settings)
    clean = tmp_path / "clean.osm"
    clean.write_text(_grid_osm(), encoding="utf-8")
    whole = graph_from_file(clean, settings)

    def metres(g):
        return sum(d["length"] for _, _, d in g.edges(data=True)) / 2  # both directions

    # the corner node's two blocks go; every other segment of its two ways stays
    assert metres(graph) == pytest.approx(metres(whole) * 22 / 24, rel=0.02)
    assert (
        "1 node(s) with a missing, non-finite or impossible coordinate" in graph.graph["twin_note"]
    )
    readable, note = readable_xml(path, settings)
    assert readable != path and note
    pois, _ = pois_from_osm_file(readable, shapely.box(121.47, 31.26, 121.49, 31.28))
    assert len(pois) == 0  # read, not refused: the grid has no POIs


def test_a_datum_twin_cannot_confirm_is_said_not_hidden(town, tmp_path):
    """Points that sit on no street or POI in any datum (uniform over Testville) prove nothing
    either way: they are read as declared, and the report says the datum is unconfirmed and
    what to do if they come from Amap or Baidu (in the page's words on the page)."""
    ctx = LayerContext(town)
    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = ctx.region.buffer(-300).bounds
    xy = np.column_stack([rng.uniform(x0, x1, 60), rng.uniform(y0, y1, 60)])
    xy = xy[shapely.contains_xy(ctx.region.buffer(-300), *xy.T)]
    lon, lat = ctx.lonlat(xy)
    path = tmp_path / "compounds.csv"
    pd.DataFrame({"lon": lon, "lat": lat}).to_csv(path, index=False)
    _, report = import_inventory(town, "lockers", path, "wgs84", confirmed=False)
    assert report.accepted == len(xy) and report.datum_doubt is None
    fit = report.datum_unconfirmed
    assert fit is not None and "cannot confirm that they are WGS-84" in report.text()
    assert "--crs gcj02" in report.text() and "--crs" not in fit.message("x", page=True)


def test_too_few_points_to_check_the_datum_are_said_to_be(town, spots, tmp_path):
    path = tmp_path / "three.csv"
    pd.DataFrame({"lon": spots[0][:3], "lat": spots[1][:3]}).to_csv(path, index=False)
    _, report = import_inventory(town, "lockers", path, "wgs84", confirmed=False)
    assert report.accepted == 3 and any("too few to check" in w for w in report.warnings)


def test_swapped_columns_blank_cells_and_control_characters(town, spots, tmp_path):
    from twin import CRSMismatchError

    swapped = tmp_path / "swapped.csv"
    pd.DataFrame({"lon": spots[1], "lat": spots[0]}).to_csv(swapped, index=False)
    with pytest.raises(CRSMismatchError, match="columns look swapped"):
        import_inventory(town, "charging", swapped)
    odd = tmp_path / "odd.csv"
    odd.write_text("lon,lat,piles\n" + "\n".join(
        f"{x},{y},{p}" for x, y, p in zip(spots[0][:3], spots[1][:3], ["", "4\x00", "6"],
                                          strict=True)) + "\n", encoding="utf-8")  # fmt: skip
    frame, report = import_inventory(town, "charging", odd)  # a blank cell takes the default
    assert report.accepted == 2 and list(report.rejected["detail"]) == [
        "piles = 4\\x00 (allowed: a whole number from 1 to 1000)"
    ]
    assert sorted(frame["piles"]) == [1, 6] and "row(s) left blank" in str(
        report.filled_defaults["piles"]
    )


def test_a_cache_file_replaced_by_a_link_is_healed_not_followed(tmp_path):
    from twin.store.atomic import atomic_write_bytes, cache_write_bytes

    target = tmp_path / "outside.txt"
    target.write_text("keep me", encoding="utf-8")
    for name, points_to in (("meta.json", "/dev/zero"), ("attrs.json", str(target))):
        entry = tmp_path / "cache" / name
        entry.parent.mkdir(exist_ok=True)
        entry.symlink_to(points_to)
        with pytest.raises(TwinError, match="not a regular file"):
            atomic_write_bytes(entry, b"{}")  # a user's output: refused
        cache_write_bytes(entry, b"{}")  # twin's own cache: the link is replaced
        assert not entry.is_symlink() and entry.read_bytes() == b"{}"
    assert target.read_text(encoding="utf-8") == "keep me"
    assert os.path.exists("/dev/zero") and not os.path.isfile("/dev/zero")
