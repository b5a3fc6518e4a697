"""Face detectors compared on frames with known faces: recall, false positives, ms per 640x480 frame.

    .venv/bin/python -m bench.detectors [--frames 40] [--data ../shared/datasets/fer2013/fer2013.csv.gz]

Frames: scikit-image photos (astronaut, cameraman in profile, 8 photos without faces), fitted to
640x480; "astronaut scenes": 1-3 copies of the astronaut's head and shoulders per frame, faces
~35-110 px, on blurred faceless photos; and synthetic 640x480 frames of three FER2013 PrivateTest faces each, upscaled to
96-200 px and pasted on blurred faceless photos. A detection matches a face at IoU >= 0.3.
"""
import argparse
import statistics
import time
from pathlib import Path

from server.detectors import DETECTORS, make_detector
from tests.support.face_frames import FER_DATA, astronaut_scenes, fer_frames, match, photos


def evaluate(detector, frames, repeats=1):
    """Recall, false positives and per-frame times of one detector over frames."""
    found = truth = false_pos = 0
    times = []
    for frame in frames:
        detector.detect(frame.rgb)  # warm-up, so the first call's allocations are not timed
        for _ in range(repeats):
            start = time.perf_counter()
            detections = detector.detect(frame.rgb)
            times.append((time.perf_counter() - start) * 1000)
        matched, unmatched = match(frame.boxes, [d[:4] for d in detections])
        found += len(matched)
        truth += len(frame.boxes)
        false_pos += len(unmatched)
    return {"faces": truth, "found": found, "recall": found / truth if truth else float("nan"),
            "false_pos": false_pos, "frames": len(frames), "median_ms": statistics.median(times)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=FER_DATA, help="FER2013 CSV for the synthetic frames")
    parser.add_argument("--frames", type=int, default=40, help="number of synthetic FER2013 frames")
    parser.add_argument("--detectors", default=",".join(DETECTORS), help="comma-separated detector names")
    args = parser.parse_args(argv)

    sets = {"photos": photos(), "astronaut scenes": astronaut_scenes(args.frames)}
    if Path(args.data).exists():
        from training.data import load
        sets["fer2013 frames"] = fer_frames(load(args.data)["PrivateTest"], n_frames=args.frames)
    else:
        print(f"{args.data}: not found, synthetic FER2013 frames skipped")

    print(f"{'detector':<15} {'frames':<17} {'faces':>5} {'found':>5} {'recall':>7} {'false +':>7} {'median ms':>9}")
    for name in args.detectors.split(","):
        detector = make_detector(name)
        for set_name, frames in sets.items():
            r = evaluate(detector, frames)
            print(f"{name:<15} {set_name:<17} {r['faces']:>5} {r['found']:>5} {r['recall']:>7.2f} "
                  f"{r['false_pos']:>7} {r['median_ms']:>9.1f}")


if __name__ == "__main__":
    main()
