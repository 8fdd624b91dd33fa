"""The ``twin`` command line.

Exit codes: 0 success, 2 bad usage or bad input, 1 any other failure. Errors go to stderr in one
sentence; progress goes to stderr too, so stdout stays clean for ``--json``. Heavy libraries
(geopandas, osmnx, scipy) are imported inside the commands that need them, so ``twin --help``
and ``twin districts`` start at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypedDict

from twin._errors import (
    DataNotFoundError,
    InvalidInputError,
    TwinError,
    UnknownDistrictError,
)
from twin.analysis.report_text import percent
from twin.districts import TARGET_KEYS, chinese_names, load_presets
from twin.keys import DATUMS, EXPORT_FORMATS, LAYER_NAMES, MAP_METRICS
from twin.outputs import STDOUT
from twin.settings import Settings

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def _progress(message: str) -> None:
    print(f"  · {message}", file=sys.stderr, flush=True)


def _positive_int(text: str) -> int:
    """An argparse type: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"{text!r} is not a whole number of at least 1"
        raise argparse.ArgumentTypeError(msg)
    return value


def _settings(args: argparse.Namespace) -> Settings:
    """The run configuration: the environment, then the command's flags over it."""
    settings = Settings.from_env()
    if getattr(args, "offline", False):
        settings = settings.replace(offline=True)
    if getattr(args, "base_res", None) is not None:
        from twin.grid import check_resolution

        settings = settings.replace(h3_resolution=check_resolution(args.base_res))
    return settings


def _display_res(args: argparse.Namespace, settings: Settings) -> int | None:
    """The resolution outputs are shown at (``--res``), never finer than the base."""
    res = getattr(args, "res", None)
    if res is None:
        return None
    from twin.grid import check_resolution

    res = check_resolution(res)
    if res > settings.h3_resolution:
        msg = (f"--res {res} is finer than the base resolution {settings.h3_resolution} the "
               f"district is measured at; add --base-res {res} (or TWIN_H3_RES={res}).")  # fmt: skip
        raise InvalidInputError(msg)
    return res


def _format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "no number"
    if unit.startswith("share"):
        return f"{value:.0%}"
    return f"{value:,.0f}"


def cmd_districts(args: argparse.Namespace) -> int:
    """Print the presets and their plan targets."""
    presets = load_presets()
    if args.json:
        rows = [
            {
                "slug": p.slug, "name_zh": p.name_zh, "name_en": p.name_en, "adcode": p.adcode,
                "ring": p.ring, "population": p.population, "plan": p.plan,
                "targets": [t.__dict__ for t in p.targets],
            }
            for p in presets
        ]  # fmt: skip
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"{'district':<12}{'name':<8}{'adcode':<8}{'ring':<12}{'residents':>11}  plan targets")
    for p in presets:
        targets = "; ".join(
            f"{TARGET_KEYS.get(t.key, t.key)} {_format_value(t.value, t.unit)} ({t.year})"
            for t in p.targets
            if t.kind == "target"
        )
        name = p.name_zh
        pad = 8 - len(name)  # CJK characters are two columns wide
        print(
            f"{p.slug:<12}{name}{' ' * max(pad, 1)}{p.adcode:<8}{p.ring:<12}"
            f"{p.population:>11,}  {targets or '—'}"
        )
    return EXIT_OK


class DistrictSources(TypedDict):
    """The district's own inputs a command line names (what the district cache is keyed by)."""

    osm_file: Path | None
    boundary_file: Path | None
    boundary_crs: str
    demand_raster: Path | None


def _district_sources(args: argparse.Namespace) -> DistrictSources:
    """The district's own inputs named on the command line (the district cache's key)."""

    def path(option: str) -> Path | None:
        return Path(getattr(args, option)) if getattr(args, option, None) else None

    return DistrictSources(osm_file=path("osm_file"), boundary_file=path("boundary_file"),
                           boundary_crs=getattr(args, "boundary_crs", "wgs84"),
                           demand_raster=path("population"))  # fmt: skip


def _load(args: argparse.Namespace, refresh: bool = False):
    from twin.store.district import load_district

    return load_district(args.district, _settings(args), refresh=refresh, progress=_progress,
                         **_district_sources(args))  # fmt: skip


def _print_summary(summary: dict) -> None:
    print(f"{summary['name_en']} {summary['name_zh']} ({summary['adcode']})")
    print(f"  boundary area      {summary['boundary_area_km2']:.2f} km²")
    print(
        f"  streets            {summary['street_nodes']:,} nodes, {summary['street_edges']:,} edges"
    )
    print(
        f"  study area         {summary['study_area_km2']:.2f} km² "
        f"({summary['study_area_share']:.0%} of the district)"
    )
    print(
        f"  demand             {summary['demand_points']:,} points, {summary['residents']:,} residents"
    )
    print(
        "  POIs by category   "
        + ", ".join(f"{k} {v}" for k, v in summary["pois_by_category"].items())
    )
    print("  sources")
    for source in summary["sources"]:
        print(
            f"    {source['kind']:<9}{source['origin']}  [{source['crs']}]  {source['attribution']}"
        )
    for note in summary["notes"]:
        print(f"  note: {note}")


