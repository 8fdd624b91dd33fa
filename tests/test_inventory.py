import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from twin import CRSMismatchError, EmptyAreaError, InvalidInputError, layers
from twin.cli import main
from twin.context import LayerContext
from twin.crs import from_wgs84
from twin.inventory import import_inventory
from twin.store.inventories import forget_imported, save_imported
from twin.store.layers import layer_for


@pytest.fixture(scope="module")
def sites(hongkou):
    """Twenty roadside charging sites on the pack's streets, as a planner's CSV would hold them.

    Roadside, because the GCJ-02 check compares distances to street centrelines: sites set back
    50 m from the street in a dense grid are as far from one street as from the next.
    """
    frame = layers.generate("charging", hongkou)
    frame = frame[frame.within(hongkou.study_area)].head(20).reset_index(drop=True)
    ctx = LayerContext(hongkou)
    _, nearest = cKDTree(ctx.street_xy).query(ctx.xy(frame))
    lon, lat = ctx.lonlat(ctx.street_xy[nearest])
    frame.geometry = gpd.points_from_xy(lon, lat, crs=4326)
    return pd.DataFrame(
        {
            "编号": frame["station_id"],
            "piles": frame["piles"],
            "lng": frame.geometry.x.round(7),
            "lat": frame.geometry.y.round(7),
        }
    )


def write_csv(table, path, crs="wgs84", encoding="utf-8"):
    out = table.copy()
    out["lng"], out["lat"] = from_wgs84(table["lng"].to_numpy(), table["lat"].to_numpy(), crs)
    out.to_csv(path, index=False, encoding=encoding)
    return path


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
def test_each_crs_lands_on_the_same_sites(hongkou, sites, tmp_path, crs):
    path = write_csv(sites, tmp_path / f"sites_{crs}.csv", crs)
    frame, report = import_inventory(hongkou, "charging", path, crs)
    assert report.accepted == 20 and len(report.rejected) == 0
    assert np.abs(frame.geometry.x - sites["lng"].to_numpy()).max() < 1e-6  # ≈ 0.1 m
    assert np.abs(frame.geometry.y - sites["lat"].to_numpy()).max() < 1e-6
    assert frame["feature_id"].tolist() == sites["编号"].tolist()
    assert report.filled_defaults == {
        "site_type": "unknown", "fast_piles": 0,
        "service_radius_m": "the layer's rule where each site stands",
    }  # fmt: skip
    assert (frame["service_radius_m"] == 900.0).all()  # Hongkou lies inside the Outer Ring


@pytest.mark.parametrize("truth", ["gcj02", "bd09"])
def test_a_file_declared_in_the_wrong_datum_is_flagged(hongkou, sites, tmp_path, truth):
    path = write_csv(sites, tmp_path / f"amap_{truth}.csv", truth)
    _, report = import_inventory(hongkou, "charging", path, "wgs84")  # named: kept, with a doubt
    name = {"gcj02": "GCJ-02", "bd09": "BD-09"}[truth]
    assert report.datum_doubt is not None and report.datum_doubt.best == truth
    assert f"clearly better as {name}" in report.text()
    assert f"choose {name} under Coordinates" in report.datum_doubt.message("x", page=True)
    with pytest.raises(InvalidInputError, match=r"Nothing was imported.*--crs wgs84 explicitly"):
        import_inventory(hongkou, "charging", path, "wgs84", confirmed=False)  # the default


def test_crs_auto_says_when_it_cannot_tell():
    from twin.datum import DatumFit

    close = DatumFit("wgs84", {"wgs84": 300.0, "gcj02": 40.0, "bd09": 43.0}, 20)
    assert close.best == "gcj02" and close.runner_up == "bd09" and not close.decisive
    clear = DatumFit("wgs84", {"wgs84": 300.0, "gcj02": 20.0, "bd09": 400.0}, 20)
    assert clear.decisive


