"""Which datum are these coordinates in? WGS-84, GCJ-02 (Amap, Tencent) or BD-09 (Baidu).

In Shanghai GCJ-02 lies about 450 m east and 200 m south of WGS-84, and BD-09 another ~700 m
north-east of GCJ-02, so a file read in the wrong datum sits half a kilometre or more off its
streets. The test is empirical: read the raw coordinates under each of the three hypotheses,
convert to WGS-84, and measure the median distance to reference points (the street network,
densified, and the district's POIs). Real data fits best under its own datum; the declared datum
is suspect when another fits clearly better (its median is at least 1.5× smaller and 10 m less),
and ``--crs auto`` picks the best fit. In a dense grid a 500 m shift often lands next to another
street, which is why the test is a ratio of medians and needs a handful of points.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from pyproj import Transformer
from scipy.spatial import cKDTree

from twin._errors import TwinWarning
from twin.crs import to_wgs84, utm_crs
from twin.i18n import _
from twin.keys import DATUMS

MIN_POINTS = 5
IMPROVEMENT_RATIO = 1.5  # the better datum's median distance is this many times smaller
IMPROVEMENT_M = 10.0  # ... and at least this many metres smaller
MIXED_SHARE = 0.2  # two datums each fitting this share of the points clearly best: a mixed file
NAMES = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}


class DatumShiftWarning(TwinWarning):
    """Points fit the streets clearly better in another datum than the one declared; the fit
    (declared and best datum, medians) travels with the warning as ``fit``."""

    code = "datum-shift"

    def __init__(self, message: str, fit: DatumFit | None = None) -> None:
        super().__init__(message)
        self.fit = fit


@dataclass(frozen=True)
class DatumFit:
    """Median distance (m) from the points to the references under each datum hypothesis."""

    declared: str
    medians_m: dict[str, float]
    n_points: int
    clear_counts: dict[str, int] | None = None  # points each datum fits clearly best

    @property
    def mixed(self) -> list[str]:
        """Datums that each fit a clear share of the points best (≥ ``MIXED_SHARE`` and
        ``MIN_POINTS`` points): a file that mixes coordinate systems. Empty when it does not."""
        counts = self.clear_counts or {}
        return [d for d, c in counts.items()
                if c >= MIN_POINTS and c >= MIXED_SHARE * self.n_points] if len(counts) else []  # fmt: skip

    @property
    def best(self) -> str:
        finite = {k: v for k, v in self.medians_m.items() if np.isfinite(v)}
        return min(finite, key=finite.__getitem__) if finite else self.declared

    @property
    def runner_up(self) -> str:
        """The datum that fits second best."""
        finite = sorted((v, k) for k, v in self.medians_m.items() if np.isfinite(v))
        return finite[1][1] if len(finite) > 1 else self.best

    @property
    def decisive(self) -> bool:
        """The best datum wins by a clear margin over the runner-up (1.5× and 10 m closer):
        GCJ-02 and BD-09 lie hundreds of metres apart, so a few metres is no evidence."""
        if self.n_points < MIN_POINTS or self.runner_up == self.best:
            return False
        best, second = self.medians_m[self.best], self.medians_m[self.runner_up]
        return second > IMPROVEMENT_RATIO * best and second - best > IMPROVEMENT_M

    @property
    def declared_is_worse(self) -> bool:
        """Another datum fits clearly better than the declared one."""
        if self.n_points < MIN_POINTS or self.best == self.declared:
            return False
        declared, best = self.medians_m[self.declared], self.medians_m[self.best]
        return declared > IMPROVEMENT_RATIO * best and declared - best > IMPROVEMENT_M

    @property
    def unconfirmed(self) -> bool:
        """Enough points, yet no datum fits them clearly best: the declared datum can be neither
        confirmed nor refuted (addresses inside compounds, rooftop sites: points that do not
        sit on streets or POIs in any datum, as uniformly random points would not)."""
        if self.n_points < MIN_POINTS or self.declared_is_worse:
            return False
        return not (self.decisive and self.best == self.declared)

    @property
    def likely_gcj02(self) -> bool:
        return self.declared_is_worse and self.best == "gcj02"

    @property
    def median_as_given_m(self) -> float:
        return self.medians_m[self.declared]

    @property
    def median_if_gcj02_m(self) -> float:
        return self.medians_m["gcj02"]

    def summary(self) -> str:
        return ", ".join(f"{NAMES[k]} {v:,.0f} m" for k, v in self.medians_m.items())

    def message(self, what: str, page: bool = False) -> str:
        """The doubt in one sentence, with the fix in the words of the command line or, with
        ``page``, of the viewer's Data page."""
        if self.unconfirmed:
            fix = (_("choose the datum of their source under Coordinates") if page else
                   _("import again with --crs gcj02 or bd09"))  # fmt: skip
            return _(
                "{what} fit no datum clearly better than another (median distance to the streets "
                "and POIs: {medians}), so twin cannot confirm that they are {declared} and reads "
                "them as such; coordinates from Amap or Tencent are GCJ-02 and from Baidu BD-09: "
                "if they come from one of those, {fix}."
            ).format(what=what, medians=self.summary(), declared=NAMES[self.declared], fix=fix)
        fix = (_("choose {datum} under Coordinates").format(datum=NAMES[self.best]) if page else
               _("load them with --crs {datum} (or --crs auto)").format(datum=self.best))  # fmt: skip
        return _(
            "{what} were declared {declared} but fit the streets and POIs clearly better as "
            "{best} (median distance: {medians}); they are probably {best} coordinates: {fix}."
        ).format(what=what, declared=NAMES[self.declared], best=NAMES[self.best],
                 medians=self.summary(), fix=fix)  # fmt: skip


