"""Shared fixtures: a synthetic district (no data pack), and the data pack's districts.

Tests that use the data pack (the ``data_dir`` fixture or anything built on it) are marked
``pack``. Without the pack they skip, unless ``TWIN_REQUIRE_PACK=1`` (set by ``.ci/run``), in
which case they fail: CI never passes by skipping half the suite.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from twin.norms import PROJECT_ROOT
from twin.settings import Settings

INPUT = Path(__file__).parent / "input_data"
sys.path.insert(0, str(Path(__file__).parent))  # tests/synthetic.py


def _data_dir() -> Path | None:
    env = os.environ.get("TWIN_DATA_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(PROJECT_ROOT.parent / "shared" / "data")
    return next((c for c in candidates if (c / "osm").is_dir()), None)


DATA_DIR = _data_dir()
REQUIRE_PACK = os.environ.get("TWIN_REQUIRE_PACK", "").strip() in {"1", "true", "yes"}
PACK_FIXTURES = {"data_dir", "settings", "hongkou", "minhang", "hongkou_build"}


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail loudly, once, when the pack is required (``make test``, CI) but missing."""
    if REQUIRE_PACK and DATA_DIR is None:
        pytest.exit(
            "the sample data pack is missing (../shared/data or TWIN_DATA_DIR); the pack tests "
            "cannot run. Point TWIN_DATA_DIR at it, or run TWIN_REQUIRE_PACK=0 make test to skip them.",
            returncode=1,
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if PACK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pack)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if DATA_DIR is None:
        message = "the sample data pack (../shared/data or TWIN_DATA_DIR) is not present"
        if REQUIRE_PACK:
            pytest.fail(f"{message}, and TWIN_REQUIRE_PACK=1 requires it")
        pytest.skip(message)
    return DATA_DIR


@pytest.fixture(scope="session")
def settings(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=data_dir, cache_dir=tmp_path_factory.mktemp("cache"), offline=True)


@pytest.fixture(scope="session")
def hongkou(settings: Settings):
    from twin.model import district_from_sources

    return district_from_sources("hongkou", settings)


@pytest.fixture(scope="session")
def minhang(settings: Settings):
    from twin.model import district_from_sources

    return district_from_sources("minhang", settings)


@pytest.fixture(scope="session")
def offline_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with no data pack and an empty cache: what a clean machine has."""
    return Settings(data_dir=None, cache_dir=tmp_path_factory.mktemp("bare"), offline=True)


@pytest.fixture(scope="session")
def town():
    """Testville: the synthetic district of ``tests/synthetic.py``."""
    from synthetic import testville

    return testville()


@pytest.fixture(scope="session")
def town_build(town, offline_settings):
    from twin.analysis.build import build

    return build(town, offline_settings)
