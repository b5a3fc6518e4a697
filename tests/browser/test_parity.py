"""Parity: for the same face crops, the browser's preprocessing and probabilities match Python's.

Python side: training.preprocessing.preprocess_face, then the TF.js files the page loads, run in
Node (the same weights, whatever their encoding; tests/converters holds each encoding against
Keras). Browser side: static/js/preprocessing.js and classifier.js on that graph model, called in
the real page. Every preprocessed pixel and probability must agree within 1e-3.
"""
import base64

import cv2
import numpy as np
import pytest

from tests.support import scenes
from converters.manifest import read_manifest
from tests.browser.conftest import cameraless_page
from tests.conftest import DEFAULT_MODEL_DIR

TOLERANCE = 1e-3

# The start of both page scripts below: the backend, the page's own modules and its classifier.
SETUP_JS = """
  const { useBackend } = await import('/static/js/inbrowser.js'); // loads the backend's script too
  if (!(await useBackend(backend))) return null;
  const { createClassifier } = await import('/static/js/classifier.js');
  const { cropGray, preprocessFace } = await import('/static/js/preprocessing.js');
  const manifest = JSON.parse(document.body.dataset.manifest);
  const classifier = await createClassifier({ modelUrl: document.body.dataset.modelUrl, manifest });
"""

BROWSER_JS = """async ([backend, crops]) => {""" + SETUP_JS + """  crops = crops.map((c) => ({ ...c, data: Uint8Array.from(atob(c.data), (ch) => ch.charCodeAt(0)) }));
  const inputs = crops.map((c) => Array.from(preprocessFace(
    cropGray(c, { x: 0, y: 0, w: c.width, h: c.height }, manifest.input.gray_weights), c.height, c.width, manifest.input)));
  const results = await classifier.estimateCrops(crops);
  classifier.dispose();
  return { inputs, probabilities: results.map((r) => manifest.labels.map((l) => r.probabilities[l])) };
}"""


def crops_for_parity(fer_faces):
    """Crops that exercise every resize path: identity, integer and fractional shrink, enlarge, mixed."""
    photo = scenes.astronaut()
    face = fer_faces[0][1]
    return {
        "astronaut face, RGB 100x96 (fractional shrink)": photo[72:172, 176:272],
        "astronaut head, RGB 210x210": photo[30:240, 120:330],
        "FER face 48x48 (identity)": face,
        "FER face 96x96 (x2 shrink)": cv2.resize(face, (96, 96), interpolation=cv2.INTER_CUBIC),
        "FER face 30x30 (enlarge)": cv2.resize(face, (30, 30), interpolation=cv2.INTER_AREA),
        "FER face 70x40 (mixed)": cv2.resize(face, (40, 70), interpolation=cv2.INTER_AREA),
        "surprise face, RGB 61x61": np.repeat(cv2.resize(fer_faces[2][1], (61, 61))[..., None], 3, 2),
    }


@pytest.fixture(scope="module")
def parity_crops(fer2013):
    return crops_for_parity(scenes.fer_faces(fer2013["PrivateTest"]))


@pytest.fixture(scope="module")
def python_side(parity_crops):
    from converters.runtimes import run_tfjs_node
    from training.preprocessing import preprocess_face

    manifest = read_manifest(DEFAULT_MODEL_DIR)
    model_json = DEFAULT_MODEL_DIR / manifest["formats"][manifest.get("browser_format", "tfjs")]["path"]
    x = np.stack([preprocess_face(crop) for crop in parity_crops.values()])
    probabilities = run_tfjs_node(model_json, x, backend="wasm")["probabilities"]
    return {name: (x[i, ..., 0], probabilities[i]) for i, name in enumerate(parity_crops)}


@pytest.fixture(scope="module")
def parity_page(live_app, chromium):
    with cameraless_page(live_app, chromium) as page:
        yield page


