"""The page in headless Chromium with a fake camera: in-browser mode, server mode, errors.

Each test opens the real page from the live server. Labels are asserted in separate
`real_model` tests, which hold for the shipped default, models/resnet_slim (a retrained model may label otherwise).
"""
import sys

import numpy as np
import pytest

from tests.browser.page_support import FACES_JS, open_page, wait_frames  # noqa: F401 (fixture)
from tests.support import scenes
from tests.support.chromium import claim_hardware_concurrency
from tests.support.live_server import LiveServer

# Alpha of the overlay canvas at (x, y) in source pixels: the canvas is drawn at its on-screen
# size, and data-scale is its pixels per source pixel.
ALPHA_JS = """([x, y]) => { const c = document.getElementById('overlay'); const k = Number(c.dataset.scale);
    return c.getContext('2d').getImageData(Math.round(x * k), Math.round(y * k), 1, 1).data[3] }"""


def match(faces, expected):
    """For each expected (label, box), the detected face whose box centre falls in it (or None)."""
    out = []
    for label, (x, y, w, h) in expected:
        hits = [f for f in faces if x <= f["box"][0] + f["box"][2] / 2 <= x + w and y <= f["box"][1] + f["box"][3] / 2 <= y + h]
        out.append(hits[0] if hits else None)
    return out


def assert_box_drawn_mirrored(page, box, width=640):
    """The overlay has the box's left edge where the mirrored preview shows the face, not where the raw frame has it."""
    x, y, w, h = box
    mirrored_left = width - x - w
    assert page.evaluate(ALPHA_JS, [mirrored_left, y + h / 2]) > 0, "no box edge at the mirrored position"
    if abs(mirrored_left - x) > 10:
        assert page.evaluate(ALPHA_JS, [x, y + h / 2]) == 0, "a box edge at the unmirrored position"


@pytest.fixture(scope="module")
def one_face_browser(chromium, videos):
    return chromium(videos("one")[0])


def test_in_browser_mode_boxes_the_face_and_sends_no_frame(live_app, one_face_browser, videos, artifacts, open_page):
    _, expected, _ = videos("one")
    requests, sockets = [], []

    def listen(page):  # from the first request on
        page.on("request", lambda r: requests.append((r.method, r.url, len(r.post_data_buffer or b""))))
        page.on("websocket", lambda ws: sockets.append(ws.url))
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm", on_page=listen)
    faces = wait_frames(page, 5)
    (face,) = match(faces, expected)
    assert face is not None, f"expected a box on the astronaut's face {expected[0][1]}, got {faces}"
    assert len(faces) == 1, faces
    assert 0 < face["confidence"] <= 1 and face["label"] in face["text"]
    assert page.inner_text("#mode-name") == "in-browser"
    assert page.inner_text("#backend-name") == "wasm"
    assert page.evaluate("() => crossOriginIsolated"), "the page should be cross-origin isolated (WASM threads)"
    assert "No frame leaves" in page.inner_text("#privacy")
    assert float(page.inner_text("#fps")) > 0
    assert_box_drawn_mirrored(page, face["box"])
    # Keep watching while it runs: nothing goes out but GETs without a body, and no socket opens.
    wait_frames(page, 5)
    assert not sockets, f"in-browser mode opened sockets: {sockets}"
    assert [r for r in requests if r[0] != "GET" or r[2] > 0] == []
    # blob: URLs are the page's own memory (the WASM thread workers' script), not the network
    assert all(r[1].startswith((live_app.url, f"blob:{live_app.url}/")) for r in requests), requests
    page.screenshot(path=str(artifacts / "in-browser-mode.png"))
    assert page.errors == []


@pytest.mark.real_model
def test_in_browser_mode_says_the_astronaut_smiles(live_app, one_face_browser, videos, open_page):
    _, expected, _ = videos("one")
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm")
    (face,) = match(wait_frames(page, 3), expected)
    assert face is not None and face["label"] == "happy", face