@pytest.mark.parametrize("truth", ["wgs84", "gcj02", "bd09"])
def test_crs_auto_picks_the_datum_the_file_is_in(hongkou, sites, tmp_path, truth):
    path = write_csv(sites, tmp_path / f"auto_{truth}.csv", truth)
    frame, report = import_inventory(hongkou, "charging", path, "auto")
    assert report.crs == truth
    assert np.abs(frame.geometry.x - sites["lng"].to_numpy()).max() < 1e-6
    assert any("--crs auto read the file as" in w for w in report.warnings)


def test_correct_wgs84_is_never_flagged(hongkou, sites, tmp_path):
    path = write_csv(sites, tmp_path / "right.csv", "wgs84")
    _, report = import_inventory(hongkou, "charging", path, "wgs84")
    assert report.datum_doubt is None and "clearly better" not in report.text()


def test_a_partial_5g_inventory_is_called_partial(hongkou, tmp_path):
    sites = layers.generate("base_stations", hongkou).iloc[::12]
    path = tmp_path / "operator.geojson"
    sites.to_file(path)
    _, report = import_inventory(hongkou, "base_stations", path)
    assert any("partial inventory" in w and "1,500" in w for w in report.warnings)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "parquet"])
def test_vector_formats(hongkou, tmp_path, fmt):
    generated = layers.generate("lockers", hongkou).head(15)
    path = tmp_path / f"lockers.{fmt}"
    if fmt == "parquet":
        generated.to_parquet(path)
    else:
        generated.to_file(path)
    frame, report = import_inventory(hongkou, "lockers", path)
    assert report.accepted == 15
    assert frame["compartments"].tolist() == generated["compartments"].tolist()


def test_a_files_own_layer_and_source_columns_are_kept_not_obeyed(hongkou, tmp_path):
    """A GIS file often has its own "layer" or "source" field (a CAD layer, the operator); a
    layer twin exported has both. The site is what the user imports it as, from that file;
    the file's values stay under another name."""
    exported = layers.generate("lockers", hongkou).head(6)  # layer "lockers", source "generated"
    path = tmp_path / "sites.gpkg"
    exported.assign(source="China Tower").to_file(path)
    frame, report = import_inventory(hongkou, "base_stations", path)
    assert report.accepted == 6 and set(frame["layer"]) == {"base_stations"}
    assert set(frame["source"]) == {"sites.gpkg"}
    assert set(frame["layer_in_file"]) == {"lockers"}
    assert set(frame["source_in_file"]) == {"China Tower"}
    again = tmp_path / "again.gpkg"  # an export of that import, with a CAD layer name of its own
    frame.assign(layer_in_file="cad-7").to_file(again)
    twice, _ = import_inventory(hongkou, "charging", again)
    assert set(twice["layer"]) == {"charging"} and set(twice["layer_in_file"]) == {"cad-7"}
    assert set(twice["layer_in_file_in_file"]) == {"base_stations"}  # nothing overwritten


def test_gbk_csv_from_chinese_excel(hongkou, sites, tmp_path):
    table = sites.rename(columns={"lng": "经度", "lat": "纬度"})
    path = tmp_path / "gbk.csv"
    table.to_csv(path, index=False, encoding="gbk")
    _, report = import_inventory(hongkou, "charging", path)
    assert report.accepted == 20


