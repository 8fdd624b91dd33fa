"""A local HTTP server standing in for the Overpass API, serving an OSM XML file as JSON."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATUS = (
    "Connected as: 1\nCurrent time: 2026-01-01T00:00:00Z\nAnnounced endpoint: none\n"
    "Rate limit: 2\n2 slots available now.\nCurrently running queries:\n"
)


def osm_xml_to_overpass_json(path: Path) -> dict:
    root = ET.parse(path).getroot()
    elements: list[dict] = []
    for el in root:
        tags = {t.get("k"): t.get("v") for t in el.findall("tag")}
        if el.tag == "node":
            elements.append(
                {"type": "node", "id": int(el.get("id")), "lat": float(el.get("lat")),
                 "lon": float(el.get("lon")), "tags": tags}
            )  # fmt: skip
        elif el.tag == "way":
            refs = [int(nd.get("ref")) for nd in el.findall("nd")]
            elements.append({"type": "way", "id": int(el.get("id")), "nodes": refs, "tags": tags})
    return {"version": 0.6, "generator": "twin test stub", "elements": elements}


class OverpassStub:
    """``with OverpassStub(path) as stub: stub.url`` serves ``/api/status`` and ``/api/interpreter``."""

    def __init__(self, osm_file: Path) -> None:
        self.payload = json.dumps(osm_xml_to_overpass_json(osm_file)).encode()
        self.queries: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None

            def _send(self, body: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._send(STATUS.encode(), "text/plain")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                stub.queries.append(self.rfile.read(length).decode())
                self._send(stub.payload, "application/json")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OverpassStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
