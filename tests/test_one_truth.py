"""One question, one answer: every face (CLI report at any resolution, the Python API, the
viewer's Overview and coverage map, What-if, the city summary) gives the same figure from the
same code path, with the same denominator and label."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from twin.analysis.build import build
from twin.analysis.report import percent_text, row_for, row_of, share_text
from twin.analysis.served import QUESTIONS, aggregate, district_share, unserved_residents
from twin.analysis.whatif import Scenario
from twin.batch import city_summary
from twin.cli import main
from twin.settings import PROJECT_ROOT

SHARE_ROWS = ("coverage_5g", "charging_coverage", "lockers_coverage", "life_circle_f15")
APP = PROJECT_ROOT / "app.py"


@pytest.fixture
def env(monkeypatch, settings):
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    monkeypatch.delenv("TWIN_H3_RES", raising=False)
    monkeypatch.delenv("TWIN_NORMS_FILE", raising=False)


def report_json(capsys, *args: str) -> dict:
    assert main(["report", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.pack
@pytest.mark.slow
@pytest.mark.parametrize("district", ["hongkou", "minhang"])
def test_report_figures_are_the_same_at_every_resolution(env, capsys, district):
    shares = {}
    for res in (7, 8, 9, 10):
        report = report_json(capsys, district, "--res", str(res))
        assert report["base_resolution"] == 10 and report["gap_resolution"] == res
        shares[res] = {k: row_of(report, k)["measured"] for k in SHARE_ROWS if row_of(report, k)}
        gaps = report["gaps"]["lockers"]
        assert gaps and all(len(g["h3"]) == 15 for g in gaps)  # listed as res-R hexagons
        assert int(gaps[0]["h3"][1], 16) == res
        credits = report["attribution"]  # each source's credit once (Hongkou's streets: two files)
        osm = any("OpenStreetMap" in c for c in credits)  # Minhang has no streets offline
        assert len(set(credits)) == len(credits) and osm == (district == "hongkou")
    assert set(shares[10]) == set(SHARE_ROWS)
    for res in (7, 8, 9):
        for key, value in shares[10].items():
            assert shares[res][key] == pytest.approx(value, abs=0.005), (res, key)


def test_a_coarse_hexagon_sums_its_children_and_never_reapplies_the_rule(town_build):
    base = town_build.coverage.cells
    for res in (7, 8, 9):
        coarse = town_build.cells(res)
        assert coarse["residents"].sum() == pytest.approx(base["residents"].sum())
        assert coarse["area_km2"].sum() == pytest.approx(base["area_km2"].sum())
        for key in QUESTIONS:
            if QUESTIONS[key].served not in base:
                continue
            assert district_share(coarse, key) == pytest.approx(district_share(base, key))
            assert unserved_residents(coarse, key) == pytest.approx(unserved_residents(base, key))
    # a res-7 hexagon with some children unserved shows the share served, not "all unserved"
    coarse = town_build.cells(7)
    partly = coarse[(coarse["served_lockers"] > 0) & (coarse["served_lockers"] < 1)]
    assert len(partly), "Testville should have partly served res-7 hexagons"
    assert not partly["covered_lockers"].any()  # not wholly served
    assert (partly["unserved_lockers"] < partly["residents"]).all()  # but not all unserved


def test_aggregation_refuses_a_finer_view_than_measured(town_build):
    from twin import InvalidInputError

    with pytest.raises(InvalidInputError, match="finer than the base"):
        aggregate(town_build.cells(9), 9, 10, {})


def test_api_build_row_and_report_figure_are_one(town_build):
    for key in QUESTIONS:
        row = row_for(town_build.report, key)
        if row is None or row["measured"] is None:
            continue
        assert row["measured"] == pytest.approx(town_build.coverage.served_share(key), abs=1e-4)
    f15 = town_build.report["life_circle"]["f15"]
    assert f15 == pytest.approx(town_build.row("life_circle_f15")["measured"], abs=1e-4)


def test_an_upgraded_twin_measures_stored_hexagons_again(town, tmp_path, monkeypatch):
    """Stored hexagons are keyed by twin's code as well as its inputs: after an upgrade (a new
    radio model, say) a build measures again instead of reading the older model's figures."""
    import twin.store.reports as reports
    from twin.settings import Settings

    settings = Settings(data_dir=None, cache_dir=tmp_path, offline=True)
    said: list[str] = []
    build(town, settings)
    build(town, settings, progress=said.append)
    assert "coverage: from the store" in said  # the same code: read, not measured
    monkeypatch.setattr(reports, "code_fingerprint", lambda: [("twin/analysis/radio.py", 1, 2)])
    said.clear()
    build(town, settings, progress=said.append)
    assert "coverage: from the store" not in said and "5G best-server RSRP" in said


def test_what_if_returns_a_whole_build(town_build):
    scenario = Scenario.of(town_build, "lockers")
    cells = town_build.coverage.cells
    worst = cells.loc[cells["unserved_lockers"].idxmax()]
    scenario.add(float(worst["lon"]), float(worst["lat"]))
    after = scenario.build_after()
    before = scenario.build_before()
    assert after.coverage.residents_method == town_build.coverage.residents_method
    assert after.coverage.measured_facilities == town_build.coverage.measured_facilities
    assert after.report["calibration"] == town_build.report["calibration"]
    statuses = {r["key"]: r["status"] for r in before.report["rows"]}
    assert {r["key"]: r["status"] for r in after.report["rows"]} == statuses  # no status flips
    assert after.row("lockers_coverage")["measured"] == pytest.approx(
        scenario.share_after(), abs=1e-4
    )
    assert scenario.share_after() > scenario.share_before()
    assert after.cells(8)["residents"].sum() == pytest.approx(cells["residents"].sum())


