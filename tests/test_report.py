"""Honest statuses: met / not met only for figures measured on real data."""

from dataclasses import replace

import numpy as np
import pytest

from twin.analysis.engine import compute
from twin.analysis.report import Measure, plan_report, status_of
from twin.districts import TARGET_KEYS


def test_a_cards_standing_says_its_basis_then_its_verdict():
    from twin.analysis.report import standing_text

    assert standing_text({"basis": "measured", "status": "not met"}) == "measured · not met"
    assert standing_text({"basis": "measured", "status": "no target"}) == "measured · no target"
    for basis, status in (("calibrated", "calibrated, not measured"), ("estimated", "estimated")):
        assert standing_text({"basis": basis, "status": status}) == status  # said once
    assert standing_text(None) == "not measured"


@pytest.mark.parametrize(
    ("basis", "value", "target", "with_target", "without_target"),
    [
        ("measured", 0.9, 0.8, "met", "no target"),
        ("measured", 0.7, 0.8, "not met", "no target"),
        ("measured", 0.7, None, "no number", "no target"),
        ("calibrated", 1500.0, 1500.0, "calibrated, not measured", "calibrated, not measured"),
        ("estimated", 0.9, 0.8, "estimated", "estimated"),
        ("not measurable", 0.3, 0.03, "not measured", "not measured"),
    ],
)
def test_status_rules_put_the_weakest_basis_first(
    basis, value, target, with_target, without_target
):
    assert status_of(Measure(value, "u", "src", "", basis), target, True) == with_target
    assert status_of(Measure(value, "u", "src", "", basis), target, False) == without_target


def test_a_baseline_is_no_verdict():
    measure = Measure(973.0, "sites", "operator.csv", "", "measured")
    assert status_of(measure, 973.0, True, "baseline") == "baseline"
    assert status_of(measure, 973.0, True, "target") == "met"


def test_an_imported_layer_is_measured_and_a_generated_one_calibrated(town, town_build):
    rows = {r["key"]: r for r in town_build.report["rows"]}
    assert rows["base_stations_5g"]["status"] == "calibrated, not measured"
    assert rows["lockers_new"]["status"] == "calibrated, not measured"
    imported = {k: v.assign(source="operator.csv") for k, v in town_build.layers.items()}
    coverage = compute(town, imported)
    rows = {r["key"]: r for r in plan_report(town, coverage, imported)["rows"]}
    assert rows["base_stations_5g"]["status"] == "met"  # 60 real sites against 60 planned
    assert rows["base_stations_5g"]["basis"] == "measured"
    fast = rows["fast_charging_share"]  # not commensurable with the plan: no figure at all
    assert fast["status"] == "not measured" and fast["measured"] is None
    assert "parking space" in fast["detail"] and "parking-space inventory" in fast["settle"]


def test_a_partial_real_inventory_lowers_the_figures(town, town_build):
    sites = town_build.layers["base_stations"].assign(source="operator.csv")
    full = plan_report(town, compute(town, {"base_stations": sites}), {"base_stations": sites})
    part = sites.iloc[::10]
    few = plan_report(town, compute(town, {"base_stations": part}), {"base_stations": part})
    assert few["fiveg"]["covered_share_residents"] < full["fiveg"]["covered_share_residents"] - 0.1
    assert few["fiveg"]["median_rsrp_dbm"] < full["fiveg"]["median_rsrp_dbm"] - 10
    rows = {r["key"]: r for r in few["rows"]}
    assert rows["base_stations_5g"]["status"] == "not met"  # 6 of 60 sites


def test_a_district_without_plan_says_so(town, town_build):
    import dataclasses

    bare = dataclasses.replace(town, preset=dataclasses.replace(town.preset, plan=None, targets=()))
    report = plan_report(bare, town_build.coverage, town_build.layers)
    assert report["plan"] == "no plan targets"


