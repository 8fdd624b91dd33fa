import json

import numpy as np
import pytest

from tests.conftest import INPUT
from twin.cli import main
from twin.settings import Settings


@pytest.fixture
def env(monkeypatch, settings):
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("TWIN_OFFLINE", "1")


def test_districts_table(env, capsys):
    assert main(["districts"]) == 0
    out = capsys.readouterr().out
    assert "虹口区" in out and "5G base stations 1,500 (2023)" in out
    assert len(out.strip().splitlines()) == 17  # header + 16 presets
    assert main(["districts", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["slug"] == "changning" and rows[0]["targets"]


def test_info_reports_what_is_loaded(env, capsys):
    assert main(["info", "虹口", "--json"]) == 0
    captured = capsys.readouterr()
    info = json.loads(captured.out)
    assert info["district"] == "hongkou" and info["street_nodes"] > 400
    assert 0.4 < info["study_area_share"] < 0.7
    assert {s["kind"] for s in info["sources"]} == {"boundary", "streets", "pois", "demand"}


def test_fetch_prints_progress_and_summary(env, capsys):
    assert main(["fetch", "hongkou"]) == 0
    captured = capsys.readouterr()
    assert "streets: reading data pack shanghai_center.osm" in captured.err
    assert "study area" in captured.out and "km²" in captured.out


def test_unknown_district_exits_2_with_one_sentence(env, capsys):
    assert main(["info", "atlantis"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("twin: error: unknown district 'atlantis'")
    assert len(err.splitlines()) == 1


def test_corrupt_osm_file_exits_2(env, capsys, tmp_path):
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><way>")
    assert main(["fetch", "hongkou", "--osm-file", str(broken)]) == 2
    assert "not a valid OSM street file" in capsys.readouterr().err


def test_empty_intersection_exits_2(env, capsys):
    assert main(["fetch", "minhang", "--osm-file", str(INPUT / "tiny.osm")]) == 2
    assert "no streets inside Minhang" in capsys.readouterr().err


def test_bad_usage_exits_2(capsys):
    assert main(["fetch"]) == 2
    assert main([]) == 2


def test_fetch_with_a_street_file_is_remembered_until_the_next_fetch(monkeypatch, settings,
                                                                       tmp_path, capsys):  # fmt: skip
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path))  # its own cache: the choice is per cache
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    street_file = settings.data_dir / "osm" / "shanghai_center.osm"
    assert main(["fetch", "hongkou", "--osm-file", str(street_file)]) == 0
    capsys.readouterr()
    assert main(["info", "hongkou", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    streets = [s for s in info["sources"] if s["kind"] == "streets"]
    assert [s["origin"] for s in streets] == [str(street_file)]
    coverage = next(n for n in info["notes"] if n.startswith("shanghai_center.osm:"))
    assert "in Hongkou" in coverage and "outside Hongkou and is not used" in coverage
    assert main(["fetch", "hongkou"]) == 0  # no --osm-file: back to the default sources
    capsys.readouterr()
    assert main(["info", "hongkou", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert all(s.get("note") == "data pack" for s in info["sources"] if s["kind"] == "streets")


def test_a_district_without_a_plan_says_so(env, capsys):
    assert main(["report", "jingan", "--res", "8"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Jing'an — no plan targets"


def test_twin_map_and_the_pdf_report(env, capsys, tmp_path):
    png = tmp_path / "lockers.png"
    assert main(["map", "hongkou", "--res", "8", "--metric", "lockers", "-o", str(png)]) == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(data))
    assert "OpenStreetMap" in image.info.get("Copyright", "")
    pixels = np.asarray(image.convert("RGB"), dtype=int)
    blue = (pixels[..., 2] > pixels[..., 0] + 60).mean()  # served hexagons are blue
    assert blue > 0.02
    pdf = tmp_path / "hongkou.pdf"
    assert main(["report", "hongkou", "--res", "8", "--pdf", str(pdf)]) == 0
    body = pdf.read_bytes()
    assert body.startswith(b"%PDF") and body.count(b"/Type /Page") >= 5  # targets, maps, gaps
    assert main(["map", "hongkou", "--metric", "nonsense", "-o", str(png)]) == 2


def test_a_maps_title_quotes_the_reports_figure(env, capsys, tmp_path, monkeypatch):
    """A downloaded map can be quoted: its title carries the report row's figure, basis,
    verdict and range, as the coverage map's headline does."""
    import twin.render.static as static
    from twin.analysis.report_text import figure_line, row_for

    titles: list[str] = []
    monkeypatch.setattr(static, "map_png", lambda *a, **k: titles.append(a[7]) or b"png")
    assert main(["map", "hongkou", "--metric", "lockers", "-o", str(tmp_path / "m.png")]) == 0
    capsys.readouterr()
    assert main(["report", "hongkou", "--json"]) == 0
    row = row_for(json.loads(capsys.readouterr().out), "lockers")
    assert titles[0].endswith("\n" + figure_line(row)) and "range" in figure_line(row)


def test_prepare_measures_two_districts_at_once(monkeypatch, settings, tmp_path, capsys):
    """`twin prepare --workers 2`: districts that read the same street file are one task (the
    file parsed once); once stored, each is a task of its own, two forked processes at once;
    a build afterwards reads its coverage from the store; a bad count is refused."""
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    assert main(["prepare", "hongkou", "changning", "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "1 at a time; hongkou and changning read the same street file" in err
    assert "Hongkou: ready in" in err and "Changning: ready in" in err
    assert main(["prepare", "hongkou", "changning", "--workers", "2"]) == 0  # both stored now
    err = capsys.readouterr().err
    assert "2 at a time" in err and "same street file" not in err and "Changning: ready" in err
    for district in ("hongkou", "changning"):
        assert main(["build", district, "--out", str(tmp_path / district)]) == 0
        assert "coverage: from the store" in capsys.readouterr().err
        for elderly in ([], ["--elderly"]):  # prepare left both profiles' reports: read warm
            out_dir = tmp_path / f"{district}{''.join(elderly)}"
            assert main(["build", district, *elderly, "--out", str(out_dir)]) == 0
            built = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
            capsys.readouterr()
            assert main(["report", district, "--json", *elderly]) == 0
            out, err = capsys.readouterr()
            assert "report: from the store" in err
            assert json.loads(out)["rows"] == built["rows"]  # the build's own figures
    assert main(["prepare", "hongkou", "--workers", "0"]) == 2
    assert "not a whole number of at least 1" in capsys.readouterr().err


def test_prepare_tasks_share_a_street_file_and_start_with_the_longest(settings, tmp_path):
    from twin.store.district import prepare_tasks

    names = ["changning", "hongkou", "songjiang", "minhang", "jiading"]
    settings = Settings(data_dir=settings.data_dir, cache_dir=tmp_path, offline=True)  # cold
    tasks = prepare_tasks(names, settings, workers=2)
    # the two inner districts that share the pack's street files, in one task, first: two
    # districts and the walks on their streets take longer than Songjiang (605 km², no streets);
    # then Jiading 464, Minhang 371
    assert tasks == [["changning", "hongkou"], ["songjiang"], ["jiading"], ["minhang"]]
    warm = Settings(data_dir=settings.data_dir, cache_dir=tmp_path, offline=False)
    # online (streets downloaded, no file parsed) by area alone
    assert prepare_tasks(names, warm, workers=2)[:3] == [["songjiang"], ["jiading"], ["minhang"]]
    assert ["hongkou"] in prepare_tasks(names, settings, workers=5)  # a worker each: in parallel
    online = Settings(data_dir=settings.data_dir, cache_dir=settings.cache_dir, offline=False)
    assert ["hongkou"] in prepare_tasks(names, online, workers=2)  # online: streets downloaded
    # never more than two in a task: the inner districts the pack's file covers, paired
    inner = ["changning", "hongkou", "huangpu", "jingan", "xuhui"]
    assert max(len(task) for task in prepare_tasks(inner, settings, workers=2)) == 2


def test_the_commands_twin_names_are_the_parsers():
    """twin.keys.COMMANDS (which the PDF keeps whole on a line) lists the parser's subcommands."""
    import argparse

    from twin.cli import build_parser
    from twin.keys import COMMANDS

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(COMMANDS) == set(sub.choices)
