"""A fast first label with progress: the page's code comes as one file (or, unbuilt, as modules that
do not wait for each other), the models load while the camera starts, the getting-ready list says
what is happening until the first result, software WebGL is not timed, a backend trial's choice is
remembered per browser, and with no camera the models are ready before a file is chosen."""
import re
import sys
import time

import cv2
import pytest

from tests.browser.page_support import FACES_JS, open_page, progress, wait_frames  # noqa: F401 (fixture)
from tests.support import scenes
from tests.support.chromium import delay_camera
from tests.support.live_server import LiveServer

# Every change of a getting-ready step, in order, from before the page's own scripts run.
RECORD_PROGRESS = """
window.progressLog = [];
new MutationObserver((changes) => changes.forEach((c) => {
  if (c.attributeName === 'data-state') window.progressLog.push(c.target.dataset.step + ':' + c.target.dataset.state);
})).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
"""
# A hardware GPU's name for WebGL's renderer query, so the page runs its backend trial here too.
HARDWARE_RENDERER = """
for (const proto of [WebGLRenderingContext.prototype, WebGL2RenderingContext.prototype]) {
  const get = proto.getParameter;
  proto.getParameter = function (p) { return p === 0x9246 ? 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060)' : get.call(this, p); };
}
"""


@pytest.fixture(scope="module")
def one_face_browser(chromium, videos):
    return chromium(videos("one")[0])


@pytest.fixture(scope="module")
def modules_app():
    """The server with FER_PAGE_BUNDLE=0: its page runs the modules in static/js one by one, as it
    does when they are newer than the one-file build."""
    server = LiveServer([sys.executable, "-m", "server"], {"FER_PAGE_BUNDLE": "0"})
    try:
        yield server.wait()
    finally:
        server.stop()


@pytest.fixture(params=["bundle", "modules"])
def any_app(request, live_app):
    """Each way the page may get its code: the one-file build (live_app, after make setup) and the modules."""
    return live_app if request.param == "bundle" else request.getfixturevalue("modules_app")


def test_progress_shows_the_models_and_the_camera_starting_together_until_the_first_label(
        live_app, one_face_browser, open_page, artifacts):
    page = open_page(one_face_browser, f"{live_app.url}/", init_script=RECORD_PROGRESS)
    page.wait_for_function("() => window.progressLog.includes('first:done')", timeout=120000)
    log = page.evaluate("() => window.progressLog")
    # The models start loading before the camera is on (not after it, as they used to).
    assert log.index("model:busy") < log.index("camera:done"), log
    assert log.index("first:done") > max(log.index("model:done"), log.index("camera:done")), log
    assert progress(page)["hidden"]
    assert len(page.evaluate(FACES_JS)) == 1
    assert page.evaluate("() => ferApp.firstResultAt") > 0
    page.screenshot(path=str(artifacts / "page-first-label.png"))
    assert page.errors == []


def test_software_webgl_is_not_timed(live_app, one_face_browser, open_page):
    page = open_page(one_face_browser, f"{live_app.url}/")
    wait_frames(page, 1, timeout_s=120)
    renderer = page.evaluate("async () => (await import('/static/js/backends.js')).webglRenderer()")
    if not any(name in renderer.lower() for name in ("swiftshader", "llvmpipe", "software")):
        pytest.skip(f"this machine's WebGL is hardware ({renderer}): nothing to skip")
    assert page.inner_text("#backend-name") == "wasm"
    title = page.get_attribute("#backend-name", "title")
    assert "software" in title and "webgl:" not in title, title
    # Nothing to remember: the next visit sees the same software renderer.
    assert page.evaluate("() => localStorage.getItem('realtime-fer.backend')") is None


