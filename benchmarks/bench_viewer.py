"""The viewer's first impression in a real browser (Chromium, software WebGL): medians of wall time.

Cold: a fresh cache, nothing prepared. Warm: after ``twin prepare`` (what ``make demo`` runs).
For each: the Overview until idle, the first coverage map until drawn, a page switch (Gaps,
then back to the map), a zoom across a resolution break until the finer hexagons are held, and a
what-if add until its map holds the new hexagons. Also the bytes the map sends per hexagon. Skipped without
Chromium or the data pack.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks._util import table

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
        "--disable-background-networking"]  # fmt: skip


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
    port = _port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT / "app.py"), "--server.port",
         str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    return proc, url


def _idle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                           timeout=300_000)  # fmt: skip


FRAME_TIMELINE = (  # seconds from navigation: the map's frame created, its canvas, painted
    "() => { const f = document.querySelector('iframe[title*=\"twin_deckmap\"]'); "
    "const m = f.contentWindow.twinMap; const o = performance.timeOrigin; "
    "return [f.contentWindow.performance.timeOrigin - o, m.timeline.deck - o, m.paintedAt - o]"
    ".map((t) => t / 1000) }"
)


def _visit(browser, url: str, text: str, canvas: bool = False) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    """Seconds from navigation until ``text`` shows, the script is idle (and a map is drawn);
    with ``canvas``, also the map's timeline by the browser's own clock (against the page's
    navigation start): its frame created, its deck.gl canvas created, and its first frame with
    hexagons painted (``twinMap.paintedAt``: the moment a planner sees the map, free of this
    script's polling, which waits on the page's busy main thread)."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    start = time.perf_counter()
    page.goto(url, timeout=300_000)
    page.get_by_text(text).first.wait_for(timeout=300_000)
    _idle(page)
    timeline = [float("nan")] * 3
    if canvas:
        _drawn(page)
        page.wait_for_function(f"() => ({MAP_STATE})().paintedAt", timeout=300_000)
        timeline = page.evaluate(FRAME_TIMELINE)
    seconds = time.perf_counter() - start
    page.close()
    return seconds, timeline


MAP = 'iframe[title*="twin_deckmap"]'
MAP_STATE = (  # the first map's window.twinMap (empty until its frame has loaded)
    "() => { const f = document.querySelector('iframe[title*=\"twin_deckmap\"]'); "
    "return (f && f.contentWindow.twinMap) || {} }"
)
HEX_KEY = (  # the first map's hexagon key, once its frame holds hexagons
    "() => { const f = document.querySelector('iframe[title*=\"twin_deckmap\"]'); "
    "return f && f.contentWindow.twinMap && f.contentWindow.twinMap.hexKey }"
)


def _drawn(page) -> None:  # type: ignore[no-untyped-def]
    """Until the map component holds its hexagons (decoded and handed to deck.gl)."""
    page.frame_locator(MAP).first.locator("canvas").wait_for(timeout=300_000)
    page.wait_for_function(HEX_KEY, timeout=300_000)


def _until_new_hexagons(browser, url: str, ready: str, act, setup=None) -> float:  # type: ignore[no-untyped-def]
    """Seconds from ``act(page)`` until the first map holds other hexagons and the page is idle,
    on a fresh page at ``url`` once ``ready`` shows and its map is drawn (nan: no new hexagons
    within a minute)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(url, timeout=300_000)
    page.get_by_text(ready).first.wait_for(timeout=300_000)
    _idle(page)
    _drawn(page)
    if setup is not None:  # not timed: what the page needs before the act
        setup(page)
    before = page.evaluate(HEX_KEY)
    start = time.perf_counter()
    act(page)
    try:  # a minute is far beyond any target: nan (printed) rather than a stalled benchmark
        page.wait_for_function(f"() => ({HEX_KEY})() !== {before!r}", timeout=60_000)
    except PlaywrightTimeout:
        page.close()
        return float("nan")
    _idle(page)
    seconds = time.perf_counter() - start
    page.close()
    return seconds


def _wheel_in(page) -> None:  # type: ignore[no-untyped-def]
    """Wheel in over the map's centre, across a resolution break."""
    page.locator(MAP).first.scroll_into_view_if_needed()
    box = page.locator(MAP).first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(3):
        page.mouse.wheel(0, -240)


def _zoom_switch(browser, url: str) -> float:  # type: ignore[no-untyped-def]
    """Seconds from a wheel zoom across a resolution break until the finer hexagons are held."""
    return _until_new_hexagons(browser, url + "/coverage", "residents not served", _wheel_in)


def _unserved_place(cache: str) -> tuple[float, float]:
    """The centre of Hongkou's res-10 hexagon with the most residents not served by charging
    (the What-if page's default layer), from the prepared store: a site added there changes
    hexagons (the page's default, the most populated hexagon, is served already)."""
    from twin.analysis.build import build
    from twin.analysis.engine import CoverageParams
    from twin.settings import Settings
    from twin.store.district import load_district

    settings = Settings.from_env()
    settings = Settings(data_dir=settings.data_dir, cache_dir=Path(cache), offline=True)
    cells = build(load_district("hongkou", settings), settings,
                  CoverageParams.from_settings(settings, None, False)).cells()  # fmt: skip
    unserved = cells["residents"] * (1.0 - cells["covered_charging"].astype(float))
    row = cells.loc[unserved.idxmax()]
    return float(row["lon"]), float(row["lat"])


