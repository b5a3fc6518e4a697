"""How results read: boxes drawn at the screen's resolution with short numbered captions whose text
contrasts with every box colour, bars in the face list with the same numbers and colours, "unsure"
below the setting, label changes announced rarely, a recording exported as CSV and JSON only when
asked for, and the about panel's facts from the manifest."""
import csv
import io
import json
import re

import pytest

from converters.manifest import read_manifest
from tests.browser.page_support import FACES_JS, open_page, wait_frames  # noqa: F401 (fixture)
from tests.conftest import DEFAULT_MODEL_DIR

MANIFEST = read_manifest(DEFAULT_MODEL_DIR)


@pytest.fixture(scope="module")
def one_face_browser(chromium, videos):
    return chromium(videos("one")[0])


def contrast(a, b):
    """WCAG contrast ratio of two '#rrggbb' colours."""
    def lum(hex_):
        c = [int(hex_[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scale", [1, 2])
def test_boxes_are_drawn_at_the_screens_resolution_with_a_short_caption(live_app, one_face_browser, open_page,
                                                                         artifacts, scale):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm", device_scale_factor=scale,
                     viewport={"width": 390, "height": 844})
    (face,) = wait_frames(page, 2)
    canvas = page.evaluate("""() => { const c = document.getElementById('overlay');
        return { width: c.width, css: c.clientWidth, font: c.getContext('2d').font, scale: Number(c.dataset.scale) } }""")
    assert canvas["width"] == round(canvas["css"] * scale), canvas
    css_px = float(re.search(r"([\d.]+)px", canvas["font"]).group(1)) / scale
    assert css_px >= 14, f"captions are {css_px} CSS pixels high"
    # The box's left edge is where the mirrored preview shows the face, in the canvas's own pixels.
    x, y, w, h = face["box"]
    edge = [(640 - x - w) * canvas["scale"], (y + h / 2) * canvas["scale"]]
    alpha = page.evaluate("([x, y]) => document.getElementById('overlay').getContext('2d')"
                          ".getImageData(Math.round(x), Math.round(y), 1, 1).data[3]", edge)
    assert alpha > 0, "no box edge at the mirrored face"
    page.screenshot(path=str(artifacts / f"page-overlay-x{scale}.png"))


def test_caption_text_contrasts_with_every_box_colour(live_app, one_face_browser, open_page):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm")
    colours = page.evaluate("""async () => { const { PALETTE, colorsFor } = await import('/static/js/overlay.js');
        return PALETTE.map((_, i) => colorsFor(i + 1)) }""")
    assert len(colours) == 8
    for c in colours:
        assert contrast(c["background"], c["text"]) >= 4.5, c


def test_faces_keep_their_number_and_colour_in_the_list(live_app, videos, chromium, open_page, artifacts):
    browser = chromium(videos("four")[0])
    page = open_page(browser, f"{live_app.url}/?mode=browser&backend=wasm")
    faces = wait_frames(page, 3)
    assert sorted(f["number"] for f in faces) == [1, 2, 3, 4]
    before = {tuple(f["box"]): f["number"] for f in faces}
    later = wait_frames(page, 3)
    for f in later:
        near = [n for box, n in before.items() if abs(box[0] - f["box"][0]) < 10 and abs(box[1] - f["box"][1]) < 10]
        assert near == [f["number"]], (f, before)
    badges = page.evaluate("""async () => { const { colorsFor } = await import('/static/js/overlay.js');
        return [...document.querySelectorAll('#faces > li')].map((li) => [
          getComputedStyle(li.querySelector('.badge')).backgroundColor, colorsFor(Number(li.dataset.number)).background]) }""")
    for shown, palette in badges:
        r, g, b = (int(palette[i:i + 2], 16) for i in (1, 3, 5))
        assert shown == f"rgb({r}, {g}, {b})", (shown, palette)
    assert page.locator("#faces > li .bars > div").count() == 4 * len(MANIFEST["labels"])
    page.screenshot(path=str(artifacts / "page-four-faces.png"))


def test_a_face_below_the_unsure_setting_is_called_unsure(live_app, videos, chromium, open_page, artifacts):
    # The four faces' least sure one, then the setting just above its confidence (the model is
    # sure of the astronaut's smile to the last digit, so no setting could catch her alone).
    browser = chromium(videos("four")[0])
    page = open_page(browser, f"{live_app.url}/?mode=browser&backend=wasm&unsure=0")
    least = min(wait_frames(page, 2), key=lambda f: f["confidence"])
    assert least["confidence"] < 1 and not least["unsure"], least
    setting = round(least["confidence"] + (1 - least["confidence"]) / 2, 4)
    page = open_page(browser, f"{live_app.url}/?mode=browser&backend=wasm&unsure={setting}")
    face = next(f for f in wait_frames(page, 2) if f["number"] == least["number"])
    assert face["unsure"] and f"unsure: {face['label']} or " in face["text"], (face, setting)
    page.screenshot(path=str(artifacts / "page-unsure.png"))
    # The setting on the page, and the share link carries it.
    page.click("#settings summary")
    page.fill("#unsure-input", "0.05")
    page.dispatch_event("#unsure-input", "change")
    page.wait_for_function("() => document.querySelector('#faces > li')?.dataset.unsure === 'false'", timeout=10000)
    assert "unsure=0.05" in page.input_value("#share-link") and "unsure=0.05" in page.url


# Every 2nd analysed frame the engine answers "surprise": the label flips about 5 times a second.
FLIPPING_JS = """() => {
  const engine = window.ferApp.engine;
  const analyse = engine.analyse;
  let n = 0;
  engine.analyse = async (...args) => {
    const result = await analyse(...args);
    if (++n % 2 === 0) result.faces = result.faces.map((f) => ({ ...f, label: 'surprise', confidence: 1,
      probabilities: Object.fromEntries(Object.keys(f.probabilities).map((l) => [l, l === 'surprise' ? 1 : 0])) }));
    return result;
  };
  window.announced = [];
  new MutationObserver(() => window.announced.push([performance.now(), document.getElementById('announcer').textContent]))
    .observe(document.getElementById('announcer'), { childList: true, characterData: true, subtree: true });
  window.watchStart = performance.now();
}"""


def test_label_changes_are_announced_at_most_every_few_seconds(live_app, one_face_browser, open_page):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm&smooth=0")
    wait_frames(page, 2)
    live = page.evaluate("() => [...document.querySelectorAll('[aria-live]')].map((e) => e.id)")
    assert live == ["announcer"], f"live regions besides the announcer: {live}"
    page.evaluate(FLIPPING_JS)
    wait_frames(page, 16)
    seen = page.evaluate("() => ({ announced: window.announced, span: performance.now() - window.watchStart })")
    assert len(seen["announced"]) <= seen["span"] / 3000 + 1, seen
    assert all(re.match(r"Face 1: (happy|surprise|unsure)", text) for _, text in seen["announced"]), seen
    assert page.get_attribute("#video", "aria-label")


def test_a_recording_is_kept_only_when_asked_and_exports_as_csv_and_json(live_app, one_face_browser, open_page):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm")
    wait_frames(page, 3)
    assert page.evaluate("() => ferApp.recorder.rows().length") == 0, "recorded before being asked"
    assert page.is_disabled("#export")
    # The click and the frame count in one task, so no frame lands between them.
    toggle = "() => { document.getElementById('record').click(); return ferApp.history.length }"
    start = page.evaluate(toggle)
    wait_frames(page, 5)
    frames = page.evaluate(toggle) - start
    with page.expect_download() as download:
        page.click("#export")
    assert download.value.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(open(download.value.path()).read())))
    assert rows[0] == ["time_ms", "face", "label", "confidence", *MANIFEST["labels"]]
    body = rows[1:]
    assert abs(len(body) - frames) <= 1 and len(body) >= 5, (len(body), frames)  # one face, one row per frame
    assert {r[1] for r in body} == {"1"}
    times = [int(r[0]) for r in body]
    assert times == sorted(times)
    for r in body:
        probs = [float(v) for v in r[4:]]
        assert abs(sum(probs) - 1) < 0.01 and r[2] == MANIFEST["labels"][probs.index(max(probs))]
    page.select_option("#export-format", "json")
    with page.expect_download() as download:
        page.click("#export")
    data = json.loads(open(download.value.path()).read())
    assert data["labels"] == MANIFEST["labels"] and len(data["rows"]) == len(body)
    assert set(data["rows"][0]) == {"time_ms", "face", "label", "confidence", "probabilities"}


