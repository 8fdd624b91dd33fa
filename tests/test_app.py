"""Streamlit pages, run headless with AppTest."""

import re
import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from twin import layers
from twin.analysis.report_text import percent
from twin.settings import PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"
TIMEOUT = 300


@pytest.fixture
def env(monkeypatch, settings):
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("TWIN_OFFLINE", "1")


def page(path: str) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.run()
    if path:
        app.switch_page(path).run()
    assert not app.exception, app.exception
    return app


def test_overview_compares_the_plan_districts(env):
    app = page("")
    assert app.title[0].value == "Plan districts at a glance"
    assert [m.label.split(" · ")[0] for m in app.metric] == [
        "Changning",
        "Hongkou",
        "Songjiang",
        "Minhang",
        "Jiading",
    ]
    table = app.dataframe[0].value
    statuses = {s.split(" ", 1)[1] for s in table["status"]}
    # generated layers are never "met"; Changning's F15 rests on straight-line estimates
    assert {"calibrated, not measured", "estimated", "not measured"} <= statuses
    generated = table[table["layer"] == "generated"]
    assert not generated["status"].str.contains("met$", regex=True).any()
    assert any("twin fetch minhang" in w.value for w in app.warning)
    # the 5G row names its basis: deep (residents indoors) where the plan asks for it
    named = table.set_index("district")["target"]
    assert "5G coverage" not in set(table["target"])
    assert "5G deep (indoor) coverage" in set(named["Hongkou"])
    assert "5G outdoor coverage" in set(named["Minhang"])
    # each card says a figure's basis first, then its verdict, never a verdict in its place
    cards = [c.value for c in app.caption if c.value.startswith("F15 of residents")]
    assert len(cards) == 5
    for caption in cards:
        for standing in re.findall(r"\(([^()]*)\)", caption):
            basis = standing.split(" · ")[0].split(",")[0]
            assert basis in {"measured", "calibrated", "estimated", "not measured"}, caption


def test_a_warm_overview_reads_the_stored_reports_and_loads_no_district(env, monkeypatch, settings):
    """The Overview needs each district's report, nothing else: once stored (by `twin prepare`,
    `twin report` or an earlier visit) a fresh server reads it and loads no district; a session
    that uploaded layers gets its own build."""
    import app_pages._cached as cached
    from twin.cli import main

    assert main(["prepare"]) == 0  # what `make demo` runs first: both profiles' reports stored
    reports = settings.cache_dir / "reports"
    stored = sorted(reports.iterdir())
    first = page("")
    cached._stored_report.clear()  # a fresh server: nothing in memory
    cached._load.clear()
    cached._build.clear()

    def refused(*args, **kwargs):
        raise AssertionError("the Overview loaded or built a district")

    monkeypatch.setattr(cached, "load_district", refused)
    monkeypatch.setattr(cached, "build", refused)
    again = page("")
    assert [(m.label, m.value) for m in again.metric] == [(m.label, m.value) for m in first.metric]
    assert again.dataframe[0].value.equals(first.dataframe[0].value)
    assert [w.value for w in again.warning] == [w.value for w in first.warning]  # no streets
    assert sorted(reports.iterdir()) == stored  # the viewer reads that store, never writes it


def test_a_hexagon_count_names_its_size(env):
    """The coverage map follows the zoom while the other pages show the sidebar's resolution:
    each count says its resolution (140 and 4,988 hexagons were not two answers), and at one
    resolution every page counts the same hexagons."""

    def count(app):
        found = re.search(r"([\d,]+) hexagons at res (\d+)", app.status[0].label)
        assert found, app.status[0].label
        return int(found.group(2)), int(found.group(1).replace(",", ""))

    app = page("app_pages/coverage.py")
    app.select_slider(key="resolution").set_value(7).run()
    following = count(app)  # the zoom's resolution, named
    app.toggle(key="follow_zoom").set_value(False).run()
    coverage = count(app)
    gaps = count(app.switch_page("app_pages/gaps.py").run())
    assert coverage == gaps and gaps[0] == 7
    assert following[0] in (7, 8, 9, 10) and following[1] >= gaps[1]


