"""Places with names: the nearest named street or POI of a point, for gaps and headlines.

Street names come from the OSM ``name`` of the loaded street network's edges (densified every
~30 m, so a long street is found along its whole length) and, where people live, from the road
of each residential address (``车站北路732弄`` → 车站北路: the pack names roads even where it has
no street network); POI names from the district's POIs. A street or road within
``street_first_m`` wins over a nearer POI: planners find places by streets. The township
(街道 / 镇) of a point is that of the nearest community health service centre named after one
(Shanghai has one per township), an approximation until township boundaries are loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from twin.context import LayerContext
from twin.model import District

STREET_FIRST_M = 150.0
TOWNSHIP_REACH_M = 4000.0  # a seat farther than this names no township
# Shanghai runs one community health service centre per 街道 / 镇, named after it: their POIs are
# the townships' seats where no township boundary is loaded (the pack has none)
# (a care team's words are never a township's: "…全科服务团队颛桥社区卫生服务中心", nor does a
# name start with the 镇 or 街道 of the one before it: "罗店镇美罗家园社区卫生服务中心")
TOWNSHIP = re.compile(
    r"([^\W\d区市属院学第务团队镇道][^\W\d区市属院学第务团队]{1,4}?)(街道|镇)?社区卫生服务中心"
)
NOT_TOWNSHIPS = {"示范", "上海"}
ROAD = re.compile(
    r"^(?:上海市)?(?:[\u4e00-\u9fff]{1,4}区)?([\u4e00-\u9fff]{1,12}?(?:大道|公路|路|街|巷|村))"
)


def township_of(name: str) -> str:
    """The 街道 / 镇 a community health service centre is named after, '' for other names.

    >>> township_of("上海市虹口区嘉兴路街道社区卫生服务中心"), township_of("长宁区新泾镇社区卫生服务中心")
    ('嘉兴路街道', '新泾镇')
    >>> township_of("复旦大学附属北外滩街道社区卫生服务中心"), township_of("瑞金医院")
    ('北外滩街道', '')
    >>> township_of("闵行区七宝社区卫生服务中心"), township_of("上海市示范社区卫生服务中心")
    ('七宝社区', '')
    >>> township_of("田园全科服务团队颛桥社区卫生服务中心")  # a team named after its centre
    '颛桥社区'
    >>> township_of("罗店镇美罗家园社区卫生服务中心")  # a community's centre within a 镇
    '美罗家园社区'
    """
    found = TOWNSHIP.search(str(name))
    if not found or found.group(1) in NOT_TOWNSHIPS:
        return ""
    return found.group(1) + (found.group(2) or "社区")


def road_of(address: str) -> str:
    """The road of a Chinese address, '' when it names none.

    >>> road_of("虹口区车站北路732弄"), road_of("闵行区罗秀路1339弄"), road_of("12号")
    ('车站北路', '罗秀路', '')
    """
    found = ROAD.match(str(address))
    return found.group(1) if found else ""


@dataclass
class PlaceNamer:
    """Names the surroundings of points of one district."""

    district: District
    street_first_m: float = STREET_FIRST_M

    @cached_property
    def ctx(self) -> LayerContext:
        return LayerContext(self.district)

    @cached_property
    def streets(self) -> tuple[cKDTree | None, NDArray[np.object_]]:
        streets = self.district.streets
        if streets is None or not self.district.has_streets:
            return None, np.empty(0, dtype=object)
        edges = streets.edges
        names = edges["name"].fillna("").astype(str).to_numpy(dtype=object)
        named = names != ""
        if not named.any():
            return None, np.empty(0, dtype=object)
        lines = self.ctx.project(edges.geometry.to_numpy()[named])
        coords, index = shapely.get_coordinates(shapely.segmentize(lines, 30.0), return_index=True)
        return cKDTree(coords), names[named][index]

    @cached_property
    def roads(self) -> tuple[cKDTree | None, NDArray[np.object_]]:
        """Roads of the residential addresses (where the demand has them)."""
        demand = self.district.demand
        if not len(demand) or "address" not in demand.columns:
            return None, np.empty(0, dtype=object)
        names = np.array([road_of(a) for a in demand["address"].to_numpy()], dtype=object)
        named = names != ""
        if not named.any():
            return None, np.empty(0, dtype=object)
        return cKDTree(self.ctx.xy(demand[named])), names[named]

    @cached_property
    def pois(self) -> tuple[cKDTree | None, NDArray[np.object_]]:
        pois = self.district.pois
        if not len(pois):
            return None, np.empty(0, dtype=object)
        names = pois["name"].fillna("").astype(str).to_numpy()
        named = names != ""
        if not named.any():
            return None, np.empty(0, dtype=object)
        return cKDTree(self.ctx.xy(pois[named])), names[named].astype(object)

    @cached_property
    def townships(self) -> tuple[cKDTree | None, NDArray[np.object_]]:
        """Township seats: community health service centres named after their 街道 / 镇."""
        pois = self.district.pois
        if not len(pois):
            return None, np.empty(0, dtype=object)
        names = np.array(
            [township_of(n) for n in pois["name"].fillna("").astype(str)], dtype=object
        )
        inside = shapely.contains_xy(self.district.boundary, pois.geometry.x, pois.geometry.y)
        named = (names != "") & inside  # a neighbouring district's seats name its own townships
        if not named.any():
            return None, np.empty(0, dtype=object)
        return cKDTree(self.ctx.xy(pois[named])), names[named]

    def township(self, lon: NDArray, lat: NDArray) -> list[str]:
        """The 街道 / 镇 of each point, as the nearest township seat within
        :data:`TOWNSHIP_REACH_M` says ('' where none is that near): an approximation where no
        township boundary is loaded."""
        tree, names = self.townships
        if tree is None:
            return [""] * len(np.atleast_1d(lon))
        xy = self.ctx.xy_of(np.atleast_1d(lon), np.atleast_1d(lat))
        distance, index = nearest_named(tree, names, xy)
        return [
            str(names[i]) if d <= TOWNSHIP_REACH_M else ""
            for d, i in zip(distance, index, strict=True)
        ]

    @cached_property
    def examples(self) -> tuple[str, ...]:
        """Three names a search of this district finds: its most often named streets (else its
        addresses' roads), then a township."""
        found: list[str] = []
        for _tree, names in (self.streets, self.roads, self.townships):
            if len(names) and len(found) < 3:
                values, counts = np.unique(names.astype(str), return_counts=True)
                found += values[np.argsort(-counts, kind="stable")][: 3 - len(found)].tolist()
        return tuple(dict.fromkeys(found))

    def find(self, text: str, limit: int = 12) -> list[tuple[str, float, float]]:
        """Streets and POIs whose name contains ``text``: (label, lon, lat), streets first."""
        text = text.strip()
        if not text:
            return []
        found: list[tuple[str, float, float]] = []
        for (tree, names), kind in ((self.streets, "street"), (self.roads, "road"),
                                    (self.pois, "POI")):  # fmt: skip
            if tree is None:
                continue
            hit = np.flatnonzero(np.char.find(names.astype(str), text) >= 0)
            seen: set[str] = set()
            for i in hit:
                if names[i] in seen or len(found) >= limit:
                    continue
                seen.add(names[i])
                lon, lat = self.ctx.lonlat(tree.data[[i]])
                found.append((f"{names[i]} ({kind})", float(lon[0]), float(lat[0])))
        return found

    def near(self, lon: NDArray, lat: NDArray) -> list[str]:
        """'<street> (120 m)' or '<POI> (80 m)' for each point; '' where nothing is named."""
        xy = self.ctx.xy_of(np.atleast_1d(lon), np.atleast_1d(lat))
        out = [""] * len(xy)
        best = np.full(len(xy), np.inf)
        sources = ((self.streets, 0.0), (self.roads, 0.0), (self.pois, self.street_first_m))
        for (tree, names), bias in sources:
            if tree is None:
                continue
            distance, index = nearest_named(tree, names, xy)
            for i in np.flatnonzero(distance + bias < best):
                best[i] = distance[i] + bias
                out[i] = f"{names[index[i]]} ({distance[i]:,.0f} m)"
        return out


TIE_M = 0.01  # names this much apart in distance are a tie, broken by the name itself


def nearest_named(
    tree: cKDTree, names: NDArray[np.object_], xy: NDArray[np.float64], k: int = 8
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The nearest named point to each of ``xy``; among points at the same distance (within
    :data:`TIE_M`) the smallest name, so a rerun names a place the same whatever order the data
    arrived in."""
    k = min(k, tree.n)
    distance, index = tree.query(xy, k=k)
    distance, index = distance.reshape(len(xy), k), index.reshape(len(xy), k)
    tied = distance <= distance[:, :1] + TIE_M
    label = np.where(tied, names[np.clip(index, 0, tree.n - 1)].astype(str), "\uffff")
    pick = np.argmin(label, axis=1) if k > 1 else np.zeros(len(xy), dtype=np.int64)
    rows = np.arange(len(xy))
    return distance[rows, pick], index[rows, pick]


@dataclass(frozen=True)
class Cluster:
    residents: int
    cells: int
    lon: float
    lat: float


def largest_cluster(
    cells, mask: NDArray[np.bool_], ctx: LayerContext, weights: str = "residents"
) -> Cluster | None:
    """The group of touching hexagons under ``mask`` holding the most ``weights`` (residents, or
    the residents *not served* of a question: ``unserved_<question>``)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    chosen = np.flatnonzero(mask)
    if not len(chosen):
        return None
    lon = cells["lon"].to_numpy()[chosen]
    lat = cells["lat"].to_numpy()[chosen]
    people = cells[weights].to_numpy(dtype=float)[chosen]
    xy = ctx.xy_of(lon, lat)
    all_xy = ctx.xy_of(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    spacing = (
        float(np.median(cKDTree(all_xy).query(all_xy, k=2)[0][:, 1])) if len(all_xy) > 1 else 1.0
    )
    pairs = cKDTree(xy).query_pairs(1.2 * spacing, output_type="ndarray")
    n = len(chosen)
    graph = (
        coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        if len(pairs)
        else coo_matrix((n, n))
    )
    _, label = connected_components(graph, directed=False)
    totals = np.bincount(label, weights=people)
    best = int(np.argmax(totals))
    members = label == best
    weight = people[members] if people[members].sum() > 0 else np.ones(members.sum())
    return Cluster(round(float(totals[best])), int(members.sum()),
                   float(np.average(lon[members], weights=weight)),
                   float(np.average(lat[members], weights=weight)))  # fmt: skip
