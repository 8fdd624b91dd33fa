"""The real app in a real browser: Streamlit on a free port, Debian's Chromium through Playwright.

Checks that the coverage map draws coloured hexagons (pixel count on a screenshot), that a GBK
CSV uploaded on the Data page is accepted and used, that a broken upload shows an error instead
of crashing, and that no Streamlit exception element appears. Screenshots are kept in
``tests/artifacts/``. ``.ci/run`` installs Chromium when it is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from twin import layers
from twin.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--use-gl=angle", "--use-angle=swiftshader",
               "--enable-unsafe-swiftshader", "--disable-background-networking"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(settings):
    if not Path(CHROMIUM).exists():
        message = "Chromium is missing: apt-get install chromium (.ci/run does this)"
        if os.environ.get("TWIN_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = (ARTIFACTS / "streamlit.log").open("wb")
    env = os.environ | {
        "TWIN_DATA_DIR": str(settings.data_dir), "TWIN_CACHE_DIR": str(settings.cache_dir),
        "TWIN_OFFLINE": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"),
         "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        proc.wait()
        log.close()
        pytest.fail("streamlit did not start within 60 s (see tests/artifacts/streamlit.log)")
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield instance
        instance.close()


OUTSIDE: list[str] = []  # every request that left localhost, over the whole module


def open_page(browser, url: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1440, "height": 900})

    def note(request) -> None:  # type: ignore[no-untyped-def]
        if not request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            OUTSIDE.append(request.url)

    page.on("request", note)
    page.goto(url, timeout=120_000)
    page.wait_for_selector('[data-testid="stApp"]', timeout=120_000)
    return page


IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-testid="stSpinner"]');
}"""


def wait_idle(page) -> None:  # type: ignore[no-untyped-def]
    """Until Streamlit has run the script and drawn its result: the app says it is not running,
    no spinner shows, and it stays so (a component's rerun may follow the first run)."""
    page.wait_for_timeout(500)
    for _ in range(2):
        page.wait_for_function(IDLE, timeout=240_000)
        page.wait_for_timeout(700)


def coloured_share(png: bytes) -> float:
    """Share of pixels that are clearly coloured (not grey, white or black)."""
    from io import BytesIO

    from PIL import Image

    rgb = np.asarray(Image.open(BytesIO(png)).convert("RGB"), dtype=int)
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    return float((saturation > 60).mean())


MAP = 'iframe[title*="twin_deckmap"]'


def map_frame(page, index: int = 0):  # type: ignore[no-untyped-def]
    """The map component's frame (twin's deck.gl canvas), once its canvas is drawn."""
    frame = page.frame_locator(MAP).nth(index)
    frame.locator("canvas").wait_for(timeout=120_000)
    return frame


def map_resolution(frame) -> str:  # type: ignore[no-untyped-def]
    return frame.locator("#badge").get_attribute("data-resolution") or ""


def test_coverage_map_draws_coloured_hexagons(server, browser):
    page = open_page(browser, server + "/coverage")
    wait_idle(page)
    canvas = map_frame(page).locator("canvas")
    page.wait_for_timeout(3000)  # deck.gl draws after the data arrives
    shot = canvas.screenshot()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "coverage_map.png").write_bytes(shot)
    page.screenshot(path=str(ARTIFACTS / "coverage_page.png"), full_page=True)
    assert coloured_share(shot) > 0.05, "the map shows no coloured hexagons"
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "OpenStreetMap" in page.content()
    page.close()