@pytest.mark.real_model
def test_wasm_runs_the_models_on_two_threads_where_the_cpu_has_them(live_app, one_face_browser, videos, open_page):
    # TF.js gives XNNPACK half of navigator.hardwareConcurrency, so claiming 4 gets 2 threads even on a
    # 2-core machine: the threaded build starts its workers under this page's CSP and labels the face.
    _, expected, _ = videos("one")
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm",
                     init_script=claim_hardware_concurrency(4))
    (face,) = match(wait_frames(page, 3), expected)
    assert page.get_attribute("body", "data-threads") == "2"
    assert "2 threads" in page.get_attribute("#backend-name", "title")
    assert face is not None and face["label"] == "happy", face
    assert page.errors == []


# Every 4th analysed frame, the engine's answer is replaced by a confident "surprise" (a noisy
# classification, as a jittering webcam gives); the labels the page shows are recorded per frame.
NOISY_FRAMES_JS = """() => {
  const engine = window.ferApp.engine;
  const analyse = engine.analyse;
  let n = 0;
  engine.analyse = async (...args) => {
    const result = await analyse(...args);
    if (++n % 4 === 0) {
      result.faces = result.faces.map((f) => ({ ...f, label: 'surprise', confidence: 1,
        probabilities: Object.fromEntries(Object.keys(f.probabilities).map((l) => [l, l === 'surprise' ? 1 : 0])) }));
    }
    return result;
  };
  window.shownLabels = [];
  // Once per rendered frame: the list counts them (its items are changed in place, not replaced).
  new MutationObserver(() => window.shownLabels.push(
    [...document.querySelectorAll('#faces li')].map((li) => li.dataset.label).join(','),
  )).observe(document.getElementById('faces'), { attributes: true, attributeFilter: ['data-frames'] });
}"""


@pytest.mark.real_model
@pytest.mark.parametrize("smooth, flickers", [("0", True), ("2000", False)])
def test_smoothing_keeps_a_one_frame_glitch_off_the_label(live_app, one_face_browser, open_page, smooth, flickers):
    # 2 s, not the 200 ms default: one glitch must stay outvoted even when a loaded machine takes
    # 200 ms or more per frame (bench.smoothing measures the default itself).
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm&smooth={smooth}")
    wait_frames(page, 3)
    page.evaluate(NOISY_FRAMES_JS)
    wait_frames(page, 16)
    shown = page.evaluate("() => window.shownLabels")
    assert len(shown) >= 16 and set(shown) <= {"happy", "surprise"}, shown
    intervals = page.evaluate("() => ferApp.history.slice(-16).map((f, i, a) => i ? Math.round(f.t - a[i - 1].t) : 0)")
    confidence = page.evaluate(FACES_JS)[0]["confidence"]
    assert ("surprise" in shown) == flickers, (shown, intervals, confidence)


def test_tensor_count_stays_flat_over_many_frames(live_app, one_face_browser, open_page):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm")
    wait_frames(page, 5)
    before = page.evaluate("() => tf.memory().numTensors")
    wait_frames(page, 40)
    after = page.evaluate("() => tf.memory().numTensors")
    assert after == before, f"expected a flat tensor count, got {before} -> {after} over 40 frames"


@pytest.fixture(scope="module")
def four_faces(chromium, videos):
    video, expected, _ = videos("four")
    return chromium(video), expected


def test_in_browser_mode_boxes_four_faces(live_app, four_faces, artifacts, open_page):
    browser, expected = four_faces
    page = open_page(browser, f"{live_app.url}/?mode=browser&backend=wasm")
    faces = wait_frames(page, 4)
    found = match(faces, expected)
    assert all(found), f"expected boxes on {[box for _, box in expected]}, got {[f['box'] for f in faces]}"
    assert len(faces) == 4
    page.screenshot(path=str(artifacts / "in-browser-mode-four-faces.png"))


@pytest.mark.real_model
def test_in_browser_mode_labels_four_faces(live_app, four_faces, open_page):
    browser, expected = four_faces
    page = open_page(browser, f"{live_app.url}/?mode=browser&backend=wasm")
    found = match(wait_frames(page, 4), expected)
    assert [f and f["label"] for f in found] == [label for label, _ in expected]


CROWD_MODEL = "resnet_tiny"  # the server's FER_CROWD_MODEL by default


