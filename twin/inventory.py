"""Real inventories in place of generated layers: validation with a row-level report.

Nothing is dropped silently: every row is either accepted or listed in ``report.rejected`` with
its reason (missing or non-numeric coordinates, out of range, outside the district with the
distance, duplicate of an earlier row). A likely GCJ-02/WGS-84 mix-up is reported as a warning.
Attributes the layer contract needs but the file lacks are filled with the generator's defaults
and named in the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd

from twin._errors import CRSMismatchError, EmptyAreaError, InvalidInputError, TwinError
from twin.context import LayerContext
from twin.crs import CRS_NAMES, CrsName, to_wgs84
from twin.datum import MIN_POINTS, NAMES, DatumFit, fit_datums
from twin.i18n import N_
from twin.layers import LAYER_COLUMNS, spec, validate_layer
from twin.layers.contract import attribute_problems, blank_cells
from twin.model import District
from twin.norms import Norms, packaged_norms
from twin.sources.tables import CHUNK_BYTES, read_csv_chunks, read_inventory

DEFAULT_BAND = "n78"  # the shared China Telecom / China Unicom network: the commonest macro


def attribute_defaults(layer: str, norms: Norms | None = None) -> dict[str, object]:
    """What a site of ``layer`` is assumed to be when the file does not say (from the norms)."""
    fiveg = (norms or packaged_norms()).fiveg
    band = fiveg.bands[DEFAULT_BAND]
    defaults: dict[str, dict[str, object]] = {
        "base_stations": {
            "height_m": fiveg.macro_height_m, "cell_type": "UMa", "azimuth_1": 0,
            "azimuth_2": 120, "azimuth_3": 240, "operator": "unknown", "band": DEFAULT_BAND,
            "frequency_ghz": band.frequency_ghz, "bandwidth_mhz": band.bandwidth_mhz,
            "tx_power_dbm": band.tx_power_dbm, "antenna_gain_dbi": band.antenna_gain_dbi,
            "downtilt_deg": fiveg.model["default_downtilt_macro_deg"],
        },
        "charging": {"site_type": "unknown", "piles": 1, "fast_piles": 0},
        "lockers": {"site_type": "unknown", "compartments": 60, "status": "existing"},
    }  # fmt: skip
    return defaults[layer]


ID_COLUMNS = ("feature_id", "id", "site_id", "station_id", "locker_id", "编号", "name", "名称")
OWN_ID_COLUMNS = ("site_id", "station_id", "locker_id")  # a layer's id column, from the file's ids
TWIN_COLUMNS = ("layer", "feature_id", "source")  # what twin says of every imported site
DUPLICATE_DECIMALS = 5  # ≈ 1 m


@dataclass
class ImportReport:
    """What happened to every row of an imported file."""

    file: str
    layer: str
    crs: str
    rows: int
    accepted: int
    rejected: pd.DataFrame
    filled_defaults: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    totals: dict[str, int] | None = None  # per reason, when ``rejected`` keeps only a sample
    datum_doubt: DatumFit | None = None  # another datum fits clearly better than the declared
    datum_unconfirmed: DatumFit | None = None  # no datum fits clearly best: the declared is taken

    @property
    def rejected_count(self) -> int:
        return sum(self.counts().values())

    def rejected_table(self) -> pd.DataFrame:
        """The rejected rows as a CSV may hold them: a name like ``=HYPERLINK(…)`` stays text."""
        from twin.exports import without_formulas

        return without_formulas(self.rejected)

    def counts(self) -> dict[str, int]:
        """Rejected rows per reason (all of them, even when only a sample is kept)."""
        if self.totals is not None:
            return dict(self.totals)
        return {str(k): int(v) for k, v in self.rejected["reason"].value_counts().items()}

    def reason_lines(self) -> list[str]:
        """One line per reason: its count and, for distances, their min / median / max."""
        lines = []
        totals = self.counts()
        for reason, group in self.rejected.groupby("reason", sort=False):
            line = N_("{reason}: {count}").format(reason=reason,
                                                  count=f"{totals.get(str(reason), len(group)):,}")  # fmt: skip
            distance = (pd.to_numeric(group["distance_m"], errors="coerce")
                        if "distance_m" in group else None)  # fmt: skip
            if "distance_m" in self.rejected.attrs and str(reason).startswith("outside"):
                distance = pd.Series(self.rejected.attrs["distance_m"])
            if distance is not None and distance.notna().any():
                line = N_("{line} (by {low} / {median} / {high} m, min / median / max)").format(
                    line=line, low=f"{distance.min():,.0f}", median=f"{distance.median():,.0f}",
                    high=f"{distance.max():,.0f}")  # fmt: skip
            lines.append(f"  rejected, {line}")
        return lines

    def text(self) -> str:
        lines = [
            f"{self.file}: {self.rows:,} rows, {self.accepted:,} accepted, "
            f"{self.rejected_count:,} rejected ({self.crs} → WGS-84)"
        ]
        lines += self.reason_lines()
        if len(self.rejected):
            lines.append("  (the rejected rows themselves: --rejected-out FILE)")
        if self.filled_defaults:
            filled = ", ".join(f"{k}={v}" for k, v in self.filled_defaults.items())
            lines.append(f"  not in the file, filled with defaults: {filled}")
        lines += [f"  warning: {w}" for w in self.warnings]
        for fit in (self.datum_doubt, self.datum_unconfirmed):
            if fit is not None:
                lines.append(f"  warning: {fit.message(f'the sites of {self.file}')}")
        return "\n".join(lines)


def _reject(
    frame: pd.DataFrame, mask: np.ndarray, reason: str, detail: pd.Series | str = ""
) -> pd.DataFrame:
    out = frame.loc[mask].copy()
    out["reason"] = reason
    out["detail"] = detail if isinstance(detail, str) else detail[mask]
    return out


def _references(district: District) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 reference points for the datum test: densified streets and the district's POIs."""
    lon, lat = [], []
    if district.streets is not None and district.has_streets:
        x, y = district.streets.reference_points
        lon.append(x)
        lat.append(y)
    if len(district.pois):
        lon.append(district.pois.geometry.x.to_numpy())
        lat.append(district.pois.geometry.y.to_numpy())
    return (np.concatenate(lon), np.concatenate(lat)) if lon else (np.empty(0), np.empty(0))