def cmd_fetch(args: argparse.Namespace) -> int:
    """Load everything for a district and cache it."""
    from twin.districts import resolve
    from twin.store.district import remember_street_file

    print(f"fetching {args.district} ...", file=sys.stderr)
    settings = _settings(args)
    slug = resolve(args.district).slug
    osm_file = Path(args.osm_file) if args.osm_file else None
    remember_street_file(slug, None, settings)  # a fetch without --osm-file forgets the file
    loaded = _load(args, refresh=True)
    remember_street_file(slug, osm_file, settings)  # later commands use the same streets
    if osm_file is not None:
        print(f"later commands for {loaded.name} use the streets of {osm_file} until another "
              f"'twin fetch {slug}' says otherwise", file=sys.stderr)  # fmt: skip
    _print_summary(loaded.summary())
    return EXIT_OK


def _prepare_one(
    name: str, settings: Settings, progress: Callable[[str], None]
) -> tuple[str, float]:
    """Load ``name``, build both walking profiles (5G and the seed spread measured once) and
    store their reports where the Overview and ``twin report`` read them; its name and the
    seconds it took."""
    import time

    from twin.analysis.build import build
    from twin.analysis.engine import CoverageParams
    from twin.store.district import load_district
    from twin.store.reports import plan_report_key, save_report

    start = time.perf_counter()
    loaded = load_district(name, settings, progress=progress)
    first = None
    for elderly in (False, True):  # the viewer's two walking profiles
        built = build(loaded, settings, CoverageParams.from_settings(settings, None, elderly),
                      progress=progress, reuse=first)  # fmt: skip
        first = built if first is None else first
        # the report where `twin report` and the viewer's Overview read it warm
        save_report(*plan_report_key(name, settings, elderly), built.report, settings)
    return loaded.name, time.perf_counter() - start


_PREPARE: Settings | None = None  # the run's settings, inherited by forked workers
PREPARE_WORKERS = 4


def _prepare_task(names: list[str]) -> list[tuple[str, float]]:
    """One worker's task: its districts one after another (a shared street file parsed once)."""

    def progress_of(name: str) -> Callable[[str], None]:
        def progress(message: str) -> None:  # two districts at once: each line says whose
            print(f"  · {name}: {message}", file=sys.stderr, flush=True)

        return progress

    return [_prepare_one(name, _PREPARE, progress_of(name)) for name in names]  # type: ignore[arg-type]


def cmd_prepare(args: argparse.Namespace) -> int:
    """Load and measure districts ahead of the viewer, so its first pages answer at once: one
    task per core at a time, the largest first (forked processes; every store write is atomic).
    Districts that read the same street file are one task (the file parsed once)."""
    import itertools
    import multiprocessing

    from twin.districts import PLAN_DISTRICTS
    from twin.settings import usable_cores
    from twin.store.district import prepare_tasks

    global _PREPARE
    settings = _settings(args)
    names = list(dict.fromkeys(args.districts or PLAN_DISTRICTS))  # each district once
    # by default one task per core, at most 4 at once (each holds its district in memory)
    workers = min(args.workers or min(usable_cores(), PREPARE_WORKERS), len(names))
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        workers = 1
    tasks = prepare_tasks(names, settings, workers)
    workers = min(workers, len(tasks))
    shared = "".join(f"; {' and '.join(task)} read the same street file, one after another"
                     for task in tasks if len(task) > 1)  # fmt: skip
    print(f"preparing {len(names)} district(s), {workers} at a time{shared}", file=sys.stderr,
          flush=True)  # fmt: skip
    if workers == 1:
        for i, name in enumerate(itertools.chain.from_iterable(tasks), start=1):
            print(f"[{i}/{len(names)}] {name}: loading", file=sys.stderr, flush=True)
            shown, seconds = _prepare_one(name, settings, _progress)
            print(f"[{i}/{len(names)}] {shown}: ready in {seconds:.1f} s", file=sys.stderr,
                  flush=True)  # fmt: skip
        return EXIT_OK
    _PREPARE = settings
    import twin.analysis.build  # noqa: F401  (imported once here: the forked workers inherit it)

    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done = pool.imap_unordered(_prepare_task, tasks, chunksize=1)
            for i, (shown, seconds) in enumerate(itertools.chain.from_iterable(done), start=1):
                print(f"[{i}/{len(names)}] {shown}: ready in {seconds:.1f} s", file=sys.stderr,
                      flush=True)  # fmt: skip
    finally:
        _PREPARE = None
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    """Build many districts as Dask tasks (local cluster or --scheduler); a city table."""
    from twin.batch import SHARE_KEYS, run_batch
    from twin.districts import resolve

    if args.all == bool(args.districts):
        msg = "name the districts to build, or --all for the sixteen districts of Shanghai."
        raise InvalidInputError(msg)
    slugs = (
        [p.slug for p in load_presets()] if args.all else [resolve(d).slug for d in args.districts]
    )
    settings = _settings(args)
    results, city = run_batch(slugs, Path(args.out), _display_res(args, settings), args.scheduler,
                              args.workers, _progress, settings)  # fmt: skip
    print(f"{city['finished']} of {city['districts']} districts built into {args.out}; "
          f"city table: {Path(args.out) / 'city_summary.csv'}")  # fmt: skip
    for key in SHARE_KEYS:
        if city.get(key) is not None:
            print(f"  city {key}: {percent(city[key])} (served over the districts' total)")
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"  {r.slug} failed: {r.error}", file=sys.stderr)
    return EXIT_FAILURE if failed else EXIT_OK


