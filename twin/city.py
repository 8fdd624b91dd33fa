"""The whole city on one screen: the sixteen districts' figures as ``twin batch`` stored them.

``twin batch --all --out DIR`` writes ``DIR/city_summary.csv``: a row per district with each
report row's figure, plan number, status, basis and range (:func:`twin.batch.build_district`).
:func:`read_city` reads it back and :func:`city_table` words each district's figures as every
face words them (``value_text``, ``range_text``); nothing here measures a district again
(:mod:`twin.city_run` starts that command for a viewer that has no results yet).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from twin._errors import DataNotFoundError, InvalidInputError
from twin.analysis.report import range_text, value_text
from twin.i18n import N_

CITY_FIGURES = {  # the figure of a question (the plan's row where it states it): label, unit
    "coverage_5g_outdoor": (N_("5G outdoor coverage"), "share of area"),
    "coverage_5g_deep": (N_("5G deep (indoor) coverage"), "share of residents"),
    "charging_coverage": (N_("EV charging"), "share of residents"),
    "lockers_coverage": (N_("Smart lockers"), "share of residents"),
    "life_circle_f15": (N_("15-minute life circle (F15)"), "share of residents"),
}
SUMMARY = "city_summary.csv"


def read_city(folder: Path) -> pd.DataFrame:
    """The stored city table of ``folder`` (a ``twin batch`` output), or a clear error."""
    path = Path(folder) / SUMMARY
    if not path.is_file():
        msg = N_("no city results in {folder}: run 'twin batch --all --out {folder}' first (it "
                 "measures all sixteen districts on Dask).").format(folder=folder)  # fmt: skip
        raise DataNotFoundError(msg)
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        msg = N_("{path} is not a readable city table ({error}); run twin batch again.").format(
            path=path, error=type(exc).__name__
        )
        raise InvalidInputError(msg) from None
    if "district" not in table.columns:
        msg = N_("{path} has no district column; it is not a twin batch city table.").format(
            path=path
        )
        raise InvalidInputError(msg)
    return table


def _plain(value: Any) -> Any:
    """A table cell as plain data: an empty cell (NaN) is None."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _error(row: pd.Series) -> str:
    """Why the batch could not measure a row's district ("" when it did)."""
    return str(_plain(row.get("error")) or "")


def _cell(row: pd.Series, key: str) -> dict[str, Any]:
    def value(name: str) -> Any:
        return _plain(row.get(name))

    unit = str(value(f"{key}_unit") or "") or CITY_FIGURES[key][1] or "share"
    measured, low, high = value(key), value(f"{key}_low"), value(f"{key}_high")
    fact = {"measured": measured, "unit": unit, "range": None if low is None else [low, high]}
    return {
        "figure": value_text(measured, unit),
        "value": measured,
        "status": str(value(f"{key}_status") or N_("no figure")),
        "basis": str(value(f"{key}_basis") or ""),
        "range": range_text(fact),
    }


def city_totals(table: pd.DataFrame) -> dict[str, Any]:
    """The whole city's figure of each question, as ``twin batch`` states it in
    ``city_summary.json`` (:func:`twin.batch.city_summary`, the same function): what the
    finished districts serve over their summed denominator, never a mean of their shares."""
    from twin.batch import DistrictResult, city_summary

    results = []
    for _, row in table.iterrows():
        plain = {k: _plain(v) for k, v in row.items()}
        results.append(DistrictResult(str(row["district"]), not _error(row), plain))
    return city_summary(results)


def city_table(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Per district (in the table's order): its name, residents and, per figure of
    :data:`CITY_FIGURES`, the figure as text, its value, status, basis and range; ``error``
    for a district the batch could not measure."""
    out = []
    for _, row in table.iterrows():
        entry: dict[str, Any] = {
            "district": str(row["district"]), "name": str(row.get("name") or row["district"]),
            "residents": row.get("residents"), "error": _error(row),
        }  # fmt: skip
        for key in CITY_FIGURES:
            entry[key] = _cell(row, key)
        out.append(entry)
    return out