def expected_count(
    district: District, layer: str, norms: Norms | None = None
) -> tuple[int, str] | None:
    """How many sites a whole network of ``layer`` would hold here (5G: plan or citywide)."""
    if layer != "base_stations":
        return None
    from twin.layers.base_stations import BaseStationParams, site_count

    return site_count(district, BaseStationParams.from_norms(norms or packaged_norms()))


def validate_inventory(
    raw: pd.DataFrame, district: District, layer: str, crs: CrsName, file: str,
    whole_file: bool = True, norms: Norms | None = None,
) -> tuple[gpd.GeoDataFrame, ImportReport]:  # fmt: skip
    """Split ``raw`` (from :func:`read_inventory`) into a layer frame and a rejection report.

    ``whole_file`` False (a chunk of a large file): a chunk without one usable coordinate is
    counted, not an error."""
    if layer not in LAYER_COLUMNS:
        msg = f"unknown layer {layer!r}; choose one of {', '.join(LAYER_COLUMNS)}."
        raise InvalidInputError(msg)
    if crs not in (*CRS_NAMES, "auto"):
        msg = f"unknown CRS {crs!r}; choose one of {', '.join(CRS_NAMES)} or auto."
        raise InvalidInputError(msg)
    frame = raw.copy()
    lon_text = frame["lon_raw"].astype(str).str.strip()
    lat_text = frame["lat_raw"].astype(str).str.strip()
    lon = pd.to_numeric(frame["lon_raw"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["lat_raw"], errors="coerce").to_numpy(dtype=float)
    blank = lon_text.isin(["", "nan", "None", "<NA>"]) | lat_text.isin(["", "nan", "None", "<NA>"])
    skipped = (frame["skipped_feature"].fillna(False).astype(bool).to_numpy()
               if "skipped_feature" in frame else np.zeros(len(frame), dtype=bool))  # fmt: skip
    frame = frame.drop(columns=["skipped_feature"], errors="ignore")
    missing = blank.to_numpy() & ~skipped
    text = ~missing & ~skipped & (np.isnan(lon) | np.isnan(lat))
    out_of_range = ~missing & ~skipped & ~text & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
    rejected = [
        _reject(frame, skipped, N_("not a GeoJSON Feature")),
        _reject(frame, missing, N_("missing coordinate")),
        _reject(frame, text, N_("coordinate is not a number")),
        _reject(frame, out_of_range, N_("coordinate out of range (projected metres?)")),
    ]
    report_warnings: list[str] = []
    usable = ~(skipped | missing | text | out_of_range)
    ref_lon, ref_lat = _references(district)
    fit = fit_datums(lon[usable], lat[usable], ref_lon, ref_lat,
                     "wgs84" if crs == "auto" else crs)  # fmt: skip
    doubt = None
    if crs == "auto":
        if fit.n_points >= MIN_POINTS and not fit.decisive:
            msg = N_("{file}: --crs auto cannot tell which datum these coordinates are in: {best} "
                     "and {other} fit about as well (median distance to streets and POIs: "
                     "{medians}); name it with --crs.").format(
                file=file, best=NAMES[fit.best], other=NAMES[fit.runner_up],
                medians=fit.summary())  # fmt: skip
            raise InvalidInputError(msg)
        crs = fit.best
        report_warnings.append(
            N_("--crs auto read the file as {datum}, the datum it fits best (median distance to "
               "streets and POIs: {medians})").format(datum=NAMES[crs], medians=fit.summary())
            if fit.n_points >= MIN_POINTS else
            N_("--crs auto: only {count} usable points, too few to tell; read as WGS-84").format(
                count=fit.n_points)
        )  # fmt: skip
        if fit.n_points < MIN_POINTS:
            crs = "wgs84"
    elif fit.declared_is_worse:
        doubt = fit
    unconfirmed = fit if fit.unconfirmed else None
    if 0 < fit.n_points < MIN_POINTS:
        report_warnings.append(N_("only {count} usable point(s): too few to check which datum "
                                  "they are in; read as {datum}").format(count=fit.n_points,
                                                                         datum=NAMES[crs]))  # fmt: skip
    if len(fit.mixed) > 1:  # some rows in one datum, some in another: no single --crs is right
        counts = fit.clear_counts or {}
        parts = " and ".join(N_("{count} fit {datum} clearly best").format(
            count=f"{counts[d]:,}", datum=NAMES[d]) for d in fit.mixed)  # fmt: skip
        report_warnings.append(N_(
            "the sites of {file} seem to mix coordinate systems ({parts}); split the file by "
            "datum and import each part with its own --crs").format(file=file, parts=parts))  # fmt: skip
    ok = ~(skipped | missing | text | out_of_range)
    swapped = out_of_range & (np.abs(lat) <= 180) & (np.abs(lon) <= 90)
    if whole_file and not ok.any() and swapped.any() and swapped.sum() == out_of_range.sum():
        msg = N_("{file}: the latitude column holds longitudes (e.g. {value}) and the longitude "
                 "column latitudes: the columns look swapped; name them with --lat-col and "
                 "--lon-col.").format(file=file, value=f"{lat[swapped][0]:.4f}")  # fmt: skip
        raise CRSMismatchError(msg)
    if whole_file and not ok.any() and out_of_range.any() and not (skipped | missing | text).all():
        msg = N_(
            "{file}: every coordinate lies outside the range of degrees (e.g. lon {value}); the "
            "file holds projected metres, not {crs}: convert it to longitude/latitude (e.g. from "
            "EPSG:32651) before importing."
        ).format(file=file, value=f"{lon[out_of_range][0]:.0f}", crs=crs)
        raise CRSMismatchError(msg)
    if whole_file and not ok.any():
        reasons = pd.concat(rejected)["reason"].value_counts()
        msg = N_("{file}: no row has usable lon/lat coordinates in degrees ({reasons}).").format(
            file=file, reasons="; ".join(f"{r}: {c:,}" for r, c in reasons.items())
        )
        raise InvalidInputError(msg)
    wlon, wlat = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
    wlon[ok], wlat[ok] = to_wgs84(lon[ok], lat[ok], crs)
    points = gpd.GeoSeries(gpd.points_from_xy(wlon, wlat), crs=4326)
    inside = ok & points.intersects(district.boundary).to_numpy()
    outside = ok & ~inside
    if outside.any():
        metric = district.metric_crs
        boundary_m = gpd.GeoSeries([district.boundary], crs=4326).to_crs(metric).iloc[0]
        distance = pd.Series(np.nan, index=frame.index)
        distance[outside] = points[outside].to_crs(metric).distance(boundary_m).to_numpy()
        out = _reject(frame, outside, N_("outside {district}").format(district=district.name),
                      distance.map(lambda d: N_("by {metres} m").format(metres=f"{d:,.0f}")))  # fmt: skip
        out["distance_m"] = distance[outside].round(1)
        rejected.append(out)
    key = pd.Series(
        np.round(wlon, DUPLICATE_DECIMALS).astype(str)
        + ","
        + np.round(wlat, DUPLICATE_DECIMALS).astype(str)
    )
    broken = attribute_problems(frame, layer).to_numpy()
    bad_attribute = inside & (broken != "")
    if bad_attribute.any():
        rejected.append(_reject(frame, bad_attribute, N_("attribute out of range"),
                                pd.Series(broken, index=frame.index)))  # fmt: skip
    inside = inside & ~bad_attribute
    first_row = frame["row"].where(inside).groupby(key).transform("first")
    duplicate = (
        inside & key.where(inside).duplicated().to_numpy() & key.where(inside).notna().to_numpy()
    )
    if duplicate.any():
        rejected.append(_reject(frame, duplicate, N_("duplicate of an earlier row"),
                                first_row.fillna(0).astype(int).map(
                                    lambda r: N_("of row {row}").format(row=r))))  # fmt: skip
    accepted_mask = inside & ~duplicate
    accepted = frame.loc[accepted_mask]
    whole = expected_count(district, layer, norms)
    if whole is not None and 0 < accepted_mask.sum() < 0.5 * whole[0]:
        report_warnings.append(N_(
            "{count} sites against the {whole} a whole network would hold here ({basis}): a "
            "partial inventory measures a partial network, so coverage will read low where its "
            "sites are missing").format(count=int(accepted_mask.sum()), whole=f"{whole[0]:,}",
                                        basis=whole[1]))  # fmt: skip
    layer_frame, filled = _to_layer(
        accepted,
        wlon[accepted_mask],
        wlat[accepted_mask],
        layer,
        file,
        LayerContext(district, norms or packaged_norms()),
    )
    report = ImportReport(
        file=file, layer=layer, crs=crs, rows=len(frame), accepted=len(layer_frame),
        rejected=pd.concat(rejected).sort_values("row"),
        filled_defaults=filled, warnings=report_warnings, datum_doubt=doubt, datum_unconfirmed=unconfirmed,
    )  # fmt: skip
    if report.accepted + len(report.rejected) != report.rows:  # nothing may be lost
        msg = (f"{file}: {report.rows} rows in, but {report.accepted} accepted and "
               f"{len(report.rejected)} rejected; please report this as a bug in twin.")  # fmt: skip
        raise TwinError(msg)
    return layer_frame, report


def _to_layer(
    accepted: pd.DataFrame,
    lon: np.ndarray,
    lat: np.ndarray,
    layer: str,
    file: str,
    ctx: LayerContext,
) -> tuple[gpd.GeoDataFrame, dict[str, object]]:
    stem = Path(file).stem
    id_column = next((c for c in ID_COLUMNS if c in accepted.columns), None)
    if id_column is not None and accepted[id_column].astype(str).is_unique:
        ids = accepted[id_column].astype(str).to_list()
    else:
        ids = [f"{stem}-{r}" for r in accepted["row"]]
    attributes: dict[str, object] = {}
    filled: dict[str, object] = {}
    defaults = attribute_defaults(layer, ctx.norms)
    for column in LAYER_COLUMNS[layer]:
        blank = blank_cells(accepted[column]) if column in accepted.columns else None
        if blank is not None and (not blank.any() or column in OWN_ID_COLUMNS):
            attributes[column] = accepted[column].to_numpy()
        elif blank is not None:  # some rows leave it blank: those take the default
            if column == "service_radius_m":
                rule = spec(layer).service_radius
                fill = rule(ctx, lon, lat) if rule is not None else np.full(len(blank), np.nan)
                label: object = "the layer's rule where each site stands"
            else:
                fill, label = np.full(len(blank), defaults[column], dtype=object), defaults[column]
            values = accepted[column].to_numpy(dtype=object).copy()
            values[blank.to_numpy()] = np.asarray(fill, dtype=object)[blank.to_numpy()]
            numeric = pd.to_numeric(pd.Series(values), errors="coerce")
            attributes[column] = numeric.to_numpy() if numeric.notna().all() else values
            filled[column] = f"{label} (in {int(blank.sum()):,} row(s) left blank)"
        elif column in OWN_ID_COLUMNS:
            attributes[column] = ids
        elif column == "service_radius_m":
            rule = spec(layer).service_radius
            attributes[column] = rule(ctx, lon, lat) if rule is not None else np.nan
            filled[column] = "the layer's rule where each site stands"
        else:
            attributes[column] = defaults[column]
            filled[column] = defaults[column]
    extra = [c for c in accepted.columns if c not in (*attributes, "lon_raw", "lat_raw")]
    for column in extra:  # a file's own layer, feature_id or source stays, under a free name
        kept = column
        while kept in TWIN_COLUMNS or (kept != column and kept in accepted.columns):
            kept += "_in_file"  # a re-imported export's layer_in_file is not overwritten
        attributes.setdefault(kept, accepted[column].to_numpy())
    frame = gpd.GeoDataFrame(
        {"layer": layer, "feature_id": ids, "source": Path(file).name, **attributes},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    for column, default in defaults.items():  # validated already: every value parses
        if isinstance(default, int | float) and column in accepted.columns:
            frame[column] = pd.to_numeric(frame[column])
    for column in frame.columns:  # nested properties (dicts, lists) travel as JSON text
        if (
            frame[column].dtype == object
            and frame[column].map(lambda v: isinstance(v, dict | list)).any()
        ):
            frame[column] = frame[column].map(
                lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
            )
    return validate_layer(frame, layer), filled


def import_inventory(
    district: District,
    layer: str,
    path: Path,
    crs: CrsName = "wgs84",
    lat_col: str | None = None,
    lon_col: str | None = None,
    gpkg_layer: str | None = None,
    norms: Norms | None = None,
    confirmed: bool = True,
) -> tuple[gpd.GeoDataFrame, ImportReport]:
    """Read, convert and validate a real inventory for ``layer`` of ``district``; attributes
    a file does not give and radius rules follow the run's ``norms``.

    When another datum fits the file clearly better than ``crs`` and the user did not name
    ``crs`` themselves (``confirmed`` False: the command line's default), nothing is imported:
    the error says which datum fits and how to keep the declared one.

    CSVs over 16 MB are read and validated in chunks of 100,000 rows: memory follows the chunk
    and the accepted sites, not the file; the report keeps every count and the first
    ``KEEP_REJECTED`` rejected rows (the rest are counted by reason).
    """
    path = Path(path)
    if path.suffix.lower() in (".csv", ".txt") and path.exists() and (
            path.stat().st_size > CHUNK_BYTES):  # fmt: skip
        frame, report = _import_in_chunks(district, layer, path, crs, lat_col, lon_col, norms)
    else:
        raw = read_inventory(path, lat_col, lon_col, gpkg_layer)
        frame, report = validate_inventory(raw, district, layer, crs, path.name, norms=norms)
    if report.datum_doubt is not None and not confirmed:
        fit = report.datum_doubt
        msg = (f"{fit.message(f'the sites of {Path(path).name}')} Nothing was imported; to keep "
               f"them as {NAMES[fit.declared]}, give --crs {fit.declared} explicitly.")  # fmt: skip
        raise InvalidInputError(msg)
    # a figure resting on a filled-in attribute is not measured: the layer says which were filled
    frame.attrs["filled_defaults"] = sorted(report.filled_defaults)
    if report.accepted == 0:
        counts = report.counts()
        reasons = "; ".join(f"{reason}: {n:,}" for reason, n in counts.items())
        outside = sum(n for reason, n in counts.items() if reason.startswith("outside"))
        hint = (N_("check the district and --crs") if outside else
                N_("fix those values and import again"))  # fmt: skip
        msg = N_("{file}: none of its {rows} rows can be used ({reasons}); {hint}.").format(
            file=Path(path).name, rows=f"{report.rows:,}", reasons=reasons, hint=hint
        )
        raise EmptyAreaError(msg)
    return frame, report


KEEP_REJECTED = 10_000


def _import_in_chunks(
    district: District, layer: str, path: Path, crs: str, lat_col: str | None,
    lon_col: str | None, norms: Norms | None = None,
) -> tuple[gpd.GeoDataFrame, ImportReport]:  # fmt: skip
    frames: list[gpd.GeoDataFrame] = []
    kept: list[pd.DataFrame] = []
    counts: dict[str, int] = {}
    distances: list[np.ndarray] = []
    rows = 0
    seen: set[tuple[float, float]] = set()
    report: ImportReport | None = None
    first_doubt = None
    for chunk in read_csv_chunks(path, lat_col, lon_col):
        frame, report = validate_inventory(chunk, district, layer, cast(CrsName, crs), path.name,
                                           whole_file=False, norms=norms)  # fmt: skip
        first_doubt = first_doubt or report.datum_doubt
        crs = report.crs  # --crs auto decides on the first chunk, the rest follow
        rows += report.rows
        keys = list(zip(np.round(frame.geometry.x, DUPLICATE_DECIMALS),
                        np.round(frame.geometry.y, DUPLICATE_DECIMALS), strict=True))  # fmt: skip
        again = np.array([k in seen for k in keys], dtype=bool)
        seen.update(keys)
        if again.any():  # a duplicate of a row in an earlier chunk
            extra = pd.DataFrame(frame.loc[again].drop(columns="geometry"))
            extra["reason"], extra["detail"] = "duplicate of an earlier row", "in an earlier chunk"
            report.rejected = pd.concat([report.rejected, extra], ignore_index=True)
            frame = frame.loc[~again]
        frames.append(frame)
        for reason, n in report.counts().items():
            counts[reason] = counts.get(reason, 0) + n
        if "distance_m" in report.rejected:
            distances.append(report.rejected["distance_m"].dropna().to_numpy())
        room = KEEP_REJECTED - sum(len(k) for k in kept)
        if room > 0:
            kept.append(report.rejected.head(room))
    if report is None:
        msg = N_("{file} has no rows.").format(file=path.name)
        raise EmptyAreaError(msg)
    accepted = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)
    rejected = pd.concat(kept, ignore_index=True) if kept else report.rejected.iloc[0:0]
    if distances and len(np.concatenate(distances)):
        rejected.attrs["distance_m"] = np.concatenate(distances)
    final = ImportReport(path.name, layer, crs, rows, len(accepted), rejected,
                         report.filled_defaults, report.warnings, counts, first_doubt)  # fmt: skip
    if final.accepted + sum(counts.values()) != rows:  # nothing may be lost
        msg = f"{path.name}: {rows} rows in, {final.accepted} accepted, {sum(counts.values())} rejected; please report this bug."
        raise TwinError(msg)
    return validate_layer(accepted, layer), final


def read_candidates(
    path: Path, crs: CrsName = "wgs84", district: District | None = None, confirmed: bool = True
) -> gpd.GeoDataFrame:
    """Candidate locations for siting from any inventory format; bad coordinates are an error.

    With ``district``, the datum is checked as an import's is: a file another datum fits
    clearly better is refused in one sentence unless ``confirmed`` (the datum was named); that
    doubt, or a datum the check cannot confirm, is kept in ``attrs["datum_note"]``."""
    raw = read_inventory(path)
    lon = pd.to_numeric(raw["lon_raw"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(raw["lat_raw"], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        rows = ", ".join(map(str, raw.loc[bad, "row"].head(10)))
        msg = f"{Path(path).name}: {int(bad.sum())} candidate rows have unusable coordinates (rows {rows})."
        raise InvalidInputError(msg)
    if district is not None:
        fit = fit_datums(lon, lat, *_references(district), crs)
        if fit.declared_is_worse and not confirmed:
            msg = f"{fit.message(f'the candidates of {Path(path).name}')} None were used."
            raise InvalidInputError(msg)
        note = fit.message(f"the candidates of {Path(path).name}") if (
            fit.declared_is_worse or fit.unconfirmed) else ""  # fmt: skip
    else:
        note = ""
    wlon, wlat = to_wgs84(lon, lat, crs)
    frame = gpd.GeoDataFrame(raw.drop(columns=["lon_raw", "lat_raw"]),
                             geometry=gpd.points_from_xy(wlon, wlat), crs=4326)  # fmt: skip
    frame.attrs["datum_note"] = note
    return frame
