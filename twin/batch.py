"""Many districts at once on Dask: each district a task, one result folder each, a city table.

``run_batch`` submits one task per district to a ``dask.distributed`` client: a
``LocalCluster`` sized to the machine, or an existing cluster at ``--scheduler tcp://host:port``
whose workers read the data pack and their own cache from their environment (``TWIN_DATA_DIR``,
``TWIN_CACHE_DIR``). Each task is exactly ``twin build`` for that district (same function, same
files), so the results equal a serial run. A district that fails is reported with its error;
the others still finish. The city summary puts every district's figures side by side and
weights the city-level shares by residents.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.settings import Settings
from twin.store.atomic import atomic_write, atomic_write_bytes

# the city's shares, one per service question (5G outdoor and deep apart: the plans differ)
SHARE_KEYS = ("coverage_5g_outdoor", "coverage_5g_deep", "charging_coverage", "lockers_coverage",
              "life_circle_f15")  # fmt: skip


@dataclass(frozen=True)
class DistrictResult:
    """One district's outcome: its summary row, or the error that stopped it."""

    slug: str
    ok: bool
    row: dict[str, Any]
    error: str = ""


def _put_row(row: dict[str, Any], key: str, stated: dict[str, Any]) -> None:
    """A report row's figure, plan number, status, basis, unit and range under ``key``."""
    row[key] = stated["measured"]
    row[f"{key}_target"] = stated["target"]
    row[f"{key}_status"] = stated["status"]
    row[f"{key}_basis"] = stated["basis"]
    row[f"{key}_unit"] = stated["unit"]
    row[f"{key}_low"], row[f"{key}_high"] = stated["range"] if stated.get("range") else (None, None)


def build_district(
    slug: str, settings: Settings, resolution: int | None, out_dir: str
) -> DistrictResult:
    """Build one district into ``out_dir/<slug>`` (runs on a worker, with the driver's
    settings); hexagons written at ``resolution`` (None: the base)."""
    try:
        from twin.analysis.build import build, write
        from twin.analysis.report import row_for
        from twin.analysis.served import QUESTIONS
        from twin.store.district import load_district

        district = load_district(slug, settings)
        result = build(district, settings, gap_resolution=resolution)
        write(result, Path(out_dir) / slug, resolution)
        report = result.report
        cells = result.coverage.cells
        row: dict[str, Any] = {
            "district": slug, "name": report["name"], "residents": report["residents"],
            "area_km2": report["area_km2"], "cells": report["cells"],
            "study_area_share": report["study_area_share"],
        }  # fmt: skip
        for r in report["rows"]:
            question = QUESTIONS.get(str(r.get("question") or ""))
            if question is not None and question.report_key != r["key"]:
                continue  # a plan's row stating a question (coverage_5g): under the question's
                # own key below, so a column never holds two measures from district to district
            _put_row(row, r["key"], r)
        for q in QUESTIONS.values():  # the counts behind each share, for the city's sums
            if q.served in cells:
                stated = row_for(report, q.key)  # the plan's row where it states the question
                if stated is None:
                    row[q.report_key] = None
                else:
                    _put_row(row, q.report_key, stated)
                weights = cells[q.by].to_numpy(dtype=float)
                row[f"{q.report_key}_served"] = float((weights * cells[q.served]).sum())
                row[f"{q.report_key}_of"] = float(weights.sum())
        return DistrictResult(slug, True, row)
    except Exception as exc:  # a failing district is reported, never stops the others
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return DistrictResult(slug, False, {"district": slug}, last)


def city_summary(results: Sequence[DistrictResult]) -> dict[str, Any]:
    """City-level shares over the districts that finished: the sum of what is served over the
    sum of its denominator (km² for 5G, residents otherwise), never an average of shares."""
    done = [r.row for r in results if r.ok]
    people = sum(float(r.get("residents") or 0) for r in done)
    city: dict[str, Any] = {"districts": len(results), "finished": len(done),
                            "failed": [r.slug for r in results if not r.ok], "residents": people}  # fmt: skip
    for key in SHARE_KEYS:
        counted = [r for r in done if r.get(f"{key}_of") is not None]
        total = sum(float(r[f"{key}_of"]) for r in counted)
        served = sum(float(r[f"{key}_served"]) for r in counted)
        city[key] = served / total if total else None
    return city