def test_city_summary_sums_counts_instead_of_averaging_shares():
    from twin.batch import DistrictResult

    rows = [
        {"residents": 100.0, "coverage_5g_outdoor": 1.0, "coverage_5g_outdoor_served": 10.0,
         "coverage_5g_outdoor_of": 10.0},
        {"residents": 100.0, "coverage_5g_outdoor": 0.5, "coverage_5g_outdoor_served": 45.0,
         "coverage_5g_outdoor_of": 90.0},
    ]  # fmt: skip
    city = city_summary([DistrictResult(f"d{i}", True, r) for i, r in enumerate(rows)])
    assert city["coverage_5g_outdoor"] == pytest.approx(
        55 / 100
    )  # km² covered over km², not (1 + .5)/2


def headline_share(app: AppTest) -> float:
    legend = next(m.value for m in app.markdown if "Rule:" in m.value)
    return float(re.search(r"(\d+\.\d)% of", legend).group(1))


@pytest.mark.pack
@pytest.mark.slow
def test_overview_map_and_report_give_one_figure(env, settings):
    """For each plan district, the Overview card, the coverage map's headline and the report
    show the same 5G, charging, lockers and F15 figures."""
    app = AppTest.from_file(str(APP), default_timeout=600)
    app.run()
    assert not app.exception, app.exception
    reports = {}
    from twin.districts import plan_districts
    from twin.store.district import load_district

    for preset in plan_districts():
        reports[preset.slug] = build(load_district(preset.slug, settings), settings).report
    cards = {m.label: m for m in app.metric}
    captions = [c.value for c in app.caption]
    for preset in plan_districts():
        report = reports[preset.slug]
        assert cards[f"{preset.name_en} · F15"].value == percent_text(
            row_of(report, "life_circle_f15")
        )
        fiveg = share_text(row_of(report, "coverage_5g"), "5G")
        assert any(fiveg in c for c in captions), fiveg
    app.switch_page("app_pages/coverage.py").run()
    for preset in plan_districts():
        app.selectbox(key="district").set_value(preset.slug).run()
        assert not app.exception, app.exception
        for metric in ("base_stations", "base_stations_deep", "charging", "lockers", "life_circle"):
            app.selectbox(key="metric").set_value(metric).run()
            expected = round(100 * row_for(reports[preset.slug], metric)["measured"], 1)
            assert headline_share(app) == pytest.approx(expected, abs=0.051), (preset.slug, metric)
        # the hexagon size is a display choice: the headline does not move with it
        for res in (7, 10):
            app.selectbox(key="metric").set_value("base_stations").run()
            app.select_slider(key="resolution").set_value(res).run()
            expected = round(100 * row_for(reports[preset.slug], "base_stations")["measured"], 1)
            assert headline_share(app) == pytest.approx(expected, abs=0.051)
        app.select_slider(key="resolution").set_value(9).run()


@pytest.mark.pack
@pytest.mark.slow
def test_the_viewer_shows_the_calibrated_model_and_the_residual(
    env, monkeypatch, settings, hongkou, capsys
):
    """After twin measurements import and twin calibrate, the viewer's RSRP is the calibrated
    build's and its residual map is offered (the same pipeline as twin build)."""
    from twin.analysis.radio import RadioParams, subscriber_view
    from twin.context import LayerContext
    from twin.grid import cell_centres, hex_grid
    from twin.store.layers import layer_for

    cache = settings.cache_dir.parent / "calibrated-cache"
    calibrated = settings.replace(cache_dir=cache)
    sites = layer_for(hongkou, "base_stations", calibrated)
    grid = hex_grid(hongkou.boundary, 10, hongkou.metric_crs, hongkou.study_area)
    grid = grid[grid["in_study"]].iloc[::3]
    lon, lat = cell_centres(grid["cell"].to_numpy())
    ctx = LayerContext(hongkou)
    truth = subscriber_view(ctx.xy_of(lon, lat), ctx.xy(sites), sites, RadioParams()).rsrp_dbm
    rng = np.random.default_rng(3)
    reps = 12
    import pandas as pd

    frame = pd.DataFrame({
        "latitude": np.repeat(lat, reps), "longitude": np.repeat(lon, reps),
        "RSRP": np.round(np.repeat(truth, reps) - 8.0 + rng.normal(0, 4, len(truth) * reps), 1),
    })  # fmt: skip
    path = cache.parent / "drive.csv"
    cache.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    monkeypatch.setenv("TWIN_CACHE_DIR", str(cache))
    assert main(["measurements", "import", str(path), "--district", "hongkou"]) == 0
    assert main(["calibrate", "hongkou"]) == 0
    capsys.readouterr()
    expected = build(hongkou, calibrated)
    assert "offset" in expected.report["calibration"]
    app = AppTest.from_file(str(APP), default_timeout=600)
    app.run()
    app.switch_page("app_pages/coverage.py").run()
    assert not app.exception, app.exception
    from twin.render.hexagons import METRICS

    assert METRICS["residual"].label in app.selectbox(key="metric").options
    app.selectbox(key="metric").set_value("residual").run()
    assert not app.exception, app.exception
    legend = next(m.value for m in app.markdown if "Rule:" in m.value)
    assert "measured" in legend
    uncalibrated = build(hongkou, settings)
    plan_row = row_of(expected.report, "coverage_5g")  # deep coverage: Hongkou's wording
    value = plan_row["measured"]
    assert value < row_of(uncalibrated.report, "coverage_5g")["measured"]  # 8 dB weaker
    app.selectbox(key="metric").set_value(plan_row["question"]).run()
    assert headline_share(app) == pytest.approx(round(100 * value, 1), abs=0.051)