def test_a_figure_resting_on_a_filled_in_status_is_not_measured(town, town_build, tmp_path):
    """An imported locker file without a status column: no count of new groups, no verdict."""
    from twin.inventory import import_inventory
    from twin.settings import Settings
    from twin.store.inventories import save_imported
    from twin.store.layers import layer_for

    lockers = town_build.layers["lockers"]
    path = tmp_path / "lockers.csv"
    lockers.assign(lon=lockers.geometry.x, lat=lockers.geometry.y)[
        ["locker_id", "lon", "lat", "compartments"]
    ].to_csv(path, index=False)
    frame, report = import_inventory(town, "lockers", path)
    assert "status" in report.filled_defaults and "status" in frame.attrs["filled_defaults"]
    settings = Settings(data_dir=None, cache_dir=tmp_path / "cache", offline=True)
    save_imported(town.preset.slug, "lockers", frame, settings)
    frame = layer_for(town, "lockers", settings)  # the store keeps what was filled in
    assert "status" in frame.attrs["filled_defaults"]
    layers = town_build.layers | {"lockers": frame}
    rows = {r["key"]: r for r in plan_report(town, compute(town, layers), layers)["rows"]}
    new = rows["lockers_new"]
    assert new["status"] == "not measured" and new["measured"] is None
    assert "status column" in new["settle"]
    assert rows["lockers_coverage"]["basis"] in ("measured", "estimated")  # positions are real


def test_rows_say_what_they_stand_on(town, town_build):
    import dataclasses

    from twin.districts import resolve

    changning = dataclasses.replace(
        town, preset=dataclasses.replace(town.preset, targets=resolve("changning").targets)
    )
    rows = plan_report(changning, town_build.coverage, town_build.layers)["rows"]
    by_key = {r["key"]: r for r in rows}
    assert by_key["base_stations_5g"]["plan_kind"] == "baseline"  # 973 built by 2020
    assert by_key["lockers_new"]["plan_kind"] == "target"
    for row in rows:
        if row["status"] == "not measured":
            assert row["measured"] is None, row["key"]
        if row["status"] in ("calibrated, not measured", "estimated"):
            assert row["settle"], row["key"]
    for key in ("charging_coverage", "life_circle_f15"):  # straight-line figures have a range
        row = by_key[key]
        if row["estimated_share"] > 0:
            low, high = row["range"]
            assert low <= row["measured"] + 1e-4 and row["measured"] <= high + 1e-4


@pytest.mark.pack
def test_a_district_without_streets_is_never_described_along_the_streets(minhang, settings):
    from twin.analysis.build import build
    from twin.analysis.report import format_report

    report = build(minhang, settings).report
    text = json_text = format_report(report)
    import json

    json_text = json.dumps(report, ensure_ascii=False)
    assert "along the streets" not in text and "along the streets" not in json_text
    assert "no street data" in text
    beyond = [g["shortfall"] for key in ("charging", "lockers") for g in report["gaps"][key]
              if "m beyond" in g["shortfall"]]  # fmt: skip
    assert beyond and all("estimated walk" in s and "straight line × 1.3" in s for s in beyond)


def test_no_poi_means_no_f15_not_zero(town, offline_settings):
    """Nothing measured is not "nobody served": without POIs F15 has no figure."""
    import dataclasses

    from twin.analysis.build import build

    bare = dataclasses.replace(town, pois=town.pois.iloc[:0])
    result = build(bare, offline_settings.replace(cache_dir=offline_settings.cache_dir / "nopoi"),
                   layers={})  # fmt: skip
    assert "served_life_circle" not in result.coverage.cells
    rows = {r["key"]: r for r in result.report["rows"]}
    assert rows["life_circle_f15"]["measured"] is None
    assert rows["life_circle_f15"]["status"] == "not measured"


def test_gaps_say_by_how_much_they_miss_their_rule(town_build):
    """Each gap states its shortfall in the rule's terms, and breaks the rule."""
    gaps = town_build.report["gaps"]
    for key, rule_word in (("base_stations", "dBm"), ("lockers", "radius"), ("charging", "radius")):
        for gap in gaps.get(key, []):
            assert rule_word in gap["shortfall"], (key, gap["shortfall"])
            assert 0 < gap["unserved"] <= gap["residents"]
    cells = town_build.coverage.cells.set_index("h3")
    for gap in gaps.get("lockers", []):  # a gap beyond the radius says by how many metres
        walk, radius, estimated = cells.loc[gap["h3"], ["locker_m", "locker_radius_m",
                                                        "lockers_estimated"]]  # fmt: skip
        if walk > radius:
            assert f"{walk - radius:,.0f} m beyond" in gap["shortfall"]
            assert ("estimated walk" in gap["shortfall"]) == bool(estimated)  # said, not hidden


def test_roads_of_addresses_name_places_without_a_street_network():
    from twin.analysis.places import road_of

    assert road_of("闵行区罗秀路1339弄") == "罗秀路"
    assert road_of("浦东新区世纪大道100号") == "世纪大道"
    assert road_of("某某小区") == ""


