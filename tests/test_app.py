"""Streamlit pages, run headless with AppTest."""

import pytest
from streamlit.testing.v1 import AppTest

from twin.settings import PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"


@pytest.fixture
def env(monkeypatch, settings):
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("TWIN_OFFLINE", "1")


def test_district_page_shows_kpis_and_map(env):
    app = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not app.exception
    labels = [m.label for m in app.metric]
    assert labels == ["Area", "Street network", "Study area", "Residents"]
    assert app.title[0].value.startswith("Hongkou")
    assert any("OpenStreetMap" in c.value for c in app.caption)


def test_switching_to_a_district_without_streets(env):
    app = AppTest.from_file(str(APP), default_timeout=120).run()
    app.sidebar.selectbox[0].set_value("minhang").run()
    assert not app.exception
    assert any("twin fetch minhang" in i.value for i in app.info)