def make_client(scheduler: str | None, workers: int | None = None):
    """A client of the cluster at ``scheduler``, or of a local cluster sized to the machine."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="20s")
    n = workers or max(1, min(os.cpu_count() or 1, 4))
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           dashboard_address=None)  # fmt: skip
    return Client(cluster)


def run_tasks(
    task: Callable[..., DistrictResult],
    districts: Sequence[str],
    extra: tuple[Any, ...],
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> list[DistrictResult]:
    """``task(slug, *extra)`` for every district as Dask tasks (a local cluster sized to the
    machine, or ``scheduler``), in the districts' order; a failing district never stops the
    others."""
    from dask.distributed import as_completed

    client = make_client(scheduler, workers)
    try:
        progress(f"Dask: {len(client.scheduler_info()['workers'])} workers at "
                 f"{client.scheduler.address}")  # fmt: skip
        futures = [client.submit(task, slug, *extra, key=f"twin-{task.__name__}-{slug}", pure=False)
                   for slug in districts]  # fmt: skip
        results = []
        for done, future in enumerate(as_completed(futures), start=1):
            result: DistrictResult = future.result()
            results.append(result)
            state = "done" if result.ok else f"FAILED: {result.error}"
            progress(f"[{done}/{len(futures)}] {result.slug}: {state}")
    finally:
        client.close()
        if scheduler is None and client.cluster is not None:
            client.cluster.close()
    order = {slug: i for i, slug in enumerate(districts)}
    results.sort(key=lambda r: order[r.slug])
    return results


def run_batch(
    districts: Sequence[str],
    out_dir: Path,
    resolution: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
    settings: Settings | None = None,
) -> tuple[list[DistrictResult], dict[str, Any]]:
    """Build ``districts`` as Dask tasks with the run's ``settings`` (the environment's when
    None); write a city table (CSV and JSON) into ``out_dir``."""
    settings = settings or Settings.from_env()
    import pandas as pd

    out_dir = Path(out_dir)
    results = run_tasks(build_district, districts, (settings, resolution, str(out_dir)), scheduler,
                        workers, progress)  # fmt: skip
    table = pd.DataFrame([r.row | {"error": r.error} for r in results])
    from twin.exports import csv_bytes

    atomic_write_bytes(out_dir / "city_summary.csv", csv_bytes(table))
    summary = city_summary(results)
    text = json.dumps(summary, ensure_ascii=False, indent=1)
    atomic_write(out_dir / "city_summary.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return results, summary


def programme_district(
    slug: str,
    settings: Settings,
    layers: tuple[str, ...],
    start: int | None,
    until: int | None,
    budget: int | None,
    out_dir: str,
) -> DistrictResult:
    """One district's programme (runs on a worker): its JSON into ``out_dir``, its rows of the
    city table (a row per year and layer)."""
    try:
        from twin.analysis.build import build
        from twin.programme import programme
        from twin.store.district import load_district

        result = build(load_district(slug, settings), settings)
        plan = programme(result, layers, start, until, budget)
        text = json.dumps(plan, ensure_ascii=False, indent=1, allow_nan=False)
        atomic_write(Path(out_dir) / f"{slug}_programme.json",
                     lambda tmp: tmp.write_text(text, encoding="utf-8"))  # fmt: skip
        rows = [{"district": slug, "year": y["year"], "layer": layer, **figures}
                for y in plan["years"] for layer, figures in y["by_layer"].items()]  # fmt: skip
        return DistrictResult(slug, True, {"district": slug, "rows": rows})
    except Exception as exc:  # a failing district is reported, never stops the others
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return DistrictResult(slug, False, {"district": slug}, last)


def run_programmes(
    districts: Sequence[str],
    out_dir: Path,
    layers: tuple[str, ...],
    start: int | None = None,
    until: int | None = None,
    budget: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
    settings: Settings | None = None,
) -> tuple[list[DistrictResult], Path]:
    """Every district's programme as Dask tasks; the city table of sites per year and layer
    (``city_programme.csv``) beside each district's JSON in ``out_dir``."""
    settings = settings or Settings.from_env()
    import pandas as pd

    out_dir = Path(out_dir)
    results = run_tasks(programme_district, districts,
                        (settings, tuple(layers), start, until, budget, str(out_dir)), scheduler,
                        workers, progress)  # fmt: skip
    rows = [row for r in results if r.ok for row in r.row["rows"]]
    columns = ["district", "year", "layer", "sites_added", "covered_share", "capacity_share",
               "newly_served"]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    path = out_dir / "city_programme.csv"
    from twin.exports import csv_bytes

    atomic_write_bytes(path, csv_bytes(table))
    return results, path
