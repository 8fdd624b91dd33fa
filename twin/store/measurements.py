"""Measured signal and the 5G calibration fitted to it, kept per district.

``measurements/<slug>/cells.parquet`` holds the 1-dB histograms per base hexagon (so any coarser
resolution stays exact) and ``provenance.json`` what was read; ``calibration.json`` the fit of
``twin calibrate``. Builds read both (:func:`twin.analysis.build.build`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from twin.measurements import Calibration, Measurements
from twin.settings import Settings
from twin.store.atomic import cache_write
from twin.store.jsonfile import read_json


def measurements_folder(slug: str, settings: Settings) -> Path:
    """Where the measured signal and the calibration of ``slug`` are kept."""
    return settings.cache_dir / "measurements" / slug


def save_measurements(slug: str, data: Measurements, settings: Settings) -> Path:
    """Keep the aggregated measurements of ``slug`` (Parquet + provenance JSON)."""
    folder = measurements_folder(slug, settings)
    cells = data.cells.copy()
    for kind in ("rsrp", "sinr"):  # the histograms, so any coarser resolution stays exact
        hist = data.cells.attrs.get(f"{kind}_hist")
        if hist is not None:
            cells[f"{kind}_hist"] = [row.astype(np.int32).tolist() for row in hist]
    cells.attrs = {}
    cache_write(folder / "cells.parquet", cells.to_parquet)
    text = json.dumps(data.provenance, ensure_ascii=False, indent=1)
    cache_write(folder / "provenance.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return folder


def load_measurements(slug: str, settings: Settings) -> Measurements | None:
    folder = measurements_folder(slug, settings)
    try:
        cells = pd.read_parquet(folder / "cells.parquet")
        provenance = read_json(folder / "provenance.json")
    except (OSError, ValueError):
        return None
    for kind in ("rsrp", "sinr"):
        if f"{kind}_hist" in cells:
            cells.attrs[f"{kind}_hist"] = np.vstack(cells.pop(f"{kind}_hist").to_numpy())
    return Measurements(cells, provenance)


def _calibration_path(slug: str, settings: Settings) -> Path:
    return measurements_folder(slug, settings) / "calibration.json"


def save_calibration(slug: str, calibration: Calibration, settings: Settings) -> Path:
    text = json.dumps(asdict(calibration), indent=1)
    return cache_write(_calibration_path(slug, settings),
                        lambda tmp: tmp.write_text(text, encoding="utf-8"))  # fmt: skip


def load_calibration(slug: str, settings: Settings) -> Calibration | None:
    try:
        return Calibration(**read_json(_calibration_path(slug, settings)))
    except (OSError, ValueError, TypeError):
        return None