def test_the_largest_unserved_cluster_does_not_move_with_the_hexagon_size(env):
    """The headline's largest cluster of mostly-unserved hexagons is measured on the base
    hexagons: the same place and residents whatever size the map shows (at res 7 it named a
    one-hexagon cluster of 367 in Minhang while a single res-9 gap held 496)."""
    app = page("app_pages/coverage.py")
    app.selectbox(key="district").set_value("minhang").run()
    clauses = set()
    for res in (7, 8, 10):
        app.select_slider(key="resolution").set_value(res).run()
        legend = next(m.value for m in app.markdown if "Rule:" in m.value)
        clauses.add(re.search(r"the largest cluster of res-10 hexagons[^<]*lies near [^<.;]*",
                              legend).group(0))  # fmt: skip
    assert len(clauses) == 1, clauses
    # Minhang has no streets offline: the basemap's caption credits none
    caption = next(c.value for c in app.caption if c.value.startswith("Basemap"))
    assert "no street data" in caption and "OpenStreetMap" not in caption


def test_the_streets_are_credited_once_in_the_pages_language(env):
    """Hongkou's sources include OSM's own attribution: the caption credits OSM once, in
    Chinese on a Chinese page, then the other sources."""
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.query_params["lang"] = "zh"
    app.run()
    app.switch_page("app_pages/coverage.py").run()
    caption = next(c.value for c in app.caption if "底图" in c.value)
    assert caption.count("OpenStreetMap") == 1 and "© OpenStreetMap 贡献者" in caption
    assert "contributors" not in caption and "Amap" in caption  # the pack's own credits follow


def test_coverage_map_metric_and_3d(env):
    app = page("app_pages/coverage.py")
    assert app.title[0].value.startswith("Coverage map · Hongkou")
    # it opens on the plan's own 5G question, the Overview card's (Hongkou: deep coverage)
    assert app.selectbox(key="metric").value == "base_stations_deep"
    app.selectbox(key="metric").set_value("base_stations").run()
    assert any("OpenStreetMap" in c.value for c in app.caption)
    legend = next(m.value for m in app.markdown if "Rule:" in m.value)
    assert "90%" in legend and "residents not served" in legend  # classes split at the rule
    app.selectbox(key="metric").set_value("charging").run()
    legend = next(m.value for m in app.markdown if "Rule:" in m.value)
    assert "900 m" in legend and "not served" in legend and "lies near" in legend
    app.toggle(key="unserved_only").set_value(True).run()
    assert not app.exception
    assert app.query_params["metric"] == ["charging"] or app.query_params["metric"] == "charging"
    app.selectbox(key="metric").set_value("life_circle").run()
    app.toggle(key="three_d").set_value(True).run()
    assert not app.exception
    assert app.slider(key="pitch").value == 45


def component_args(app: AppTest, name: str) -> dict:
    """The arguments a page passed to its custom component ``name`` (the map's deck)."""
    import json

    from visible_text import _nodes

    for node in _nodes(app._tree):
        proto = getattr(node, "proto", None)
        if getattr(node, "type", "") == "component_instance" and proto.id.endswith(name):
            return json.loads(proto.json_args)
    raise AssertionError(f"no {name} component on the page")


def test_names_are_drawn_over_the_sites_on_both_maps(env):
    """Street names and metro stations come after every site layer (deck.gl draws in order),
    so a count's disc never hides a street's name."""
    coverage = page("app_pages/coverage.py")
    coverage.multiselect(key="assets_base_stations_deep").set_value(["base_stations", "lockers"])
    coverage.run()
    compare = page("app_pages/compare.py")  # two maps side by side: 5G and charging sites
    maps = [component_args(coverage, "coverage_map")]
    maps += [component_args(compare, side) for side in ("compare_a", "compare_b")]
    for args in maps:
        ids = [layer["id"] for layer in args["layers"]]
        sites = [
            i for i, x in enumerate(ids) if x.startswith(("base_stations", "charging", "lockers"))
        ]
        names = [i for i, x in enumerate(ids) if x in ("street_labels", "boundary")]
        assert sites and names and max(sites) < min(names), ids