def test_upload_on_the_data_page(server, browser, hongkou, tmp_path):
    sites = layers.generate("lockers", hongkou).head(25)
    table = pd.DataFrame({"名称": sites["locker_id"], "经度": sites.geometry.x.round(7),
                          "纬度": sites.geometry.y.round(7)})  # fmt: skip
    good = tmp_path / "快递柜.csv"
    table.to_csv(good, index=False, encoding="gbk")  # as Chinese Excel saves it
    broken = tmp_path / "broken.csv"
    broken.write_text("name,colour\na,red\n", encoding="utf-8")

    page = open_page(browser, server + "/data")
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(broken))
    wait_idle(page)
    page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=60_000)
    assert "broken.csv cannot be used" in page.content()
    assert page.locator('[data-testid="stException"]').count() == 0

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    wait_idle(page)
    page.get_by_text("Accepted").wait_for(timeout=60_000)
    page.get_by_role("button", name="Use these 25 sites").click()
    wait_idle(page)
    page.wait_for_selector("text=In use this session", timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "data_page.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    package = tmp_path / "lockers.gpkg"  # what `twin import` reads, the page takes too
    sites.head(7).to_file(package, layer="lockers", driver="GPKG")
    sites.head(3).to_file(package, layer="lockers_2019", driver="GPKG")  # two layers: one asked
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(package))
    wait_idle(page)
    page.get_by_text("GeoPackage layer").wait_for(timeout=60_000)
    page.get_by_role("button", name="Use these 7 sites").wait_for(timeout=60_000)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    page.close()


def test_pages_render_without_exceptions(server, browser):
    """Every page loads in the browser, with a screenshot of each kept as an artifact."""
    for path in (
        "",
        "/city",
        "/life-circle",
        "/gaps",
        "/what-if",
        "/programme",
        "/export",
        "/sources",
    ):
        page = open_page(browser, server + path)
        wait_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0, path
        if path == "/what-if":
            map_frame(page)
            page.wait_for_timeout(2000)
        name = path.strip("/") or "overview"
        page.screenshot(path=str(ARTIFACTS / f"page_{name}.png"), full_page=True)
        page.close()


def test_the_view_lives_in_the_url(server, browser):
    """Open a shared link: the map, the layer and the outlined hexagon come back."""
    page = open_page(browser, server + "/coverage?district=hongkou&res=9&metric=charging")
    wait_idle(page)
    page.wait_for_selector("text=Charging: residents within a station", timeout=120_000)
    assert "residents not served" in page.content() and "900 m" in page.content()
    assert "metric=charging" in page.url and "district=hongkou" in page.url
    canvas = map_frame(page).locator("canvas")
    page.wait_for_timeout(2500)
    shot = canvas.screenshot()
    (ARTIFACTS / "charging_rule_map.png").write_bytes(shot)
    assert coloured_share(shot) > 0.05
    page.close()


