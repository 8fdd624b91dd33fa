"""The programme: sites phased year by year within reach and capacity, what stands kept."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from twin import InvalidInputError
from twin.analysis.build import build
from twin.analysis.engine import compute
from twin.analysis.report_text import percent, row_for
from twin.cli import format_programme
from twin.programme import programme, programme_sites


@pytest.fixture
def env(monkeypatch, settings):
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("TWIN_OFFLINE", "1")


@pytest.fixture(scope="module")
def hongkou_build(hongkou, settings):
    return build(hongkou, settings)


def test_hongkou_lockers_run_year_by_year_to_the_deadline(hongkou_build):
    plan = programme(hongkou_build, ["lockers"])
    assert [y["year"] for y in plan["years"]] == [2021, 2022, 2023]  # the plan's period
    covered = [plan["start"]["lockers"]["covered_share"]] + [
        y["covered_share"] for y in plan["years"]
    ]
    capacity = [plan["start"]["lockers"]["capacity_share"]] + [
        y["capacity_share"] for y in plan["years"]
    ]
    assert covered == sorted(covered) and capacity == sorted(capacity)  # never decreasing
    assert capacity[-1] > capacity[0]
    budget = plan["budget_per_year"]["lockers"]
    assert all(len(y["sites"]) <= budget for y in plan["years"])
    assert sum(y["newly_served"] for y in plan["years"]) > 0
    bound = plan["bound"]["lockers"]
    assert bound["bound_kind"] == "LP relaxation" and 0 <= bound["gap"] < 0.05
    assert bound["served"] <= bound["upper_bound"] + 1e-6
    # the figures' basis is the report row's: its "now" is that row's figure
    row = row_for(hongkou_build.report, "lockers")
    assert plan["start"]["lockers"]["covered_share"] == pytest.approx(row["measured"], abs=1e-4)
    est = row["estimated_share"]
    assert row["basis"] in ("calibrated", "estimated") and 0 < est < 1  # half the streets offline
    assert plan["basis"] == [
        f"Locker groups: {row['basis']} figures; {est:.0%} of residents on straight-line estimates"
    ]
    text = format_programme(plan)
    assert f"basis: {plan['basis'][0]}" in text and text.count("\nnow ") == 1


def test_the_years_figures_are_what_a_build_with_those_sites_measures(hongkou, hongkou_build):
    """One truth: the last year's share of residents within reach is the engine's figure for
    the layer with the programme's sites added."""
    plan = programme(hongkou_build, ["lockers"], until=2022)
    sites = programme_sites(plan)
    current = hongkou_build.layers["lockers"]
    added = current.iloc[:0].reindex(range(len(sites)))
    added = added.set_geometry(sites.geometry.to_numpy()).set_crs(4326, allow_override=True)
    layer = pd.concat([current, added], ignore_index=True).set_crs(4326, allow_override=True)
    after = compute(hongkou, {"lockers": layer}, hongkou_build.coverage.params)
    assert after.served_share("lockers") == pytest.approx(
        plan["years"][-1]["covered_share"], abs=1e-3
    )
    assert len(current) == len(hongkou_build.layers["lockers"])  # what stands is never removed


def test_shared_places_host_charging_and_lockers(hongkou_build):
    plan = programme(hongkou_build, ["charging", "lockers"], until=2021)
    assert plan["shared_sites"] > 0
    sites = programme_sites(plan)
    shared = sites[sites["shared"]]
    at = shared.groupby([shared.geometry.x.round(6), shared.geometry.y.round(6)])["layer"].agg(set)
    assert all(layers == {"charging", "lockers"} for layers in at)  # one place, two layers
    assert "capacity_share" not in plan["years"][0]  # several layers: figures by layer
    assert set(plan["years"][0]["by_layer"]) == {"charging", "lockers"}


def test_capacity_binds_when_lockers_hold_half(town, offline_settings, tmp_path):
    """Halving the compartments in the norms lowers what is served within capacity, and the
    programme needs more groups to serve the same share."""
    norms = tmp_path / "half.toml"
    low = {"residential": 30, "office": 20, "hospital": 15, "school": 15, "street-side": 20,
           "demand-only": 20}  # fmt: skip
    text = "[lockers.compartments_low]\n" + "".join(f'"{k}" = {v}.0\n' for k, v in low.items())
    text += "[lockers.compartments_high]\n" + "".join(f'"{k}" = {2 * v + (20 if k == "residential" else 0)}.0\n'
                                                       for k, v in low.items())  # fmt: skip
    norms.write_text(text, encoding="utf-8")
    full = build(town, offline_settings)
    half = build(town, replace(offline_settings, norms_file=norms))
    assert (
        half.layers["lockers"]["compartments"].sum()
        < 0.6 * full.layers["lockers"]["compartments"].sum()
    )
    plans = [
        programme(b, ["lockers"], 2030, 2032, budget=50, target_share=0.99) for b in (full, half)
    ]
    assert (
        plans[1]["start"]["lockers"]["capacity_share"]
        < plans[0]["start"]["lockers"]["capacity_share"]
    )
    added = [sum(len(y["sites"]) for y in p["years"]) for p in plans]
    assert added[1] > added[0]
    assert (
        plans[1]["start"]["lockers"]["covered_share"]
        == plans[0]["start"]["lockers"]["covered_share"]
    )