def fit_datums(
    lon: ArrayLike, lat: ArrayLike, ref_lon: ArrayLike, ref_lat: ArrayLike, declared: str = "wgs84"
) -> DatumFit:
    """How well the raw points fit the WGS-84 references under each datum hypothesis."""
    lon_a, lat_a = np.asarray(lon, float), np.asarray(lat, float)
    ok = np.isfinite(lon_a) & np.isfinite(lat_a) & (np.abs(lon_a) <= 180) & (np.abs(lat_a) <= 90)
    lon_a, lat_a = lon_a[ok], lat_a[ok]
    ref_lon_a, ref_lat_a = np.asarray(ref_lon, float), np.asarray(ref_lat, float)
    if lon_a.size == 0 or ref_lon_a.size == 0:
        return DatumFit(declared, {d: float("nan") for d in DATUMS}, int(lon_a.size))
    to_m = Transformer.from_crs(
        4326, utm_crs(float(np.median(ref_lon_a)), float(np.median(ref_lat_a))), always_xy=True
    )
    tree = cKDTree(np.column_stack(to_m.transform(ref_lon_a, ref_lat_a)))
    medians, distances = {}, []
    for datum in DATUMS:
        wlon, wlat = to_wgs84(lon_a, lat_a, datum)  # type: ignore[arg-type]
        distance, _ = tree.query(np.column_stack(to_m.transform(wlon, wlat)))
        medians[datum] = float(np.median(distance))
        distances.append(distance)
    table = np.column_stack(distances)  # points × datums
    order = np.sort(table, axis=1)
    best, second = order[:, 0], order[:, 1]
    clear = (second > IMPROVEMENT_RATIO * best) & (second - best > IMPROVEMENT_M)
    winner = np.argmin(table, axis=1)
    counts = {d: int((clear & (winner == i)).sum()) for i, d in enumerate(DATUMS)}
    return DatumFit(declared, medians, int(lon_a.size), counts)


def check_datum(lon: ArrayLike, lat: ArrayLike, ref_lon: ArrayLike, ref_lat: ArrayLike) -> DatumFit:
    """The fit of points declared WGS-84 (kept for callers of the GCJ-02-only check)."""
    return fit_datums(lon, lat, ref_lon, ref_lat, "wgs84")


def warn_if_shifted(
    lon: ArrayLike,
    lat: ArrayLike,
    ref_lon: ArrayLike,
    ref_lat: ArrayLike,
    what: str,
    declared: str = "wgs84",
) -> DatumFit:
    """Run :func:`fit_datums`; a :class:`DatumShiftWarning` when another datum fits clearly better."""
    result = fit_datums(lon, lat, ref_lon, ref_lat, declared)
    if result.declared_is_worse:
        warnings.warn(DatumShiftWarning(result.message(what), result), stacklevel=2)
    return result