def test_a_shared_link_in_chinese(server, browser):
    """?lang=zh: the coverage map in Chinese (CJK fonts drawn: a screenshot is kept), the
    language kept in the URL as the page changes."""
    page = open_page(browser, server + "/coverage?district=hongkou&res=9&metric=charging&lang=zh")
    wait_idle(page)
    page.wait_for_selector("text=充电：位于充电站服务半径内的居民", timeout=120_000)
    assert "名居民未被服务" in page.content() and "覆盖地图" in page.content()
    assert "lang=zh" in page.url
    map_frame(page).locator("canvas").wait_for(timeout=120_000)
    # the street and station names join once the map's first frame is up (not inside it)
    frame = page.locator(MAP).first.element_handle().content_frame()
    frame.wait_for_function(TEXT_AFTER_FIRST_FRAME, timeout=120_000, polling=200)
    page.wait_for_timeout(2500)
    page.screenshot(path=str(ARTIFACTS / "coverage_page_zh.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


UPLOADER_WORDS = """() => Array.from(document.querySelectorAll(
    '[data-testid=stFileUploaderDropzone] button p, '
    + '[data-testid=stFileUploaderDropzoneInstructions] span'
)).map((e) => [getComputedStyle(e).fontSize, getComputedStyle(e, '::after').content])"""


def test_the_uploader_speaks_the_page_language(server, browser):
    """Streamlit writes its uploader's words in English: in Chinese they are hidden and said
    again from the catalogue, the server's own upload limit included."""
    page = open_page(browser, server + "/data?lang=zh")
    page.wait_for_selector('[data-testid="stFileUploaderDropzone"]', timeout=120_000)
    page.wait_for_function(f"() => ({UPLOADER_WORDS})().length === 2", timeout=60_000)
    (button_size, button), (note_size, note) = page.evaluate(UPLOADER_WORDS)
    assert (button_size, note_size) == ("0px", "0px")  # Streamlit's English, not shown
    assert (
        button == '"上传"'
        and note == '"每个文件最大 20 MB · CSV, TXT, GEOJSON, JSON, GPKG, PARQUET, GEOPARQUET"'
    )
    page.screenshot(path=str(ARTIFACTS / "data_page_zh.png"), full_page=True)
    files = page.evaluate_handle(  # a file dragged over the dropzone: its overlay speaks too
        "() => { const t = new DataTransfer(); t.items.add(new File(['x'], 'a.csv')); return t }"
    )
    page.dispatch_event(
        '[data-testid="stFileUploaderDropzone"]', "dragenter", {"dataTransfer": files}
    )
    overlay = '[data-testid="stFileUploaderDropzone"] > input + div > span'
    page.wait_for_selector(overlay, timeout=30_000)
    size, said = page.evaluate(f"""() => {{ const e = document.querySelector('{overlay}');
        return [getComputedStyle(e).fontSize, getComputedStyle(e, '::after').content] }}""")
    assert size == "0px" and said == '"将文件拖放到此处"'
    page.close()


CHROME_TEXTS = """() => Array.from(document.querySelectorAll(
    '[data-testid=stMainMenuPopover] span, [data-testid=stTooltipContent], '
    + '[data-testid=stElementToolbar] button')).map((e) => e.getAttribute('aria-label') || e.textContent)"""


def test_streamlits_own_words_speak_the_page_language(server, browser):
    """Streamlit draws its menu, a table's toolbar and its tooltips in English: a Chinese page
    says them in Chinese (the catalogue's words), and a page switched back says them in English."""
    page = open_page(browser, server + "/life-circle?lang=zh")
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=120_000)
    wait_idle(page)
    page.click('[data-testid="stMainMenu"] button')
    page.wait_for_selector('[data-testid="stMainMenuPopover"]', timeout=30_000)
    page.wait_for_function("() => document.querySelector('[data-testid=stMainMenuPopover]')"
                           ".textContent.includes('打印')", timeout=30_000)  # fmt: skip
    menu = page.locator('[data-testid="stMainMenuPopover"]').inner_text()
    assert "录制屏幕" in menu and not re.search(r"Print|Record|Light|Dark|System|Made with", menu)
    page.keyboard.press("Escape")
    table = page.locator('[data-testid="stDataFrame"]').first
    table.evaluate("(e) => e.scrollIntoView({block: 'center'})")
    for _ in range(4):  # a tooltip opens after a second's rest on the button: rest again if not
        box = table.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        button = page.locator('[data-testid="stElementToolbarButton"] button').nth(1)
        button.wait_for(timeout=30_000)
        at = button.bounding_box()
        page.mouse.move(at["x"] + at["width"] / 2, at["y"] + at["height"] / 2, steps=3)
        try:
            page.wait_for_selector('[data-testid="stTooltipContent"]', timeout=5_000)
            break
        except Exception:  # the hover did not land: move off and try again
            page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    said = page.evaluate(CHROME_TEXTS)
    assert "下载为 CSV" in said and "全屏" in said, said
    names = re.compile(r"CSV|PNG|Vega-Lite")  # formats and a product keep their names
    assert not [t for t in said if re.search(r"[A-Za-z]{3,}", names.sub("", t))], said
    page.screenshot(path=str(ARTIFACTS / "streamlit_chrome_zh.png"))
    page.goto(server + "/gaps?lang=zh", timeout=120_000)  # a multiselect's list: drawn apart
    page.wait_for_selector('[data-testid="stMultiSelect"]', timeout=120_000)
    wait_idle(page)
    page.locator('[data-testid="stMultiSelect"]').first.click()
    page.wait_for_selector('[role="listbox"]', timeout=30_000)
    page.wait_for_function("() => document.querySelector('[role=listbox]')"
                           ".textContent.includes('全选')", timeout=30_000)  # fmt: skip
    assert "Select all" not in page.locator('[role="listbox"]').first.inner_text()
    page.keyboard.press("Escape")
    page.locator('[data-testid="stSidebar"] label', has_text="English").click()
    wait_idle(page)
    page.click('[data-testid="stMainMenu"] button')
    page.wait_for_function("() => document.querySelector('[data-testid=stMainMenuPopover]')"
                           ".textContent.includes('Print')", timeout=30_000)  # fmt: skip
    assert "打印" not in page.locator('[data-testid="stMainMenuPopover"]').inner_text()
    page.close()


TEXT_AFTER_FIRST_FRAME = """() => {
    const m = window.twinMap;
    if (!m || !m.paintedAt || !m.shown.split(',').includes('street_labels')) return false;
    const t = m.timeline;  // the frame's first steps, in order
    return t.script <= t.render && t.render <= t.deck && t.deck <= m.paintedAt;
}"""

CAMERA = (
    "() => { const m = window.twinMap; return m && m.viewState && m.hexes ? "
    "[m.viewState.longitude, m.viewState.latitude, m.viewState.zoom] : null }"
)


def test_a_city_row_opens_its_districts_coverage_map(server, browser, settings, tmp_path):
    """A click on a row of the City page's table opens the coverage map of that district (the
    sidebar's district set by the table's callback, before the sidebar's select exists), in
    the view's language and hexagon size (a page switch starts from an empty URL)."""
    from twin.batch import build_district

    results = [build_district(s, settings, None, str(tmp_path)) for s in ("hongkou", "changning")]
    pd.DataFrame([r.row | {"error": r.error} for r in results]).to_csv(
        tmp_path / "city_summary.csv", index=False
    )
    page = open_page(browser, f"{server}/city?batch={tmp_path}&lang=zh&res=8")
    wait_idle(page)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=120_000)
    page.wait_for_timeout(1500)
    box = table.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 35 + 17)  # the row marker of row 2
    # the coverage map of that district, in the view's language and hexagon size
    page.wait_for_selector("h1:has-text('覆盖地图 · 长宁区')", timeout=120_000)
    wait_idle(page)
    assert "lang=zh" in page.url and "res=8" in page.url and "district=changning" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


