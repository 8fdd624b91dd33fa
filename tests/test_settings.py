from pathlib import Path

import pytest

from twin import InvalidInputError, Settings


def test_defaults_and_environment():
    assert Settings.from_env({}).h3_resolution == 10
    env = {
        "TWIN_DATA_DIR": "/tmp/pack",
        "TWIN_CACHE_DIR": "/tmp/cache",
        "TWIN_OFFLINE": "yes",
        "TWIN_H3_RES": "8",
        "TWIN_WALK_SPEED_KMH": "3.6",
        "TWIN_OVERPASS_URL": "http://127.0.0.1:9/api/",
    }
    settings = Settings.from_env(env)
    assert settings.data_dir == Path("/tmp/pack")
    assert settings.cache_dir == Path("/tmp/cache")
    assert settings.offline is True
    assert settings.h3_resolution == 8
    assert settings.walk_speed_kmh == 3.6
    assert settings.overpass_url == "http://127.0.0.1:9/api"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"TWIN_OFFLINE": "maybe"}, "yes/no"),
        ({"TWIN_H3_RES": "nine"}, "not a whole number"),
        ({"TWIN_H3_RES": "9.5"}, "not a whole number"),
        ({"TWIN_H3_RES": "15"}, "outside 7-10"),
        ({"TWIN_WALK_SPEED_KMH": "40"}, "out of range"),
    ],
)
def test_bad_values_say_what_to_do(env, fragment):
    with pytest.raises(InvalidInputError, match=fragment):
        Settings.from_env(env)


def test_settings_are_frozen():
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.offline = True  # type: ignore[misc]
    assert settings.replace(offline=True).offline is True


def test_workers_are_read_once_at_the_edge_and_checked():
    from twin import InvalidInputError

    assert Settings.from_env({"TWIN_WORKERS": "3"}).workers == 3
    assert Settings.from_env({}).workers is None
    for bad in ("0", "abc", "-2", "1.5"):
        with pytest.raises(InvalidInputError, match="TWIN_WORKERS"):
            Settings.from_env({"TWIN_WORKERS": bad})
