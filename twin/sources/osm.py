"""Street networks from OpenStreetMap: a local file (.osm, .osm.bz2, .osm.pbf, .graphml) or a
download through osmnx. Both paths end in :func:`walkable_graph`, so a district built from a file
and one built from a download are the same kind of object.
"""

from __future__ import annotations

import contextlib
import math
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from twin._errors import DataNotFoundError, InvalidInputError, NetworkAccessError
from twin.i18n import N_
from twin.settings import Settings
from twin.store.atomic import cache_key, cache_write, file_fingerprint

if TYPE_CHECKING:
    import networkx as nx

# Mirrors osmnx's "walk" network filter so that file-based and downloaded graphs agree.
EXCLUDED_HIGHWAYS = frozenset(
    {
        "abandoned", "bus_guideway", "construction", "cycleway", "motor", "motorway",
        "motorway_link", "no", "planned", "platform", "proposed", "raceway", "razed",
        "bus_stop", "elevator", "rest_area", "services",
    }
)  # fmt: skip
NO_ACCESS = frozenset({"no", "private"})
EXTRA_WAY_TAGS = ("foot", "access", "service", "area", "highway")
MIN_COMPONENT_NODES = 10
OSM_SUFFIXES = (".osm", ".xml", ".osm.bz2", ".osm.pbf", ".pbf", ".graphml")
BZ2_MAX_RATIO = 60  # OSM XML compresses ≈ 10–20×; far beyond that a .bz2 is a decompression bomb
BZ2_FLOOR_BYTES = 256 << 20  # any .bz2 may unpack to this much


def check_bz2(path: Path, floor_bytes: int = BZ2_FLOOR_BYTES) -> None:
    """Refuse a ``.bz2`` whose content would unpack beyond ``BZ2_MAX_RATIO`` × its size (a
    decompression bomb), reading it once in 1 MiB blocks without keeping what it reads."""
    if not str(path).lower().endswith(".bz2"):
        return
    import bz2

    limit = max(floor_bytes, BZ2_MAX_RATIO * path.stat().st_size)
    total = 0
    try:
        with bz2.open(path, "rb") as stream:
            while block := stream.read(1 << 20):
                total += len(block)
                if total > limit:
                    msg = (f"{path.name} unpacks to more than {limit / 2**20:,.0f} MiB "
                           f"({BZ2_MAX_RATIO}× its size): refused as a decompression bomb.")  # fmt: skip
                    raise InvalidInputError(msg)
    except (OSError, EOFError) as exc:
        msg = f"{path.name} is not a readable .bz2 file ({exc})."
        raise InvalidInputError(msg) from None


MAX_TAGS_PER_ELEMENT = 1_000  # real OSM elements carry tens of tags
MAX_TAG_CHARS = 10_000  # a tag's key or value (OSM allows 255)


@dataclass(frozen=True)
class XmlScan:
    """What one streaming pass found in an OSM XML file: nodes whose coordinates are missing,
    not finite or out of range, and ways that refer to nodes the file does not hold (a clipped
    extract) or to such nodes."""

    bad_nodes: int
    broken_ways: int

    @property
    def clean(self) -> bool:
        return not (self.bad_nodes or self.broken_ways)


def _coordinate_ok(attrs: dict[str, str]) -> bool:
    try:
        lon, lat = float(attrs["lon"]), float(attrs["lat"])
    except (KeyError, ValueError):
        return False
    return math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90


def check_osm_xml(path: Path) -> XmlScan:
    """Refuse, in one streaming pass before any parser builds objects, an OSM XML file with an
    element of more than :data:`MAX_TAGS_PER_ELEMENT` tags, a key or value over
    :data:`MAX_TAG_CHARS` characters, or a DTD (OSM files have none; a DTD can expand entities
    without end); and one that is not well-formed XML. What it counts on the way (impossible
    nodes, broken ways) lets :func:`readable_xml` keep the valid streets of the rest.

    The scan of a file is remembered by its identity (path, size, modification time): the
    streets, POIs and buildings of one load read the same file, scanned once."""
    info = Path(path).stat()
    return _scan_osm_xml(Path(path).resolve(), info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=16)