def test_a_city_run_is_followed_in_chinese_and_found_again(server, browser, tmp_path):
    """A run going on in the folder: its bar, read from its log every 2 s, stays in the page's
    language; leaving the page and coming back finds it; when it stops without a table the page
    says so in Chinese and offers the button again."""
    folder = tmp_path / "city"
    folder.mkdir()
    (folder / "batch.log").write_text("[1/16] jingan: done\n", encoding="utf-8")
    stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    (folder / "batch.pid").write_text(f"{stand_in.pid}\n", encoding="ascii")
    try:
        page = open_page(browser, f"{server}/city?batch={folder}&lang=zh")
        wait_idle(page)
        page.wait_for_selector("text=16 个区中已完成 1 个：静安区 已测算", timeout=120_000)
        page.wait_for_timeout(5000)  # two refreshes of the bar
        assert page.locator("text=16 个区中已完成 1 个：静安区 已测算").count() == 1
        assert "districts" not in page.locator('[data-testid="stMain"]').inner_text()
        page.locator('[data-testid="stSidebarNav"] a').first.click()  # the Overview, then back
        wait_idle(page)
        page.locator('[data-testid="stSidebarNav"] a[href*="city"]').click()
        page.wait_for_selector("text=16 个区中已完成 1 个：静安区 已测算", timeout=120_000)
        stand_in.kill()
        stand_in.wait()  # reaped, as the viewer reaps its own runs and init a restarted one's
        page.wait_for_selector("text=未写出全市汇总表便已停止", timeout=60_000)
        assert page.locator("button:has-text('立即测算全部十六个区')").count() == 1
        page.close()
    finally:
        stand_in.kill()
        stand_in.wait()


def camera_of(page, index: int):  # type: ignore[no-untyped-def]
    frame = page.locator(MAP).nth(index).element_handle().content_frame()
    return frame.wait_for_function(CAMERA, timeout=120_000, polling=500).json_value()


def wheel_in(page, index: int) -> None:  # type: ignore[no-untyped-def]
    page.locator(MAP).nth(index).scroll_into_view_if_needed()
    box = page.locator(MAP).nth(index).bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4)
    for _ in range(3):
        page.mouse.wheel(0, -240)
        page.wait_for_timeout(150)
    page.wait_for_timeout(1500)