def test_bad_rows_are_listed_never_dropped(hongkou, sites, tmp_path):
    table = sites.astype({"lng": object, "lat": object})
    table.loc[1, "lat"] = ""
    table.loc[2, "lng"] = "东经121度"
    table.loc[3, ["lng", "lat"]] = [3_470_000.0, 350_000.0]
    table.loc[4, ["lng", "lat"]] = [121.30, 31.10]  # Minhang, not Hongkou
    table.loc[5, ["lng", "lat"]] = table.loc[6, ["lng", "lat"]].to_numpy()
    path = tmp_path / "messy.csv"
    table.to_csv(path, index=False)
    frame, report = import_inventory(hongkou, "charging", path)
    assert report.accepted + len(report.rejected) == report.rows == 20
    reasons = dict(zip(report.rejected["row"], report.rejected["reason"], strict=True))
    assert reasons[2] == "missing coordinate"
    assert reasons[3] == "coordinate is not a number"
    assert reasons[4].startswith("coordinate out of range")
    assert reasons[5] == "outside Hongkou"
    details = dict(zip(report.rejected["row"], report.rejected["detail"], strict=True))
    assert details[5].startswith("by ") and details[5].endswith(" m")
    assert reasons[7] == "duplicate of an earlier row" and details[7] == "of row 6"
    assert report.accepted == len(frame) == 15 and "rejected" in report.text()
    # one line per reason, with distance statistics, never one line per distance
    text = report.text()
    assert "rejected, outside Hongkou: 1 (by " in text and "min / median / max" in text
    assert len(text.splitlines()) < 12
    # the Data page in Chinese: every reason, detail and reason line in Chinese, figures kept
    from twin.i18n import in_language, sentence

    with in_language("zh"):
        said = {str(t): sentence(str(t), {"Hongkou": "虹口区"})
                for t in [*report.rejected["reason"], *report.rejected["detail"],
                          *(line.strip().removeprefix("rejected, ") for line in report.reason_lines())]
                if str(t)}  # fmt: skip
    for english, chinese in said.items():
        assert chinese != english and any("\u4e00" <= c <= "\u9fff" for c in chinese), english
    assert said["outside Hongkou"] == "位于虹口区以外" and said["of row 6"] == "与第 6 行"


@pytest.mark.parametrize(
    ("content", "error", "fragment"),
    [
        ("name,address\na,b\n", InvalidInputError, "no latitude column"),
        ("", EmptyAreaError, "empty"),
        ("lat,lng\nabc,def\nghi,jkl\n", InvalidInputError, "no row has usable"),
        ("lat,lng\n3500000,400000\n", CRSMismatchError, "projected metres"),
        (
            "lat,lng\n39.9,116.4\n",
            EmptyAreaError,
            "none of its 1 rows can be used .outside Hongkou: 1",
        ),
    ],
)
def test_bad_files_give_clear_errors(hongkou, tmp_path, content, error, fragment):
    """Each bad file gets its own error; the Data page reads it in Chinese with no English word
    left but the file's own names, column names and command options."""
    from visible_text import english_words

    from twin.i18n import in_language, sentence
    from twin.sources.tables import LAT_NAMES, LON_NAMES

    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(error, match=fragment) as caught:
        import_inventory(hongkou, "charging", path)
    with in_language("zh"):
        said = sentence(str(caught.value), {"Hongkou": "虹口区"})
    names = {"bad.csv", "name", "address", "wgs84", *LAT_NAMES, *LON_NAMES}
    assert not english_words(said, names), said


def test_imported_layer_replaces_the_generated_one(hongkou, settings, sites, tmp_path):
    frame, _ = import_inventory(hongkou, "charging", write_csv(sites, tmp_path / "s.csv"))
    save_imported("hongkou", "charging", frame, settings)
    used = layer_for(hongkou, "charging", settings)
    assert len(used) == 20 and (used["source"] == "s.csv").all()
    assert forget_imported("hongkou", "charging", settings)
    assert (layer_for(hongkou, "charging", settings)["source"] == "generated").all()


