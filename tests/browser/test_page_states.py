"""The states a person meets besides a labelled face: a file that is not a picture, no face in view,
an uncropped-looking face crop, the camera stopped, paused or picked, and the layout on a phone
(portrait and landscape) and on a 1920x1080 desktop, and every character it shows drawn by a font."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from tests.browser.page_support import FACES_JS, open_page, wait_frames  # noqa: F401 (fixture)
from tests.support import scenes
from tests.support.scenes import ASTRONAUT_FACE

ROOT = Path(__file__).resolve().parents[2]
# What the page can show: its template, styles and scripts (comments included: a stricter list).
PAGE_SOURCES = [*ROOT.glob("templates/*"), *ROOT.glob("static/css/*.css"), *ROOT.glob("static/js/*.js")]
# The characters among `chars` that the browser draws as the missing-glyph box in the page's font:
# no font here has them. Each is drawn on a canvas and compared with a code point no font has.
UNDRAWN = """(chars) => {
  const canvas = new OffscreenCanvas(64, 64);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const font = `32px ${getComputedStyle(document.body).fontFamily}`;
  const draw = (c) => {
    ctx.clearRect(0, 0, 64, 64);
    ctx.font = font;
    ctx.fillText(c, 8, 48);
    return ctx.getImageData(0, 0, 64, 64).data.join();
  };
  const missing = draw('\\u{10FFFD}');
  return chars.filter((c) => draw(c) === missing);
}"""


@pytest.fixture(scope="module")
def one_face_browser(chromium, videos):
    return chromium(videos("one")[0])


@pytest.fixture(scope="module")
def cameraless(chromium):
    return chromium(camera=False)


def open_without_camera(open_page, browser, url):
    page = open_page(browser, url, permissions=[])
    page.wait_for_function("() => document.body.dataset.camera === 'unavailable' && window.ferApp.engine",
                           timeout=60000)
    return page


def test_a_file_that_is_not_a_picture_clears_the_last_result_and_says_so(live_app, cameraless, open_page, tmp_path):
    page = open_without_camera(open_page, cameraless, f"{live_app.url}/?mode=browser&backend=wasm")
    frame, _ = scenes.one_face_scene()
    cv2.imwrite(str(tmp_path / "photo.png"), frame[..., ::-1])
    page.set_input_files("#upload", str(tmp_path / "photo.png"))
    page.wait_for_selector("#faces > li", timeout=30000)
    (tmp_path / "notes.txt").write_text("not a picture")
    page.set_input_files("#upload", str(tmp_path / "notes.txt"))
    page.wait_for_function("() => /not an image or a video/.test(document.getElementById('message').textContent)",
                           timeout=10000)
    assert page.evaluate(FACES_JS) == [], "the photo's result stayed on screen"
    # A file that claims to be a picture but is not one.
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    page.set_input_files("#upload", str(tmp_path / "broken.png"))
    page.wait_for_function("() => /cannot read|can read/.test(document.getElementById('message').textContent)",
                           timeout=10000)
    assert "not a file this browser can read" in page.inner_text("#message")
    assert page.evaluate(FACES_JS) == []
    assert page.errors == []


def test_no_face_in_view_says_so_instead_of_an_empty_list(live_app, chromium, open_page, tmp_path, artifacts):
    empty = np.full((480, 640, 3), 90, np.uint8)
    browser = chromium(scenes.write_y4m(tmp_path / "empty.y4m", empty))
    page = open_page(browser, f"{live_app.url}/?mode=browser&backend=wasm")
    wait_frames(page, 4)
    assert page.evaluate(FACES_JS) == []
    assert page.is_visible("#no-face") and "No face in view" in page.inner_text("#no-face")
    assert "boxes kept" not in page.inner_text("#detail")
    page.screenshot(path=str(artifacts / "page-no-face.png"))
    assert page.errors == []


@pytest.mark.parametrize("mode", ["browser", "server"])
def test_a_face_crop_with_the_box_unticked_gets_a_hint(live_app, cameraless, open_page, tmp_path, mode):
    x, y, w, h = ASTRONAUT_FACE
    # Brow to chin, cheek to cheek: as tight as datasets crop, tighter than BlazeFace's boxes, so
    # the detector (the same in both modes) finds no face in it.
    cv2.imwrite(str(tmp_path / "face.png"), skimage.data.astronaut()[y + 20:y + h - 10, x + 15:x + w - 15, ::-1])
    page = open_without_camera(open_page, cameraless, f"{live_app.url}/?mode={mode}&backend=wasm")
    page.set_input_files("#upload", str(tmp_path / "face.png"))
    page.wait_for_function("() => !document.getElementById('no-face').hidden || document.querySelector('#faces > li')",
                           timeout=30000)
    assert page.evaluate(FACES_JS) == [], "the detector found a face in the tight crop"
    assert "already cropped" in page.inner_text("#no-face")
    page.check("#whole-face")
    page.wait_for_selector("#faces > li", timeout=30000)
    assert page.is_hidden("#no-face")
    assert page.errors == []


def test_the_camera_stops_starts_and_pauses(live_app, one_face_browser, open_page, artifacts):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm")
    wait_frames(page, 2)
    page.click("#camera-toggle")
    page.wait_for_function("() => document.body.dataset.camera === 'off'", timeout=10000)
    assert page.evaluate("() => document.getElementById('video').srcObject") is None
    assert page.evaluate(FACES_JS) == [] and "Start camera" in page.inner_text("#camera-toggle")
    page.click("#camera-toggle")
    page.wait_for_function("() => document.body.dataset.camera === 'on'", timeout=20000)
    assert len(wait_frames(page, 2)) == 1
    page.click("#pause")
    assert page.get_attribute("#pause", "aria-pressed") == "true"
    page.wait_for_timeout(300)  # a frame in flight may still land
    frames = page.evaluate("() => ferApp.history.length")
    page.wait_for_timeout(1500)
    assert page.evaluate("() => ferApp.history.length") == frames, "frames analysed while paused"
    page.click("#pause")
    wait_frames(page, 2)
    # A snapshot of the picture with its boxes, at the overlay's size.
    with page.expect_download() as download:
        page.click("#snapshot")
    path = download.value.path()
    image = cv2.imread(str(path))
    assert download.value.suggested_filename.endswith(".png")
    assert image.shape[1] == page.evaluate("() => document.getElementById('overlay').width")
    cv2.imwrite(str(artifacts / "page-snapshot.png"), image)
    assert page.errors == []


@pytest.mark.parametrize("name, viewport", [("phone-portrait", {"width": 390, "height": 844}),
                                            ("phone-landscape", {"width": 844, "height": 390}),
                                            ("desktop", {"width": 1920, "height": 1080})])
def test_the_layout_has_no_overlap(live_app, one_face_browser, open_page, artifacts, name, viewport):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm", viewport=viewport)
    wait_frames(page, 2)
    # Every part's box read in one go, once per animation frame for two seconds of results: the
    # stats line changes every frame, and the layout must not move with it.
    samples = page.evaluate("""async (selectors) => {
        const samples = [];
        const end = performance.now() + 2000;
        while (performance.now() < end) {
            await new Promise((resolve) => requestAnimationFrame(resolve));
            samples.push(Object.fromEntries(selectors.map((sel) => {
                const r = document.querySelector(sel).getBoundingClientRect();
                return [sel, { x: r.x, y: r.y, width: r.width, height: r.height }];
            })));
        }
        return samples;
    }""", ["header", "#stage", ".stage-column .controls", ".side"])

    def overlap(a, b):
        return a["x"] < b["x"] + b["width"] - 1 and b["x"] < a["x"] + a["width"] - 1 \
            and a["y"] < b["y"] + b["height"] - 1 and b["y"] < a["y"] + a["height"] - 1
    for boxes in samples:
        names = list(boxes)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                assert not overlap(boxes[a], boxes[b]), f"{a} {boxes[a]} overlaps {b} {boxes[b]} at {viewport}"
    assert len({round(boxes["header"]["height"]) for boxes in samples}) == 1, "the header's height changed between frames"
    assert len({round(boxes["#stage"]["y"]) for boxes in samples}) == 1, "the picture moved between frames"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"], "sideways scrolling"
    page.screenshot(path=str(artifacts / f"page-{name}.png"), full_page=True)


def test_every_character_the_page_shows_has_a_glyph(live_app, cameraless, open_page):
    """A character that no installed font has (an emoji, on a desktop without an emoji font) is drawn
    as an empty box, and the browser first searches every font for it: 30 ms of the page's start,
    before its first label, when the getting-ready list showed an hourglass."""
    chars = sorted({c for path in PAGE_SOURCES for c in path.read_text(encoding="utf-8") if ord(c) > 127})
    assert "✓" in chars  # the getting-ready list's marks are among them
    page = open_without_camera(open_page, cameraless, f"{live_app.url}/?mode=browser&backend=wasm")
    assert page.evaluate(UNDRAWN, ["\u0378"]) == ["\u0378"]  # an unassigned code point: the check sees a missing glyph
    assert page.evaluate(UNDRAWN, chars) == []