def test_the_plans_own_words_pick_the_5g_measure():
    """A plan asking for "deep" or "high-quality" coverage is measured indoors."""
    from twin.districts import plan_districts

    for preset in plan_districts():
        target = preset.target("coverage_5g")
        asks_deep = any(w in target.text for w in ("deep", "high-quality"))
        assert (target.measure == "deep") == asks_deep, preset.slug


def _with_targets(town, slug):
    import dataclasses

    from twin.districts import resolve

    return dataclasses.replace(
        town, preset=dataclasses.replace(town.preset, targets=resolve(slug).targets)
    )


def test_a_deep_coverage_plan_is_measured_indoors_with_outdoors_beside_it(town, town_build):
    for slug, question in (("hongkou", "base_stations_deep"), ("minhang", "base_stations")):
        report = plan_report(_with_targets(town, slug), town_build.coverage, town_build.layers)
        rows = {r["key"]: r for r in report["rows"]}
        assert rows["coverage_5g"]["question"] == question
        # the row's name says its basis: an Overview table of districts never puts an area
        # share and an indoor-residents share under one name
        same = "coverage_5g_deep" if question == "base_stations_deep" else "coverage_5g_outdoor"
        assert rows["coverage_5g"]["label"] == TARGET_KEYS[same]
        assert rows["coverage_5g"]["unit"] == (
            "share of residents indoors" if question == "base_stations_deep" else "share of area"
        )
        questions = [r["question"] for r in report["rows"] if r["question"]]
        assert len(questions) == len(set(questions))  # one row per question, no repeats
        other = "coverage_5g_outdoor" if question == "base_stations_deep" else "coverage_5g_deep"
        assert rows[other]["measured"] is not None
    deep = town_build.coverage.served_share("base_stations_deep")
    outdoor_residents = plan_report(town, town_build.coverage, town_build.layers)["fiveg"][
        "covered_share_residents"
    ]
    assert deep <= outdoor_residents + 1e-9  # walls only take signal away


def test_a_plan_scope_twin_does_not_measure_is_said(town, town_build):
    report = plan_report(_with_targets(town, "jiading"), town_build.coverage, town_build.layers)
    rows = {r["key"]: r for r in report["rows"]}
    assert "central urban area" in rows["life_circle_f15"]["scope"]
    assert rows["coverage_5g"]["scope"] == ""


def test_every_calibrated_or_estimated_row_has_a_range_and_what_would_settle_it(town_build):
    for row in town_build.report["rows"]:
        if row["status"] in ("calibrated, not measured", "estimated"):
            assert row["range"] is not None and row["settle"], row["key"]
            low, high = row["range"]
            assert low - 1e-9 <= row["measured"] <= high + 1e-9, row["key"]


def test_the_seed_spread_is_a_real_redraw_and_only_of_generated_layers(town, town_build):
    from twin.analysis.reseed import seed_spread

    spread = seed_spread(town, town_build.layers, town_build.coverage, seeds=(1, 2))
    assert set(spread) >= {"base_stations", "charging", "lockers"}
    assert all(low <= 0.0 <= high for low, high in spread.values())
    assert any(low < 0 or high > 0 for low, high in spread.values())  # other draws differ
    imported = {k: v.assign(source="operator.csv") for k, v in town_build.layers.items()}
    assert seed_spread(town, imported, town_build.coverage, seeds=(1,)) == {}


def test_the_spread_reads_the_layers_own_5g_shares_from_its_hexagons(town, town_build):
    """A hexagon's 5G columns depend on its own sample points only: measuring the sample again
    gives the shares its columns in the build already hold."""
    from twin.analysis.reseed import _shares, sample_rows

    coverage = town_build.coverage
    cells = coverage.cells.iloc[sample_rows(len(coverage.cells), 150)]
    sites = town_build.layers["base_stations"]
    again = _shares("base_stations", sites, cells, town, coverage, own=False)
    read = _shares("base_stations", sites, cells, town, coverage, own=True)
    assert read == again
    fewer = _shares("base_stations", sites.iloc[::2], cells, town, coverage, own=False)
    assert fewer["base_stations"] < again["base_stations"]