@pytest.mark.parametrize("backend", ["wasm", "cpu", "webgl"])
def test_browser_matches_python_on_the_same_crops(parity_page, parity_crops, python_side, backend):
    payload = [{"width": c.shape[1], "height": c.shape[0], "channels": 1 if c.ndim == 2 else c.shape[2],
                "data": base64.b64encode(np.ascontiguousarray(c).tobytes()).decode()} for c in parity_crops.values()]
    out = parity_page.evaluate(BROWSER_JS, [backend, payload])
    if out is None:
        pytest.skip(f"TF.js backend {backend} does not start in this Chromium")
    for i, name in enumerate(parity_crops):
        expected_input, expected_p = python_side[name]
        got_input = np.asarray(out["inputs"][i], np.float32).reshape(expected_input.shape)
        got_p = np.asarray(out["probabilities"][i], np.float32)
        assert np.abs(got_input - expected_input).max() < TOLERANCE, \
            f"{name}: preprocessing differs by {np.abs(got_input - expected_input).max():.2e}"
        assert np.abs(got_p - expected_p).max() < TOLERANCE, \
            f"{name}: probabilities differ by {np.abs(got_p - expected_p).max():.2e}: browser {got_p}, python {expected_p}"


TENSOR_PATH_JS = """async ([backend, frame, boxes]) => {""" + SETUP_JS + """  const data = Uint8Array.from(atob(frame.data), (ch) => ch.charCodeAt(0));
  const pixels = { data, width: frame.width, height: frame.height, channels: 3 };
  const tensor = tf.tensor3d(data, [frame.height, frame.width, 3], 'int32');
  const { cropRect } = await import('/static/js/preprocessing.js');
  const framing = manifest.input.framing.blazeface;
  const out = boxes.map((b) => {
    const r = cropRect(b, framing.crop_scale, framing.crop_offset);
    const reference = preprocessFace(cropGray(pixels, r, manifest.input.gray_weights), r.h, r.w, manifest.input);
    const t = classifier.boxInput(tensor, b);
    const got = t.dataSync();
    t.dispose();
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - reference[i]));
    return worst;
  });
  tensor.dispose();
  classifier.dispose();
  return out;
}"""


@pytest.mark.parametrize("backend", ["wasm", "cpu"])
def test_live_frames_are_cropped_on_the_backend_as_preprocessing_js_crops_them(parity_page, backend):
    """The live path (classifier.boxInput on a box with no roll: gray, the crop read at whole
    pixels, INTER_AREA as matrix products, on the TF.js backend) against preprocessing.js's typed
    arrays, which the test above holds against Python."""
    frame, [(_, (x, y, w, h))] = scenes.one_face_scene()
    boxes = [
        {"x": round(x), "y": round(y), "w": round(w), "h": round(h)},       # the face, shrunk
        {"x": 300, "y": 200, "w": 25, "h": 25},                               # enlarged
        {"x": -40, "y": -25, "w": 116, "h": 116},                             # partly outside: black there
        {"x": 600, "y": 440, "w": 80, "h": 80},                               # mostly outside
        {"x": 160, "y": 40, "w": 397, "h": 397},                              # a large shrink (10x)
    ]
    payload = {"width": frame.shape[1], "height": frame.shape[0], "data": base64.b64encode(frame.tobytes()).decode()}
    worst = parity_page.evaluate(TENSOR_PATH_JS, [backend, payload, boxes])
    if worst is None:
        pytest.skip(f"TF.js backend {backend} does not start in this Chromium")
    for box, error in zip(boxes, worst):
        assert error < TOLERANCE, f"{box}: the backend's crop differs from preprocessing.js's by {error:.2e}"


LEVELLED_JS = """async ([backend, frame, boxes]) => {""" + SETUP_JS + """  const data = Uint8Array.from(atob(frame.data), (ch) => ch.charCodeAt(0));
  const tensor = tf.tensor3d(data, [frame.height, frame.width, 3], 'int32');
  const out = boxes.map((b) => {
    const t = classifier.boxInput(tensor, b);
    const got = Array.from(t.dataSync());
    t.dispose();
    return got;
  });
  tensor.dispose();
  classifier.dispose();
  return out;
}"""