def _whatif_add(browser, url: str, cache: str) -> float:  # type: ignore[no-untyped-def]
    """Seconds from "Add a site here" (where residents are unserved) until the What-if map
    holds the new hexagons."""
    lon, lat = _unserved_place(cache)

    def place(page) -> None:  # type: ignore[no-untyped-def]
        for label, value in (("Longitude (WGS-84)", lon), ("Latitude (WGS-84)", lat)):
            field = page.get_by_label(label).first
            field.fill(f"{value:.6f}")
            field.press("Enter")
            _idle(page)

    return _until_new_hexagons(browser, url + "/what-if", "Add a site here",
                               lambda page: page.get_by_text("Add a site here").first.click(),
                               setup=place)  # fmt: skip


def _measure(browser, url: str, cache: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    overview, _ = _visit(browser, url, "Targets and measured values")
    first, (frame, canvas, painted) = _visit(browser, url + "/coverage", "residents not served",
                                             canvas=True)  # fmt: skip
    gaps, _ = _visit(browser, url + "/gaps", "Top 10 gaps")
    back, _ = _visit(browser, url + "/coverage", "residents not served", canvas=True)
    return {
        "Overview": overview,
        "first map: its frame created, browser clock": frame,
        "first map: its deck.gl canvas created": canvas,
        "first map painted, browser clock (target ≤ 3 s)": painted,
        "first map, page idle": first,
        "page switch (Gaps)": gaps,
        "back to the map": back,
        "zoom across a resolution break (target: by itself)": _zoom_switch(browser, url),
        "what-if add to drawn (target ≤ 1.5 s)": _whatif_add(browser, url, cache),
    }


def payload_bytes_per_hexagon() -> str:
    """What the map sends per hexagon: twin's binary columns against pydeck's JSON, and the
    whole deck as pydeck writes it (indented) against compact JSON."""
    import json

    import pydeck as pdk

    from twin.analysis.build import build
    from twin.render.basemap import boundary_layer, streets_layer, view_of
    from twin.render.deckmap import hex_columns
    from twin.render.hexagons import METRICS, hexagon_layer, hexagon_payload
    from twin.settings import Settings
    from twin.store.district import load_district

    settings = Settings.from_env()
    hongkou = load_district("hongkou", settings)
    cells = build(hongkou, settings).coverage.cells
    metric = METRICS["charging"]
    binary = hex_columns(cells, metric).bytes_per_hexagon
    as_json = len(hexagon_payload(cells, metric).to_json(orient="records")) / len(cells)
    deck = pdk.Deck(layers=[streets_layer(hongkou.streets.edges), hexagon_layer(cells, metric),
                            boundary_layer(hongkou.boundary)],
                    initial_view_state=view_of(hongkou.boundary), map_style=None)  # fmt: skip
    indented = len(deck.to_json().encode())
    compact = len(json.dumps(json.loads(deck.to_json()), separators=(",", ":")).encode())
    streets = len(json.dumps(json.loads(streets_layer(hongkou.streets.edges).to_json()),
                             separators=(",", ":")).encode())  # fmt: skip
    return (f"per hexagon (Hongkou res 9, {len(cells):,} hexagons): {binary:.0f} B as twin's binary "
            f"columns vs {as_json:.0f} B as pydeck JSON records ({as_json / binary:.1f}×); the "
            f"whole pydeck deck {indented / 1e6:.2f} MB indented vs {compact / 1e6:.2f} MB compact, "
            f"of which the streets ({streets / 1e6:.2f} MB) go once per canvas")  # fmt: skip


PAGES = (
    "overview",
    *sorted(p.stem for p in (PROJECT / "app_pages").glob("[!_]*.py") if p.stem != "overview"),
)  # every page, a new one included


def server_reruns(repeat: int = 3) -> str:
    """Every page's rerun on the server (Streamlit's AppTest, warm: each page run once first),
    median of ``repeat`` (target ≤ 0.3 s): what a click costs before the browser draws."""
    if not os.environ.get("TWIN_DATA_DIR"):
        return "server reruns skipped: needs TWIN_DATA_DIR"
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=900)
    app.run()
    rows = []
    for name in PAGES:
        if name != "overview":
            app.switch_page(f"app_pages/{name}.py").run()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            app.run()
            times.append(time.perf_counter() - start)
        rows.append(
            (
                name,
                f"{statistics.median(times):.3f}",
                "yes" if statistics.median(times) <= 0.3 else "no",
            )
        )
    return "every page's rerun on the server (AppTest, warm), median s\n" + table(
        rows, ("page", "rerun s", "≤ 0.3 s")
    )


def run() -> str:
    if not Path(CHROMIUM).exists() or not os.environ.get("TWIN_DATA_DIR"):
        return "viewer benchmark skipped: needs Chromium and TWIN_DATA_DIR\n" + server_reruns()
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, list[float]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for state in ("cold", "warm"):
            for _ in range(2):
                cache = tempfile.mkdtemp(prefix="twin-bench-")
                env = os.environ | {"TWIN_CACHE_DIR": cache, "TWIN_OFFLINE": "1"}
                if state == "warm":
                    subprocess.run([str(Path(sys.executable).with_name("twin")), "prepare"],
                                   env=env, check=True, capture_output=True)  # fmt: skip
                proc, url = _serve(env)
                try:
                    for key, seconds in _measure(browser, url, cache).items():
                        results.setdefault(key, {}).setdefault(state, []).append(seconds)
                finally:
                    proc.terminate()
                    proc.wait(timeout=30)
                    shutil.rmtree(cache, ignore_errors=True)
        browser.close()
    rows = [(key, f"{statistics.median(v['cold']):.1f}", f"{statistics.median(v['warm']):.1f}")
            for key, v in results.items()]  # fmt: skip
    return ("viewer in Chromium (software WebGL), median s of 2 server starts each\n"
            + table(rows, ("step", "cold s", "warm s (after twin prepare)"))
            + "\n" + payload_bytes_per_hexagon() + "\n" + server_reruns())  # fmt: skip


if __name__ == "__main__":
    print(run())