def test_many_faces_are_classified_with_the_crowd_model_once_it_has_loaded(live_app, four_faces, one_face_browser, open_page):
    browser, expected = four_faces
    page = open_page(browser, f"{live_app.url}/?mode=browser&backend=wasm")
    assert page.get_attribute("body", "data-crowd-model") == CROWD_MODEL
    page.wait_for_function(f"() => window.ferApp && ferApp.history.some((h) => h.model === {CROWD_MODEL!r})", timeout=60000)
    history = page.evaluate("() => ferApp.history")
    first = next(i for i, h in enumerate(history) if h["model"])
    # The first frames ran the page's own model while the crowd model loaded; it is asked for only
    # once four faces were in view, and then every four-face frame runs it.
    assert first > 0 and all(h["model"] is None for h in history[:first]), history[:first + 1]
    assert all(h["model"] == CROWD_MODEL for h in history[first:] if h["faces"] >= 3), history[first:]
    assert any(f"/models/{CROWD_MODEL}/" in url for url in page.requests)
    faces = wait_frames(page, 3)
    assert all(match(faces, expected)) and len(faces) == 4, faces
    assert all(f["label"] in f["text"] for f in faces)
    assert f"{CROWD_MODEL} for 4 faces" in page.inner_text("#detail")
    assert page.errors == []
    # One face in view: the crowd model is never fetched.
    single = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm")
    wait_frames(single, 8)
    assert not any(f"/models/{CROWD_MODEL}/" in url for url in single.requests)
    # A model the link names is kept for every face: no crowd model.
    named = open_page(browser, f"{live_app.url}/?mode=browser&backend=wasm&model=resnet_slim")
    wait_frames(named, 8)
    assert not any(f"/models/{CROWD_MODEL}/" in url for url in named.requests)
    assert all(h["model"] is None for h in named.evaluate("() => ferApp.history"))


# Every canvas read's size, as the page reads a frame (static/js/pixels.js).
RECORD_READS = """
window.reads = [];
const read = CanvasRenderingContext2D.prototype.getImageData;
CanvasRenderingContext2D.prototype.getImageData = function (x, y, w, h) {
  window.reads.push([w, h]);
  return read.apply(this, arguments);
};
"""