@pytest.mark.parametrize("backend", ["wasm", "cpu"])
def test_levelled_crops_match_the_servers(parity_page, backend):
    """A tilted face's crop turns with it (manifest level_eyes) in both modes: the page's
    classifier.boxInput against server/crop.py's square_crop with the same box and roll, then the
    server's preprocessing. Bilinear sampling is rounded differently (OpenCV to 1/32 pixel and to
    whole grey levels; TF.js in floats), hence a looser bound than the plain crops'."""
    from server.classifier import preprocess_face
    from server.crop import framing_for, square_crop

    manifest = read_manifest(DEFAULT_MODEL_DIR)
    assert manifest["input"].get("level_eyes"), "expected the default model to level the eyes"
    scale, offset = framing_for(manifest["input"], "blazeface")
    frame, [(_, (x, y, w, h))] = scenes.one_face_scene()
    boxes = [
        {"x": round(x), "y": round(y), "w": round(w), "h": round(h), "roll": 0.35},   # the face, shrunk
        {"x": round(x), "y": round(y), "w": round(w), "h": round(h), "roll": -0.6},
        {"x": 300, "y": 200, "w": 30, "h": 30, "roll": 0.2},                               # enlarged
        {"x": -40, "y": -25, "w": 140, "h": 140, "roll": 0.8},                            # partly outside: black there
    ]
    payload = {"width": frame.shape[1], "height": frame.shape[0], "data": base64.b64encode(frame.tobytes()).decode()}
    got = parity_page.evaluate(LEVELLED_JS, [backend, payload, boxes])
    if got is None:
        pytest.skip(f"TF.js backend {backend} does not start in this Chromium")
    for box, page_input in zip(boxes, got):
        crop = square_crop(frame, (box["x"], box["y"], box["w"], box["h"]), scale, crop_offset=offset, roll=box["roll"])
        server_input = preprocess_face(crop, manifest["input"])
        error = np.abs(np.asarray(page_input, np.float32).reshape(server_input.shape) - server_input)
        assert error.mean() < 0.002 and error.max() < 0.025, \
            f"{box}: the page's levelled crop differs from the server's by {error.mean():.4f} mean, {error.max():.4f} max"


# `data`, an RGB frame's bytes -> `canvas`, a 2D canvas with the frame drawn on it, opaque.
FRAME_CANVAS_JS = """  const canvas = Object.assign(document.createElement('canvas'), { width: frame.width, height: frame.height });
  const image = new ImageData(frame.width, frame.height);
  for (let i = 0, j = 0; i < data.length; i += 3, j += 4) image.data.set([data[i], data[i + 1], data[i + 2], 255], j);
  canvas.getContext('2d').putImageData(image, 0, 0);
"""

FRAME_READ_JS = """async ([frame, boxes]) => {""" + SETUP_JS.replace("backend", "'wasm'") + """  const data = Uint8Array.from(atob(frame.data), (ch) => ch.charCodeAt(0));
  const rgb = tf.tensor3d(data, [frame.height, frame.width, 3], 'int32');
""" + FRAME_CANVAS_JS + """  const { frameTensor } = await import('/static/js/pixels.js');
  const read = frameTensor(canvas);
  const { createDetector } = await import('/static/js/detector.js');
  const detector = await createDetector({ model: JSON.parse(document.body.dataset.detector) });
  const region = classifier.regionFor(boxes, frame.width, frame.height);
  const part = frameTensor(canvas, region);
  const worst = boxes.map((b) => {
    const inputs = [classifier.boxInput(rgb, b), classifier.boxInput(read, b), classifier.boxInput(part, b, [region.x, region.y])];
    const diff = inputs.slice(1).map((c) => tf.max(tf.abs(tf.sub(inputs[0], c))).dataSync()[0]);
    tf.dispose(inputs);
    return diff;
  });
  part.dispose();
  const detected = [await detector.estimate(rgb), await detector.estimate(read)];
  const out = { shape: read.shape, dtype: read.dtype, worst, detected, region };
  tf.dispose([rgb, read]);
  classifier.dispose();
  detector.dispose();
  return out;
}"""


