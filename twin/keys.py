"""The names the command line offers, kept light so ``twin --help`` starts at once.

The registries own these names and check them at import: ``twin.layers.REGISTRY`` must hold
exactly :data:`LAYER_NAMES`, ``twin.exports.FORMATS`` is :data:`EXPORT_FORMATS` and
``twin.crs.CRS_NAMES`` is :data:`DATUMS`.
"""

from __future__ import annotations

LAYER_NAMES: tuple[str, ...] = ("base_stations", "charging", "lockers")
EXPORT_FORMATS: tuple[str, ...] = ("geojson", "parquet", "csv", "gpkg", "gtiff")
DATUMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")
COMMANDS: tuple[str, ...] = (  # twin's subcommands (a test holds them to the parser's)
    "districts", "fetch", "prepare", "batch", "measurements", "import", "calibrate", "info",
    "programme", "build", "report", "map", "site", "export",
)  # fmt: skip
MAP_METRICS: tuple[str, ...] = (
    "base_stations", "base_stations_deep", "rsrp", "sinr", "charging", "lockers", "residual",
    "life_circle", "standard",
    "life_circle_time", "service_index", "residents",
)  # fmt: skip