def test_the_split_view_moves_both_maps(server, browser):
    """Side by side (two layers of Hongkou): zooming the left map moves the right one to the same
    camera, in the browser; the pair lives in the URL."""
    page = open_page(
        browser, server + "/compare?district=hongkou&pair=layers&left=lockers&right=charging"
    )
    wait_idle(page)
    assert page.locator(MAP).count() == 2
    before = [camera_of(page, i) for i in (0, 1)]
    assert before[0] == pytest.approx(before[1])  # one district: the same first view
    wheel_in(page, 0)
    after = [camera_of(page, i) for i in (0, 1)]
    assert after[0][2] > before[0][2] + 0.5  # the left map zoomed in ...
    assert after[1] == pytest.approx(after[0], abs=1e-6)  # ... and the right one followed
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "page_compare.png"), full_page=True)
    assert "pair=layers" in page.url and "right=charging" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


def test_the_camera_lives_in_the_url(server, browser):
    """Where the camera comes to rest goes into the URL (cam=lon,lat,zoom,pitch,bearing); opening
    that link draws the map from the same camera."""
    page = open_page(browser, server + "/coverage?district=hongkou&metric=lockers")
    wait_idle(page)
    camera_of(page, 0)
    wheel_in(page, 0)
    page.wait_for_function("() => location.search.includes('cam=')", timeout=60_000)
    wait_idle(page)
    rested = camera_of(page, 0)
    link = page.url
    page.close()
    page = open_page(browser, link)
    wait_idle(page)
    reopened = camera_of(page, 0)
    assert reopened == pytest.approx(rested, abs=0.006)  # the URL keeps 5 and 2 decimals
    page.close()


def test_the_map_follows_the_zoom(server, browser):
    """Zooming in switches the hexagons to a finer resolution by itself, on the same canvas."""
    page = open_page(browser, server + "/coverage?district=hongkou&metric=lockers")
    wait_idle(page)
    frame = map_frame(page)
    page.wait_for_timeout(2000)
    start = map_resolution(frame)
    assert start == "9", start  # the district fits the window at zoom ≈ 12.6
    before = frame.locator("canvas").screenshot()
    page.locator(MAP).first.scroll_into_view_if_needed()
    box = page.locator(MAP).first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(3):  # wheel in by a zoom level or two
        page.mouse.wheel(0, -240)
        page.wait_for_timeout(150)
    page.wait_for_function(
        "() => [...document.querySelectorAll('iframe')].some(f => f.contentDocument && "
        "f.contentDocument.querySelector('#badge[data-resolution=\"10\"]'))",
        timeout=120_000,
    )
    wait_idle(page)
    page.wait_for_timeout(2000)
    after = frame.locator("canvas").screenshot()
    (ARTIFACTS / "zoom_res9.png").write_bytes(before)
    (ARTIFACTS / "zoom_res10.png").write_bytes(after)
    assert coloured_share(after) > 0.05
    assert "res 10" in frame.locator("#badge").inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    # out again and back in: each crossing asks once and is answered (no request swallowed)
    for delta, res in ((240, "9"), (-240, "10")):
        for _ in range(3):
            page.mouse.wheel(0, delta)
            page.wait_for_timeout(150)
        page.wait_for_function(
            "r => [...document.querySelectorAll('iframe')].some(f => f.contentDocument && "
            "f.contentDocument.querySelector(`#badge[data-resolution=\"${r}\"]`))", arg=res,
            timeout=120_000)  # fmt: skip
        wait_idle(page)
    page.close()


def dark_share(png: bytes) -> float:
    """Share of near-black / dark grey pixels (sites, masts, outlines)."""
    from io import BytesIO

    from PIL import Image

    rgb = np.asarray(Image.open(BytesIO(png)).convert("RGB"), dtype=int)
    return float((rgb.max(axis=2) < 90).mean())


FIND_HEXAGON = """() => {
    const map = window.twinMap;
    if (!map || !map.deck || !map.hexes) return null;
    const canvas = document.querySelector('canvas');
    const w = canvas.clientWidth, h = canvas.clientHeight;
    for (const fy of [0.62, 0.5, 0.55, 0.45, 0.7, 0.4]) {
        for (const fx of [0.52, 0.5, 0.45, 0.55, 0.4, 0.6]) {
            const hit = map.deck.pickObject({x: w * fx, y: h * fy, radius: 0, layerIds: ['hexagons']});
            if (hit && hit.object) return [fx, fy];
        }
    }
    return null;
}"""