def cmd_measurements_import(args: argparse.Namespace) -> int:
    """Aggregate measured signal (CSV/Parquet, a path or a glob) to H3 with Dask; keep it."""
    from twin.measurements import import_measurements
    from twin.store.district import load_district
    from twin.store.measurements import save_measurements

    settings = _settings(args)
    district = load_district(args.district, settings, progress=_progress)
    data = import_measurements(args.files, district, args.crs, args.res)
    folder = save_measurements(district.preset.slug, data, settings)
    print(f"{district.name}: {data.summary()}")
    print(f"kept in {folder}; 'twin calibrate {district.preset.slug}' fits the 5G model to it")
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit the 5G model's offset (and slope) to the district's measurements; later builds use it."""
    from twin.measurements import calibrate
    from twin.store.district import load_district
    from twin.store.layers import layer_for
    from twin.store.measurements import load_measurements, save_calibration

    settings = _settings(args)
    district = load_district(args.district, settings, progress=_progress)
    data = load_measurements(district.preset.slug, settings)
    if data is None:
        msg = (f"{district.name} has no measurements; run 'twin measurements import FILES "
               f"--district {district.preset.slug}' first.")  # fmt: skip
        raise DataNotFoundError(msg)
    sites = layer_for(district, "base_stations", settings)
    result = calibrate(district, data, sites, settings.norms)
    save_calibration(district.preset.slug, result, settings)
    print(f"{district.name}: 5G model {result.describe()}; later builds use it")
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    """Describe what is loaded for a district."""
    summary = _load(args).summary()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        _print_summary(summary)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Validate a real inventory and use it in place of the generated layer."""
    from twin.inventory import import_inventory
    from twin.store.inventories import save_imported

    settings = _settings(args)
    loaded = _load(args)
    frame, report = import_inventory(
        loaded,
        args.layer,
        Path(args.file),
        args.crs or "wgs84",
        args.lat_col,
        args.lon_col,
        args.gpkg_layer,
        settings.norms,
        confirmed=args.crs is not None,  # a doubted default datum is not stored
    )
    print(report.text())
    if args.rejected_out and len(report.rejected):
        from twin.exports import csv_bytes
        from twin.store.atomic import atomic_write_bytes

        atomic_write_bytes(Path(args.rejected_out), csv_bytes(report.rejected_table()))
        shown = len(report.rejected)
        total = report.rejected_count
        print(f"rejected rows written to {args.rejected_out}" + (
            f" (the first {shown:,} of {total:,}; a large file keeps a sample, every row is "
            "counted above)" if shown < total else ""))  # fmt: skip
    saved = save_imported(loaded.preset.slug, args.layer, frame, settings)
    print(
        f"{report.accepted} sites now stand for the {args.layer} layer of {loaded.name} ({saved})"
    )
    return EXIT_OK


def _build(args: argparse.Namespace):
    """The one pipeline at the run's base resolution; gaps listed at ``--res``."""
    from twin.analysis.build import build
    from twin.analysis.engine import CoverageParams

    settings = _settings(args)
    shown = _display_res(args, settings)
    loaded = _load(args)
    params = CoverageParams.from_settings(settings, None, args.elderly)
    return build(loaded, settings, params, progress=_progress, gap_resolution=shown)


def cmd_build(args: argparse.Namespace) -> int:
    """Layers, hexagon metrics and the plan report, written to a folder."""
    from twin.analysis.build import write

    result = _build(args)
    out = Path(args.out) if args.out else Path("build") / result.district.preset.slug
    for what, path in write(result, out, _display_res(args, _settings(args))).items():
        print(f"  {what:<14} {path}")
    print(f"built {result.district.name} (measured at H3 res {result.base_resolution}) into {out}")
    return EXIT_OK