def test_a_district_without_a_plan_period_runs_from_this_year(town_build):
    from datetime import date

    plan = programme(town_build, ["charging"], budget=2)
    assert plan["from"] == date.today().year and len(plan["years"]) == 3
    assert all(len(y["sites"]) <= 2 for y in plan["years"])


def test_bad_programme_requests(town_build):
    with pytest.raises(InvalidInputError, match="plans charging"):
        programme(town_build, ["trams"])
    with pytest.raises(InvalidInputError, match="before it starts"):
        programme(town_build, ["lockers"], 2030, 2025)
    with pytest.raises(InvalidInputError, match="--budget"):
        programme(town_build, ["lockers"], budget=-1)


def test_cli_programme_json_geojson_and_pdf(env, capsys, tmp_path):
    from twin.cli import main

    out, pdf = tmp_path / "sites.geojson", tmp_path / "report.pdf"
    assert main(["programme", "hongkou", "--layer", "lockers", "--until", "2022", "--json",
                 "--out", str(out), "--pdf", str(pdf)]) == 0  # fmt: skip
    plan = json.loads(capsys.readouterr().out)
    assert [y["year"] for y in plan["years"]] == [2021, 2022]
    for year in plan["years"]:
        assert {"year", "sites", "covered_share", "capacity_share"} <= set(year)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert len(written["features"]) == sum(len(y["sites"]) for y in plan["years"])
    assert pdf.read_bytes().startswith(b"%PDF")
    assert main(["programme", "hongkou", "--layer", "lockers", "--all-layers"]) == 2
    assert main(["programme"]) == 2
    assert np.isfinite(plan["bound"]["lockers"]["gap"])


def test_the_pdf_section_prints_the_programmes_figures(hongkou, hongkou_build):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from twin.render.static import programme_pages

    plan = programme(hongkou_build, ["lockers"], until=2022)
    pages = programme_pages(plan, hongkou.boundary, hongkou.metric_crs, None,
                            {"lockers": "Locker groups"})  # fmt: skip
    texts = []
    for fig in pages:
        FigureCanvasAgg(fig).draw()
        texts += [t.get_text() for t in fig.texts]
        width = fig.bbox.width
        renderer = fig.canvas.get_renderer()
        assert all(0 <= t.get_window_extent(renderer).x1 <= width + 1 for t in fig.texts)
    now = plan["start"]["lockers"]  # the report's figures, as the CLI's first row
    assert "now" in texts and percent(now["covered_share"]) in texts
    for year in plan["years"]:
        assert percent(year["covered_share"]) in texts
        assert percent(year["capacity_share"]) in texts
        assert str(len(year["sites"])) in texts
    assert any(plan["basis"][0] in t for t in texts)  # its basis, as the CLI prints it


def test_relocation_moves_only_what_stands_and_serves_more(hongkou_build):
    kept = programme(hongkou_build, ["lockers"], until=2021, budget=0)
    moved = programme(hongkou_build, ["lockers"], until=2021, budget=0, relocate=3)
    assert kept["years"][0]["moves"] == [] and len(moved["years"][0]["moves"]) <= 3
    assert moved["years"][0]["sites"] == []  # no site added, none removed: only moved
    assert moved["years"][0]["capacity_share"] >= kept["years"][0]["capacity_share"]
    if moved["years"][0]["moves"]:  # each move serves more than the site it replaces
        assert moved["years"][0]["capacity_share"] > kept["years"][0]["capacity_share"]


def test_a_layer_without_a_target_runs_to_the_plans_last_deadline():
    """Minhang's plan sets no locker target: its locker programme runs over the plan's own
    period (2021–2025), not three years from its start; a layer with a target runs to it."""
    from types import SimpleNamespace

    from twin.districts import resolve
    from twin.programme import plan_years

    minhang = SimpleNamespace(district=SimpleNamespace(preset=resolve("minhang")))
    assert not [t for t in resolve("minhang").targets if t.key.startswith("lockers")]
    assert plan_years(minhang, ["lockers"], None, None) == (2021, 2025)  # type: ignore[arg-type]
    assert plan_years(minhang, ["lockers"], None, 2023) == (2021, 2023)  # type: ignore[arg-type]
    # a layer's own target's deadline wins over the plan period's last: 5G due in 2023 here
    preset = resolve("minhang")
    early = replace(preset, targets=tuple(
        replace(t, year=2023) if t.key.endswith("_5g") else t for t in preset.targets))  # fmt: skip
    sooner = SimpleNamespace(district=SimpleNamespace(preset=early))
    assert plan_years(sooner, ["base_stations"], None, None) == (2021, 2023)  # type: ignore[arg-type]
    assert plan_years(sooner, ["lockers"], None, None) == (2021, 2025)  # type: ignore[arg-type]
