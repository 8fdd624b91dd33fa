"""Measured signal at any size: drive tests, MDT and crowdsourced samples, aggregated to H3.

:func:`import_measurements` reads CSV or Parquet files (one path or a glob) with Dask in
partitions, never whole in memory. Columns are found by name (lat/lon, RSRP, optional SINR,
RSRQ, time, operator, band). Each partition is validated row by row (bad rows counted by reason,
never silently dropped), converted from its datum, indexed to H3 (vectorised) and reduced to
1-dB histograms of RSRP and SINR per hexagon, so memory grows with the hexagons, not the rows.
Medians and the 10th / 90th percentiles per hexagon come from the histograms (1 dB resolution).

:func:`calibrate` fits the radio model to the measurements by a robust regression of the
residual (measured − modelled median RSRP per hexagon): the offset as the median residual, and,
when the serving distances spread over half a decade or more, a log-distance slope by
Theil–Sen. It reports RMSE and bias before and after; later builds of the district apply it.
"""

from __future__ import annotations

import glob as globbing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin._errors import DataNotFoundError, EmptyAreaError, InvalidInputError
from twin.crs import to_wgs84
from twin.grid import cell_parents, cells_to_strings, hex_grid, index_points
from twin.model import District
from twin.norms import Norms
from twin.sources.tables import LAT_NAMES, LON_NAMES

RSRP_RANGE = (-156, -31)  # TS 38.133 SS-RSRP reporting range, dBm
SINR_RANGE = (-23, 40)  # TS 38.133 SS-SINR reporting range, dB
RSRP_BINS = np.arange(RSRP_RANGE[0], RSRP_RANGE[1] + 1)
SINR_BINS = np.arange(SINR_RANGE[0], SINR_RANGE[1] + 1)
RSRP_NAMES = ("rsrp", "ss_rsrp", "nr_rsrp", "rsrp_dbm", "ssrsrp")
SINR_NAMES = ("sinr", "ss_sinr", "nr_sinr", "sinr_db", "sssinr")
RESOLUTION = 10
MIN_SAMPLES = 5  # a hexagon needs this many samples to enter the calibration