def click_a_hexagon(page) -> None:  # type: ignore[no-untyped-def]
    """Click where the map draws a hexagon, once its hexagons have arrived (the component asks
    for them after its first draw); click again if the first click found the map still busy."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    frame = page.locator(MAP).first.element_handle().content_frame()
    spot = frame.wait_for_function(FIND_HEXAGON, timeout=120_000, polling=500).json_value()
    box = page.locator(MAP).first.bounding_box()
    for _ in range(3):
        page.mouse.click(box["x"] + box["width"] * spot[0], box["y"] + box["height"] * spot[1])
        try:
            page.wait_for_selector("text=Hexagon 8", timeout=30_000)
            return
        except PlaywrightTimeout:  # the click was swallowed: click again
            continue


def test_a_click_outlines_the_hexagon_and_the_3d_view_shows_masts(server, browser):
    page = open_page(browser, server + "/coverage?district=hongkou&metric=lockers")
    wait_idle(page)
    frame = map_frame(page)
    page.wait_for_timeout(2500)
    canvas = frame.locator("canvas")
    plain = canvas.screenshot()
    page.locator(MAP).first.scroll_into_view_if_needed()
    click_a_hexagon(page)
    page.wait_for_selector("text=Hexagon 89", timeout=120_000)  # its figures, named
    wait_idle(page)
    page.wait_for_timeout(2000)
    outlined = canvas.screenshot()
    (ARTIFACTS / "clicked_hexagon.png").write_bytes(outlined)
    assert "hex=89" in page.url  # the selection is in the URL
    assert dark_share(outlined) > dark_share(plain)  # the thick outline is drawn
    assert page.locator('[data-testid="stException"]').count() == 0

    # a shared link to the CIM view of the North Bund: the 3D state lives in the URL; at this
    # zoom every 5G site stands as a mast (zoomed out they are counted per hexagon)
    page.goto(server + "/coverage?district=hongkou&metric=base_stations&3d=north-bund,50,-25",
              timeout=120_000)  # fmt: skip
    wait_idle(page)
    frame = map_frame(page)
    page.wait_for_timeout(3000)
    shot = frame.locator("canvas").screenshot()
    (ARTIFACTS / "cim_3d_masts.png").write_bytes(shot)
    page.screenshot(path=str(ARTIFACTS / "cim_3d_page.png"), full_page=True)
    rgb = np.asarray(Image.open(BytesIO(shot)).convert("RGB"), dtype=int)
    sectors = (rgb[..., 0] > 140) & (rgb[..., 1] < 75) & (rgb[..., 2] < 75)  # the red sector arms
    assert coloured_share(shot) > 0.05 and sectors.mean() > 0.002  # columns and masts
    assert page.locator('[data-testid="stSlider"]').count() >= 2  # pitch and bearing
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


def test_the_png_and_pdf_downloads(server, browser):
    page = open_page(browser, server + "/coverage?district=hongkou&metric=charging")
    wait_idle(page)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_text("Download this map (PNG").click()
    png = Path(download.value.path()).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    (ARTIFACTS / "download_map.png").write_bytes(png)
    page.goto(server + "/", timeout=120_000)
    wait_idle(page)
    # a cold cache measures the five plan districts first (res 10), so the button comes late
    page.get_by_text("Prepare the Hongkou report (PDF)").click(timeout=300_000)
    wait_idle(page)
    with page.expect_download(timeout=240_000) as download:
        page.get_by_text("Download the Hongkou report").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


def test_nothing_leaves_localhost_offline(server, browser):
    """Run last in this module: no basemap style, font or telemetry request left the machine."""
    page = open_page(browser, server + "/coverage")
    wait_idle(page)
    page.wait_for_timeout(2000)
    page.close()
    assert not OUTSIDE, f"requests left localhost: {sorted(set(OUTSIDE))[:5]}"
