import pytest

from twin import UnknownDistrictError, load_presets, plan_districts, resolve


@pytest.mark.parametrize(
    "name",
    ["changning", "长宁", "长宁区", "Changning", "CHANGNING", " changning ", "310105", 310105],
)
def test_names_resolve_in_every_form(name):
    assert resolve(name).slug == "changning"


def test_sixteen_presets_with_five_plan_districts():
    presets = load_presets()
    assert len(presets) == 16
    assert len({p.adcode for p in presets}) == 16
    assert [p.slug for p in plan_districts()] == [
        "changning",
        "hongkou",
        "songjiang",
        "minhang",
        "jiading",
    ]
    assert all(p.has_plan for p in plan_districts())
    assert not resolve("pudong").has_plan


def test_unknown_district_lists_valid_names():
    with pytest.raises(UnknownDistrictError) as info:
        resolve("atlantis")
    message = str(info.value)
    assert "atlantis" in message and "hongkou (虹口区)" in message and "changning" in message
    assert isinstance(info.value, KeyError)


def test_plan_targets_match_plans_md():
    assert resolve("hongkou").target_value("base_stations_5g") == 1500
    assert resolve("minhang").target_value("base_stations_5g") == 5000
    assert resolve("jiading").target_value("base_stations_5g") == 3500
    changning_sites = resolve("changning").target("base_stations_5g")
    assert changning_sites.value == 973 and changning_sites.kind == "baseline"
    assert resolve("changning").target_value("lockers_new") == 120
    assert resolve("changning").target_value("fast_charging_share") == pytest.approx(0.03)
    assert resolve("jiading").target_value("neighbourhood_centres") == 50
    songjiang = resolve("songjiang").target("base_stations_5g")
    assert songjiang is not None and songjiang.value is None  # the plan gives no number
    for preset in plan_districts():
        for target in preset.targets:
            assert target.unit and 2020 <= target.year <= 2025 and target.text


def test_ring_classes_drive_the_charging_rule():
    assert resolve("hongkou").ring == "inside"
    assert resolve("songjiang").ring == "outside"
    assert resolve("jiading").ring == "outside"
    assert resolve("minhang").ring == "straddling"