def test_the_backend_a_trial_picked_is_remembered_for_the_next_visit(live_app, one_face_browser, open_page):
    page = open_page(one_face_browser, f"{live_app.url}/", init_script=HARDWARE_RENDERER)
    wait_frames(page, 1, timeout_s=180)
    title = page.get_attribute("#backend-name", "title")
    assert "webgl:" in title and "wasm:" in title, title  # both timed
    chosen = page.evaluate("() => localStorage.getItem('realtime-fer.backend')")
    assert chosen == page.inner_text("#backend-name") and chosen in ("webgl", "wasm")
    page.reload()
    wait_frames(page, 1, timeout_s=120)
    assert page.inner_text("#backend-name") == chosen
    title = page.get_attribute("#backend-name", "title")
    assert "earlier visit" in title and "webgl:" not in title, title


def test_without_a_camera_the_models_are_ready_before_a_file_is_chosen(live_app, chromium, open_page, tmp_path,
                                                                       artifacts):
    page = open_page(chromium(camera=False), f"{live_app.url}/?backend=wasm", permissions=[])
    page.wait_for_function("() => document.body.dataset.camera === 'unavailable' && window.ferApp.engine",
                           timeout=60000)
    assert page.inner_text("#mode-name") == "in-browser", "the status still says 'starting' after the camera error"
    state = progress(page)
    assert state["camera"] == "failed" and state["model"] == "done" and state["hidden"], state
    assert "denied" in page.inner_text("#message")
    page.screenshot(path=str(artifacts / "page-camera-denied.png"))
    frame, _ = scenes.one_face_scene()
    cv2.imwrite(str(tmp_path / "photo.png"), frame[..., ::-1])
    page.set_input_files("#upload", str(tmp_path / "photo.png"))
    page.wait_for_selector("#faces > li", timeout=30000)
    assert "in this browser" in page.inner_text("#message")
    assert page.errors == []


