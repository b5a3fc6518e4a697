"""The page's small modules, called in the real page: crop geometry (same as the server's),
URL settings and share links, camera error messages, detector on a photo."""
import base64

import numpy as np
import pytest

from bench import scenes
from tests.browser.conftest import cameraless_page


@pytest.fixture(scope="module")
def page(live_app, chromium):
    with cameraless_page(live_app, chromium) as page:
        page.evaluate("async () => { tf.wasm.setWasmPaths('/vendor/@tensorflow/tfjs-backend-wasm/dist/'); "
                      "await tf.setBackend('wasm'); await tf.ready(); }")
        yield page


CROP_JS = """async ([frame, h, w, boxes, cropScale]) => {
  const { cropRect, cropGray } = await import('/static/js/preprocessing.js');
  return boxes.map(([x, y, bw, bh]) => {
    const r = cropRect({ x, y, w: bw, h: bh }, cropScale);
    return { shape: [r.h, r.w, 1], data: Array.from(cropGray({ data: frame, width: w, height: h, channels: 1 }, r, [1, 0, 0])) };
  });
}"""


def test_crops_match_the_servers_square_crop(page):
    from server.crop import square_crop

    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (60, 80, 1), dtype=np.uint8)
    boxes = [(10, 12, 20, 25), (-5, -4, 30, 18), (70, 50, 15, 15), (0.5, 2.5, 11, 11), (30.7, 20.2, 13.3, 9.8),
             (79, 59, 8, 8)]
    for crop_scale in (1.0, 1.25):
        got = page.evaluate(CROP_JS, [frame.reshape(-1).tolist(), 60, 80, boxes, crop_scale])
        for box, out in zip(boxes, got):
            expected = square_crop(frame, box, crop_scale)
            assert tuple(out["shape"]) == expected.shape, (box, crop_scale)
            assert np.array_equal(np.asarray(out["data"]).reshape(expected.shape), expected), (box, crop_scale)


def test_settings_round_trip_through_the_share_link(page):
    out = page.evaluate("""async () => {
      const { readSettings, shareLink } = await import('/static/js/settings.js');
      const s = readSettings('?mode=server&backend=webgl&minFps=8&confidence=0.7&smooth=0&model=mini_xception');
      const link = shareLink(s, { origin: 'http://192.168.1.20:5000', pathname: '/' });
      const plain = shareLink(readSettings(''), { origin: 'http://h', pathname: '/' });
      return { s, link, plain, back: readSettings(new URL(link).search),
               bad: readSettings('?mode=evil&backend=gpu&minFps=-1&smooth=-5&model=../etc') };
    }""")
    assert out["s"] == {"mode": "server", "backend": "webgl", "minFps": 8, "confidence": 0.7, "smooth": 0,
                        "model": "mini_xception"}
    assert out["link"].startswith("http://192.168.1.20:5000/?") and out["back"] == out["s"]
    assert "model=" not in out["plain"]  # the server's default model is not pinned into shared links
    assert out["bad"] == {"mode": "auto", "backend": "auto", "minFps": 5, "confidence": 0.5, "smooth": 200, "model": ""}


SMOOTH_JS = """async ([frames, halfLifeMs]) => {
  const { createSmoother } = await import('/static/js/smoothing.js');
  const labels = ['a', 'b'];
  const smoother = createSmoother({ labels, halfLifeMs });
  return frames.map(([t, faces]) => smoother.update(faces.map(([box, pa]) => (
    { box, label: pa >= 0.5 ? 'a' : 'b', probabilities: { a: pa, b: 1 - pa } })), t)
    .map((f) => [f.label, f.probabilities.a]));
}"""


def test_smoothing_follows_each_face_and_halves_the_old_weight_every_half_life(page):
    left, right, moved_far = [0, 0, 100, 100], [300, 0, 100, 100], [150, 300, 100, 100]
    frames = [
        [0, [[left, 1.0], [right, 0.0]]],
        [100, [[right, 1.0], [left, 0.0]]],   # listed the other way round: matched by box, not order
        [200, [[moved_far, 0.0]]],            # overlaps no earlier face: a new face, nothing carried over
        [300, []],
        [350, [[left, 1.0]]],                 # left was last seen at 100 ms: two half-lives ago, so forgotten
    ]
    out = page.evaluate(SMOOTH_JS, [frames, 100])
    assert out[0] == [["a", 1.0], ["b", 0.0]]
    # right: 0.5 * 0.0 (its old value, one half-life ago) + 0.5 * 1.0; left: 0.5 * 1.0 + 0.5 * 0.0
    assert out[1] == [["a", 0.5], ["a", 0.5]]
    assert out[2] == [["b", 0.0]]
    assert out[3] == []
    assert out[4] == [["a", 1.0]]
    # a face seen one half-life later keeps half its old weight; 0 turns smoothing off
    steady = [[0, [[left, 1.0]]], [50, [[left, 0.0]]]]
    assert page.evaluate(SMOOTH_JS, [steady, 50])[1] == [["a", 0.5]]
    assert page.evaluate(SMOOTH_JS, [steady, 0])[1] == [["b", 0.0]]


@pytest.mark.parametrize("name, words", [("NotAllowedError", "denied"), ("NotFoundError", "No camera"),
                                         ("NotReadableError", "busy")])
def test_camera_errors_become_messages(page, name, words):
    text = page.evaluate("""async (name) => {
      const { describeCameraError } = await import('/static/js/camera.js');
      return describeCameraError(new DOMException('x', name));
    }""", name)
    assert words in text and "file" in text


def test_detector_finds_the_astronaut_and_leaks_no_tensor(page):
    frame, expected = scenes.one_face_scene()
    out = page.evaluate("""async ([b64, h, w]) => {
      const { createDetector } = await import('/static/js/detector.js');
      const detector = await createDetector();
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const frame = tf.tensor3d(Int32Array.from(bytes), [h, w, 3], 'int32');
      await detector.estimate(frame);
      const before = tf.memory().numTensors;
      const boxes = await detector.estimate(frame);
      const after = tf.memory().numTensors;
      frame.dispose();
      detector.dispose();
      return { boxes, before, after };
    }""", [base64.b64encode(frame.tobytes()).decode(), *frame.shape[:2]])
    assert out["before"] == out["after"]
    assert len(out["boxes"]) == 1
    b = out["boxes"][0]
    x, y, w, h = expected[0][1]
    assert x <= b["x"] + b["w"] / 2 <= x + w and y <= b["y"] + b["h"] / 2 <= y + h, (b, expected)