def _column(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _histogram_rows(cells: np.ndarray, values: np.ndarray, low: int, kind: str) -> pd.DataFrame:
    bins = np.clip(np.round(values).astype(np.int64) - low, 0, None)
    frame = pd.DataFrame({"cell": cells, "bin": bins})
    counts = frame.groupby(["cell", "bin"]).size().rename("count").reset_index()
    counts["kind"] = kind
    return counts


def aggregate_partition(
    part: pd.DataFrame,
    lat: str,
    lon: str,
    rsrp: str,
    sinr: str | None,
    crs: str,
    district_cells: np.ndarray,
    resolution: int,
) -> pd.DataFrame:
    """One partition: reasons counted, accepted samples as (cell, bin, count) histogram rows."""
    n = len(part)
    y = pd.to_numeric(part[lat], errors="coerce").to_numpy(dtype=float)
    x = pd.to_numeric(part[lon], errors="coerce").to_numpy(dtype=float)
    r = pd.to_numeric(part[rsrp], errors="coerce").to_numpy(dtype=float)
    reason = np.full(n, "", dtype=object)
    reason[~(np.isfinite(x) & np.isfinite(y))] = "coordinate missing or not a number"
    out = (np.abs(x) > 180) | (np.abs(y) > 90)
    reason[(reason == "") & out] = "coordinate out of range"
    reason[(reason == "") & ~np.isfinite(r)] = "RSRP missing or not a number"
    bad_r = (r < RSRP_RANGE[0]) | (r > RSRP_RANGE[1])
    reason[(reason == "") & bad_r] = "RSRP outside the reporting range −156…−31 dBm"
    ok = reason == ""
    cells = np.zeros(n, dtype=np.uint64)
    if ok.any():
        wx, wy = to_wgs84(x[ok], y[ok], crs)  # type: ignore[arg-type]
        cells[ok] = index_points(np.asarray(wx), np.asarray(wy), resolution)
        inside = np.isin(cells, district_cells)
        reason[ok & ~inside] = "outside the district"
        ok &= inside
    rows = [_histogram_rows(cells[ok], r[ok], RSRP_RANGE[0], "rsrp")]
    if sinr is not None:
        s = pd.to_numeric(part[sinr], errors="coerce").to_numpy(dtype=float)
        good = ok & np.isfinite(s) & (s >= SINR_RANGE[0]) & (s <= SINR_RANGE[1])
        rows.append(_histogram_rows(cells[good], s[good], SINR_RANGE[0], "sinr"))
    reasons = pd.Series(reason[~ok]).value_counts()
    rows.append(pd.DataFrame({"cell": np.uint64(0), "bin": 0, "count": reasons.to_numpy(),
                              "kind": "reason:" + reasons.index.astype(str)}))  # fmt: skip
    rows.append(pd.DataFrame({"cell": [np.uint64(0)], "bin": [0], "count": [n], "kind": ["rows"]}))
    return pd.concat(rows, ignore_index=True)


def _quantile(hist: np.ndarray, low: int, q: float) -> np.ndarray:
    """Per row of a counts matrix, the value at quantile ``q`` (1-dB bins)."""
    total = hist.sum(axis=1)
    cum = np.cumsum(hist, axis=1)
    target = q * total[:, None]
    index = (cum < target).sum(axis=1)
    return np.where(total > 0, low + np.minimum(index, hist.shape[1] - 1), np.nan).astype(float)


def _put_quantiles(out: pd.DataFrame, kind: str, hist: np.ndarray, low: int) -> None:
    """The median, 10th and 90th percentile columns of ``kind`` from its histograms."""
    for name, q in (("median", 0.5), ("p10", 0.1), ("p90", 0.9)):
        out[f"{kind}_{name}"] = _quantile(hist, low, q)


@dataclass
class Measurements:
    """Measured signal per hexagon and where it came from."""

    cells: pd.DataFrame  # h3, cell, samples, rsrp_median/p10/p90, sinr_median/p10/p90
    provenance: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        p = self.provenance
        reasons = "; ".join(f"{k}: {v:,}" for k, v in p.get("rejected_by_reason", {}).items())
        return (f"{p.get('rows', 0):,} rows in {p.get('files', 0)} file(s), {p.get('accepted', 0):,} "
                f"accepted in {len(self.cells):,} hexagons" + (f"; rejected — {reasons}" if reasons else ""))  # fmt: skip


def import_measurements(
    pattern: str | Path,
    district: District,
    crs: str = "wgs84",
    resolution: int = RESOLUTION,
    blocksize: str | int = "64MB",
) -> Measurements:
    """Aggregate measurement files (CSV or Parquet, a path or a glob) to H3 with Dask."""
    import dask.dataframe as dd

    files = sorted(globbing.glob(str(pattern)))
    if not files:
        msg = f"no measurement file matches {pattern}; give a path or a glob like 'drive/*.csv'."
        raise DataNotFoundError(msg)
    if crs not in ("wgs84", "gcj02", "bd09"):
        msg = f"unknown datum {crs!r}; use wgs84, gcj02 or bd09."
        raise InvalidInputError(msg)
    parquet = all(f.lower().endswith((".parquet", ".pq")) for f in files)
    try:
        frame = (dd.read_parquet(files) if parquet else
                 dd.read_csv(files, blocksize=blocksize, dtype=str, assume_missing=True))  # fmt: skip
    except Exception as exc:
        msg = f"cannot read the measurements ({type(exc).__name__}: {str(exc)[:200]})."
        raise InvalidInputError(msg) from None
    columns = list(frame.columns)
    lat, lon = _column(columns, LAT_NAMES), _column(columns, LON_NAMES)
    rsrp, sinr = _column(columns, RSRP_NAMES), _column(columns, SINR_NAMES)
    if lat is None or lon is None or rsrp is None:
        missing = [
            n for n, c in (("latitude", lat), ("longitude", lon), ("RSRP", rsrp)) if c is None
        ]
        msg = (
            f"the measurements have no {', '.join(missing)} column; the columns are {columns[:20]}."
        )
        raise InvalidInputError(msg)
    grid = hex_grid(district.boundary, resolution, district.metric_crs)
    district_cells = grid["cell"].to_numpy()
    meta = pd.DataFrame({"cell": pd.Series(dtype="uint64"), "bin": pd.Series(dtype="int64"),
                         "count": pd.Series(dtype="int64"), "kind": pd.Series(dtype=object)})  # fmt: skip
    reduced = frame.map_partitions(aggregate_partition, lat, lon, rsrp, sinr, crs, district_cells,
                                   resolution, meta=meta)  # fmt: skip
    totals = reduced.groupby(["kind", "cell", "bin"])["count"].sum().compute().reset_index()
    rows = int(totals.loc[totals["kind"] == "rows", "count"].sum())
    rejected = totals[totals["kind"].str.startswith("reason:")]
    by_reason = {k.removeprefix("reason:"): int(v) for k, v in
                 rejected.groupby("kind")["count"].sum().items()}  # fmt: skip
    cells = _per_cell(totals, resolution)
    accepted = int(cells["samples"].sum()) if len(cells) else 0
    if accepted + sum(by_reason.values()) != rows:  # pragma: no cover - bookkeeping guard
        msg = f"{rows} measurement rows in but {accepted} accepted and {sum(by_reason.values())} rejected."
        raise InvalidInputError(msg)
    provenance = {"files": len(files), "pattern": str(pattern), "datum": crs, "rows": rows,
                  "accepted": accepted, "rejected_by_reason": by_reason, "resolution": resolution,
                  "columns": {"lat": lat, "lon": lon, "rsrp": rsrp, "sinr": sinr},
                  "partitions": int(frame.npartitions)}  # fmt: skip
    if accepted == 0:
        msg = f"none of {rows:,} measurement rows is usable in {district.name} ({by_reason})."
        raise EmptyAreaError(msg)
    return Measurements(cells, provenance)


def _per_cell(totals: pd.DataFrame, resolution: int) -> pd.DataFrame:
    rsrp = totals[totals["kind"] == "rsrp"]
    if rsrp.empty:
        return pd.DataFrame(columns=["h3", "cell", "samples"])
    ids, where = np.unique(rsrp["cell"].to_numpy(dtype=np.uint64), return_inverse=True)
    hist = np.zeros((len(ids), len(RSRP_BINS)))
    np.add.at(hist, (where, rsrp["bin"].to_numpy()), rsrp["count"].to_numpy())
    out = pd.DataFrame({"h3": cells_to_strings(ids), "cell": ids, "samples": hist.sum(axis=1)})
    _put_quantiles(out, "rsrp", hist, RSRP_RANGE[0])
    sinr = totals[totals["kind"] == "sinr"]
    shist = np.zeros((len(ids), len(SINR_BINS)))
    if not sinr.empty:
        pos = np.searchsorted(ids, sinr["cell"].to_numpy(dtype=np.uint64))
        np.add.at(shist, (pos, sinr["bin"].to_numpy()), sinr["count"].to_numpy())
    _put_quantiles(out, "sinr", shist, SINR_RANGE[0])
    out["samples"] = out["samples"].astype(np.int64)
    out.attrs["rsrp_hist"], out.attrs["sinr_hist"] = hist, shist
    return out


def at_resolution(data: Measurements, resolution: int) -> pd.DataFrame:
    """Samples and RSRP / SINR quantiles per hexagon at ``resolution`` (≤ the stored one),
    summing the children's histograms: exact to the 1-dB bin."""
    cells = data.cells
    stored = int(data.provenance.get("resolution", RESOLUTION))
    hist = cells.attrs.get("rsrp_hist")
    if hist is None or resolution > stored:
        return pd.DataFrame(columns=["cell", "samples"])
    ids = cells["cell"].to_numpy(dtype=np.uint64)
    if resolution < stored:
        ids = cell_parents(ids, resolution)
    parents, where = np.unique(ids, return_inverse=True)
    out = pd.DataFrame({"cell": parents})
    for kind, low in (("rsrp", RSRP_RANGE[0]), ("sinr", SINR_RANGE[0])):
        source = cells.attrs.get(f"{kind}_hist")
        summed = np.zeros((len(parents), source.shape[1]))
        np.add.at(summed, where, source)
        if kind == "rsrp":
            out["samples"] = summed.sum(axis=1).astype(np.int64)
        _put_quantiles(out, kind, summed, low)
    return out


@dataclass(frozen=True)
class Calibration:
    """The radio model's correction for one district, fitted to measurements."""

    offset_db: float
    slope_db_per_decade: float
    samples: int
    cells: int
    rmse_before_db: float
    bias_before_db: float
    rmse_after_db: float
    bias_after_db: float

    def describe(self) -> str:
        slope = (f", slope {self.slope_db_per_decade:+.1f} dB/decade"
                 if self.slope_db_per_decade else "")  # fmt: skip
        return (f"calibrated on {self.samples:,} samples in {self.cells:,} hexagons: offset "
                f"{self.offset_db:+.1f} dB{slope}; RMSE {self.rmse_before_db:.1f} → "
                f"{self.rmse_after_db:.1f} dB, bias {self.bias_before_db:+.1f} → "
                f"{self.bias_after_db:+.1f} dB")  # fmt: skip


def fit(
    measured: np.ndarray, modelled: np.ndarray, distance_m: np.ndarray, samples: np.ndarray
) -> Calibration:
    """Robust fit of ``measured − modelled`` = offset + slope · log10(d / 100 m)."""
    from scipy.stats import theilslopes

    residual = measured - modelled
    logd = np.log10(np.maximum(distance_m, 1.0) / 100.0)
    slope = 0.0
    if np.ptp(logd) >= 0.5 and len(residual) >= 10:
        slope, offset, _, _ = theilslopes(residual, logd)
    else:
        offset = float(np.median(residual))
    after = residual - (offset + slope * logd)
    return Calibration(
        float(offset), float(slope), int(samples.sum()), len(residual),
        float(np.sqrt(np.mean(residual**2))), float(np.mean(residual)),
        float(np.sqrt(np.mean(after**2))), float(np.mean(after)),
    )  # fmt: skip


def calibrate(
    district: District, data: Measurements, sites: pd.DataFrame, norms: Norms | None = None
) -> Calibration:
    """Fit the 5G model of ``district`` (its ``sites``, the run's ``norms``) to the measured
    medians per hexagon."""
    from dataclasses import replace

    from twin.analysis.radio import RadioParams, subscriber_view
    from twin.context import LayerContext

    cells = data.cells[data.cells["samples"] >= MIN_SAMPLES]
    if len(cells) < 3:
        msg = f"only {len(cells)} hexagons have {MIN_SAMPLES}+ samples; calibration needs more measurements."
        raise EmptyAreaError(msg)
    from twin.grid import cell_centres

    lon, lat = cell_centres(cells["cell"].to_numpy(dtype=np.uint64))
    ctx = LayerContext(district) if norms is None else LayerContext(district, norms)
    radio = RadioParams() if norms is None else RadioParams.from_norms(norms)
    params = replace(radio, calibration_offset_db=0.0, calibration_slope_db_per_decade=0.0)
    view = subscriber_view(ctx.xy_of(lon, lat), ctx.xy(sites), sites, params)
    ok = np.isfinite(view.rsrp_dbm)
    return fit(cells["rsrp_median"].to_numpy()[ok], view.rsrp_dbm[ok], view.distance_m[ok],
               cells["samples"].to_numpy()[ok])  # fmt: skip