def test_cli_import(monkeypatch, settings, sites, tmp_path, capsys):
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    table = sites.copy()
    table.loc[0, ["lng", "lat"]] = [121.30, 31.10]
    path = write_csv(table, tmp_path / "amap.csv", "gcj02")
    rejected = tmp_path / "rejected.csv"
    code = main(
        ["import", "hongkou", "--layer", "charging", str(path), "--crs", "gcj02",
         "--rejected-out", str(rejected)]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "20 rows, 19 accepted, 1 rejected" in out
    assert pd.read_csv(rejected)["reason"].str.startswith("outside Hongkou").all()
    assert main(["import", "hongkou", "--layer", "charging", str(tmp_path / "none.csv")]) == 2
    before = path.read_bytes()  # --rejected-out naming the input would overwrite it: refused
    assert main(["import", "hongkou", "--layer", "charging", str(path), "--crs", "gcj02",
                 "--rejected-out", str(path)]) == 2  # fmt: skip
    assert "one of this command's inputs" in capsys.readouterr().err and path.read_bytes() == before


@pytest.mark.parametrize("truth", ["wgs84", "gcj02", "bd09"])
def test_datum_detection_without_the_pack(town, tmp_path, truth):
    """Testville: sites at street points, written in each datum, read with --crs auto."""
    ctx = LayerContext(town)
    rng = np.random.default_rng(2)
    inner = ctx.street_xy[shapely.contains_xy(ctx.region.buffer(-20), *ctx.street_xy.T)]
    xy = inner[rng.choice(len(inner), 25, replace=False)]
    lon, lat = ctx.lonlat(xy)
    raw_lon, raw_lat = from_wgs84(lon, lat, truth)
    path = tmp_path / "sites.csv"
    pd.DataFrame({"lon": raw_lon, "lat": raw_lat}).to_csv(path, index=False)
    frame, report = import_inventory(town, "lockers", path, "auto")
    assert report.crs == truth and report.accepted == 25
    assert np.abs(np.sort(frame.geometry.x.to_numpy()) - np.sort(lon)).max() < 1e-6
    _, declared = import_inventory(town, "lockers", path, "wgs84")
    assert (declared.datum_doubt is not None) == (truth != "wgs84")


def test_a_file_mixing_datums_is_said_to(town, tmp_path):
    """Half the rows in WGS-84, half in GCJ-02: no single --crs is right, and twin says so."""
    ctx = LayerContext(town)
    rng = np.random.default_rng(5)
    inner = ctx.street_xy[shapely.contains_xy(ctx.region.buffer(-20), *ctx.street_xy.T)]
    xy = inner[rng.choice(len(inner), 40, replace=False)]
    lon, lat = ctx.lonlat(xy)
    raw_lon, raw_lat = lon.copy(), lat.copy()
    raw_lon[20:], raw_lat[20:] = from_wgs84(lon[20:], lat[20:], "gcj02")
    path = tmp_path / "mixed.csv"
    pd.DataFrame({"lon": raw_lon, "lat": raw_lat}).to_csv(path, index=False)
    _, report = import_inventory(town, "lockers", path, "wgs84")
    assert any("mix coordinate systems" in w for w in report.warnings)
    pure = tmp_path / "pure.csv"
    pd.DataFrame({"lon": lon, "lat": lat}).to_csv(pure, index=False)
    _, clean = import_inventory(town, "lockers", pure, "wgs84")
    assert not any("mix coordinate systems" in w for w in clean.warnings)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("sites.csv", b"PK\x03\x04 not really a csv"),
        ("sites.csv", b"lat,lat,lng\n1,2,3\n"),
        ("sites.csv", "名称,经度,纬度\n站,121.5,31.26\n".encode("utf-16-le")),
        ("sites.xyz", b"lat,lng\n31.26,121.5\n"),
        ("sites.csv", b"lat,lng\n"),
    ],
)
def test_an_unreadable_file_is_explained_in_chinese(hongkou, tmp_path, name, content):
    """What the Data page says of a file it cannot read is a Chinese sentence (the file's name
    and command options as written)."""
    from visible_text import english_words

    from twin._errors import TwinError
    from twin.i18n import in_language, sentence

    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TwinError) as caught:
        import_inventory(hongkou, "charging", path)
    with in_language("zh"):
        said = sentence(str(caught.value))
    assert any("\u4e00" <= c <= "\u9fff" for c in said), said
    assert not english_words(said, {name, "lat", "lng", "UTF-8", "CSV"}), said