def test_life_circle_page(env):
    app = page("app_pages/life_circle.py")
    labels = [m.label for m in app.metric]
    assert labels[:3] == ["F15 (residents)", "Mean walk", "Gini of access"]
    assert re.fullmatch(r"\d+\.\d%", app.metric[0].value)  # as the Overview's card prints it
    # the report row's basis, verdict, range and what would settle it (a third of Hongkou's
    # residents walk off the pack's streets: measured, ranged, the streets would settle it)
    caption = next(c.value for c in app.caption if c.value.startswith("measured · no target"))
    assert " · range " in caption and "to settle it: the district's streets" in caption
    per_category = app.dataframe[0].value
    assert "not measured" in " ".join(per_category["note"])  # outdoor etc. offline
    assert len(app.selectbox(key="life_circle_cell").options) > 100
    rings = app.dataframe[-1].value  # the chosen hexagon's POIs, counted cumulatively by ring
    assert list(rings.columns) == ["≤ 5 min", "≤ 10 min", "≤ 15 min"]  # every ring, even empty
    said = next(m.value for m in app.markdown if "POIs within 15 minutes" in m.value)
    assert "from the hexagon's centre" in said  # the table's basis, not the residents' mean
    pois = int(re.search(r"([\d,]+) POIs within", said).group(1).replace(",", ""))
    assert int(rings["≤ 15 min"].sum()) == pois > 0  # the table counts what the sentence says


def test_places_carry_their_distance_in_chinese_brackets(env):
    """A gap's place reads "凉城四村（88 m）" on a Chinese page, as the page's other asides."""
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.query_params["lang"] = "zh"
    app.run()
    app.switch_page("app_pages/gaps.py").run()
    near = app.dataframe[0].value["near"]
    assert near.str.fullmatch(r".+（[\d,]+ m）").all() and not near.str.contains(r" \(").any()


def test_gaps_page(env):
    from twin.render.hexagons import metric_for

    app = page("app_pages/gaps.py")
    captions = [c.value for c in app.caption]  # each layer's rule, from the norms
    for key in ("base_stations", "charging", "lockers", "life_circle"):
        assert f"Rule: {metric_for(key).rule}." in captions
    gaps = app.dataframe[0].value
    assert list(gaps.columns) == ["near", "township", "unserved", "residents", "shortfall", "h3"]
    assert gaps["near"].str.contains(r"\(\d+ m\)").all()  # named by a street or POI with distance
    assert gaps["township"].str.endswith(("街道", "镇", "社区")).all()  # Hongkou's 街道
    assert list(gaps["unserved"]) == sorted(gaps["unserved"], reverse=True)  # most unserved first
    assert (gaps["unserved"] <= gaps["residents"]).all()
    assert all(int(h[1], 16) == 9 for h in gaps["h3"])  # listed at the sidebar's res 9
    # filters: a township and a floor of residents unserved, kept in the URL
    township = gaps["township"].iloc[0]
    app.multiselect(key="gaps_townships").set_value([township]).run()
    app.number_input(key="gaps_min").set_value(50).run()
    assert not app.exception, app.exception
    for frame in (d.value for d in app.dataframe):
        assert (frame["township"] == township).all() and (frame["unserved"] >= 50).all()
    filtered = app.dataframe[0].value
    assert len(filtered) >= (gaps["township"] == township).sum() - (gaps["unserved"] < 50).sum()
    assert app.query_params["townships"] in (township, [township])


def test_export_page_offers_downloads(env):
    app = page("app_pages/export.py")
    assert app.radio(key="export_format").value == "geojson"
    app.radio(key="export_format").set_value("csv").run()
    assert not app.exception


def test_upload_flows_into_the_map(env, hongkou, tmp_path):
    sites = layers.generate("charging", hongkou).head(12)
    table = pd.DataFrame(
        {"名称": sites["station_id"], "经度": sites.geometry.x, "纬度": sites.geometry.y}
    )
    app = page("app_pages/data.py")
    # AppTest has no file_uploader driver: hand the page the parsed result the way it would
    from app_pages import _cached  # noqa: F401  (same module the page uses)
    from twin.inventory import import_inventory

    path = tmp_path / "chargers.csv"
    table.to_csv(path, index=False, encoding="gbk")
    frame, report = import_inventory(hongkou, "charging", path, "wgs84")
    assert report.accepted == 12
    app.session_state["imported_layers"] = {"hongkou": {"charging": frame}}
    app.run()
    assert any("chargers.csv" in i.value for i in app.info)
    app.switch_page("app_pages/export.py").run()
    assert not app.exception
    assert any("12 features" in m.value for m in app.markdown)
    app.switch_page("app_pages/coverage.py").run()
    assert not app.exception
    app.switch_page("app_pages/overview.py").run()  # this session's build, not the stored one
    table = app.dataframe[0].value
    imported = table["layer"] == "imported: chargers.csv"
    assert imported.any() and set(table.loc[imported, "district"]) == {"Hongkou"}