def cmd_programme(args: argparse.Namespace) -> int:
    """Sites to add year by year to the plan's deadline, within reach and capacity."""
    from twin.programme import PROGRAMME_LAYERS

    layers = tuple(PROGRAMME_LAYERS if args.all_layers else [args.layer or "lockers"])
    if args.all_layers and args.layer:
        msg = "give --layer or --all-layers, not both."
        raise InvalidInputError(msg)
    if args.all == bool(args.district):
        msg = "name a district, or --all for the sixteen districts of Shanghai."
        raise InvalidInputError(msg)
    if args.all:
        return _programme_city(args, layers)
    from twin.programme import programme

    result = _build(args)
    plan = programme(result, layers, args.start, args.until, args.budget, progress=_progress,
                     target_share=args.target_share, relocate=args.relocate)  # fmt: skip
    if args.out:
        from twin.exports import metadata, to_geojson
        from twin.programme import programme_sites
        from twin.store.atomic import atomic_write_bytes

        summary = {k: v for k, v in plan.items() if k not in ("years", "attribution")}
        atomic_write_bytes(Path(args.out), to_geojson(programme_sites(plan),
                                                      metadata(plan["attribution"], summary)))  # fmt: skip
        print(f"written {args.out}", file=sys.stderr)
    if args.pdf:
        from twin.render.static import report_pdf
        from twin.store.atomic import atomic_write_bytes

        district = result.district
        pdf = report_pdf(result.report, result.cells(min(9, result.base_resolution)),
                         district.boundary, district.metric_crs, _street_lines(district),
                         result.layers, result.coverage.params.norms, programme=plan,
                         language=args.lang, names=chinese_names())  # fmt: skip
        atomic_write_bytes(Path(args.pdf), pdf)
        print(f"report with the programme → {args.pdf} ({len(pdf):,} bytes)", file=sys.stderr)
    if args.json:
        print(json.dumps(plan, ensure_ascii=False, indent=1, allow_nan=False))
        return EXIT_OK
    print(format_programme(plan))
    return EXIT_OK


def format_programme(plan: dict) -> str:
    """The programme as aligned text: a line per year and layer."""
    from twin.capacity import UNITS
    from twin.layers import REGISTRY

    lines = [f"{plan['name']}: programme {plan['from']}–{plan['until']} for "
             + ", ".join(REGISTRY[k].label.lower() for k in plan["layers"]),
             "budget: " + "; ".join(f"{REGISTRY[k].label}: {v} a year ({plan['budget_basis'][k]})"
                                    for k, v in plan["budget_per_year"].items()), "",
             f"{'year':<6}{'layer':<20}{'added':>7}{'within reach':>14}{'within capacity':>17}"
             f"{'newly served':>14}  targets met"]  # fmt: skip
    for layer, start in plan["start"].items():
        cap = percent(start["capacity_share"])
        lines.append(f"{'now':<6}{REGISTRY[layer].label[:19]:<20}{'':>7}"
                     f"{percent(start['covered_share']):>14}{cap:>17}")  # fmt: skip
    for entry in plan["years"]:
        for i, (layer, f) in enumerate(entry["by_layer"].items()):
            cap = percent(f["capacity_share"])
            met = ", ".join(entry["targets_met"]) if i == 0 else ""
            lines.append(f"{entry['year']:<6}{REGISTRY[layer].label[:19]:<20}{f['sites_added']:>7}"
                         f"{percent(f['covered_share']):>14}{cap:>17}{f['newly_served']:>14,}  {met}")  # fmt: skip
    if plan["shared_sites"]:
        lines.append(f"{plan['shared_sites']} shared sites host two layers at one place")
    for entry in plan["years"]:
        for move in entry.get("moves", []):
            lines.append(f"{entry['year']}: move a {REGISTRY[move['layer']].site_label.lower()} "
                         f"from {move['from'][0]:.5f}, {move['from'][1]:.5f} to "
                         f"{move['to'][0]:.5f}, {move['to'][1]:.5f} ({move['kind']})")  # fmt: skip
    for layer, bound in plan["bound"].items():
        lines.append(f"{REGISTRY[layer].label}: {bound['served']:,.0f} {UNITS[layer]} served; at most "
                     f"{bound['upper_bound']:,.0f} with as many sites ({bound['bound_kind']} bound, "
                     f"gap {percent(bound['gap'])})")  # fmt: skip
    lines += [f"basis: {note}" for note in plan["basis"]]
    lines += [f"assumption: {note}" for note in plan["assumptions"]]
    return "\n".join(lines)


