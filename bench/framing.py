"""Where a detector's box falls on a face framed as FER2013 frames it, so served crops can match training crops.

    python -m bench.framing                         # every detector (the page runs the server's BlazeFace), 500 PublicTest faces
    python -m bench.framing --detectors blazeface --faces 2000 --data ../shared/datasets/fer2013/fer2013_original.csv.gz
    python -m bench.framing --accuracy            # also: the model's accuracy on other faces, plain crop vs measured

No labels from elsewhere: each 48x48 FER2013 face is enlarged to SIDE pixels and placed in the
middle of a larger canvas (its border replicated outward, so the detector sees no frame edge), and
the detector's box is compared with the square the face was placed in. For each detector it prints
the median box side and centre offset relative to that square, and the crop that maps the box back
onto FER2013's framing: `crop_scale` (square side / box side) and `crop_offset` ((square centre -
box centre) / square side, x and y). The manifest's crop_scale and crop_offset are set from this.
"""
import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from server.detectors import DETECTORS, make_detector
from training.benchmarks import DEFAULT_DATASETS
from training.data import load_split

ROOT = Path(__file__).resolve().parents[1]
SIDE = 192      # pixels the face is enlarged to: a face at arm's length from a webcam
CANVAS = 576    # the frame around it


def place(face: np.ndarray) -> np.ndarray:
    """A gray 48x48 face -> an RGB CANVAS x CANVAS frame with the face as the centre SIDE x SIDE square."""
    big = cv2.resize(face, (SIDE, SIDE), interpolation=cv2.INTER_CUBIC)
    pad = (CANVAS - SIDE) // 2
    frame = cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)


def largest_boxes(detector_name, frames) -> list:
    """The best box (x, y, w, h) the detector finds in each frame, or None. (The page runs the
    server's BlazeFace, converted for TF.js: its boxes are the server's.)"""
    detector = make_detector(detector_name, min_face=24)
    return [tuple(found[0][:4]) if (found := detector.detect(frame)) else None for frame in frames]


def measure(boxes) -> dict:
    """Median framing of the boxes found on the placed faces, and the crop that undoes it."""
    sides, dx, dy = [], [], []
    centre = CANVAS / 2
    for box in boxes:
        if box is None:
            continue
        x, y, w, h = box
        sides.append(max(w, h) / SIDE)
        dx.append((x + w / 2 - centre) / SIDE)
        dy.append((y + h / 2 - centre) / SIDE)
    if not sides:
        return {"found": 0, "faces": len(boxes)}
    side, off_x, off_y = (float(np.median(v)) for v in (sides, dx, dy))
    return {"faces": len(boxes), "found": len(sides),
            "box_side": round(side, 3), "box_centre_offset": [round(off_x, 3), round(off_y, 3)],
            "box_side_iqr": [round(float(q), 3) for q in np.percentile(sides, [25, 75])],
            "crop_scale": round(1 / side, 3), "crop_offset": [round(-off_x, 3), round(-off_y, 3)]}


def crop_accuracy(detector_name, frames, labels, framing, model_dir) -> dict:
    """Accuracy of the model on the detector's crops of `frames`: the plain box (crop_scale 1) and the
    measured framing, on the faces the detector finds."""
    from server.classifier import Classifier
    from server.crop import square_crop

    classifier = Classifier(model_dir)
    right = {"plain": [], "framed": []}
    for frame, label, box in zip(frames, labels, largest_boxes(detector_name, frames)):
        if box is None:
            continue
        for kind, (scale, offset) in (("plain", (1.0, (0, 0))),
                                      ("framed", (framing["crop_scale"], framing["crop_offset"]))):
            crop = square_crop(frame, box, scale, crop_offset=offset)
            right[kind].append(int(classifier.probabilities(crop).argmax() == label))
    return {kind: round(float(np.mean(v)), 4) for kind, v in right.items()} | {"n": len(right["plain"])}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(DEFAULT_DATASETS / "fer2013" / "fer2013_original.csv.gz"))
    p.add_argument("--split", default="PublicTest", help="never a test split used for reporting")
    p.add_argument("--faces", type=int, default=500)
    p.add_argument("--detectors", nargs="+", default=sorted(DETECTORS))
    p.add_argument("--accuracy", action="store_true",
                   help="also score --model on the next --faces faces (not those measured), plain crop vs framed")
    p.add_argument("--model", default=str(ROOT / "models" / "resnet_slim"))
    args = p.parse_args(argv)
    split = load_split(args.data, args.split)
    order = np.random.default_rng(0).permutation(len(split))
    frames = [place(face) for face in split.x[order[:args.faces]]]
    results = {name: measure(largest_boxes(name, frames)) for name in args.detectors}
    if args.accuracy:
        held_out = order[args.faces:2 * args.faces]
        other = [place(face) for face in split.x[held_out]]
        for name, framing in results.items():
            if framing.get("found"):
                framing["accuracy"] = crop_accuracy(name, other, split.y[held_out], framing, args.model)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
