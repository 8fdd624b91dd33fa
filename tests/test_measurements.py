"""Measured signal: aggregation with Dask, bad rows by reason, and a calibration that recovers a
known offset from synthetic drive tests (the model plus log-normal shadowing)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from twin.analysis.radio import RadioParams, subscriber_view
from twin.context import LayerContext
from twin.grid import cell_centres, hex_grid
from twin.layers import generate
from twin.measurements import calibrate, fit, import_measurements

TRUE_OFFSET_DB = -7.0


@pytest.fixture(scope="module")
def drive_test(town, tmp_path_factory):
    """20 samples in each of Testville's res-10 hexagons: model + offset + N(0, 6 dB)."""
    rng = np.random.default_rng(11)
    sites = generate("base_stations", town)
    grid = hex_grid(town.boundary, 10, town.metric_crs)
    lon, lat = cell_centres(grid["cell"].to_numpy())
    ctx = LayerContext(town)
    truth = subscriber_view(ctx.xy_of(lon, lat), ctx.xy(sites), sites, RadioParams()).rsrp_dbm
    reps = 20
    rsrp = np.repeat(truth, reps) + TRUE_OFFSET_DB + rng.normal(0, 6.0, len(truth) * reps)
    frame = pd.DataFrame({
        "latitude": np.repeat(lat, reps) + rng.normal(0, 2e-5, len(truth) * reps),
        "longitude": np.repeat(lon, reps) + rng.normal(0, 2e-5, len(truth) * reps),
        "RSRP": np.round(rsrp, 1), "SINR": np.round(rng.normal(8, 5, len(truth) * reps), 1),
        "operator": "China Mobile",
    })  # fmt: skip
    folder = tmp_path_factory.mktemp("drive")
    half = len(frame) // 2
    frame.iloc[:half].to_csv(folder / "day1.csv", index=False)
    broken = frame.iloc[half:].astype(object)
    broken.iloc[0, broken.columns.get_loc("RSRP")] = "n/a"
    broken.iloc[1, broken.columns.get_loc("RSRP")] = -20.0  # stronger than any handset reports
    broken.iloc[2, broken.columns.get_loc("latitude")] = ""
    broken.iloc[3, [0, 1]] = [31.0, 120.0]  # far outside Testville
    broken.to_csv(folder / "day2.csv", index=False)
    return folder, sites, len(frame)


def test_import_aggregates_in_partitions_and_counts_bad_rows(town, drive_test):
    folder, _, rows = drive_test
    data = import_measurements(folder / "*.csv", town, blocksize=20_000)
    p = data.provenance
    assert p["files"] == 2 and p["rows"] == rows and p["partitions"] > 2  # read in pieces
    assert p["rejected_by_reason"] == {
        "RSRP missing or not a number": 1, "RSRP outside the reporting range −156…−31 dBm": 1,
        "coordinate missing or not a number": 1, "outside the district": 1,
    }  # fmt: skip
    assert p["accepted"] + 4 == rows
    cells = data.cells
    assert (cells["rsrp_p10"] <= cells["rsrp_median"]).all()
    assert (cells["rsrp_median"] <= cells["rsrp_p90"]).all()
    assert cells["sinr_median"].between(-23, 40).all()


def test_calibration_recovers_a_known_offset(town, drive_test):
    folder, sites, _ = drive_test
    data = import_measurements(folder / "*.csv", town)
    result = calibrate(town, data, sites)
    fitted = result.offset_db + result.slope_db_per_decade * 0.0
    assert fitted == pytest.approx(TRUE_OFFSET_DB, abs=1.0)
    assert abs(result.bias_after_db) < abs(result.bias_before_db)
    assert result.rmse_after_db < result.rmse_before_db


def test_fit_finds_offset_and_slope():
    rng = np.random.default_rng(3)
    d = 10 ** rng.uniform(1.5, 3.3, 400)
    residual = 4.0 - 6.0 * np.log10(d / 100.0) + rng.normal(0, 2, 400)
    result = fit(residual, np.zeros(400), d, np.ones(400))
    assert result.offset_db == pytest.approx(4.0, abs=0.6)
    assert result.slope_db_per_decade == pytest.approx(-6.0, abs=0.8)


def test_the_cli_imports_calibrates_and_later_builds_use_it(
    settings, monkeypatch, tmp_path, capsys
):
    from twin.cli import main
    from twin.store.district import load_district

    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    hongkou = load_district("hongkou", replace(settings, cache_dir=tmp_path / "cache"))
    sites = generate("base_stations", hongkou)
    grid = hex_grid(hongkou.boundary, 10, hongkou.metric_crs).iloc[::5]
    lon, lat = cell_centres(grid["cell"].to_numpy())
    ctx = LayerContext(hongkou)
    truth = subscriber_view(ctx.xy_of(lon, lat), ctx.xy(sites), sites, RadioParams()).rsrp_dbm
    rng = np.random.default_rng(5)
    reps = 8
    pd.DataFrame({"lat": np.repeat(lat, reps), "lng": np.repeat(lon, reps),
                  "ss_rsrp": np.repeat(truth, reps) - 5 + rng.normal(0, 6, len(truth) * reps)}
                 ).to_csv(tmp_path / "mdt.csv", index=False)  # fmt: skip
    assert main(["measurements", "import", str(tmp_path / "mdt.csv"), "--district", "hongkou"]) == 0
    assert main(["calibrate", "hongkou"]) == 0
    out = capsys.readouterr().out
    assert "calibrated on" in out and "later builds use it" in out
    assert main(["report", "hongkou", "--json", "--res", "8"]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    assert report["calibration"].startswith("calibrated on")
    assert report["parameters"]["radio"]["calibration_offset_db"] == pytest.approx(-5.0, abs=1.5)
    assert main(["calibrate", "minhang"]) == 2  # no measurements there: one sentence


def test_measured_next_to_modelled_at_any_coarser_resolution(town, drive_test):
    from twin.analysis.engine import CoverageParams, compute
    from twin.measurements import at_resolution

    folder, sites, _ = drive_test
    data = import_measurements(folder / "*.csv", town)
    assert data.cells.attrs["rsrp_hist"].sum() == data.cells["samples"].sum()
    for res in (10, 9):
        table = at_resolution(data, res)
        assert table["samples"].sum() == data.cells["samples"].sum()  # nothing lost going up
        cells = compute(town, {"base_stations": sites}, CoverageParams(resolution=res),
                        measured_signal=table).cells  # fmt: skip
        measured = cells["measured_samples"] > 0
        assert measured.mean() > 0.8
        residual = cells.loc[measured, "residual_rsrp_db"]
        assert residual.median() == pytest.approx(TRUE_OFFSET_DB, abs=2.0)