def test_the_crowd_model_reads_only_the_faces_parts_of_the_frame(live_app, four_faces, open_page):
    """The crowd model crops as the page's own model does (the same manifest input, though the
    server writes the page's own manifest with its keys sorted), so faces that lie apart are read as
    a small part each: the whole frame only where the detector runs."""
    browser, _ = four_faces
    page = open_page(browser, f"{live_app.url}/?mode=browser&backend=wasm", init_script=RECORD_READS)
    page.wait_for_function(f"() => window.ferApp && ferApp.history.filter((h) => h.model === {CROWD_MODEL!r}).length > 5",
                           timeout=60000)
    page.evaluate("() => { window.reads = []; window.fromFrame = ferApp.history.length; }")
    page.wait_for_function("() => ferApp.history.length >= window.fromFrame + 30", timeout=60000)
    reads, frames = page.evaluate("() => [window.reads, ferApp.history.slice(window.fromFrame)]")
    size = page.evaluate("() => [document.querySelector('video').videoWidth, document.querySelector('video').videoHeight]")
    crowd_frames = [h for h in frames if h["model"] == CROWD_MODEL]
    assert len(crowd_frames) >= 25, frames
    whole = sum(1 for r in reads if r == size)
    detected = sum(1 for h in frames if h["detected"])
    # One more at most: the frame under way when the window closed.
    assert whole <= detected + 1, f"the whole {size} frame was read {whole} times in {len(frames)} frames, {detected} detected"
    face_reads = [r for r in reads if r not in (size, [size[0] // 4, size[1] // 4])]  # nor the still check's thumbnail
    assert len(face_reads) >= 3 * (len(frames) - detected - 1), (len(face_reads), len(frames), detected)
    assert page.errors == []


def test_server_mode_sends_frames_over_socketio_and_draws_the_boxes(live_app, one_face_browser, videos, artifacts, open_page):
    _, expected, _ = videos("one")
    sent = []

    def watch(ws):
        ws.on("framesent", lambda payload: sent.append(len(payload)) if isinstance(payload, bytes) else None)
    def listen(page):  # from the start: the page connects as soon as its modules are in
        page.on("websocket", watch)
        page.on("request", lambda r: sent.append(len(r.post_data_buffer or b"")) if r.method == "POST" else None)
    page = open_page(one_face_browser, f"{live_app.url}/?mode=server&backend=wasm", on_page=listen,
                     permissions=["clipboard-read", "clipboard-write"])
    faces = wait_frames(page, 5)
    (face,) = match(faces, expected)
    assert face is not None, f"expected the server's box on the astronaut's face {expected[0][1]}, got {faces}"
    assert page.inner_text("#mode-name") == "server"
    assert "sent to this server" in page.inner_text("#privacy")
    assert max(sent, default=0) > 5000, f"expected JPEG frames over Socket.IO, saw payloads of {sent[:10]} bytes"
    assert_box_drawn_mirrored(page, face["box"])
    assert "JPEG" in page.inner_text("#detail")
    assert not any("/vendor/@tensorflow/" in url for url in page.requests), "server mode loaded TF.js"
    # The share control gives a link that reopens server mode.
    page.click("#share")
    link = page.input_value("#share-link")
    assert link.startswith(live_app.url) and "mode=server" in link
    page.screenshot(path=str(artifacts / "server-mode.png"))
    # The manual switch (under Settings) goes back to in-browser mode, and the URL follows.
    page.click("#settings summary")
    page.select_option("#mode-select", "browser")
    page.wait_for_function("() => document.getElementById('mode-name').textContent === 'in-browser'", timeout=60000)
    assert "mode=browser" in page.url
    assert page.errors == []


def test_camera_denied_says_so_and_offers_a_file(live_app, chromium, tmp_path, open_page):
    browser = chromium(camera=False)
    page = open_page(browser, f"{live_app.url}/?mode=browser&backend=wasm", permissions=[])
    page.wait_for_selector("#message:not([hidden])", timeout=30000)
    assert "denied" in page.inner_text("#message")
    assert page.is_visible("#upload")
    # The offered file is analysed in the browser.
    import cv2
    frame, expected = scenes.one_face_scene()
    cv2.imwrite(str(tmp_path / "photo.png"), frame[..., ::-1])
    page.set_input_files("#upload", str(tmp_path / "photo.png"))
    page.wait_for_selector("#faces li", timeout=60000)
    (face,) = match(page.evaluate(FACES_JS), expected)
    assert face is not None
    assert page.errors == []


@pytest.mark.parametrize("mode", ["browser", "server"])
def test_an_uploaded_face_crop_is_classified_whole_when_the_user_says_so(live_app, chromium, tmp_path, open_page, mode):
    """REAL MODEL: the astronaut's face cropped by hand; "one face, already cropped" skips detection."""
    import cv2
    import skimage.data

    x, y, w, h = scenes.ASTRONAUT_FACE
    cv2.imwrite(str(tmp_path / "face.png"), skimage.data.astronaut()[y:y + h, x:x + h, ::-1])
    page = open_page(chromium(camera=False), f"{live_app.url}/?mode={mode}&backend=wasm", permissions=[])
    page.wait_for_selector("#upload", state="visible", timeout=30000)
    page.check("#whole-face")
    page.set_input_files("#upload", str(tmp_path / "face.png"))
    page.wait_for_selector("#faces li", timeout=60000)
    (face,) = page.evaluate(FACES_JS)
    assert face["box"] == [0, 0, h, h] and face["label"] == "happy", face
    assert page.evaluate("() => window.ferApp.engine.kind") == mode
    assert page.errors == []


def test_model_load_failure_is_reported(live_app, one_face_browser, open_page):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm",
                     route=("**/models/resnet_slim/**/model.json*", lambda route: route.fulfill(status=404, body="gone")))
    page.wait_for_function("() => /could not be loaded/.test(document.getElementById('message').textContent)",
                           timeout=30000)
    assert "expression model" in page.inner_text("#message")


def test_model_setting_runs_another_exported_model_in_the_browser(live_app, one_face_browser, videos, open_page):
    _, expected, _ = videos("one")
    loaded = []
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm&model=mini_xception")
    # The files' URLs carry their version (?v=): compared without it.
    page.on("request", lambda r: loaded.append(r.url.split("?")[0]) if r.url.split("?")[0].endswith((".json", ".bin"))
            and "/models/" in r.url else None)
    page.reload()
    (face,) = match(wait_frames(page, 3), expected)
    assert face is not None and 0 < face["confidence"] <= 1
    asked = [url.split(live_app.url)[1] for url in loaded]
    # Its manifest came with the page, and its files only (the default's none), each once.
    assert [url for url in asked if url.endswith("model.json")] == ["/models/mini_xception/tfjs_float16/model.json"]
    assert all(url.startswith("/models/mini_xception/tfjs_float16/") for url in asked) and len(set(asked)) == len(asked), asked
    assert page.evaluate("() => ferApp.modelUrl").startswith("/models/mini_xception/tfjs_float16/model.json?v=")
    assert page.errors == []


def test_unknown_model_setting_is_reported(live_app, one_face_browser, open_page):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&model=nosuch")
    page.wait_for_function("() => /no model called/.test(document.getElementById('message').textContent)",
                           timeout=30000)
    assert '"nosuch"' in page.inner_text("#message")


def test_auto_mode_falls_back_to_the_server_when_in_browser_cannot_start(live_app, one_face_browser, open_page):
    # Only once the person agrees (tests/browser/test_page_consent.py checks nothing is sent before).
    page = open_page(one_face_browser, f"{live_app.url}/?backend=wasm", route=("**/detectors/**", lambda route: route.abort()))
    page.click("#allow-server", timeout=30000)
    page.wait_for_function("() => document.getElementById('mode-name').textContent === 'server'", timeout=30000)
    assert "as you agreed" in page.inner_text("#message")
    wait_frames(page, 2)


def test_auto_mode_times_the_backends_and_shows_the_one_it_uses(live_app, one_face_browser, open_page):
    page = open_page(one_face_browser, f"{live_app.url}/")
    wait_frames(page, 3, timeout_s=120)
    assert page.inner_text("#mode-name") == "in-browser"
    used = page.inner_text("#backend-name")
    measured = page.get_attribute("#backend-name", "title")
    assert used in ("webgl", "wasm"), used
    # Software WebGL (SwiftShader, llvmpipe) is not worth timing; a hardware GPU is timed against WASM.
    assert ("software" in measured and used == "wasm") or ("wasm:" in measured and "webgl:" in measured), measured


def test_camera_denied_then_an_uploaded_video_is_analysed_unmirrored(live_app, chromium, tmp_path, open_page):
    frame, expected = scenes.one_face_scene()
    video = scenes.write_webm(tmp_path / "clip.webm", frame)
    page = open_page(chromium(camera=False), f"{live_app.url}/?mode=browser&backend=wasm", permissions=[])
    page.wait_for_selector("#upload", state="visible", timeout=30000)
    page.set_input_files("#upload", str(video))
    faces = wait_frames(page, 3)
    (face,) = match(faces, expected)
    assert face is not None, faces
    assert "mirrored" not in page.get_attribute("#stage", "class")
    x, y, w, h = face["box"]
    assert page.evaluate(ALPHA_JS, [x, y + h / 2]) > 0, "an uploaded video is shown as is, boxes unmirrored"
    assert page.errors == []


def test_server_mode_survives_a_server_restart(one_face_browser, open_page):
    """The server goes away mid-stream and comes back on the same address: the page says so, drops
    the labels it can no longer vouch for, and labels again once Socket.IO has reconnected."""
    command = [sys.executable, "-m", "server"]
    server = LiveServer(command, {}).wait()
    try:
        page = open_page(one_face_browser, f"{server.url}/?mode=server&backend=wasm")
        assert len(wait_frames(page, 3)) == 1
        server.stop()
        page.wait_for_function("() => document.getElementById('message').textContent.includes('reconnecting')",
                               timeout=15000)
        assert page.evaluate(FACES_JS) == [], "labels from before the loss stay on screen"

        server = LiveServer(command, {}, port=server.port).wait()
        assert len(wait_frames(page, 3)) == 1
        message = page.evaluate("() => { const m = document.getElementById('message'); return m.hidden ? '' : m.textContent }")
        assert message in ("", "Reconnected to the server."), f"a stale warning after the reconnection: {message!r}"
        assert page.errors == []
    finally:
        server.stop()


@pytest.mark.parametrize("viewport, portrait", [({"width": 844, "height": 390}, False),  # a phone held sideways
                                               ({"width": 1200, "height": 820}, True)])  # a portrait camera
def test_the_whole_picture_fits_the_screen_at_the_camera_aspect(chromium, live_app, videos, tmp_path, open_page,
                                                                viewport, portrait):
    frame = videos("one")[2]
    if portrait:
        frame = np.ascontiguousarray(frame[:, 140:500])  # 360x480: the astronaut's face stays in view
    browser = chromium(scenes.write_y4m(tmp_path / "camera.y4m", frame))
    page = open_page(browser, f"{live_app.url}/?mode=browser&backend=wasm", viewport=viewport)
    assert len(wait_frames(page, 2)) == 1
    box = page.locator("#stage").bounding_box()
    assert box["height"] <= viewport["height"], f"the picture ({box}) is taller than the screen {viewport}"
    assert box["width"] / box["height"] == pytest.approx(frame.shape[1] / frame.shape[0], rel=0.02)


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1200, "height": 820}])
def test_box_text_is_drawn_at_a_readable_size_on_any_screen(live_app, one_face_browser, open_page, viewport):
    """The overlay draws at its size on screen; its captions must be readable there (a phone
    shows a 640-pixel frame in 390 pixels). The bars are in the face list, as page text."""
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm", viewport=viewport)
    wait_frames(page, 2)
    css_px = page.evaluate("""() => { const c = document.getElementById('overlay');
        return parseFloat(/([\\d.]+)px/.exec(c.getContext('2d').font)[1]) * c.clientWidth / c.width }""")
    assert css_px >= 12, f"captions are {css_px:.1f} CSS pixels high at {viewport}"