def test_tfjs_comes_compressed_and_cacheable_under_its_version(live_app, one_face_browser, open_page):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm")
    wait_frames(page, 1)
    timing = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('tf-core.es2017.min.js') || e.name.split('?')[0].endsWith('.wasm'))
        .map((e) => ({ url: e.name, sent: e.encodedBodySize, size: e.decodedBodySize }))""")
    assert len(timing) >= 2, timing
    for entry in timing:
        assert entry["sent"] < entry["size"] * 0.5, f"not compressed: {entry}"
    for entry in timing:  # TF.js and its WebAssembly
        assert "?v=" in entry["url"], entry
        headers = page.evaluate("async (url) => (await fetch(url)).headers.get('cache-control')", entry["url"])
        assert "immutable" in headers and "max-age=31536000" in headers, headers


def test_in_browser_files_are_asked_for_at_once_and_fetched_once(any_app, live_app, one_face_browser, open_page):
    """TF.js, its WebAssembly and both models' files are requested together at the start (not each
    after the one before), and each only once: the later requests take the preloaded responses.
    Built, the page's code is one file and no module is asked for; unbuilt, the page's modules are
    asked for together, before any of them has arrived."""
    page = open_page(one_face_browser, f"{any_app.url}/?mode=browser&backend=wasm")
    wait_frames(page, 2)
    preload = page.evaluate("() => [...document.querySelectorAll('head link[rel=preload][as=fetch]')]"
                            ".map((l) => l.getAttribute('href'))")
    assert any("/models/" in u for u in preload) and any("/detectors/" in u for u in preload), preload
    assert any(u.split("?")[0].endswith(".bin") for u in preload), "the weight shards are not preloaded"
    started = page.evaluate("""() => Object.fromEntries(performance.getEntriesByType('resource')
        .map((r) => [r.name.replace(location.origin, ''), [r.startTime, r.responseEnd]]))""")
    tfjs = next(url for url in started if "tf-core.es2017.min.js" in url)
    wasm = [url for url in started if url.split("?")[0].endswith(".wasm")]
    assert len(wasm) == 1, wasm
    for url in preload + wasm:
        assert url in started, f"{url} was not requested"
        assert started[url][0] < started[tfjs][1], f"{url} waited for TF.js to load"
        assert sum(r.split(any_app.url)[-1] == url for r in page.requests) == 1, f"{url} was fetched twice"
    modules = [url for url in started if url.startswith("/static/js/")]
    if any_app.url == live_app.url:
        scripts = [url.split("?")[0] for url in started if url.split("?")[0].endswith((".js", ".mjs")) and not url.startswith("/vendor/")]
        assert scripts == ["/static/dist/page.js"], f"expected the one-file build alone (make setup builds it): {scripts}"
    else:
        assert {"/static/js/ui.js", "/static/js/overlay.js", "/static/js/inbrowser.js", "/static/js/pixels.js"} <= set(modules)
        # All asked for together by the <head>'s preloads, before any had arrived: found through their
        # imports instead, each would wait for the module importing it. boot.js, the <head>'s script
        # itself, may come back before the parser reaches the preloads: it is not compared.
        preloaded = [url for url in modules if url != "/static/js/boot.js"]
        first_back = min(preloaded, key=lambda url: started[url][1])
        for url in modules:
            assert url not in preloaded or started[url][0] < started[first_back][1], \
                f"{url} was asked for at {started[url][0]:.0f} ms, after {first_back} had arrived ({started[first_back][1]:.0f} ms)"
            assert sum(r.split(any_app.url)[-1] == url for r in page.requests) == 1, f"{url} was fetched twice"
    assert page.errors == []


def test_a_return_visit_loads_its_start_from_the_browsers_cache(live_app, one_face_browser, open_page):
    """Everything the in-browser start loads (the page's one-file build and stylesheet, TF.js, its
    WebAssembly, both models' files) comes under a URL that names its version: opened again in the
    same browser, the page asks the server for none of them, not even to revalidate them."""
    url = f"{live_app.url}/?mode=browser&backend=wasm"
    page = open_page(one_face_browser, url)
    wait_frames(page, 2)
    page.goto(url)
    wait_frames(page, 2)
    loaded = page.evaluate("""() => performance.getEntriesByType('resource')
        .map((r) => [r.name.replace(location.origin, ''), r.transferSize])""")
    start = [(u, size) for u, size in loaded if u.startswith(("/static/", "/vendor/", "/models/", "/detectors/"))]
    kinds = {u.split("?")[0].rsplit(".", 1)[-1] for u, _ in start}
    assert {"js", "css", "json", "bin", "wasm"} <= kinds, start
    assert all("?v=" in u for u, _ in start), [u for u, _ in start if "?v=" not in u]
    assert [u for u, size in start if size > 0] == [], "fetched or revalidated again"
    assert page.errors == []


# Every camera request the page makes: when (ms from navigation start) and with what constraints.
RECORD_CAMERA_ASKS = """(() => {
  window.cameraAsks = [];
  const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => {
    window.cameraAsks.push({ at: performance.now(), constraints });
    return open(constraints);
  };
})();"""


def held_back(seconds):
    """A page.route handler that lets its requests through `seconds` late."""
    def late(route):
        time.sleep(seconds)
        route.continue_()
    return late


def test_the_camera_and_tfjs_do_not_wait_for_the_pages_modules(modules_app, one_face_browser, open_page):
    """Unbuilt, start.js starts TF.js as soon as it arrives, not once boot.js and all it imports
    have (the <head> has asked for the camera before): with one of boot.js's modules held back two
    seconds, both were asked for long before it came, and the page then starts as usual."""
    page = open_page(one_face_browser, f"{modules_app.url}/?mode=browser&backend=wasm", init_script=RECORD_CAMERA_ASKS,
                     route=("**/static/js/chart.js", held_back(2.0)))
    wait_frames(page, 1)
    asks, started = page.evaluate("""() => [window.cameraAsks, Object.fromEntries(performance.getEntriesByType('resource')
        .map((r) => [r.name.replace(location.origin, '').split('?')[0], [r.startTime, r.responseEnd]]))]""")
    held_back_until = started["/static/js/chart.js"][1]
    assert asks[0]["at"] < held_back_until - 1000, (asks, held_back_until)
    tfjs = started["/vendor/@tensorflow/tfjs-core/dist/tf-core.es2017.min.js"]
    assert tfjs[0] < held_back_until - 1000, (tfjs, held_back_until)
    assert page.evaluate("() => document.body.dataset.camera") == "on"
    assert page.errors == []


def test_the_page_asks_for_its_camera_before_any_of_its_code_arrives(any_app, one_face_browser, open_page):
    """The <head>'s inline script (templates/ask_camera.js) asks for the camera before any of the
    page's scripts arrive (here each is held back a second), with the constraints camera.js asks
    with; openCamera then takes that request: one request, and the camera opens."""
    page = open_page(one_face_browser, f"{any_app.url}/?mode=browser&backend=wasm", init_script=RECORD_CAMERA_ASKS,
                     route=(re.compile(r"/static/.*\.js(\?|$)"), held_back(1.0)))  # the build's URL has ?v=
    wait_frames(page, 1)
    asks, scripts = page.evaluate("""() => [window.cameraAsks, performance.getEntriesByType('resource')
        .filter((r) => /\\/static\\/.*\\.js$/.test(new URL(r.name).pathname)).map((r) => r.responseEnd)]""")
    assert len(asks) == 1, asks
    assert scripts and asks[0]["at"] < min(scripts) - 800, (asks, scripts)
    assert asks[0]["constraints"] == page.evaluate("async () => (await import('/static/js/camera.js')).constraints()")
    assert page.evaluate("() => performance.getEntriesByName('fer:camera-asked')[0].startTime") <= asks[0]["at"]
    assert page.evaluate("() => document.body.dataset.camera") == "on"
    assert page.errors == []


# Every camera stream the page gets, in the order they open (window.streams).
RECORD_STREAMS = """(() => {
  window.streams = [];
  const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => { const s = await open(constraints); window.streams.push(s); return s; };
})();"""


@pytest.mark.parametrize("code, late", [("bundle", None), ("modules", None), ("modules", "start.js"),
                                        ("modules", "boot.js")])
def test_the_page_asks_for_its_camera_once_whichever_module_runs_first(live_app, one_face_browser, open_page,
                                                                       request, code, late):
    """The <head> asks for the camera; unbuilt, start.js and boot.js run in no fixed order, and
    whichever runs first, boot.js takes that request: one camera stream opens, and stays open, and
    the page marks once when it asked. Built, as one file, too."""
    app = live_app if code == "bundle" else request.getfixturevalue("modules_app")
    route = (f"**/static/js/{late}", held_back(0.5)) if late else None
    page = open_page(one_face_browser, f"{app.url}/?mode=browser&backend=wasm", init_script=RECORD_STREAMS,
                     route=route)
    wait_frames(page, 2)
    page.wait_for_timeout(300)  # both modules have run by now
    states = page.evaluate("() => window.streams.map((s) => s.getVideoTracks()[0].readyState)")
    assert states == ["live"], states
    assert page.evaluate("() => performance.getEntriesByName('fer:camera-asked').length") == 1
    assert page.errors == []


def test_the_models_run_once_while_the_camera_is_still_opening(live_app, one_face_browser, open_page):
    """While a person reads the camera prompt (here the camera is held back 2 s), the models run
    once on a blank frame, so their first-run costs (the WASM backend packing the weights) are not
    paid by the first frame. bench.page_load --camera-delay-ms measures what it saves. The page
    marks each step of its start (User Timing, which bench.peers reports), in the order they came."""
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm", init_script=delay_camera(2000))
    wait_frames(page, 1)
    warmup_ms, camera_at, first_at = page.evaluate("() => [ferApp.warmupMs, window.cameraOpenedAt, ferApp.firstResultAt]")
    assert warmup_ms is not None and warmup_ms > 0, "the models did not run before the camera opened"
    assert first_at > camera_at
    steps = page.evaluate("() => performance.getEntriesByType('mark').filter((m) => m.name.startsWith('fer:'))"
                          ".map((m) => [m.name, m.startTime])")
    assert [name for name, _ in steps] == ["fer:camera-asked", "fer:tfjs-loaded", "fer:models-loaded", "fer:warmed-up",
                                           "fer:camera-open", "fer:first-result"], steps
    assert steps[-1][1] == first_at and steps[4][1] >= camera_at
    assert page.errors == []