def test_sources_page_and_switching_to_a_district_without_streets(env):
    app = page("app_pages/district.py")
    assert [m.label for m in app.metric] == ["Area", "Street network", "Study area", "Residents"]
    app.sidebar.selectbox[0].set_value("minhang").run()
    assert not app.exception
    assert any("twin fetch minhang" in i.value for i in app.info)


def test_deck_payload_stays_small(hongkou, settings):
    """The Hongkou deck at res 10 (finer than the default 9) serialises well under 5 MB."""
    import pydeck as pdk

    from twin.analysis.build import build
    from twin.analysis.engine import CoverageParams
    from twin.render.basemap import boundary_layer, streets_layer, view_of
    from twin.render.hexagons import MAX_HEXAGONS, hexagon_layer, hexagon_payload, metric_for

    result = build(hongkou, settings, CoverageParams(resolution=10))
    cells = result.coverage.cells
    metric = metric_for("base_stations")
    deck = pdk.Deck(
        layers=[streets_layer(hongkou.streets.lines), hexagon_layer(cells, metric, ["residents"]),
                boundary_layer(hongkou.boundary)],
        initial_view_state=view_of(hongkou.boundary), map_style=None,
    )  # fmt: skip
    size = len(deck.to_json().encode())
    assert size < 5e6
    per_hexagon = len(
        hexagon_payload(cells, metric, ["residents"]).to_json(orient="records")
    ) / len(cells)
    assert per_hexagon < 130  # the measured cost of a naive polygon payload
    with pytest.raises(ValueError, match="coarser resolution"):
        hexagon_payload(pd.concat([cells] * (MAX_HEXAGONS // len(cells) + 1)), metric, [])


def test_whatif_add_recommend_and_accept(env):
    app = page("app_pages/whatif.py")
    assert app.selectbox(key="whatif_layer").value == "charging"
    app.selectbox(key="whatif_layer").set_value("lockers").run()
    app.button(key="add_site").click().run()
    assert not app.exception
    assert any("added a site" in c.value for c in app.caption)
    app.number_input(key="rec_k").set_value(3).run()
    app.button(key="recommend").click().run()
    assert not app.exception
    app.button(key="accept").click().run()
    assert not app.exception
    assert any("accepted 3 recommended sites" in c.value for c in app.caption)
    assert not any(b.key == "accept" for b in app.button)  # the accepted list is gone at once
    after = next(m for m in app.metric if m.label == "After")
    assert after.delta.startswith("+")
    report = app.dataframe[-1].value
    lockers = report[report["target"] == "new smart locker groups"]
    # one site added by hand and three accepted: four new groups; Hongkou's plan gives no number,
    # so the plan layer itself counts none (no figure), the scenario's four are counted
    assert len(lockers) == 1
    assert lockers["before"].iloc[0] == "—" and lockers["after"].iloc[0] == "4 locker groups"
    assert set(report.columns) >= {"before", "after", "status after"}


def test_whatif_speaks_the_viewers_language(env):
    """In Chinese, What-if's log and its refusal of a site outside the district are Chinese
    sentences with the same figures (the core writes English templates; the page reads them)."""
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.query_params["lang"] = "zh"
    app.run()
    app.switch_page("app_pages/whatif.py").run()
    app.button(key="add_site").click().run()
    assert not app.exception, app.exception
    log = next(c.value for c in app.caption if "个六边形中重新计算了" in c.value)
    assert log.startswith("已新增一个站点：") and re.search(r"用时 \d+ 毫秒$", log)
    app.number_input(key="add_lon").set_value(121.0).run()  # far west of Hongkou
    app.button(key="add_site").click().run()
    assert [e.value for e in app.error] == ["1 个新站点位于虹口区之外；请在边界内选点。"]


def test_side_by_side_states_the_coverage_maps_figures(env):
    """Each side of the split view states its layer's report figure exactly as the coverage
    map's headline does (one code path); two districts and a What-if pair run too."""
    app = page("app_pages/compare.py")
    headlines = [m.value for m in app.markdown if m.value.startswith("**Hongkou · ")]
    assert len(headlines) == 2
    coverage = page("app_pages/coverage.py")
    for key, headline in zip(("base_stations", "charging"), headlines, strict=True):
        coverage.selectbox(key="metric").set_value(key).run()
        legend = next(m.value for m in coverage.markdown if "Rule:" in m.value)
        figure = headline.removeprefix("**Hongkou · ").removesuffix("**")
        assert figure in legend, (figure, legend)
    assert app.query_params["pair"] in ("layers", ["layers"])
    app.segmented_control(key="compare_mode").set_value("districts").run()
    assert not app.exception
    assert [m.value.split(" · ")[0] for m in app.markdown if m.value.startswith("**")][:2] == [
        "**Hongkou", "**Changning"]  # fmt: skip
    assert app.query_params["with"] in ("changning", ["changning"])
    whatif = page("app_pages/whatif.py")
    whatif.segmented_control(key="whatif_view").set_value("Side by side").run()
    assert not whatif.exception


@pytest.fixture
def bare_env(monkeypatch, tmp_path):
    """No data pack: the synthetic Testville stands in Hongkou's cache entry."""
    import dataclasses

    from synthetic import testville

    from twin.districts import resolve
    from twin.settings import Settings
    from twin.store import district as store

    monkeypatch.delenv("TWIN_DATA_DIR", raising=False)
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    settings = Settings.from_env()
    town = dataclasses.replace(testville(), preset=resolve("hongkou"))
    key = store.district_key("hongkou", settings, osm_file=None, boundary_file=None,
                             boundary_crs="wgs84", demand_raster=None, offline="True")  # fmt: skip
    store.save_district(town, store.entry_dir("hongkou", key, settings))


@pytest.mark.parametrize(
    "path",
    [
        "app_pages/coverage.py",
        "app_pages/compare.py",
        "app_pages/life_circle.py",
        "app_pages/whatif.py",
        "app_pages/gaps.py",
        "app_pages/export.py",
    ],
)
def test_pages_run_without_the_data_pack(bare_env, path):
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.run()
    app.switch_page(path).run()
    assert not app.exception, app.exception
    assert "Hongkou" in app.title[0].value


def test_find_a_place_centres_the_map(env):
    app = page("app_pages/coverage.py")
    app.text_input(key="place_search").input("四川北路").run()
    assert not app.exception
    assert app.selectbox(key="place_match").value.startswith("四川北路")


def test_map_layers_pass_literal_strings_to_deck(env, hongkou):
    """pydeck reads bare strings as column accessors: literal props must arrive quoted."""
    import json

    from twin.render.basemap import street_labels_layer
    from twin.render.hexagons import outline_layer

    labels = json.loads(street_labels_layer(hongkou.streets.edges).to_json())
    assert labels["fontFamily"].startswith("Noto Sans CJK SC")  # a literal, not an accessor
    assert "@@=" not in str(labels["characterSet"]) and "@@=" not in str(labels["sizeUnits"])
    assert len(labels["data"]) > 50 and all(d["text"] for d in labels["data"])
    ring = json.loads(outline_layer("89309958ccfffff").to_json())["data"][0]["path"]
    assert len(ring) == 7 and ring[0] == ring[-1]


def test_programme_page_shows_the_figures_twin_programme_gives(env, settings):
    """One truth: the page's table is the programme's JSON, year by year, and the year slider
    shows the sites up to that year."""
    from twin.analysis.build import build
    from twin.programme import programme
    from twin.store.district import load_district

    app = page("app_pages/programme.py")
    table = app.dataframe[0].value
    plan = programme(build(load_district("hongkou", settings), settings), ("lockers",))
    now = plan["start"]["lockers"]  # the first row: where the district stands (the report's)
    assert list(table["year"]) == ["now", *(str(y["year"]) for y in plan["years"])]
    assert list(table["residents within reach"]) == [
        percent(share)
        for share in [now["covered_share"]] + [y["covered_share"] for y in plan["years"]]
    ]
    assert list(table["demand served within capacity"]) == [
        percent(share)
        for share in [now["capacity_share"]] + [y["capacity_share"] for y in plan["years"]]
    ]
    assert list(table["sites added"]) == ["", *(f"{len(y['sites']):,}" for y in plan["years"])]
    said = " ".join(c.value for c in app.caption)
    assert plan["basis"][0] in said and plan["assumptions"][0] in said  # as the CLI prints them
    app.select_slider(key="programme_year").set_value(plan["years"][0]["year"]).run()
    assert not app.exception, app.exception
    assert len(app.dataframe[0].value) == 2  # now, and the first year


def test_city_page_reads_the_stored_batch_results(env, settings, tmp_path, monkeypatch):
    """The whole city from `twin batch` results: each district's figures as its own report
    states them, read from the stored table (no district measured on the page)."""
    from twin.analysis.build import build
    from twin.analysis.report import value_text
    from twin.batch import build_district
    from twin.store.district import load_district

    results = [build_district(s, settings, None, str(tmp_path)) for s in ("hongkou", "jingan")]
    pd.DataFrame([r.row | {"error": r.error} for r in results]).to_csv(
        tmp_path / "city_summary.csv", index=False
    )
    app = page("app_pages/city.py")
    app.text_input(key="city_folder").set_value(str(tmp_path)).run()
    assert not app.exception, app.exception
    table = app.dataframe[0].value
    assert list(table["name"]) == ["Hongkou", "Jing'an"]
    report = build(load_district("hongkou", settings), settings).report
    f15 = next(r for r in report["rows"] if r["key"] == "life_circle_f15")
    assert table.loc[0, "F15"] == value_text(f15["measured"], f15["unit"])
    app.selectbox(key="city_figure").set_value("life_circle_f15").run()
    assert app.dataframe[0].value.loc[0, "status"] == f15["status"]
    # both 5G questions for every district, each as the row stating it says (Hongkou's plan
    # states deep coverage; Jing'an has no plan): never a column of mixed measures
    from twin.analysis.report import row_for

    for question, figure, column in (
        ("base_stations", "coverage_5g_outdoor", "5G outdoor"),
        ("base_stations_deep", "coverage_5g_deep", "5G indoor"),
    ):
        stated = row_for(report, question)
        assert table.loc[0, column] == value_text(stated["measured"], stated["unit"])
        assert table.loc[1, column] != "—"
        app.selectbox(key="city_figure").set_value(figure).run()
        assert app.dataframe[0].value.loc[0, "status"] == stated["status"]
    assert not any("share of its residents" in c.value for c in app.caption)
    # the city's own figures, as twin batch states them (served over the summed denominator)
    from twin.batch import city_summary

    city = city_summary(results)
    shown = {m.label: m.value for m in app.metric}
    assert shown["15-minute life circle (F15)"] == value_text(city["life_circle_f15"], "share")
    assert shown["5G outdoor coverage"] == value_text(city["coverage_5g_outdoor"], "share")
    crossed = tmp_path / "crossed"  # Jing'an's residents covered indoors beyond its land outdoors
    crossed.mkdir()
    summary = pd.read_csv(tmp_path / "city_summary.csv")
    summary.loc[1, "coverage_5g_deep"] = summary.loc[1, "coverage_5g_outdoor"] + 0.01
    summary.to_csv(crossed / "city_summary.csv", index=False)
    app.text_input(key="city_folder").set_value(str(crossed)).run()
    note = next(c.value for c in app.caption if "share of its residents" in c.value)
    assert note.endswith("(Jing'an).")
    empty = page("app_pages/city.py")
    nothing = tmp_path / "nothing"
    empty.text_input(key="city_folder").set_value(str(nothing)).run()
    assert any("twin batch --all" in i.value for i in empty.info)
    from twin.city_run import CityRun

    started = []

    def run_stand_in(folder):  # the batch's run of its own (tests/test_batch.py)
        started.append(folder)
        folder.mkdir()
        shutil.copy(tmp_path / "city_summary.csv", folder / "city_summary.csv")

    monkeypatch.setattr("twin.city_run.start_city_run", run_stand_in)
    empty.button(key="city_measure").click().run()
    assert not empty.exception, empty.exception
    assert started == [nothing]  # the folder the page reads, started once
    assert list(empty.dataframe[0].value["name"]) == ["Hongkou", "Jing'an"]
    going = CityRun(running=True, finished=(("jingan", True),), total=16, error="")
    monkeypatch.setattr("twin.city_run.city_run", lambda folder: going)
    empty.run()  # a run going on in the folder: its bar, not the old table
    bar = empty.get("progress")[0]
    assert bar.proto.text == "1 of 16 districts: Jing'an measured" and not empty.dataframe
    stopped = CityRun(running=False, finished=(), total=None, error="unknown district 'x'")
    monkeypatch.setattr("twin.city_run.city_run", lambda folder: stopped)
    empty.text_input(key="city_folder").set_value(str(tmp_path / "failed")).run()
    assert [e.value for e in empty.error] == ["unknown district 'x'"]  # why, then the button
    assert empty.button(key="city_measure")
    from visible_text import english_on  # the same page read in Chinese: no English left

    chinese = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    chinese.query_params["lang"] = "zh"
    chinese.query_params["batch"] = str(tmp_path)
    chinese.run()
    chinese.switch_page("app_pages/city.py").run()
    assert list(chinese.dataframe[0].value["名称"]) == ["虹口区", "静安区"]
    assert not english_on(chinese), english_on(chinese)


def test_the_overview_in_chinese_from_the_url(env):
    """?lang=zh: the same rows and figures, in Chinese words; the language stays in the URL."""
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.query_params["lang"] = "zh"
    app.run()
    assert not app.exception, app.exception
    assert app.title[0].value == "规划区一览"
    assert [m.label.split(" · ")[0] for m in app.metric] == [
        "长宁区",
        "虹口区",
        "松江区",
        "闵行区",
        "嘉定区",
    ]
    table = app.dataframe[0].value
    assert {"区", "目标", "测算值", "状态", "依据"} <= set(table.columns)
    statuses = {s.split(" ", 1)[1] for s in table["状态"]}
    assert {"已校准，未实测", "估算"} <= statuses
    assert "15分钟社区生活圈（F15）" in set(table["目标"])
    english = page("")  # the same figures whichever the language

    def numbers(values):  # the figures, without their units' words
        return [re.sub(r"[^0-9.,%–—-]", "", str(v)) for v in values]

    assert numbers(table["测算值"]) == numbers(english.dataframe[0].value["measured"])
    assert app.session_state["lang"] == "zh"


PAGES = ["", "app_pages/city.py", "app_pages/coverage.py", "app_pages/compare.py",
         "app_pages/life_circle.py", "app_pages/gaps.py", "app_pages/whatif.py",
         "app_pages/programme.py", "app_pages/data.py", "app_pages/export.py",
         "app_pages/district.py"]  # fmt: skip


def data_names(slug: str, settings) -> set[str]:
    """Proper names in a district's data that no page translates: its POIs' and streets' names,
    its sources' attributions (a licence is quoted as its holder writes it)."""
    from twin.api import load_district

    district = load_district(slug, settings=settings)
    names = set(district.pois["name"].dropna().astype(str))
    if district.has_streets and "name" in district.streets.edges:
        names |= set(district.streets.edges["name"].dropna().astype(str))
    return names | {s.attribution for s in district.sources} | {"© OpenStreetMap contributors"}


@pytest.mark.parametrize("slug", ["hongkou", "minhang"])
def test_every_page_reads_in_chinese(env, settings, slug):
    """In Chinese, no page shows an English word the catalogue should have translated: titles,
    messages, widgets, table headers and cells, chart tooltips, the map's tooltips and badges
    (after a What-if add and a recommendation, whose log and table show too). Commands, file
    names, identifiers, units, format and licence names and the data's own names stay as
    written (tests/visible_text.py)."""
    from visible_text import english_on

    names = data_names(slug, settings)
    left = {}
    for path in PAGES:
        app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        app.query_params["lang"] = "zh"
        app.query_params["district"] = slug
        app.run()
        if path:
            app.switch_page(path).run()
        if path.endswith("coverage.py"):  # and in 3D, its camera menu
            app.toggle(key="three_d").set_value(True).run()
        if path.endswith("whatif.py"):
            app.button(key="add_site").click().run()
            app.number_input(key="rec_k").set_value(2).run()
            app.button(key="recommend").click().run()
        assert not app.exception, (path, app.exception)
        left |= {f"{path or 'overview'}: {text}": words
                 for text, words in english_on(app, names).items()}  # fmt: skip
    assert not left, "\n".join(f"{text} -> {words}" for text, words in list(left.items())[:40])