@pytest.mark.parametrize("redetect", [500, 0])
def test_a_still_camera_keeps_its_boxes_between_detections(live_app, one_face_browser, videos, open_page, redetect):
    """The fake camera's picture never changes: with the default the detector runs about twice a
    second (`redetect` ms) and the boxes stay on the face; `redetect=0` detects on every frame."""
    _, expected, _ = videos("one")
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm&redetect={redetect}")
    (face,) = match(wait_frames(page, 30), expected)
    assert face is not None
    # One read, so the status line belongs to the last frame listed (both are set in one task).
    seen = page.evaluate("""() => ({ frames: ferApp.history.slice(-30).map((h) => [h.t, h.detected]),
                                      detail: document.getElementById('detail').textContent })""")
    times = [t for t, detected in seen["frames"] if detected]
    if redetect:
        # The detector runs at most once per `redetect` ms, however fast or slow this machine is
        # (a slow one may detect on every frame, and still within that bound).
        span = seen["frames"][-1][0] - seen["frames"][0][0]
        assert 1 <= len(times) <= span / redetect + 2, seen["frames"]
        assert ("boxes kept" in seen["detail"]) == (not seen["frames"][-1][1]), seen["detail"]
    else:
        assert len(times) == 30


def test_a_face_that_keeps_moving_is_detected_again_on_most_frames(chromium, live_app, tmp_path, open_page):
    # At 30 fps the camera shows a new picture for nearly every frame the page analyses while it detects.
    browser = chromium(scenes.write_y4m(tmp_path / "moving.y4m", scenes.moving_face_scene(), fps=30))
    page = open_page(browser, f"{live_app.url}/?mode=browser&backend=wasm")
    wait_frames(page, 12)
    frames = page.evaluate("() => ferApp.history.slice(-12)")
    assert sum(f["detected"] for f in frames) >= 8, [f["detected"] for f in frames]
    assert all(f["faces"] == 1 for f in frames)