def _scan_osm_xml(path: Path, _size: int, _mtime_ns: int) -> XmlScan:
    """:func:`check_osm_xml`'s pass over the file at ``path`` (size and time: the cache key)."""
    from xml.parsers import expat

    name = Path(path).name
    parser = expat.ParserCreate()
    element = ["the file"]
    tags = [0]
    nodes: set[str] = set()
    bad: set[str] = set()
    way_refs: list[list[str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag in ("node", "way", "relation"):
            element[0], tags[0] = f"{tag} {attrs.get('id', '?')[:30]}", 0
            if tag == "node":
                (nodes if _coordinate_ok(attrs) else bad).add(attrs.get("id", ""))
            elif tag == "way":
                way_refs.append([])
        elif tag == "nd" and element[0].startswith("way") and way_refs:
            way_refs[-1].append(attrs.get("ref", ""))
        elif tag == "tag":
            tags[0] += 1
            if tags[0] > MAX_TAGS_PER_ELEMENT:
                msg = (f"{name}: {element[0]} has more than {MAX_TAGS_PER_ELEMENT:,} tags; "
                       "refused as not a real OSM element.")  # fmt: skip
                raise InvalidInputError(msg)
            if max(len(attrs.get("k", "")), len(attrs.get("v", ""))) > MAX_TAG_CHARS:
                msg = (f"{name}: a tag of {element[0]} is over {MAX_TAG_CHARS:,} characters; "
                       "refused as not a real OSM tag.")  # fmt: skip
                raise InvalidInputError(msg)

    def doctype(*_: object) -> None:
        msg = f"{name} declares a DTD, which OSM files never do; refused (entities could expand without end)."
        raise InvalidInputError(msg)

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    opener = bz2_open if str(path).lower().endswith(".bz2") else open
    try:
        with opener(path, "rb") as stream:
            parser.ParseFile(stream)
    except expat.ExpatError as exc:
        msg = (
            f"{name} is not a valid OSM street file: not well-formed XML "
            f"({expat.errors.messages[exc.code]}, line {exc.lineno})."
        )
        raise InvalidInputError(msg) from None
    except (OSError, EOFError) as exc:
        msg = f"{name} cannot be read ({exc})."
        raise InvalidInputError(msg) from None
    broken = sum(1 for refs in way_refs if any(r not in nodes for r in refs))
    return XmlScan(len(bad), broken)


def readable_xml(path: Path, settings: Settings) -> tuple[Path, str]:
    """The OSM XML osmnx can read for street file ``path`` (an .osm, .osm.bz2 or .osm.pbf),
    and a note of what was left out ("" when nothing): a PBF is converted once, a file with
    impossible nodes or ways that refer to missing nodes is copied without them (kept in the
    cache under the file's fingerprint). Bounded: the file passes :func:`check_osm_xml`."""
    path = Path(path)
    check_bz2(path)
    xml = _pbf_to_xml(path, settings) if path.name.lower().endswith(".pbf") else path
    scan = check_osm_xml(xml)
    if scan.clean:
        return xml, ""
    out = settings.cache_dir / "osm" / f"kept-{cache_key(file_fingerprint(xml))}.osm"
    if not out.is_file():
        cache_write(out, lambda tmp: without_broken_ways(xml, tmp))
    parts = []
    if scan.bad_nodes:
        parts.append(f"{scan.bad_nodes:,} node(s) with a missing, non-finite or impossible "
                     "coordinate were left out")  # fmt: skip
    if scan.broken_ways:
        parts.append(f"{scan.broken_ways:,} way(s) refer to nodes the file does not hold (a "
                     "clipped extract) or to such nodes: they were cut there")  # fmt: skip
    return out, f"{path.name}: {'; '.join(parts)}; every segment between valid nodes stays"


def bz2_open(path: Path, mode: str = "rb"):
    import bz2

    return bz2.open(path, mode)


@contextlib.contextmanager
def osmnx_settings(**values: object) -> Iterator[None]:
    """Temporarily set ``ox.settings`` values (osmnx reads them as module globals)."""
    import osmnx as ox

    old = {k: getattr(ox.settings, k) for k in values}
    try:
        for key, value in values.items():
            setattr(ox.settings, key, value)
        yield
    finally:
        for key, value in old.items():
            setattr(ox.settings, key, value)


def _tag_values(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _is_walkable(data: dict) -> bool:
    highways = _tag_values(data.get("highway"))
    if not highways or all(h in EXCLUDED_HIGHWAYS for h in highways):
        return False
    if "yes" in _tag_values(data.get("area")):
        return False
    if "no" in _tag_values(data.get("foot")):
        return False
    if set(_tag_values(data.get("access"))) & NO_ACCESS and "yes" not in _tag_values(
        data.get("foot")
    ):
        return False
    return "private" not in _tag_values(data.get("service"))


def walkable_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Keep the edges people may walk on, and drop fragments under ``MIN_COMPONENT_NODES`` nodes.

    Walking is allowed along all road classes in Shanghai except motorways (elevated expressways);
    ways without a ``highway`` tag (buildings, landuse read from a raw extract) are not streets.
    """
    import networkx as nx

    drop = [(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True) if not _is_walkable(d)]
    walk = graph.copy()
    walk.remove_edges_from(drop)
    small = [
        node
        for component in nx.weakly_connected_components(walk)
        if len(component) < MIN_COMPONENT_NODES
        for node in component
    ]
    walk.remove_nodes_from(small)
    walk.graph["walk_filter"] = f"osmnx walk filter; components >= {MIN_COMPONENT_NODES} nodes"
    return walk


def _pbf_to_xml(path: Path, settings: Settings) -> Path:
    try:
        import osmium
    except ImportError:  # pragma: no cover - osmium is a dependency
        msg = "reading .osm.pbf needs the 'osmium' package: pip install osmium"
        raise InvalidInputError(msg) from None
    out = settings.cache_dir / "osm" / f"{path.stem}-{cache_key(file_fingerprint(path))}.osm"
    if out.exists():
        return out

    def convert(tmp: Path) -> None:
        xml_tmp = tmp.with_suffix(".osm")
        try:
            with osmium.SimpleWriter(str(xml_tmp), overwrite=True) as writer:
                for obj in osmium.FileProcessor(str(path)):
                    writer.add(obj)
            xml_tmp.replace(tmp)
        finally:
            xml_tmp.unlink(missing_ok=True)

    try:
        return cache_write(out, convert)
    except RuntimeError as exc:
        msg = f"{path} is not a readable OSM PBF file ({exc})."
        raise InvalidInputError(msg) from None


def _osmnx_way_tags() -> list[str]:
    """The way tags osmnx keeps, and those twin's walk filter reads (osm_reader's WAY_TAGS)."""
    import osmnx as ox

    return list(dict.fromkeys((*ox.settings.useful_tags_way, *EXTRA_WAY_TAGS)))


def _osmnx_graph_from_xml(path: Path) -> nx.MultiDiGraph:
    """osmnx's own graph of OSM XML ``path`` (the graph :mod:`osm_reader` builds faster)."""
    import osmnx as ox

    with osmnx_settings(useful_tags_way=_osmnx_way_tags()):
        return ox.graph_from_xml(path, bidirectional=True, retain_all=True)


def graph_from_file(path: Path, settings: Settings) -> nx.MultiDiGraph:
    """The walkable street graph of an OSM XML/PBF extract or a saved GraphML file (a copy of
    :func:`shared_graph_from_file`'s: the caller may change it)."""
    return shared_graph_from_file(path, settings).copy()


def shared_graph_from_file(path: Path, settings: Settings) -> nx.MultiDiGraph:
    """:func:`graph_from_file` parsed once per process for the file's identity (path, inode,
    size, modification time) and shared: the districts a street file covers (Hongkou and
    Changning share the data pack's) clip the same graph. Callers clip or compose it (new
    graphs) and never change it."""
    path = Path(path)
    if not path.exists():
        msg = f"street file {path} does not exist; pass an .osm, .osm.pbf or .graphml file."
        raise DataNotFoundError(msg)
    info = path.stat()
    return _graph_of_file(path, info.st_ino, info.st_size, info.st_mtime_ns, settings.cache_dir)


@lru_cache(maxsize=2)  # a street graph is large: the pack's file and a user's, at most
def _graph_of_file(
    path: Path, _inode: int, _size: int, _mtime_ns: int, cache_dir: Path
) -> nx.MultiDiGraph:
    """The parse of the file at ``path`` (inode, size and time: the cache key; ``cache_dir``:
    where a repaired copy of the file is kept): OSM XML and PBF by :mod:`osm_reader` (osmnx's
    graph, built at C speed), GraphML by osmnx."""
    from twin.settings import Settings
    from twin.sources.osm_reader import OsmiumRefusedError, graph_from_osm_file

    settings = Settings(cache_dir=cache_dir)
    name = path.name.lower()
    if not name.endswith(OSM_SUFFIXES):
        msg = f"{path.name} is not a street file twin reads; use one of {', '.join(OSM_SUFFIXES)}."
        raise InvalidInputError(msg)
    notes = []
    measured_here = False
    try:
        if name.endswith(".graphml"):
            import osmnx as ox

            graph = ox.load_graphml(path)
            check_graphml_crs(graph, path)
        else:
            xml_path, note = readable_xml(path, settings)
            notes += [note] if note else []
            try:
                graph = graph_from_osm_file(xml_path)
                measured_here = True  # every edge's length from its nodes' valid coordinates
            except OsmiumRefusedError:
                # well-formed (checked above), yet not osmium's: osmnx's own parser reads it
                graph = _osmnx_graph_from_xml(xml_path)
    except InvalidInputError:
        raise
    except Exception as exc:  # a reader's own complaint about a malformed file, in one sentence
        msg = f"{path} is not a valid street file ({type(exc).__name__}: {str(exc)[:200]})."
        raise InvalidInputError(msg) from None
    dropped = drop_impossible_nodes(graph)
    measured = 0 if measured_here else repair_lengths(graph)  # a file's own lengths: checked
    if measured:
        notes.append(f"{path.name}: {measured:,} street edge(s) had a missing, negative or "
                     "non-finite length; their straight length was used")  # fmt: skip
    if graph.number_of_nodes() == 0:
        msg = f"{path} contains no streets; check that it is an OSM extract with highway ways."
        raise InvalidInputError(msg)
    graph = walkable_graph(graph)
    if dropped:  # the valid streets stay; the district's notes say what was left out
        notes.append(f"{path.name}: {dropped:,} street node(s) with a missing, non-finite or "
                     "impossible coordinate were left out")  # fmt: skip
    if notes:
        graph.graph["twin_note"] = "; ".join(notes)
    return graph


def without_broken_ways(path: Path, out: Path) -> tuple[Path, int]:
    """A copy of OSM XML ``path`` at ``out`` without its nodes of impossible coordinates, each
    way that refers to a node the file does not hold (what clipping an extract leaves, or a node
    just removed) cut there into the runs of nodes it does hold; and how many ways were cut.

    Every segment between two valid nodes stays and none is invented; the pieces get fresh
    negative ids (osmnx keys ways by id). The file has passed :func:`check_osm_xml`, so it is
    well-formed and has no DTD."""
    opener = bz2_open if str(path).lower().endswith(".bz2") else open
    with opener(path, "rb") as stream:
        tree = ET.parse(stream)
    root = tree.getroot()
    for node in [n for n in root.findall("node") if not _coordinate_ok(dict(n.attrib))]:
        root.remove(node)
    nodes = {n.get("id") for n in root.iter("node")}
    cut = 0
    fresh = -1
    kept: list[ET.Element] = []
    for element in list(root):  # one pass: each broken way replaced in place by its valid runs
        refs = element.findall("nd") if element.tag == "way" else []
        if all(nd.get("ref") in nodes for nd in refs):
            kept.append(element)
            continue
        cut += 1
        runs: list[list[ET.Element]] = [[]]
        for nd in refs:
            if nd.get("ref") in nodes:
                runs[-1].append(nd)
            elif runs[-1]:
                runs.append([])
        for run in (r for r in runs if len(r) >= 2):
            piece = ET.Element("way", {**element.attrib, "id": str(fresh)})
            fresh -= 1
            piece.extend([*run, *element.findall("tag")])
            kept.append(piece)
    root[:] = kept
    tree.write(out, encoding="utf-8", xml_declaration=True)
    return out, cut


def check_graphml_crs(graph: nx.MultiDiGraph, path: Path) -> None:
    """Refuse a GraphML file whose declared CRS is unknown or projected: twin reads GraphML
    node coordinates as longitude/latitude (osmnx's unprojected graphs)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    declared = graph.graph.get("crs")
    if declared is None:
        return
    try:
        crs = CRS.from_user_input(declared)
    except CRSError:
        msg = f"{path.name} declares an unknown coordinate system ({str(declared)[:60]}); save the graph in EPSG:4326."
        raise InvalidInputError(msg) from None
    if not crs.is_geographic:
        msg = (f"{path.name} declares the projected system {crs.to_string()}, but twin reads "
               "GraphML in longitude/latitude; save it unprojected (osmnx: "
               "ox.project_graph(G, to_latlong=True)).")  # fmt: skip
        raise InvalidInputError(msg)


def repair_lengths(graph: nx.MultiDiGraph) -> int:
    """Give every edge whose ``length`` is missing, negative or not finite the great-circle
    length between its end nodes; how many were repaired."""
    from osmnx.distance import great_circle

    repaired = 0
    for u, v, data in graph.edges(data=True):
        try:
            length = float(data["length"])
        except (KeyError, TypeError, ValueError):
            length = math.nan
        if math.isfinite(length) and length >= 0:
            continue
        a, b = graph.nodes[u], graph.nodes[v]
        data["length"] = float(
            great_circle(float(a["y"]), float(a["x"]), float(b["y"]), float(b["x"]))
        )
        repaired += 1
    return repaired


def drop_impossible_nodes(graph: nx.MultiDiGraph) -> int:
    """Remove nodes whose x/y is missing, not finite or outside lon/lat range (they would crash
    the geometry and KD-tree code downstream); how many were removed."""
    bad = []
    for node, data in graph.nodes(data=True):
        try:
            x, y = float(data["x"]), float(data["y"])
        except (KeyError, TypeError, ValueError):
            bad.append(node)
            continue
        if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
            bad.append(node)
    graph.remove_nodes_from(bad)
    return len(bad)


def ensure_reachable(url: str, timeout_s: float = 5.0) -> None:
    """Fail fast with a clear error when the Overpass host does not answer.

    osmnx otherwise waits a minute before its first retry when the status endpoint is down.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout_s):
            pass
    except OSError as exc:
        msg = N_(
            "cannot reach {url} ({reason}); check the connection, set TWIN_OVERPASS_URL, "
            "or work offline with --osm-file / the data pack."
        ).format(url=url, reason=exc)  # a template: a page reads it back in its language
        raise NetworkAccessError(msg) from None


def features_from_overpass(
    area: BaseGeometry, tags: dict, settings: Settings, what: str, offline_msg: str
) -> gpd.GeoDataFrame:
    """OSM features with ``tags`` inside ``area`` from Overpass (cached by osmnx's HTTP cache);
    an empty frame when there are none; :class:`NetworkAccessError` (``offline_msg`` offline,
    naming ``what`` when the download fails) otherwise."""
    if settings.offline:
        raise NetworkAccessError(offline_msg)
    import osmnx as ox

    ensure_reachable(settings.overpass_url)
    with osmnx_settings(
        overpass_url=settings.overpass_url, cache_folder=str(settings.cache_dir / "osmnx-http")
    ):
        try:
            return ox.features_from_polygon(area, tags=tags)
        except ox._errors.InsufficientResponseError:
            return gpd.GeoDataFrame(geometry=[], crs=4326)
        except Exception as exc:
            msg = f"could not download {what} from {settings.overpass_url} ({exc})."
            raise NetworkAccessError(msg) from None


def graph_from_osm(
    polygon: BaseGeometry, settings: Settings, slug: str = "DISTRICT"
) -> nx.MultiDiGraph:
    """Download the walking network inside ``polygon`` (WGS-84) from Overpass, cached as GraphML.

    Offline with nothing cached, it says so before importing osmnx (seconds of imports, and
    scikit-learn, only to learn there is nothing to download), naming the ``twin fetch`` of
    district ``slug`` that would cache it."""
    key = cache_key("walk-graph", polygon.wkb_hex, settings.overpass_url)
    cached = settings.cache_dir / "osm" / f"walk-{key}.graphml"
    if settings.offline and not cached.exists():
        msg = N_(
            "the street network is not cached and twin is offline; run "
            "'twin fetch {slug}' with internet access, or pass --osm-file FILE."
        ).format(slug=slug)
        raise NetworkAccessError(msg)
    import osmnx as ox

    if cached.exists():
        return ox.load_graphml(cached)
    ensure_reachable(settings.overpass_url)
    with osmnx_settings(
        overpass_url=settings.overpass_url,
        useful_tags_way=_osmnx_way_tags(),
        cache_folder=str(settings.cache_dir / "osmnx-http"),
        requests_timeout=180,
    ):
        try:
            graph = ox.graph_from_polygon(
                polygon, network_type="walk", retain_all=True, truncate_by_edge=True
            )
        except Exception as exc:
            msg = N_(
                "could not download the street network from {url} ({reason}); run 'twin "
                "fetch {slug}' again later, or pass --osm-file FILE."
            ).format(url=settings.overpass_url, reason=str(exc)[:200], slug=slug)
            raise NetworkAccessError(msg) from None
    graph = walkable_graph(graph)
    cache_write(cached, lambda tmp: ox.save_graphml(graph, tmp))
    return graph