def _programme_city(args: argparse.Namespace, layers: tuple[str, ...]) -> int:
    from twin.batch import run_programmes

    settings = _settings(args)
    slugs = [p.slug for p in load_presets()]
    out = Path(args.out_dir)
    results, table = run_programmes(slugs, out, layers, args.start, args.until, args.budget,
                                    args.scheduler, args.workers, _progress, settings)  # fmt: skip
    done = [r for r in results if r.ok]
    print(f"{len(done)} of {len(results)} districts' programmes in {out}; city table: {table}")
    for r in results:
        if not r.ok:
            print(f"  {r.slug} failed: {r.error}", file=sys.stderr)
    return EXIT_OK if len(done) == len(results) else EXIT_FAILURE


def cmd_report(args: argparse.Namespace) -> int:
    """The plan report: each target next to the measured value (a warm report from the store)."""
    from twin.analysis.report_text import format_report
    from twin.store.reports import load_report, save_report

    settings = _settings(args)
    slug, key = _report_key(args)
    report = None if args.pdf else load_report(slug, key, settings)
    if report is not None:
        _progress("report: from the store (every input unchanged)")
    else:
        result = _build(args)
        report = result.report
        slug, key = _report_key(args)  # the district may have been stored by this build
        save_report(slug, key, report, settings)
    if args.pdf:
        from twin.render.static import report_pdf
        from twin.store.atomic import atomic_write_bytes

        district = result.district
        shown = _display_res(args, _settings(args))
        pdf = report_pdf(report, result.cells(shown or min(9, result.base_resolution)),
                         district.boundary, district.metric_crs, _street_lines(district),
                         result.layers, result.coverage.params.norms, language=args.lang,
                         names=chinese_names())  # fmt: skip
        atomic_write_bytes(Path(args.pdf), pdf)
        print(f"report of {district.name} → {args.pdf} ({len(pdf):,} bytes)", file=sys.stderr)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1, allow_nan=False))
    else:
        print(format_report(report))
    return EXIT_OK


def _report_key(args: argparse.Namespace) -> tuple[str, str]:
    """The district's slug and the key of its report under this command's inputs."""
    from twin.store.reports import plan_report_key

    settings = _settings(args)
    return plan_report_key(args.district, settings, bool(args.elderly),
                           _display_res(args, settings), **_district_sources(args))  # fmt: skip


def _street_lines(district):
    return district.streets.lines if district.has_streets else None


def cmd_map(args: argparse.Namespace) -> int:
    """Write a static map (PNG) of one metric with legend, scale bar, north arrow, attribution."""
    from twin.analysis.report_text import figure_line, row_for
    from twin.render.basemap import landmarks
    from twin.render.hexagons import metric_for
    from twin.render.static import map_png
    from twin.store.atomic import atomic_write_bytes

    result = _build(args)
    norms = result.coverage.params.norms
    metric = metric_for(args.metric, norms)
    cells = result.cells(_display_res(args, _settings(args)))
    if metric.column not in cells:
        msg = f"the build has no {metric.column} column for the {args.metric} map."
        raise InvalidInputError(msg)
    district = result.district
    figure = figure_line(row_for(result.report, args.metric))  # "" where no row states it
    png = map_png(cells, args.metric, district.boundary, district.metric_crs,
                  _street_lines(district), result.layers.get(metric.sites_layer or ""), args.unserved_only,
                  f"{district.preset.label}: {metric.label}" + (f"\n{figure}" if figure else ""),
                  " · ".join(dict.fromkeys(result.report["attribution"])), norms,
                  landmarks(district.pois))  # fmt: skip
    if args.output == STDOUT:
        sys.stdout.buffer.write(png)
    else:
        atomic_write_bytes(Path(args.output), png)
    print(f"{metric.label} of {district.name} → {args.output} ({len(png):,} bytes)",
          file=sys.stderr if args.output == STDOUT else sys.stdout)  # fmt: skip
    return EXIT_OK


