"""Faces that arrive already cropped (a dataset's faces) through POST /api/predict, with and without
`?detect=false`: how many the detector finds, and how many come back with the right label.

    .venv/bin/python -m bench.cropped_faces [--faces 500] [--detectors blazeface_full,haar]

Each FER2013 PrivateTest face goes as a 48x48 PNG through the app's own request path (Flask's test
client, the shipped model, the server's TFLite file), so decoding, cropping and the classifier are
the real ones; no network is involved.
"""
import argparse
import json

from server import create_app
from server.detectors import DETECTORS
from tests.support.images import face_png
from training.data import DEFAULT_DATA, load


def measure(client, faces, labels, names, detect):
    """(faces with at least one detection, faces whose first detection has the right label)."""
    found = right = 0
    for face, label in zip(faces, labels):
        response = client.post(f"/api/predict?detect={str(detect).lower()}", data=face_png(face)).get_json()
        found += bool(response["faces"])
        right += bool(response["faces"]) and response["faces"][0]["label"] == names[label]
    return found, right


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="FER2013 CSV")
    parser.add_argument("--faces", type=int, default=500, help="the first N PrivateTest faces")
    parser.add_argument("--detectors", default=",".join(DETECTORS), help="comma-separated detector names")
    args = parser.parse_args(argv)
    split = load(args.data)["PrivateTest"]
    faces, labels = split.x[:args.faces], split.y[:args.faces]
    rows = []
    for detector in args.detectors.split(","):
        client = create_app({"ASYNC_MODE": "threading", "DETECTOR": detector}).test_client()
        names = client.get("/api/model").get_json()["labels"]
        for detect in (True, False):
            found, right = measure(client, faces, labels, names, detect)
            rows.append({"detector": detector, "detect": detect, "faces": len(faces), "found": found,
                         "right": right, "accuracy": round(right / len(faces), 4)})
            print(json.dumps(rows[-1]), flush=True)
    return rows


if __name__ == "__main__":
    main()