def test_frames_read_through_a_canvas_give_the_models_what_from_pixels_gave(parity_page):
    """On WASM the page reads each frame through a 2D canvas into a float RGBA tensor
    (static/js/pixels.js) rather than tf.browser.fromPixels's int32 RGB, and on frames that keep
    the last boxes only the part of the frame their crops read (classifier.regionFor): the
    classifier's inputs and the detector's boxes must not change."""
    frame, [(_, (x, y, w, h))] = scenes.one_face_scene()
    boxes = [{"x": round(x), "y": round(y), "w": round(w), "h": round(h)},
             {"x": round(x), "y": round(y), "w": round(w), "h": round(h), "roll": 0.35},
             {"x": -40, "y": -25, "w": 140, "h": 140}]
    payload = {"width": frame.shape[1], "height": frame.shape[0], "data": base64.b64encode(frame.tobytes()).decode()}
    out = parity_page.evaluate(FRAME_READ_JS, [payload, boxes])
    assert out["shape"] == [frame.shape[0], frame.shape[1], 4] and out["dtype"] == "float32", out
    assert max(max(w) for w in out["worst"]) < 1e-5, f"model inputs differ by {out['worst']} (whole frame, region)"
    region = out["region"]
    assert region["x"] == 0 and region["y"] == 0 and region["w"] < frame.shape[1] and region["h"] < frame.shape[0], region
    from_pixels, through_canvas = out["detected"]
    assert len(from_pixels) == 1 and len(through_canvas) == 1, out["detected"]
    for key in ("x", "y", "w", "h", "score", "roll"):
        assert abs(from_pixels[0][key] - through_canvas[0][key]) < 1e-3, (key, out["detected"])


PARTS_JS = """async ([frame, boxes]) => {""" + SETUP_JS.replace("backend", "'wasm'") + """  const data = Uint8Array.from(atob(frame.data), (ch) => ch.charCodeAt(0));
""" + FRAME_CANVAS_JS + """  const { frameTensor } = await import('/static/js/pixels.js');
  const whole = frameTensor(canvas);
  const regions = classifier.regionsFor(boxes, frame.width, frame.height);
  const parts = regions.map((r) => frameTensor(canvas, r));
  const probs = (results) => results.map((r) => manifest.labels.map((l) => r.probabilities[l]));
  const fromWhole = probs(await classifier.estimate(whole, boxes, { views: false }));
  const fromParts = probs(await classifier.estimate(parts.length === 1 ? parts[0] : parts, boxes,
    { views: false, origin: parts.length === 1 ? [regions[0].x, regions[0].y] : regions.map((r) => [r.x, r.y]) }));
  tf.dispose([whole, ...parts]);
  classifier.dispose();
  return { regions, fromWhole, fromParts };
}"""


def test_faces_far_apart_are_read_as_one_part_each_with_the_same_results(parity_page):
    """Kept boxes far apart are read as one small part of the frame each (classifier.regionsFor),
    close ones as one part for all: the classifier's results are the whole frame's either way."""
    frame, [(_, (x, y, w, h))] = scenes.one_face_scene()
    face = {"x": round(x), "y": round(y), "w": round(w), "h": round(h), "roll": 0.2}
    payload = {"width": frame.shape[1], "height": frame.shape[0], "data": base64.b64encode(frame.tobytes()).decode()}
    corner = {"x": frame.shape[1] - 70, "y": frame.shape[0] - 70, "w": 60, "h": 60}
    beside = {"x": face["x"] + 10, "y": face["y"] + 5, "w": face["w"], "h": face["h"]}
    for boxes, parts in [([face, corner], 2), ([face, beside], 1)]:
        out = parity_page.evaluate(PARTS_JS, [payload, boxes])
        assert len(out["regions"]) == parts, out["regions"]
        assert np.abs(np.array(out["fromWhole"]) - np.array(out["fromParts"])).max() < 1e-5, out