def test_the_about_panel_says_what_runs_and_how_well(live_app, one_face_browser, open_page):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm")
    wait_frames(page, 1)
    page.click("#about summary")
    text = page.inner_text("#about")
    accuracy = MANIFEST["metrics"]["PrivateTest"]["accuracy"]
    assert f"{accuracy * 100:.1f}%" in text
    assert all(label in text for label in MANIFEST["labels"])
    assert MANIFEST["name"] in text and "posed" in text
    # The panel sits beside the picture, not over it.
    stage, about = page.locator("#stage").bounding_box(), page.locator("#about").bounding_box()
    assert about["x"] >= stage["x"] + stage["width"] or about["y"] >= stage["y"] + stage["height"]


def test_each_face_has_a_chart_of_its_last_minute(live_app, one_face_browser, open_page, artifacts):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm")
    wait_frames(page, 6)
    chart = page.evaluate("""() => { const c = document.querySelector('#faces > li canvas.chart');
        if (!c) return null;
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let drawn = 0;
        for (let i = 3; i < px.length; i += 4) drawn += px[i] > 0;
        return { label: c.getAttribute('aria-label'), drawn, points: ferApp.timeline.series(1).length } }""")
    assert chart is not None, "no chart in the face list"
    assert chart["points"] >= 6 and chart["drawn"] > 0, chart
    assert "last 60 s" in chart["label"], chart
    page.screenshot(path=str(artifacts / "page-chart.png"))
