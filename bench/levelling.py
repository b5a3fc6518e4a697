"""What levelling the eyes is worth: the server's pipeline on faces tilted by known angles.

    python -m bench.levelling [--faces 500] [--angles 0 10 20 30]

Each FER2013 PublicTest face (original pixels; FER+ majority labels, the raters' view) is placed
in a larger frame as bench.framing places it, the frame is turned about the face's centre by each
angle, either way, and the server's pipeline (detector, crop, classifier) labels it twice: with
the crop turned to level the eyes (the manifest's `level_eyes`) and without. Printed per angle:
faces found, accuracy both ways, and the median roll the detector read (it should match the angle).
PublicTest is the selection split; no test split is used.
"""
import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from bench.framing import CANVAS, place
from server.pipeline import Engine
from training.benchmarks import DEFAULT_DATASETS
from training.data import load_split
from training.extra_data import ferplus_majority, ferplus_votes_for

ROOT = Path(__file__).resolve().parents[1]


def tilt(frame: np.ndarray, degrees: float) -> np.ndarray:
    """The frame turned about its centre, clockwise on screen for positive degrees (the server's roll)."""
    matrix = cv2.getRotationMatrix2D((CANVAS / 2, CANVAS / 2), -degrees, 1.0)
    return cv2.warpAffine(frame, matrix, (CANVAS, CANVAS), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def labelled_faces(datasets: Path, count: int, seed=0):
    faces = load_split(datasets / "fer2013" / "fer2013_original.csv.gz", "PublicTest")
    labels, keep = ferplus_majority(ferplus_votes_for(datasets / "ferplus" / "ferplus.csv", "PublicTest"))
    x, y = faces.x[keep], labels[keep]
    order = np.random.default_rng(seed).permutation(len(y))[:count]
    return x[order], y[order]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--faces", type=int, default=500)
    p.add_argument("--angles", type=float, nargs="+", default=[0, 10, 20, 30])
    p.add_argument("--model", default=str(ROOT / "models" / "resnet_slim"))
    p.add_argument("--detector", default="blazeface")
    p.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    args = p.parse_args(argv)
    engine = Engine(args.model, detector=args.detector)
    labels = engine.classifier.labels
    x, y = labelled_faces(args.datasets, args.faces)
    rows = []
    for angle in args.angles:
        right = {"levelled": [], "plain": []}
        rolls = []
        for sign in ((1,) if angle == 0 else (1, -1)):
            for face, label in zip(x, y):
                frame = tilt(place(face), sign * angle)
                for kind, level in (("levelled", True), ("plain", False)):
                    engine.level_eyes = level
                    found = engine.analyse_rgb(frame)["faces"]
                    if not found:
                        break
                    best = max(found, key=lambda f: f["score"])
                    right[kind].append(labels.index(best["label"]) == label)
                    if level:
                        rolls.append(sign * best["roll"])
        rows.append({"angle": angle, "found": len(right["plain"]), "of": len(y) * (1 if angle == 0 else 2),
                     "accuracy_levelled": round(float(np.mean(right["levelled"])), 4),
                     "accuracy_plain": round(float(np.mean(right["plain"])), 4),
                     "median_roll_read": round(float(np.median(rolls)), 1)})
        print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
