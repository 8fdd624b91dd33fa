"""twin batch on Dask: a local cluster and a separately started scheduler and worker, with
results equal to twin build district by district."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from twin._errors import InvalidInputError
from twin.batch import run_batch
from twin.cli import main

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def env(monkeypatch, settings, tmp_path):
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    return tmp_path


def test_a_local_cluster_builds_what_twin_build_builds(env, capsys):
    out = env / "batch"
    results, city = run_batch(["hongkou", "changning", "atlantis"], out, resolution=8, workers=2)
    by_slug = {r.slug: r for r in results}
    assert by_slug["hongkou"].ok and by_slug["changning"].ok
    assert not by_slug["atlantis"].ok and "atlantis" in by_slug["atlantis"].error
    assert city["failed"] == ["atlantis"] and city["finished"] == 2
    # identical to a serial twin build of the same district
    assert main(["build", "hongkou", "--res", "8", "--out", str(env / "serial")]) == 0
    batch_cells = gpd.read_parquet(out / "hongkou" / "hexagons_r8.parquet")
    serial_cells = gpd.read_parquet(env / "serial" / "hexagons_r8.parquet")
    assert batch_cells.drop(columns="geometry").equals(serial_cells.drop(columns="geometry"))
    batch_report = json.loads((out / "hongkou" / "report.json").read_text(encoding="utf-8"))
    serial_report = json.loads((env / "serial" / "report.json").read_text(encoding="utf-8"))
    assert batch_report["rows"] == serial_report["rows"]
    table = (out / "city_summary.csv").read_text(encoding="utf-8")
    assert "hongkou" in table and "atlantis" in table
    # one column, one measure: Hongkou's plan asks for deep coverage, and its plan row (target
    # and status) is the deep column's; no column holds the plan's measure under its own key
    hongkou_row = by_slug["hongkou"].row
    assert "coverage_5g" not in hongkou_row and hongkou_row["coverage_5g_deep_target"] == 1.0
    assert hongkou_row["coverage_5g_deep_unit"] == "share of residents indoors"
    assert hongkou_row["coverage_5g_outdoor_unit"] == "share of area"
    # the city's share is residents served over residents, summed over the districts
    served = sum(r.row["life_circle_f15_served"] for r in results if r.ok)
    people = sum(r.row["life_circle_f15_of"] for r in results if r.ok)
    assert city["life_circle_f15"] == pytest.approx(served / people)
    assert by_slug["hongkou"].row["life_circle_f15"] == pytest.approx(
        by_slug["hongkou"].row["life_circle_f15_served"] / by_slug["hongkou"].row["life_circle_f15_of"],
        abs=1e-4)  # fmt: skip


def test_a_separately_started_scheduler_and_worker(env):
    port = free_port()
    dask = str(Path(sys.executable).with_name("dask"))
    worker_env = os.environ.copy()
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], env=worker_env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)  # fmt: skip
    address = f"tcp://127.0.0.1:{port}"
    worker = subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                               "--no-dashboard"], env=worker_env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(3)
        out = env / "remote"
        code = main(["batch", "hongkou", "--res", "8", "--scheduler", address, "--out", str(out)])
        assert code == 0
        assert (out / "hongkou" / "report.json").exists()
        assert (out / "city_summary.json").exists()
    finally:
        worker.terminate()
        scheduler.terminate()
        worker.wait(timeout=30)
        scheduler.wait(timeout=30)


def test_programmes_of_many_districts_run_on_dask(env, capsys):
    """`twin programme --all` runs on the batch machinery: a city table of sites per year, each
    district's JSON the one `twin programme DISTRICT --json` prints."""
    from twin.batch import run_programmes

    out = env / "programmes"
    results, table = run_programmes(["hongkou", "atlantis"], out, ("lockers",), until=2022,
                                    workers=2)  # fmt: skip
    by_slug = {r.slug: r for r in results}
    assert by_slug["hongkou"].ok and not by_slug["atlantis"].ok
    city = pd.read_csv(table)
    assert set(city["district"]) == {"hongkou"} and list(city["year"]) == [2021, 2022]
    stored = json.loads((out / "hongkou_programme.json").read_text(encoding="utf-8"))
    assert main(["programme", "hongkou", "--layer", "lockers", "--until", "2022", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert stored["years"] == printed["years"]
    assert list(city["sites_added"]) == [len(y["sites"]) for y in printed["years"]]


def test_the_viewer_starts_the_city_as_the_command_lines_own_run(env):
    """The City page's button starts `twin batch` as a run of its own: its log says which
    districts finished, a second start while it runs joins it, its table is the page's; a run
    that writes no table says why in the command's own words; a folder holding other files is
    never written into."""
    from twin.city import read_city
    from twin.city_run import PID, CityRunError, city_run, start_city_run, wait_for_city_run

    folder = env / "city"
    assert city_run(folder) is None
    start_city_run(folder, districts=["hongkou"])
    first = (folder / PID).read_text()
    start_city_run(folder, districts=["hongkou"])  # joined while it runs, not started twice
    assert (folder / PID).read_text() == first
    spelled = folder.parent / "." / folder.name  # the same folder, written another way
    assert city_run(spelled).running
    run = wait_for_city_run(folder, timeout_s=300)
    assert not run.running and run.finished == (("hongkou", True),) and run.total == 1
    assert not city_run(spelled).running  # ended and reaped, whichever way it is asked
    table = read_city(folder)
    assert list(table["district"]) == ["hongkou"] and table["error"].isna().all()

    start_city_run(folder, districts=["atlantis"])  # the same folder, a run that fails
    with pytest.raises(CityRunError, match=r"unknown district 'atlantis'"):
        wait_for_city_run(folder, timeout_s=120)
    assert city_run(folder).error.startswith("unknown district 'atlantis'")

    theirs = env / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("a planner's notes", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="holds other files"):
        start_city_run(theirs)
    assert [p.name for p in theirs.iterdir()] == ["notes.txt"]
