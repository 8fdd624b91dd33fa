"""Shared fixtures: the data pack, an isolated cache, offline settings and a loaded Hongkou."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from twin.settings import PROJECT_ROOT, Settings

INPUT = Path(__file__).parent / "input_data"


def _data_dir() -> Path | None:
    env = os.environ.get("TWIN_DATA_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(PROJECT_ROOT.parent / "shared" / "data")
    return next((c for c in candidates if (c / "osm").is_dir()), None)


DATA_DIR = _data_dir()
needs_pack = pytest.mark.skipif(DATA_DIR is None, reason="the sample data pack is not present")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if DATA_DIR is None:
        pytest.skip("the sample data pack (../shared/data or TWIN_DATA_DIR) is not present")
    return DATA_DIR


@pytest.fixture(scope="session")
def settings(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=data_dir, cache_dir=tmp_path_factory.mktemp("cache"), offline=True)


@pytest.fixture(scope="session")
def hongkou(settings: Settings):
    from twin.model import load_district

    return load_district("hongkou", settings)


@pytest.fixture(scope="session")
def minhang(settings: Settings):
    from twin.model import load_district

    return load_district("minhang", settings)