def cmd_site(args: argparse.Namespace) -> int:
    """Recommend new sites (maximal covering), or the fewest sites reaching a share."""
    from twin.siting import recommend

    result = _build(args)
    candidates = None
    if args.candidates:
        from twin.inventory import read_candidates

        candidates = read_candidates(Path(args.candidates), args.crs or "wgs84", result.district,
                                     confirmed=args.crs is not None)  # fmt: skip
        if candidates.attrs.get("datum_note"):
            print(f"warning: {candidates.attrs['datum_note']}", file=sys.stderr)
    sites, summary = recommend(
        result.district, args.layer, result.coverage.cells, args.add, args.target_share,
        candidates, result.coverage.params, _progress, sites=result.layers.get(args.layer),
    )  # fmt: skip
    if args.json:
        records = sites.assign(lon=sites.geometry.x.round(6), lat=sites.geometry.y.round(6))
        payload = summary | {"sites_ranked": records.drop(columns="geometry").to_dict("records")}
        print(json.dumps(payload, ensure_ascii=False, indent=1, default=str))
    else:
        of = "area" if summary["denominator"] == "area" else "residents"
        print(f"{args.layer}: {percent(summary['covered_share_before'])} of {of} served now, "
              f"{percent(summary['covered_share_after'])} with {summary['sites']} new sites "
              f"({summary['candidates']:,} candidates; {summary['question']})")  # fmt: skip
        for row in sites.itertuples():
            gain = (f"+{row.new_km2:,.3f} km²" if of == "area"
                    else f"+{row.new_residents:,.0f} residents")  # fmt: skip
            print(f"  {row.rank:>3}. {row.geometry.x:.6f}, {row.geometry.y:.6f}  {row.candidate_kind:<14}"
                  f" {gain} → {percent(row.covered_share)}")  # fmt: skip
        if "note" in summary:
            print(f"note: {summary['note']}")
    if args.out:
        from twin.exports import metadata, to_geojson
        from twin.store.atomic import atomic_write_bytes

        meta = metadata(result.report["attribution"], summary)
        atomic_write_bytes(Path(args.out), to_geojson(sites, meta))
        print(f"written {args.out}", file=sys.stderr)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write a layer or the hexagon metrics as GeoJSON, GeoParquet, CSV, GeoPackage or GeoTIFF."""
    from twin.exports import export_bytes, metadata, write_export

    if args.format == "gtiff" and (args.layer != "hexagons" or not args.metric):
        msg = "a GeoTIFF holds a hexagon metric: use --layer hexagons --metric COLUMN."
        raise InvalidInputError(msg)
    if args.datum != "wgs84" and args.format != "geojson":
        raise InvalidInputError("GCJ-02 output is offered for GeoJSON only (for Amap); use wgs84.")
    result = _build(args)
    shown = _display_res(args, _settings(args))
    frame = result.cells(shown) if args.layer == "hexagons" else result.layers[args.layer]
    meta = metadata(result.report["attribution"], result.report["parameters"] | {
        "district": result.district.preset.slug, "layer": args.layer, "datum": args.datum})  # fmt: skip
    if args.output == STDOUT:  # the data alone: a CSV's CSVW sidecar needs a file name
        data = export_bytes(frame, args.format, meta, args.layer, args.datum, args.metric,
                            result.district.metric_crs)  # fmt: skip
        sys.stdout.buffer.write(data)
        print(f"{args.layer} of {result.district.name} → standard output, {len(data):,} bytes",
              file=sys.stderr)  # fmt: skip
        return EXIT_OK
    written = write_export(Path(args.output), frame, args.format, meta, args.layer, args.datum,
                           args.metric, result.district.metric_crs)  # fmt: skip
    sizes = ", ".join(f"{p.name} {p.stat().st_size:,} bytes" for p in written)
    print(f"{args.layer} of {result.district.name} → {sizes}")
    return EXIT_OK


def _add_analysis_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--res", type=int,
                        help="H3 resolution 7–10 the hexagons, maps and gaps are shown at "
                             "(aggregated from the base; default: the base)")  # fmt: skip
    parser.add_argument("--base-res", type=int,
                        help="H3 resolution 7–10 the district is measured at (default 10, or "
                             "TWIN_H3_RES); every figure is the same at any --res")  # fmt: skip
    parser.add_argument(
        "--elderly",
        action="store_true",
        help="walk at the elderly profile's speed (norms: 3.6 km/h)",
    )


def _analysis_parser(sub, name: str, help_text: str) -> argparse.ArgumentParser:
    """A subcommand that loads a district and runs the coverage engine on it."""
    parser = sub.add_parser(name, help=help_text)
    _add_source_options(parser)
    _add_analysis_options(parser)
    return parser


def _add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("district", help="name, slug or adcode, e.g. hongkou, 虹口, 310109")
    parser.add_argument("--osm-file", help="an .osm/.osm.pbf/.graphml street file to use")
    parser.add_argument("--boundary-file", help="a boundary file to use instead of the data pack")
    parser.add_argument(
        "--boundary-crs", choices=DATUMS, default="wgs84",
        help="datum of the boundary file's coordinates",
    )  # fmt: skip
    parser.add_argument("--population", help="a population GeoTIFF (people per pixel)")
    parser.add_argument("--offline", action="store_true", help="never use the network")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twin",
        description="Digital twin of Shanghai district infrastructure: 5G, EV charging, "
        "smart lockers and the 15-minute life circle on H3.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("districts", help="list district presets and plan targets")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_districts)
    p = sub.add_parser("fetch", help="load and cache everything for a district")
    _add_source_options(p)
    p.set_defaults(func=cmd_fetch)
    p = sub.add_parser("prepare", help="load and measure districts ahead of the viewer")
    p.add_argument("districts", nargs="*", help="districts (default: the five plan districts)")
    p.add_argument("--base-res", type=int, help="H3 resolution 7–10 to measure at (default 10)")
    p.add_argument("--offline", action="store_true", help="never use the network")
    p.add_argument("--workers", type=_positive_int,
                   help="districts prepared at once (default: one per usable core, ≤ 4)")  # fmt: skip
    p.set_defaults(func=cmd_prepare)
    p = sub.add_parser("batch", help="build many districts on Dask, with a city table")
    p.add_argument("districts", nargs="*", help="districts to build")
    p.add_argument("--all", action="store_true", help="all sixteen districts of Shanghai")
    p.add_argument(
        "--res", type=int, help="H3 resolution 7–10 of the written hexagons (default: the base)"
    )
    p.add_argument("--base-res", type=int, help="H3 resolution 7–10 to measure at (default 10)")
    p.add_argument("--scheduler", help="an existing Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--workers", type=int, help="local worker processes (default: the cores, ≤ 4)")
    p.add_argument("--out", required=True, help="output folder: one folder per district")
    p.set_defaults(func=cmd_batch)
    p = sub.add_parser("measurements", help="measured signal: drive tests, MDT, crowdsourced")
    msub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    m = msub.add_parser("import", help="aggregate CSV/Parquet measurements to H3 (Dask)")
    m.add_argument("files", help="a file or a glob, e.g. 'drive/*.csv'")
    m.add_argument("--district", required=True, help="name, slug or adcode")
    m.add_argument("--crs", choices=DATUMS, default="wgs84", help="datum of the coordinates")
    m.add_argument("--res", type=int, default=10, help="H3 resolution of the aggregation (10)")
    m.add_argument("--offline", action="store_true", help="never use the network")
    m.set_defaults(func=cmd_measurements_import)
    p = sub.add_parser("calibrate", help="fit the 5G model to the district's measurements")
    p.add_argument("district", help="name, slug or adcode")
    p.add_argument("--offline", action="store_true", help="never use the network")
    p.set_defaults(func=cmd_calibrate)
    p = sub.add_parser("info", help="what is loaded for a district")
    _add_source_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("import", help="use a real inventory in place of a generated layer")
    _add_source_options(p)
    p.add_argument("file", help="CSV, GeoJSON, GeoPackage or GeoParquet of the sites")
    p.add_argument("--layer", required=True, choices=LAYER_NAMES)
    p.add_argument(
        "--crs",
        choices=(*DATUMS, "auto"),
        default=None,
        help="datum of the file's coordinates (default wgs84; gcj02 for Amap, bd09 for Baidu; "
        "auto: the one that fits the streets and POIs clearly best). Without --crs a file that "
        "fits another datum clearly better is not imported",
    )
    p.add_argument("--lat-col", help="latitude column (found by common names otherwise)")
    p.add_argument("--lon-col", help="longitude column (found by common names otherwise)")
    p.add_argument("--rejected-out", help="write the rejected rows with reasons to this CSV")
    p.add_argument("--gpkg-layer", help="the layer to import from a GeoPackage with several")
    p.set_defaults(func=cmd_import)
    p = _analysis_parser(sub, "build", "layers, hexagon metrics and report.json into a folder")
    p.add_argument("--out", help="output folder (default build/DISTRICT)")
    p.set_defaults(func=cmd_build)
    p = _analysis_parser(sub, "report", "the plan targets next to the measured values")
    p.add_argument("--json", action="store_true")
    p.add_argument("--pdf", help="also write a printable report (targets, maps, gaps) to this PDF")
    p.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="the PDF's language: en (default) or zh (中文)")  # fmt: skip
    p.set_defaults(func=cmd_report)
    p = _analysis_parser(sub, "map", "a static map (PNG) of one metric, legend and scale bar")
    p.add_argument("--metric", required=True, choices=MAP_METRICS)
    p.add_argument("--unserved-only", action="store_true", help="draw only unserved hexagons")
    p.add_argument("-o", "--output", required=True, help="PNG file to write")
    p.set_defaults(func=cmd_map)
    p = _analysis_parser(sub, "site", "recommend new sites (maximal covering) for a layer")
    p.add_argument("--layer", required=True, choices=LAYER_NAMES)
    goal = p.add_mutually_exclusive_group(required=True)
    goal.add_argument("--add", type=int, help="number of new sites to choose")
    goal.add_argument("--target-share", type=float,
                      help="fewest sites that cover this share of residents, e.g. 0.95")  # fmt: skip
    p.add_argument("--candidates", help="CSV/GeoJSON of candidate locations (default: generated)")
    p.add_argument("--crs", choices=DATUMS,
                   help="datum of the candidates file (default WGS-84, checked against the "
                        "streets and POIs; naming it keeps a datum twin cannot confirm)")  # fmt: skip
    p.add_argument("--out", help="write the ranked sites as GeoJSON")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_site)
    p = sub.add_parser("programme", help="sites to add year by year to the plan's deadline")
    p.add_argument("district", nargs="?", help="name, slug or adcode (or --all)")
    p.add_argument("--all", action="store_true", help="all sixteen districts, on Dask")
    for option, text in (("--osm-file", "an .osm/.osm.pbf/.graphml street file to use"),
                         ("--boundary-file", "a boundary file to use instead of the data pack"),
                         ("--population", "a population GeoTIFF (people per pixel)")):  # fmt: skip
        p.add_argument(option, help=text)
    p.add_argument("--boundary-crs", choices=DATUMS, default="wgs84")
    p.add_argument("--offline", action="store_true", help="never use the network")
    _add_analysis_options(p)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--layer", choices=("charging", "lockers", "base_stations"),
                       help="the layer to phase (default lockers)")  # fmt: skip
    which.add_argument("--all-layers", action="store_true",
                       help="charging, lockers and 5G together; shared sites scored jointly")  # fmt: skip
    p.add_argument("--from", dest="start", type=int, help="first year (default: the plan's)")
    p.add_argument("--until", type=int, help="last year (default: the plan's deadline)")
    p.add_argument("--budget", type=int, help="sites a year per layer (default: the plan's pace)")
    p.add_argument("--target-share", type=float,
                   help="stop a layer once this share of its demand is served, e.g. 0.95")  # fmt: skip
    p.add_argument("--relocate", type=int, default=0,
                   help="standing sites a year each walking layer may move (default 0: kept)")  # fmt: skip
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", help="write the programme's sites as GeoJSON")
    p.add_argument("--pdf", help="write the report with the programme as its last section")
    p.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="the PDF's language: en (default) or zh (中文)")  # fmt: skip
    p.add_argument("--out-dir", default="build/programme", help="--all: where the city table goes")
    p.add_argument("--scheduler", help="--all: a Dask scheduler address (default: local cluster)")
    p.add_argument("--workers", type=int, help="--all: local workers (default: one per core)")
    p.set_defaults(func=cmd_programme)
    p = _analysis_parser(sub, "export", "write a layer or the hexagon metrics for GIS")
    p.add_argument("--layer", required=True,
                   choices=("hexagons", *LAYER_NAMES))  # fmt: skip
    p.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    p.add_argument("--metric", help="hexagon column for --format gtiff, e.g. rsrp_dbm")
    p.add_argument("--datum", choices=DATUMS[:2], default="wgs84",
                   help="gcj02 writes Amap coordinates (GeoJSON only)")  # fmt: skip
    p.add_argument("-o", "--output", required=True, help="file to write")
    p.set_defaults(func=cmd_export)
    return parser


USAGE_ERRORS: tuple[type[Exception], ...] = (
    UnknownDistrictError,
    InvalidInputError,
    DataNotFoundError,
)


FILE_OUTPUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "export": (("-o", "output"),),
    "map": (("-o", "output"),),
    "report": (("--pdf", "pdf"),),
    "import": (("--rejected-out", "rejected_out"),),
    "site": (("--out", "out"),),
    "programme": (("--out", "out"), ("--pdf", "pdf")),
}
FOLDER_OUTPUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "build": (("--out", "out"),),
    "batch": (("--out", "out"),),
    "programme": (("--out-dir", "out_dir"),),
}
STDOUT_COMMANDS = ("export", "map")  # binary output that may go to a pipe
INPUT_OPTIONS = ("file", "osm_file", "boundary_file", "population", "candidates")


def _check_outputs(args: argparse.Namespace) -> None:
    """Every path the command will write, checked before any work (:mod:`twin.outputs`)."""
    from twin.outputs import check_file_output, check_folder_output

    command = args.func.__name__.removeprefix("cmd_")
    if not (FILE_OUTPUTS.get(command) or FOLDER_OUTPUTS.get(command)):
        return
    inputs = [Path(v) for v in (getattr(args, o, None) for o in INPUT_OPTIONS) if v]
    settings = _settings(args)
    inputs += [settings.norms_file] if settings.norms_file else []
    cache = settings.cache_dir
    for option, name in FILE_OUTPUTS.get(command, ()):
        if getattr(args, name, None) is not None:
            check_file_output(option, getattr(args, name), inputs, command in STDOUT_COMMANDS,
                              cache)  # fmt: skip
    for option, name in FOLDER_OUTPUTS.get(command, ()):
        if getattr(args, name, None) is not None:
            check_folder_output(option, getattr(args, name), inputs, cache)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        _check_outputs(args)
        return func(args)
    except USAGE_ERRORS as exc:
        print(f"twin: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TwinError as exc:
        print(f"twin: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as exc:  # disk full, read-only, a folder where a file goes, permissions
        from twin.oserrors import as_sentence

        print(f"twin: error: {as_sentence(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("twin: interrupted", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
