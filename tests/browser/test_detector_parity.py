"""Both modes box the same faces: the page's detector (static/js/detector.js on the TF.js graph that
converters/face_detector.py builds) against the server's (server/detectors/blazeface.py on the
.tflite file), on the same frames: every face the server finds, the page finds, at IoU >= 0.8, with
the same roll (the eyes' angle the crops are levelled by) within MAX_ROLL_DIFF degrees."""
import base64

import cv2
import numpy as np
import pytest
import requests

from server.boxes import iou
from tests.browser.conftest import cameraless_page
from tests.support import scenes
from tests.support.videos import carphone_path

MIN_IOU = 0.8
MAX_ROLL_DIFF = 3.0


def tilted(frame, degrees):
    """The frame turned about its centre, clockwise on screen for positive degrees."""
    height, width = frame.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -degrees, 1.0)
    return cv2.warpAffine(frame, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)

DETECT_JS = """async (frames) => {
  if (!(await tf.setBackend('wasm'))) return null;
  await tf.ready();
  const { createDetector } = await import('/static/js/detector.js');
  const detector = await createDetector({ model: JSON.parse(document.body.dataset.detector) });
  const out = [];
  for (const f of frames) {
    const frame = tf.tensor3d(Uint8Array.from(atob(f.data), (ch) => ch.charCodeAt(0)), [f.height, f.width, 3], 'int32');
    out.push(await detector.estimate(frame));
    frame.dispose();
  }
  detector.dispose();
  return { name: detector.name, boxes: out };
}"""


def frames_to_compare(videos):
    """{name: RGB frame}: one face, four faces (when FER2013 is there), a face sliding, a talking face."""
    frames = {"one face": videos("one")[2]}
    frames["one face tilted 20 degrees"] = tilted(frames["one face"], 20)
    try:
        frames["four faces"] = videos("four")[2]
    except pytest.skip.Exception:
        pass
    for i, frame in enumerate(scenes.moving_face_scene(frames=6, step=7)[::2]):
        frames[f"sliding {i}"] = frame
    if carphone_path() is not None:
        recorded, _ = scenes.recorded_scene(carphone_path())
        frames.update({f"talking face {i}": recorded[i] for i in (0, 40, 80)})
    return frames


def test_in_browser_and_server_boxes_agree(live_app, chromium, videos):
    frames = frames_to_compare(videos)
    payload = [{"width": f.shape[1], "height": f.shape[0], "data": base64.b64encode(np.ascontiguousarray(f).tobytes()).decode()}
               for f in frames.values()]
    with cameraless_page(live_app, chromium) as page:
        page_out = page.evaluate(DETECT_JS, payload)
    assert page_out is not None, "the WASM backend did not start"
    found = 0
    for (name, frame), page_boxes in zip(frames.items(), page_out["boxes"]):
        png = cv2.imencode(".png", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))[1].tobytes()
        answer = requests.post(f"{live_app.url}/api/predict", data=png, headers={"Content-Type": "image/png"}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["detector"] == page_out["name"], "the page runs another detector than the server"
        server_faces = answer.json()["faces"]
        assert len(page_boxes) == len(server_faces), f"{name}: page {page_boxes}, server {server_faces}"
        for face in server_faces:
            best = max(page_boxes, key=lambda b: iou(face["box"], (b["x"], b["y"], b["w"], b["h"])))
            overlap = iou(face["box"], (best["x"], best["y"], best["w"], best["h"]))
            assert overlap >= MIN_IOU, f"{name}: server box {face['box']} is matched at IoU {overlap:.2f} only: {page_boxes}"
            page_roll = np.degrees(best["roll"])
            assert abs(page_roll - face["roll"]) <= MAX_ROLL_DIFF, \
                f"{name}: the server reads a roll of {face['roll']} degrees, the page {page_roll:.1f}"
        found += len(server_faces)
    assert found >= len(frames), "the frames have at least one face each; the detectors found fewer"
    tilt = next(f for f in requests.post(f"{live_app.url}/api/predict", timeout=30, headers={"Content-Type": "image/png"},
                                         data=cv2.imencode(".png", cv2.cvtColor(frames["one face tilted 20 degrees"],
                                                                                cv2.COLOR_RGB2BGR))[1].tobytes()).json()["faces"])
    assert 15 <= tilt["roll"] <= 25, f"expected the tilted face read at about 20 degrees, got {tilt['roll']}"