def test_a_capacity_view_is_remembered_only_for_the_same_inputs(town, town_build):
    """The same sites, hexagons, norms, rule and network give the remembered view; a change in
    any of them (the district's ring too, which sets charging's radius) is measured afresh:
    the view is what it would be had nothing been remembered."""
    from twin.capacity import REMEMBERED, capacity_view

    cells, params = town_build.coverage.cells, town_build.coverage.params
    norms, network, rule = params.norms, town.streets.network, params.reach
    lockers = town_build.layers["lockers"]
    charging = town_build.layers["charging"].drop(columns="service_radius_m")  # the ring's radius

    def fresh(*args, **options):
        REMEMBERED.clear()
        return capacity_view(*args, **options)

    first = capacity_view(town, "lockers", cells, lockers, norms, rule, network)
    assert capacity_view(town, "lockers", cells, lockers.copy(), norms, rule, network) is first
    assert not first.served.flags.writeable
    demand = replace(
        norms.capacity, parcels_per_resident_per_day=4 * norms.capacity.parcels_per_resident_per_day
    )
    ring = "inside" if town.preset.ring != "inside" else "outside"
    cases = [
        (town, "lockers", cells, lockers.assign(compartments=lockers["compartments"] // 2), norms, rule, network),
        (town, "lockers", cells, lockers, norms, rule, None),
        (town, "lockers", cells, lockers, norms, replace(rule, max_snap_m=1.0), network),
        (town, "lockers", cells, lockers, replace(norms, capacity=demand), rule, network),
        (town, "lockers", cells.assign(residents=cells["residents"] * 3), lockers, norms, rule, network),
        (replace(town, preset=replace(town.preset, ring=ring)), "charging", cells, charging, norms, rule, network),
    ]  # fmt: skip
    differs = 0
    for args in cases:
        same = (town, args[1], cells, lockers if args[1] == "lockers" else charging, norms, rule,
                network)  # fmt: skip
        before = fresh(*same)  # remembered: the change is one input away from it
        changed = capacity_view(*args)
        expected = fresh(*args)
        np.testing.assert_array_equal(changed.served, expected.served)
        np.testing.assert_array_equal(changed.reached, expected.reached)
        differs += not np.array_equal(changed.served, before.served)
    assert differs == len(cases)  # each change changes the answer


def test_the_worst_gaps_are_the_most_unserved_first_ties_by_hexagon(town_build):
    from twin.analysis.report import worst_gaps
    from twin.analysis.served import QUESTIONS

    cells = town_build.coverage.cells
    by_id = cells.set_index("h3")
    for key, gaps in worst_gaps(town_build.coverage, top=5).items():
        q = QUESTIONS[key]
        listed = [(-float(by_id.loc[g["h3"], q.unserved]), g["h3"]) for g in gaps]
        assert listed and listed == sorted(listed), key
        breaking = cells[~cells[q.flag].astype(bool)]
        rest = breaking[~breaking["h3"].isin([g["h3"] for g in gaps])]
        assert len(rest) == 0 or rest[q.unserved].max() <= -listed[-1][0], key


@pytest.mark.pack
@pytest.mark.slow
def test_a_sparse_real_5g_layer_lowers_hongkous_deep_coverage_row(hongkou, settings):
    """A real operator's few macro sites against the plan's 1,500: the row follows the plan's
    wording (deep coverage) and drops; the outdoor area share saturates and barely moves."""
    from twin.analysis.build import build

    plan = build(hongkou, settings)
    sites = plan.layers["base_stations"]
    one_operator = sites[(sites["cell_type"] == "UMa") & (sites["operator"] == "China Mobile")]
    real = one_operator.iloc[::4].assign(source="operator.csv")
    assert 80 <= len(real) <= 200
    layers = plan.layers | {"base_stations": real}
    coverage = compute(hongkou, {"base_stations": real}, plan.coverage.params)
    report = plan_report(hongkou, coverage, layers)
    row = next(r for r in report["rows"] if r["key"] == "coverage_5g")
    before = plan.row("coverage_5g")["measured"]
    assert row["question"] == "base_stations_deep" and row["status"] == "not met"
    assert row["measured"] <= before - 0.10
    # a tenth of the sites: weaker, yet most hexagons still above the -105 dBm threshold
    assert -105 < report["fiveg"]["median_rsrp_dbm"] < plan.report["fiveg"]["median_rsrp_dbm"]


def _texts(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += [t for t in ax.texts if t.get_text()] + [ax.title]
        legend = ax.get_legend()
        if legend is not None:
            texts += [*legend.get_texts(), legend.get_title()]
    return [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_text()]


def test_the_pdf_pages_cut_nothing_off_and_hold_the_report_rows(town, town_build):
    from twin.analysis.report import value_text
    from twin.render.static import report_pages

    report = town_build.report
    figures = report_pages(report, town_build.cells(), town.boundary, town.metric_crs, None,
                           town_build.layers)  # fmt: skip
    assert len(figures) >= 4  # first page, rows, maps, gaps
    words = []
    for fig in figures:
        width, height = fig.bbox.width, fig.bbox.height
        for text, box in _texts(fig):
            assert box.x0 >= -1 and box.x1 <= width + 1, text  # nothing runs off the page
            assert box.y0 >= -1 and box.y1 <= height + 1, text
            words.append(text)
    printed = " ".join(words)
    first = " ".join(t for t, _ in _texts(figures[0]))
    assert report["name"] in first and "Headline figures" in first
    assert len(figures[0].axes) == 1  # the district's map on the first page
    for row in report["rows"]:
        assert row["label"] in printed
        assert value_text(row["measured"], row["unit"]) in printed
        if row.get("settle"):
            assert row["settle"][:40] in printed.replace("\n", " ")
    assert "base_stations" not in printed.replace("base_stations FILE", "")  # no code names


def test_the_report_says_where_capacity_not_distance_is_the_gap(town, town_build):
    """Within reach is not served: a row of demand served within capacity, lower when the
    sites hold less, with the residents capacity leaves unserved."""
    rows = {r["key"]: r for r in town_build.report["rows"]}
    full = rows["lockers_capacity"]
    assert full["unit"] == "share of demand" and "within reach unserved" in full["detail"]
    assert full["range"] is not None and full["settle"]
    lockers = town_build.layers["lockers"]
    layers = town_build.layers | {
        "lockers": lockers.assign(compartments=lockers["compartments"] // 4)
    }
    quarter = {r["key"]: r for r in plan_report(town, town_build.coverage, layers)["rows"]}
    assert quarter["lockers_capacity"]["measured"] < full["measured"]
    assert quarter["lockers_coverage"]["measured"] == rows["lockers_coverage"]["measured"]


def test_the_stored_report_key_follows_every_input(tmp_path):
    """A new inventory, measurement, norm, option or data file is a new key; a damaged entry is
    no answer."""
    from twin.settings import Settings
    from twin.store.reports import load_report, report_key, save_report

    pack = tmp_path / "pack"
    pack.mkdir()
    settings = Settings(data_dir=pack, cache_dir=tmp_path / "cache", offline=True)
    key = report_key("hongkou", "d1", settings, res=None, elderly=False)
    assert report_key("hongkou", "d1", settings, res=None, elderly=False) == key
    norms = tmp_path / "norms.toml"
    norms.write_text("[fiveg]\ncovered_rsrp_dbm = -100.0\n", encoding="utf-8")
    changed = [
        report_key("hongkou", "d2", settings, res=None, elderly=False),
        report_key("hongkou", "d1", settings, res=9, elderly=False),
        report_key("hongkou", "d1", settings, res=None, elderly=True),
        report_key("hongkou", "d1", settings.replace(norms_file=norms), res=None, elderly=False),
        report_key("hongkou", "d1", settings.replace(walk_speed_kmh=3.6), res=None, elderly=False),
    ]
    for kind in ("inventories", "measurements"):
        folder = settings.cache_dir / kind / "hongkou"
        folder.mkdir(parents=True)
        (folder / "lockers.parquet").write_bytes(b"x")
        changed.append(report_key("hongkou", "d1", settings, res=None, elderly=False))
    (pack / "pois.csv").write_text("x\n", encoding="utf-8")
    changed.append(report_key("hongkou", "d1", settings, res=None, elderly=False))
    assert len({key, *changed}) == len(changed) + 1

    save_report("hongkou", key, {"name": "Hongkou", "rows": []}, settings)
    assert load_report("hongkou", key, settings) == {"name": "Hongkou", "rows": []}
    stored = settings.cache_dir / "reports" / f"hongkou-{key}.json"
    stored.write_text(stored.read_text(encoding="utf-8").replace("Hongkou", "Hongk0u"))
    assert load_report("hongkou", key, settings) is None


def test_a_deeper_gap_list_starts_with_the_reports_gaps(town, town_build):
    """The Gaps page filters a deeper list: its first ten are the report's ten, in order."""
    from twin.analysis.places import PlaceNamer
    from twin.analysis.report import worst_gaps

    namer = PlaceNamer(town)
    ten = worst_gaps(town_build.coverage, namer=namer, resolution=9)
    deep = worst_gaps(town_build.coverage, top=200, namer=namer, resolution=9)
    for key, gaps in ten.items():
        assert deep[key][: len(gaps)] == gaps


def test_the_pdf_in_chinese(town, town_build):
    """The same pages in Chinese: headings, labels, statuses and the core's sentences (detail,
    what would settle it, notes) translated; nothing cut off."""
    from twin.i18n import in_language, sentence
    from twin.render.static import report_pages

    report = town_build.report
    with in_language("zh"):
        figures = report_pages(report, town_build.cells(), town.boundary, town.metric_crs, None,
                               town_build.layers)  # fmt: skip
        expected = {"settle": [sentence(r["settle"]) for r in report["rows"] if r.get("settle")],
                    "detail": [sentence(r["detail"]) for r in report["rows"] if r.get("detail")]}  # fmt: skip
    words = []
    for fig in figures:
        width, height = fig.bbox.width, fig.bbox.height
        for text, box in _texts(fig):
            assert box.x0 >= -1 and box.x1 <= width + 1, text
            assert box.y0 >= -1 and box.y1 <= height + 1, text
            words.append(text)
    printed = "".join(words).replace("\n", "")
    assert "主要数字" in printed and "Headline figures" not in printed
    assert expected["settle"] and expected["detail"]
    for said in expected["settle"] + expected["detail"]:
        assert said.replace(" ", "")[:30] in printed.replace(" ", ""), said
        assert not any(w in said for w in ("would", "residents on straight-line", "of area within"))
    from visible_text import english_words  # no English left but names, commands and units

    names = {town.name, town.preset.plan or "", *town.pois["name"].astype(str),  # the data's
             *town.streets.edges["name"].dropna().astype(str), *report["attribution"]}  # fmt: skip
    left = {text: english_words(text, names) for text in words if english_words(text, names)}
    assert not left, left


def test_the_programme_pages_in_chinese(town, town_build):
    """The programme's pages in Chinese: its budgets, assumptions, table, map title and legend
    in Chinese words (the core's assumptions are templates read back in the document's
    language)."""
    from visible_text import english_words

    from twin.i18n import _, in_language
    from twin.layers import REGISTRY
    from twin.programme import programme
    from twin.render.static import programme_pages

    plan = programme(town_build, ("charging", "lockers"), None, None, None)
    with in_language("zh"):
        labels = {k: _(spec.label) for k, spec in REGISTRY.items()}
        figures = programme_pages(plan, town.boundary, town.metric_crs, None, labels)
    texts = [text for fig in figures for text, _box in _texts(fig)]
    assert any("每位居民" in t for t in texts) and any("按年份的站点" in t for t in texts)
    names = {town.name, *plan["attribution"]}
    left = {t: english_words(t, names) for t in texts if english_words(t, names)}
    assert not left, left


def test_pdf_lines_keep_a_command_whole_and_wrap_prose_that_names_twin():
    """A command (``twin import hongkou --layer lockers FILE``, ``--osm-file EXTRACT``) is never
    split across two lines of the PDF; a sentence that merely starts with "twin" wraps word by
    word, never inside a word."""
    from twin.render.static import _wrap

    command = "twin import hongkou --layer lockers FILE"
    text = f"a real inventory of the locker groups ({command}) would make it a measured verdict"
    for width in (2.6, 3.0, 3.6, 5.0):
        lines = _wrap(text, width, 7)
        assert sum(command in line for line in lines) == 1, lines
        assert " ".join(lines) == text
    chinese = f"智能快递柜组的真实清单（{command}）可使其成为实测结论"
    assert any(command in line for line in _wrap(chinese, 3.0, 7))
    prose = "twin measures the whole district and twin cannot confirm that they are WGS-84"
    lines = _wrap(prose, 1.2, 7)
    assert " ".join(lines) == prose  # broken between words only
    assert any(
        "--osm-file EXTRACT" in line for line in _wrap("or use --osm-file EXTRACT here", 1.1, 7)
    )


def test_the_code_fingerprint_follows_content_not_file_times(tmp_path):
    """Stored figures are keyed by twin's code by content: a checkout or a touch that leaves the
    bytes alone keeps every stored entry; a changed byte is a new key."""
    import os

    from twin.store.reports import _content_fingerprint

    module = tmp_path / "radio.py"
    module.write_text("LOSS = 1\n", encoding="utf-8")
    first = _content_fingerprint(tmp_path, (".py",))
    os.utime(module, ns=(1, 1))  # a touch (git checkout) leaves the content alone
    assert _content_fingerprint(tmp_path, (".py",)) == first
    module.write_text("LOSS = 2\n", encoding="utf-8")
    assert _content_fingerprint(tmp_path, (".py",)) != first
